"""Impact analysis: what a change to the knowledge base does to the plans of real cases.

Both knowledge bases assess every case; for each intervention the status in the two plans
(active in a phase, deferred, avoided, not suitable, absent) is compared, and each change names
the rules responsible — with what happened to them between the two versions (new rule, changed,
retired, removed, no longer fires). Flags raised and cleared are listed too.
"""

from __future__ import annotations

import json
import re
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

from dsl.errors import Diagnostic, EngineFailure, GroundworkError
from dsl.checked import CheckedKnowledgeBase
from dsl.evaluate import evaluate
from engine.batch.cluster import (KnowledgeBaseBundle, bundle_knowledge_base, connect, run_partitions,
                                  worker_knowledge_base)
from engine.batch.local import LINES_SUFFIXES, CaseInput, chunked, find_cases, load_case, map_forked
from engine.facts import build_facts, some_facts
from engine.intake import parse_assessment, read_assessment_file
from engine.models import Assessment
from engine.pipeline import Matched, Outcome, assess
from engine.plan import Plan
from engine.runtime import Firing, runner_for
from groundwork.trainer.scenarios import SUFFIX, load_scenarios
from groundwork.trainer.screen import Screen, screen
from groundwork.trainer.subjects import intervention_states, rule_note

KINDS = ("added", "removed", "moved", "deferred", "avoided", "other")


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | moved | deferred | avoided | no longer deferred | …
    subject: str  # intervention id or flag code
    detail: str
    rules: tuple[str, ...]  # the responsible rules, each with a note on what changed

    @property
    def column(self) -> str:
        """The summary-table column this change counts in."""
        return self.kind if self.kind in KINDS else "other"


@dataclass
class CaseImpact:
    case: str  # the assessment file, or the scenario's name
    source: str = ""  # the scenario file a scenario case comes from
    changes: list[Change] = field(default_factory=list)


def case_files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.is_file() and _is_case_file(p)]
            out.extend(sorted(found, key=lambda p: p.as_posix()))
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def _is_case_file(path: Path) -> bool:
    return path.suffix == ".json" or path.suffix in LINES_SUFFIXES or path.name.endswith(SUFFIX)


def clients(path: Path, kb: CheckedKnowledgeBase, drafts: bool) -> list[tuple[str, Outcome]]:
    """(case, outcome) for an assessment file, or (scenario name, outcome) for each scenario in
    a scenario file."""
    return [(case.name, assess(case.assessment, case.raw, kb, drafts=drafts))
            for case in read_cases(path, kb)]


@dataclass(frozen=True)
class Case:
    """One client to compare: an assessment file, a line of a JSON-lines caseload, or a scenario."""

    name: str
    source: str  # the scenario file a scenario comes from; "" otherwise
    assessment: Assessment
    raw: dict


def read_cases(path: Path, kb: CheckedKnowledgeBase, roots: tuple[Path, ...] = ()) -> list[Case]:
    if path.name.endswith(SUFFIX):
        scenarios, diagnostics = load_scenarios([(path, str(path))], kb, expectations=False,
                                                roots=roots)
        errors = [d for d in diagnostics if d.severity == "error"]
        if errors:
            raise GroundworkError(errors)
        return [Case(s.name, str(path), s.assessment, s.raw) for s in scenarios]
    if path.suffix in LINES_SUFFIXES:
        return [_line_case(case, kb) for case in find_cases([path])]
    assessment, raw = read_assessment_file(path, kb)
    return [Case(str(path), "", assessment, raw)]


def _line_case(case: CaseInput, kb: CheckedKnowledgeBase) -> Case:
    try:
        assessment, raw = parse_assessment(case.text or "", case.source, kb)
    except GroundworkError as error:  # located in the caseload file, without the client's data
        raise GroundworkError([replace(d, path=case.path, line=case.line, source_line=None)
                               for d in error.diagnostics]) from None
    return Case(case.source, "", assessment, raw)


def compare(name: str, base: Outcome, head: Outcome, base_kb: CheckedKnowledgeBase,
            head_kb: CheckedKnowledgeBase, source: str = "") -> CaseImpact:
    return compare_plans(name, base.plan, fired(base), head.plan, fired(head), base_kb, head_kb,
                         source)


def fired(outcome: Outcome) -> set[str]:
    return {f.rule_id for f in outcome.firings}


def compare_plans(name: str, base: Plan, fired_before: set[str], head: Plan,
                  fired_after: set[str], base_kb: CheckedKnowledgeBase, head_kb: CheckedKnowledgeBase,
                  source: str = "") -> CaseImpact:
    before, after = intervention_states(base), intervention_states(head)

    def note(rules) -> tuple[str, ...]:
        return tuple(rule_note(r, base_kb, head_kb, fired_before, fired_after) for r in rules)

    impact = CaseImpact(name, source)
    for iv in sorted(set(before) | set(after)):
        old, new = before.get(iv), after.get(iv)
        change = _transition(iv, old, new)
        if change is not None:
            kind, detail, rules = change
            impact.changes.append(Change(kind, iv, detail, note(rules)))
    impact.changes += _flag_changes(base, head, note)
    return impact


def _transition(iv, old, new):
    """(kind, detail, responsible rules) for one intervention's change of status, or None."""
    old_kind = old.kind if old else "absent"
    new_kind = new.kind if new else "absent"
    if old_kind == new_kind and (old_kind != "active" or old.phase == new.phase):
        return None
    if new_kind == "active":
        if old_kind == "active":
            return "moved", f"{old.phase} -> {new.phase}", new.rules
        was = f" (was {old.describe()})" if old else ""
        return "added", f"in {new.phase}{was}", new.rules
    if new_kind in ("deferred", "avoided"):
        rules = tuple(dict.fromkeys(new.rules + (old.rules if old else ())))
        return new_kind, new.describe(), rules
    if new_kind == "not_suitable":
        return "not suitable", new.describe(), new.rules
    if old_kind == "active":
        return "removed", f"was in {old.phase}", old.rules
    gone = {"deferred": "no longer deferred", "avoided": "no longer avoided",
            "not_suitable": "no longer listed"}[old_kind]
    return gone, f"was {old.describe()}", old.rules


def _flag_changes(base: Plan, head: Plan, note) -> list[Change]:
    before = {f.code: f for f in base.flags}
    after = {f.code: f for f in head.flags}
    out = []
    for code in sorted(set(before) | set(after)):
        if code in after and code not in before:
            out.append(Change("flag raised", code, after[code].severity, note(after[code].rules)))
        elif code in before and code not in after:
            out.append(Change("flag cleared", code, before[code].severity,
                              note(before[code].rules)))
    return out


def impact(paths: list[Path], base_kb: CheckedKnowledgeBase, head_kb: CheckedKnowledgeBase,
           drafts: bool = False) -> list[CaseImpact]:
    """Every case under `paths`, compared (the screen applied, in this process)."""
    return run_impact(paths, base_kb, head_kb, drafts).cases


@dataclass
class ImpactRun:
    """The comparison of a caseload, with what the screen spared."""

    cases: list[CaseImpact]
    screen: Screen
    assessed: int = 0  # cases assessed again (the rest could not be affected by the change)

    @property
    def screened_out(self) -> int:
        return len(self.cases) - self.assessed


def run_impact(paths: list[Path], base_kb: CheckedKnowledgeBase, head_kb: CheckedKnowledgeBase,
               drafts: bool = False, workers: int = 1, base_results: Path | None = None,
               use_screen: bool = True, dask: str | None = None) -> ImpactRun:
    """Compare every case under `paths` (assessment files, JSON-lines caseloads, scenario files,
    directories of them) in input order, on `workers` processes, or on the Dask cluster whose
    scheduler is at `dask`. With `base_results` (a `groundwork batch --out` file made with the
    base knowledge base) base plans are read, not made again. Without `use_screen` every case is
    assessed under both knowledge bases."""
    the_screen = screen(base_kb, head_kb, drafts) if use_screen else Screen(None)
    context = _Context(base_kb, head_kb, the_screen, drafts,
                       read_base_results(base_results, base_kb) if base_results else None)
    items: list[Case | CaseInput] = []
    for path in case_files(paths):
        if path.name.endswith(SUFFIX):
            # a scenario's assessment may be in either knowledge base's directory
            items.extend(read_cases(path, base_kb, (Path(base_kb.root), Path(head_kb.root))))
        elif path.suffix in LINES_SUFFIXES:
            items.extend(find_cases([path]))
        else:
            items.append(CaseInput(str(path), str(path)))
    run = ImpactRun([], the_screen)
    mapped = _map_on_cluster(context, items, dask) if dask else _map(context, items, workers)
    for compared, assessed in mapped:
        run.cases.append(compared)
        run.assessed += assessed
    return run


@dataclass(frozen=True)
class _Context:
    base: CheckedKnowledgeBase
    head: CheckedKnowledgeBase
    screen: Screen
    drafts: bool
    base_plans: BaseResults | dict[str, dict] | None


def _compare_one(context: _Context, item: Case | CaseInput) -> tuple[CaseImpact, int]:
    case = item if isinstance(item, Case) else _input_case(item, context.base)
    the_screen, drafts = context.screen, context.drafts
    facts = None  # when the screen is off, the two knowledge bases' facts may differ
    if not the_screen.everything:  # they agree: the screen's change is to rules alone
        values = some_facts(case.assessment, context.base, the_screen.reads)
        if not the_screen.may_affect(values, context.base):
            return CaseImpact(case.name, case.source), 0
        facts = build_facts(case.assessment, context.base)
    stored = context.base_plans.get(case.name) if context.base_plans is not None else None
    if stored is not None:
        head = assess(case.assessment, case.raw, context.head, drafts, facts=facts)
        plan = Plan.model_validate(stored)
        return compare_plans(case.name, plan, plan_rules(plan), head.plan, fired(head),
                             context.base, context.head, case.source), 1
    base = assess(case.assessment, case.raw, context.base, drafts, facts=facts)
    matched = _matched_under_head(context, base) if the_screen.derive_free else None
    head = assess(case.assessment, case.raw, context.head, drafts, facts=facts, matched=matched)
    return compare(case.name, base, head, context.base, context.head, case.source), 1


def _matched_under_head(context: _Context, base: Outcome) -> Matched:
    """What the head's rules fire, from what the base's fired, when no changed rule derives a
    fact: the unchanged rules fire as they did (only derived facts carry one rule's firing to
    another), and each changed rule fires where its head condition holds on the client's facts
    and the facts derived, as under the base. Saves running the rule engine a second time; a
    property test holds it equal to running it (tests/test_impact_screen.py). The firings made
    here name their rule and version only: the comparison reads no more."""
    changed = set(context.screen.changed_rules)
    firings = [f for f in base.firings if f.rule_id not in changed]
    values, derived, types = base.facts.values, frozenset(base.derived), context.head.fact_types()
    for rule in context.screen.rules or ():
        if rule.after is not None and evaluate(rule.after, values, derived, types).value:
            firings.append(Firing(rule.id, context.head.fired_rule(rule.id).version, "", 0, (), (), ()))
    return tuple(sorted(firings, key=Firing.sort_key)), base.derived


def _input_case(case: CaseInput, kb: CheckedKnowledgeBase) -> Case:
    if case.line is not None:
        return _line_case(case, kb)
    if case.read_error is not None:
        raise GroundworkError([case.read_error])
    if case.text is not None:  # read where the file is: a Dask worker may not see our files
        assessment, raw = parse_assessment(case.text, case.source, kb)
    else:
        assessment, raw = read_assessment_file(case.path, kb)
    return Case(case.source, "", assessment, raw)


# ---- workers: forked, so that each inherits both compiled knowledge bases ----

_WORKER_CONTEXT: _Context | None = None
CHUNK = 200


def _compare_chunk(chunk: list) -> list[tuple[CaseImpact, int]]:
    assert _WORKER_CONTEXT is not None
    return [_compare_one(_WORKER_CONTEXT, item) for item in chunk]


def _map(context: _Context, items: list, workers: int):
    if workers <= 1 or len(items) <= CHUNK:
        for item in items:
            yield _compare_one(context, item)
        return
    global _WORKER_CONTEXT
    for kb in (context.base, context.head):  # compile before forking: the children inherit it
        runner_for(kb, context.drafts)
    _WORKER_CONTEXT = context
    try:
        for results in map_forked(_compare_chunk, chunked(items, CHUNK), workers):
            yield from results
    except BrokenProcessPool:
        raise EngineFailure("a diff worker process died; no report was written") from None
    finally:
        _WORKER_CONTEXT = None


# ---- on a Dask cluster: both knowledge bases travel as files, cases with their text ----

@dataclass(frozen=True)
class _ClusterContext:
    base: KnowledgeBaseBundle
    head: KnowledgeBaseBundle
    screen: Screen
    drafts: bool
    base_plans: dict[str, dict] | None


def _compare_partition(items: list, shipped: _ClusterContext) -> list[tuple[CaseImpact, int]]:
    """Runs on a Dask worker: each knowledge base rebuilt, checked and compiled once per process
    (engine/batch/cluster.py), then the same comparison as here."""
    context = _Context(worker_knowledge_base(shipped.base), worker_knowledge_base(shipped.head),
                       shipped.screen, shipped.drafts, shipped.base_plans)
    return [_compare_one(context, item) for item in items]


def _loaded(item: Case | CaseInput) -> Case | CaseInput:
    return load_case(item) if isinstance(item, CaseInput) else item


def _map_on_cluster(context: _Context, items: list, address: str):
    client = connect(address)
    try:
        shipped = client.scatter(_ClusterContext(
            bundle_knowledge_base(context.base, str(context.base.root), context.drafts),
            bundle_knowledge_base(context.head, str(context.head.root), context.drafts),
            context.screen, context.drafts,
            context.base_plans.every_plan() if isinstance(context.base_plans, BaseResults)
            else context.base_plans), broadcast=True)
        for part in run_partitions(client, items, _compare_partition, shipped, _loaded):
            yield from part
    finally:
        client.close()


# ---- a previous batch's plans for the base ----

@dataclass(frozen=True)
class BaseResults:
    """The plans of a `groundwork batch --out` file, by case. A caseload's results run to
    gigabytes (a plan is tens of kilobytes), so the file is indexed once (where each plan's line
    is, every plan checked to come from the base) and a plan is read only when a case the screen
    lets through needs it; forked workers inherit the index."""

    path: str
    lines: dict[str, tuple[int, int, int]]  # source -> (offset, length, line number)

    def get(self, source: str) -> dict | None:
        found = self.lines.get(source)
        if found is None:
            return None
        offset, length, number = found
        with open(self.path, "rb") as stream:
            stream.seek(offset)
            line = stream.read(length)
        try:
            return json.loads(line)["plan"]
        except (ValueError, TypeError, KeyError):  # changed since it was indexed, or not UTF-8
            raise GroundworkError([_not_results(self.path, number)]) from None

    def every_plan(self) -> dict[str, dict]:
        """Each plan, read now: for Dask workers, which may not see this machine's files."""
        return {source: plan for source in self.lines if (plan := self.get(source)) is not None}


# `groundwork batch` writes each line as {"source": …, "status": …, "plan": {…}}: the source and
# status are read from the line's start and the knowledge base's hash found in its one
# provenance, without decoding the whole plan; a line written otherwise is decoded whole.
_LINE_START = re.compile(rb'\{"source":("(?:[^"\\]|\\.)*"),"status":"([a-z_]+)"(,"plan":\{)?')
_KB_HASH = b'"kb_hash":"'


def read_base_results(path: Path, base_kb: CheckedKnowledgeBase) -> BaseResults:
    """Index a `groundwork batch --out` file made with `base_kb` (E209 for a plan made with
    another knowledge base, or a line that is not a batch result)."""
    lines: dict[str, tuple[int, int, int]] = {}
    try:
        stream = open(path, "rb")
    except OSError:
        raise GroundworkError([Diagnostic("E201", "cannot be read", str(path),
                                          field_path="(file)")]) from None
    with stream:
        offset = 0
        for number, line in enumerate(stream, 1):
            start, offset = offset, offset + len(line)
            if not line.strip():
                continue
            source, status, made_with = _result_line(line, str(path), number)
            if status != "ok" or made_with is None:
                continue
            if made_with != base_kb.content_hash:
                raise GroundworkError([Diagnostic(
                    "E209", f"this plan was made with knowledge base {made_with[:12]}, not "
                    f"the base {base_kb.content_hash[:12]}", str(path), number, 1,
                    hint="run `groundwork batch` with --kb set to the base knowledge base again")])
            lines[source] = (start, len(line), number)
    return BaseResults(str(path), lines)


def _result_line(line: bytes, path: str, number: int) -> tuple[str, str, str | None]:
    """(source, status, the plan's knowledge-base hash or None when it has no plan)."""
    start = _LINE_START.match(line)
    if start and start[3]:
        first = line.find(_KB_HASH)
        end = line.find(b'"', first + len(_KB_HASH))
        if first >= 0 and end >= 0 and line.find(_KB_HASH, first + 1) < 0:
            try:
                return (json.loads(start[1]), start[2].decode(),
                        line[first + len(_KB_HASH):end].decode("ascii"))
            except (ValueError, UnicodeDecodeError):
                pass  # decoded whole below, which names the problem
    try:
        entry = json.loads(line)
        source, status = entry["source"], entry["status"]
        plan = entry.get("plan")
    except (ValueError, TypeError, KeyError, AttributeError):
        raise GroundworkError([_not_results(path, number)]) from None
    if not isinstance(source, str) or not isinstance(plan, dict):
        return str(source), str(status), None
    provenance = plan.get("provenance")
    return source, str(status), str(provenance.get("kb_hash") if isinstance(provenance, dict)
                                    else None)


def _not_results(path: str, number: int) -> Diagnostic:
    return Diagnostic("E209", "not a line of `groundwork batch` results", path, number, 1,
                      hint="give --base-results the file written by `groundwork batch --out`")


def plan_rules(plan: Plan) -> set[str]:
    """The rules a stored plan names: the rules known to have fired for it (a rule that only
    derived a fact is not named in a plan)."""
    named: set[str] = set()
    for phase in plan.phases:
        for rec in phase.recommendations:
            named.update(rec.rules)
    for group in (plan.deferred, plan.avoided, plan.not_suitable, plan.flags, plan.no_action):
        for entry in group:
            named.update(entry.rules)
    return named
