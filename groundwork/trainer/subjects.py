"""The pieces impact analysis compares: each intervention's status in a plan, and the rules."""

from __future__ import annotations

from dataclasses import dataclass

from dsl.analysis.subsumption import action_key
from dsl.checked import CheckedKnowledgeBase
from engine.plan import Plan


@dataclass(frozen=True)
class State:
    kind: str  # active | deferred | avoided | not_suitable
    rules: tuple[str, ...]
    phase: str | None = None
    detail: str = ""

    def describe(self) -> str:
        if self.kind == "active":
            return f"active in {self.phase}"
        if self.kind == "deferred":
            return f"deferred {self.detail}"
        return f"{self.kind.replace('_', ' ')}: {self.detail}"


def intervention_states(plan: Plan) -> dict[str, State]:
    states: dict[str, State] = {}
    for phase in plan.phases:
        for rec in phase.recommendations:
            states[rec.intervention] = State("active", rec.rules, phase.name)
    for item in plan.deferred:
        states[item.intervention] = State("deferred", item.rules, item.phase, item.gate)
    for avoided in plan.avoided:
        states[avoided.intervention] = State("avoided", avoided.rules + avoided.proposed_by, None,
                                             avoided.reason)
    for unsuitable in plan.not_suitable:
        states[unsuitable.intervention] = State("not_suitable", unsuitable.rules, None,
                                                unsuitable.reason)
    return states


def signature(rule) -> tuple:
    """What a rule says, without where it is written. A defer of a catalog set counts as written
    (`defer every relate intervention …`), not as its members: a new catalog entry changes the
    set, not the rule."""
    actions = dict.fromkeys(("Defer", str(a.via), a.until) if getattr(a, "via", None) is not None
                            else action_key(a) for a in rule.actions)
    return (rule.when, tuple(actions), rule.version, rule.status)


def rule_changes(base: CheckedKnowledgeBase, head: CheckedKnowledgeBase) -> dict[str, list[str]]:
    old = {r.id: r for r in base.rules}
    new = {r.id: r for r in head.rules}
    return {
        "added": [r for r in new if r not in old],
        "removed": [r for r in old if r not in new],
        "changed": [r for r in new if r in old and signature(new[r]) != signature(old[r])],
    }


def rule_note(rule_id: str, base: CheckedKnowledgeBase, head: CheckedKnowledgeBase, fired_before: set[str],
              fired_after: set[str]) -> str:
    """`rule-id (what changed)`: new, removed, retired, changed, or newly (not) firing."""
    old, new = base.rule(rule_id), head.rule(rule_id)
    if old is None:
        return f"{rule_id} (new rule)"
    if new is None:
        return f"{rule_id} (removed from the knowledge base)"
    if new.status == "retired" and old.status != "retired":
        return f"{rule_id} (retired)"
    notes = []
    if signature(old) != signature(new):
        version = f" {old.version} -> {new.version}" if old.version != new.version else ""
        notes.append(f"changed{version}")
    if rule_id in fired_before and rule_id not in fired_after:
        notes.append("no longer fires")
    elif rule_id in fired_after and rule_id not in fired_before:
        notes.append("now fires")
    return f"{rule_id} ({', '.join(notes)})" if notes else rule_id
