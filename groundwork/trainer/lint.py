"""`groundwork lint`: every check over one knowledge base, collected into one report.

1. loading runs the parser and the semantic passes (dsl/check.py); their errors stop here, since
   nothing else can be analysed reliably without a well-formed knowledge base;
2. the static analyses (dsl/analysis/);
3. coverage gaps, through the real engine (groundwork/trainer/gaps.py), reported at the region declaration;
4. the knowledge base's rule scenarios are read and checked against it (not run: that is
   `groundwork test`);
5. `# lint: allow CODE` comments silence the warnings they name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import knowledge_base
from dsl import ast
from dsl.analysis import analyse
from dsl.analysis.context import Analysis
from dsl.analysis.suppress import split_suppressed
from dsl.errors import Diagnostic, GroundworkError
from dsl.facts import AROUSAL_CURRENT, band_path
from dsl.checked import CheckedKnowledgeBase
from dsl.kb import KnowledgeBase, follows_from_unreadable, load_all
from dsl.partial import WHOLE_KB_CODES, analysable_part
from groundwork.trainer import locate
from groundwork.trainer.lint_cache import cached_findings, files_digest
from groundwork.trainer.scenarios import display_path, load_scenarios, scenario_files


@dataclass
class LintReport:
    path: str  # the knowledge base (or file) as the user named it
    diagnostics: list[Diagnostic] = field(default_factory=list)
    silenced: int = 0
    rules: int = 0
    interventions: int = 0
    scenarios: int = 0
    one_file: bool = False  # only the findings in one rule file are reported

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "warning")

    def summary(self) -> str:
        counts = (f"{self.errors} error{'s' if self.errors != 1 else ''}, "
                  f"{self.warnings} warning{'s' if self.warnings != 1 else ''}")
        silenced = f" ({self.silenced} silenced by '# lint: allow')" if self.silenced else ""
        if self.one_file or (self.rules == 0 and self.errors):
            return f"{self.path}: {counts}{silenced}"
        return (f"{self.path}: {self.rules} rules, {self.interventions} interventions, "
                f"{self.scenarios} scenarios: {counts}{silenced}")


def order(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Errors first, then warnings; each in file, line, column order."""
    return sorted(diagnostics, key=lambda d: (d.severity != "error", d.sort_key()))


def lint_path(path: Path | None, drafts: bool = False) -> LintReport:
    """Lint a knowledge base directory, or one rule file (reporting only what lies in it)."""
    only_file = path if path is not None and path.is_file() else None
    root = locate.kb_root_of(only_file) if only_file is not None else path
    if only_file is not None and root is None:
        root = only_file.parent
    report = LintReport(str(path) if path is not None else locate.BUNDLED_DISPLAY,
                        one_file=only_file is not None)
    try:
        kb = locate.load(root)
        partial = False
        scenarios_against: KnowledgeBase = kb
        diagnostics = list(kb.warnings)
    except GroundworkError as error:
        loaded = load_all(root or knowledge_base.BUNDLED, locate.display(root))
        diagnostics = list(loaded.diagnostics) or list(error.diagnostics)
        part = analysable_part(loaded.draft, diagnostics)
        partial = True
        if part is None:  # nothing reliable to analyse until these errors are fixed
            report.diagnostics = order(_scenarios_of_draft(loaded.draft, root, diagnostics,
                                                          loaded.unreadable))
            return report
        kb, scenarios_against = part, loaded.draft or part
    if not partial:  # with errors, the summary gives only the counts of findings
        report.rules, report.interventions = len(kb.rules), len(kb.interventions)
    if partial:
        findings = analyse(kb)
        related = {i + len(diagnostics): p for i, p in findings.related.items()}
        diagnostics += [d for d in findings.diagnostics if d.code not in WHOLE_KB_CODES]
    else:  # the expensive part: run again only when the rules or the instrument changed
        found, found_related, _ = cached_findings(kb, drafts, lambda: _analyses(kb, drafts))
        related = {i + len(diagnostics): p for i, p in found_related.items()}
        diagnostics += found
    if partial:
        scenario_diagnostics, report.scenarios = _scenario_findings(scenarios_against, root)
    else:  # again only when a scenario file (or the knowledge base) changed
        scenario_diagnostics, _, report.scenarios = cached_findings(
            kb, drafts, lambda: _scenarios(kb, root),
            also=f"scenarios {locate.display(root)} "
                 + files_digest(scenario_files([Path(kb.root)])))
    diagnostics += [d for d in scenario_diagnostics
                    if not (partial and follows_from_unreadable(d, loaded.unreadable))]
    kept, silenced = split_suppressed(kb, diagnostics, related)
    if only_file is not None:
        shown = display_path(only_file, Path(kb.root), locate.display(root))
        kept = [d for d in kept if d.path == shown]
    report.diagnostics, report.silenced = order(kept), len(silenced)
    return report


def _analyses(kb: CheckedKnowledgeBase, drafts: bool):
    """What the logic analyses and the coverage gaps find (groundwork/trainer/lint_cache.py)."""
    findings = analyse(kb)
    return list(findings.diagnostics) + _gap_findings(kb, drafts), dict(findings.related), 0


def _scenarios(kb: CheckedKnowledgeBase, root: Path | None):
    found, count = _scenario_findings(kb, root)
    return found, {}, count


def _scenarios_of_draft(draft, root, diagnostics: list[Diagnostic], unreadable) -> list[Diagnostic]:
    """Scenario files are still checked against what could be read of the knowledge base."""
    if draft is None or draft.instrument is None:
        return diagnostics
    try:
        found, _ = _scenario_findings(draft, root)
    except Exception:  # noqa: BLE001 - a half-read knowledge base: the load errors come first
        return diagnostics
    return diagnostics + [d for d in found if not follows_from_unreadable(d, unreadable)]


def _region_position(kb: CheckedKnowledgeBase, region: str) -> ast.Pos | None:
    for source in kb.files:
        for item in source.items:
            if isinstance(item, ast.RegionDecl) and item.name == region:
                return item.pos
    return None


def _gap_findings(kb: CheckedKnowledgeBase, drafts: bool) -> list[Diagnostic]:
    from groundwork.trainer.gaps import coverage_gaps  # runs the rule engine: imported only on a cache miss

    out = Analysis(sources=dict(kb.sources))
    grouped: dict[tuple[str, str], list[str]] = {}
    for gap in coverage_gaps(kb, drafts):
        grouped.setdefault((gap.region, gap.band), []).append(gap.arousal)
    for (region, band), states in grouped.items():
        shown = ", ".join(states[:-1]) + (" or " if len(states) > 1 else "") + states[-1]
        out.add("W360", f"no guidance for {band_path(region)} = {band} with {AROUSAL_CURRENT} = {shown} "
                f"(other regions typical): no rule recommends, defers or avoids work for "
                f"{region}, or says no action is needed", _region_position(kb, region),
                path=kb.root, hint="write a rule for this profile, even if it only says "
                                   "'no action needed because \"…\"'")
    return out.diagnostics


def _scenario_findings(kb: KnowledgeBase, root: Path | None) -> tuple[list[Diagnostic], int]:
    kb_dir = Path(kb.root)
    files = scenario_files([kb_dir])
    pairs = [(f, display_path(f, kb_dir, locate.display(root))) for f in files]
    # A knowledge base with errors elsewhere still checks its scenarios (every problem at once):
    # reading a scenario looks up only names and the instrument, which a draft has.
    scenarios, diagnostics = load_scenarios(pairs, cast(CheckedKnowledgeBase, kb))
    # In a lint report every finding shows its code: the field path goes into the message.
    shown = [Diagnostic(d.code, f"{d.field_path}: {d.message}" if d.field_path else d.message,
                        d.path, d.line, d.column, d.severity, d.hint, d.source_line)
             for d in diagnostics]
    return shown, len(scenarios)
