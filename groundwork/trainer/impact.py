"""Impact analysis: what a change to the knowledge base does to the plans of real cases.

Both knowledge bases assess every case; for each intervention the status in the two plans
(active in a phase, deferred, avoided, not suitable, absent) is compared, and each change names
the rules responsible — with what happened to them between the two versions (new rule, changed,
retired, removed, no longer fires). Flags raised and cleared are listed too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dsl.errors import GroundworkError
from dsl.checked import CheckedKnowledgeBase
from engine.intake import read_assessment_file
from engine.pipeline import Outcome, assess
from groundwork.trainer.scenarios import SUFFIX, load_scenarios
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
            found = [p for p in path.rglob("*") if p.is_file()
                     and (p.suffix == ".json" or p.name.endswith(SUFFIX))]
            out.extend(sorted(found, key=lambda p: p.as_posix()))
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def clients(path: Path, kb: CheckedKnowledgeBase, drafts: bool) -> list[tuple[str, Outcome]]:
    """(case, outcome) for an assessment file, or (scenario name, outcome) for each scenario in
    a scenario file."""
    if path.name.endswith(SUFFIX):
        scenarios, diagnostics = load_scenarios([(path, str(path))], kb, expectations=False)
        errors = [d for d in diagnostics if d.severity == "error"]
        if errors:
            raise GroundworkError(errors)
        return [(s.name, assess(s.assessment, s.raw, kb, drafts=drafts))
                for s in scenarios]
    assessment, raw = read_assessment_file(path, kb)
    return [(str(path), assess(assessment, raw, kb, drafts=drafts))]


def compare(name: str, base: Outcome, head: Outcome, base_kb: CheckedKnowledgeBase,
            head_kb: CheckedKnowledgeBase, source: str = "") -> CaseImpact:
    before, after = intervention_states(base.plan), intervention_states(head.plan)
    fired_before = {f.rule_id for f in base.firings}
    fired_after = {f.rule_id for f in head.firings}

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


def _flag_changes(base: Outcome, head: Outcome, note) -> list[Change]:
    before = {f.code: f for f in base.plan.flags}
    after = {f.code: f for f in head.plan.flags}
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
    results = []
    for path in case_files(paths):
        old = clients(path, base_kb, drafts)
        new = dict(clients(path, head_kb, drafts))
        for name, outcome in old:
            if name in new:
                source = str(path) if path.name.endswith(SUFFIX) else ""
                results.append(compare(name, outcome, new[name], base_kb, head_kb, source))
    return results
