"""Machine-readable reports for continuous integration: rule scenarios as JUnit XML or JSON, lint
findings as SARIF 2.1.0 (which code hosts show as annotations on the lines of a change).

Every report is deterministic: the same knowledge base and scenarios give the same bytes (no
times, no host names), so a CI artefact can be compared from one run to the next.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

from dsl.errors import Diagnostic
from dsl.kb import KnowledgeBase
from groundwork.trainer.runner import Coverage, Result

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _failure_text(result: Result) -> str:
    lines = []
    for failure in result.failures:
        lines += [f"expected: {failure.expected}", f"actual:   {failure.actual}"]
        lines += [f"{failure.label if i == 0 else '':<9} {line}"
                  for i, line in enumerate(failure.explanation)]
    return "\n".join(lines)


def junit_xml(results: list[Result], kb: KnowledgeBase) -> str:
    """One <testcase> per scenario, grouped in a <testsuite> per scenario file."""
    suites = ElementTree.Element("testsuites", name=f"groundwork test {kb.name} {kb.version}",
                                 tests=str(len(results)),
                                 failures=str(sum(1 for r in results if not r.passed)))
    by_file: dict[str, list[Result]] = {}
    for result in results:
        by_file.setdefault(result.scenario.path, []).append(result)
    for path, members in by_file.items():
        suite = ElementTree.SubElement(
            suites, "testsuite", name=path, tests=str(len(members)),
            failures=str(sum(1 for r in members if not r.passed)), errors="0", skipped="0")
        properties = ElementTree.SubElement(suite, "properties")
        for name, value in (("knowledge_base", kb.name), ("version", kb.version),
                            ("content_hash", kb.content_hash)):
            ElementTree.SubElement(properties, "property", name=name, value=value)
        for result in members:
            scenario = result.scenario
            case = ElementTree.SubElement(suite, "testcase", name=scenario.name, classname=path,
                                          file=path, line=str(scenario.line))
            if not result.passed:
                first = result.failures[0]
                failure = ElementTree.SubElement(
                    case, "failure", type="ScenarioFailure",
                    message=f"expected {first.expected}; actual {first.actual}")
                failure.text = _failure_text(result)
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + \
        ElementTree.tostring(suites, encoding="unicode") + "\n"


def test_json(results: list[Result], cover: Coverage | None, kb: KnowledgeBase) -> str:
    passed = sum(1 for r in results if r.passed)
    payload = {
        "knowledge_base": {"name": kb.name, "version": kb.version, "hash": kb.content_hash},
        "scenarios": [
            {"name": r.scenario.name, "file": r.scenario.path, "line": r.scenario.line,
             "passed": r.passed, "fired": sorted(r.fired),
             "failures": [{"expected": f.expected, "actual": f.actual,
                           "explanation": list(f.explanation)} for f in r.failures]}
            for r in results],
        "summary": {"passed": passed, "failed": len(results) - passed},
    }
    if cover is not None:
        payload["coverage"] = {"percent": round(cover.percent, 1), "rules": len(cover.considered),
                               "fired": len(cover.considered) - len(cover.unfired),
                               "not_fired": cover.unfired, "retired": cover.retired}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def sarif(diagnostics: list[Diagnostic], version: str) -> str:
    """SARIF 2.1.0: one run of the tool `groundwork lint`, a rule per code, a result per finding."""
    codes = sorted({d.code for d in diagnostics})
    # Each code is explained, with an example, in docs/dsl.md ("Every error message").
    rules = [{"id": code, "shortDescription": {"text": f"{code}: see docs/dsl.md"},
              "defaultConfiguration": {"level": "error" if code.startswith("E") else "warning"}}
             for code in codes]
    results = []
    for d in diagnostics:
        text = d.message if d.field_path is None else f"{d.field_path}: {d.message}"
        if d.hint:
            text += f" (hint: {d.hint})"
        location: dict = {"artifactLocation": {"uri": d.path}}
        if d.line is not None:
            location["region"] = {"startLine": d.line, "startColumn": d.column or 1}
        results.append({"ruleId": d.code, "ruleIndex": codes.index(d.code),
                        "level": "error" if d.severity == "error" else "warning",
                        "message": {"text": text},
                        "locations": [{"physicalLocation": location}]})
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "groundwork lint", "version": version, "rules": rules}},
        "columnKind": "unicodeCodePoints",
        "results": results}]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
