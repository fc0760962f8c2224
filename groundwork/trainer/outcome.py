"""What a plan actually did with an intervention, a flag or a rule, and why, in plain lines.

Used to show a trainer the actual outcome next to what a scenario expected: the status of the
intervention (active in a phase, deferred, avoided, not suitable, never proposed), the rules that
produced it with their conditions on the client's values, and for "never proposed" the first
condition that failed in each rule that could have proposed it (why-not).
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl import ast
from dsl.evaluate import describe, evaluate, show_value
from dsl.checked import CheckedKnowledgeBase
from engine.pipeline import Outcome


@dataclass(frozen=True)
class Status:
    kind: str  # active | menu | deferred | avoided | not_suitable | absent
    summary: str  # one line: what happened to it
    phase: str | None = None
    position: int | None = None  # order in which active work starts, 0 first


def intervention_status(outcome: Outcome, intervention: str) -> Status:
    plan = outcome.plan
    position = 0
    for phase in plan.phases:
        for rec in phase.recommendations:
            if rec.intervention == intervention:
                return Status("active", f"recommended in phase {phase.name} (#{position + 1} "
                              f"to start) by {_rules(rec.rules)}", phase.name, position)
            position += 1
    for offered in plan.menu:
        if offered.intervention == intervention:
            return Status("menu", f"on the menu, not in the plan: {offered.reason} Rules: "
                          f"{_rules(offered.rules)}", offered.phase)
    for item in plan.deferred:
        if item.intervention == intervention:
            return Status("deferred", f"deferred {item.gate} (now: {item.holding_value}); "
                          f"rules: {_rules(item.rules)}", item.phase)
    for avoided in plan.avoided:
        if avoided.intervention == intervention:
            by = _rules(avoided.rules) if avoided.rules else "the catalog"
            proposed = f"; proposed by {_rules(avoided.proposed_by)}" if avoided.proposed_by else ""
            return Status("avoided", f"avoided by {by}: {avoided.reason}{proposed}")
    for unsuitable in plan.not_suitable:
        if unsuitable.intervention == intervention:
            return Status("not_suitable",
                          f"not suitable: {unsuitable.reason}; rules: {_rules(unsuitable.rules)}")
    return Status("absent", "not in the plan: no rule that fired proposed it")


def _rules(rules) -> str:
    return ", ".join(rules) if rules else "no rule"


def explain_intervention(outcome: Outcome, kb: CheckedKnowledgeBase, intervention: str,
                         drafts: bool) -> list[str]:
    """The explanation of what happened to `intervention`, one line per fact of it."""
    status = intervention_status(outcome, intervention)
    lines = [f"'{intervention}' is {status.summary}"]
    if status.kind == "active":
        rec = next(r for p in outcome.plan.phases for r in p.recommendations
                   if r.intervention == intervention)
        for reason in rec.because:
            conditions = "; ".join(f"{c.condition} (actual {c.actual}: "
                                   f"{'true' if c.holds else 'false'})" for c in reason.conditions)
            lines.append(f"because rule {reason.rule} ({reason.title}): {conditions}")
    elif status.kind == "absent":
        proposers = [r for r in kb.rules if any(
            isinstance(a, ast.Recommend) and a.intervention == intervention for a in r.actions)]
        if not proposers:
            lines.append(f"no rule recommends '{intervention}'")
        lines += [why_not_fired(outcome, kb, rule, drafts) for rule in proposers]
    return lines


def why_not_fired(outcome: Outcome, kb: CheckedKnowledgeBase, rule: ast.Rule, drafts: bool) -> str:
    if rule.status == "retired":
        return f"rule {rule.id} is retired and never fires"
    if rule.status == "draft" and not drafts:
        return f"rule {rule.id} is a draft, and drafts are not included in this run"
    result = evaluate(rule.when, outcome.facts.values, frozenset(outcome.derived), kb.fact_types())
    if result.value:
        return f"rule {rule.id} fired"
    failing = result.first_failing()
    if failing is None:
        return f"rule {rule.id} did not fire"
    if isinstance(failing.node, ast.FactRef):
        derived = failing.node.name in outcome.derived
        return (f"rule {rule.id} did not fire: fact {failing.node.name} is "
                f"{'derived (by ' + ', '.join(outcome.derived[failing.node.name]) + ')' if derived else 'not derived'}")
    return (f"rule {rule.id} did not fire: '{describe(failing.node)}' is false "
            f"(actual {show_value(failing.actual)})")


def explain_flag(outcome: Outcome, kb: CheckedKnowledgeBase, code: str, drafts: bool) -> list[str]:
    for flag in outcome.plan.flags:
        if flag.code == code:
            return [f"flag {code} ({flag.severity}) is raised by {_rules(flag.rules) if flag.rules else 'the engine'}"]
    raisers = [r for r in kb.rules
               if any(isinstance(a, ast.Flag) and a.code == code for a in r.actions)]
    return [f"flag {code} is not raised"] + [why_not_fired(outcome, kb, r, drafts) for r in raisers]


def explain_rule(outcome: Outcome, kb: CheckedKnowledgeBase, rule_id: str, drafts: bool) -> list[str]:
    rule = kb.fired_rule(rule_id)  # the scenario's rule ids were checked when it was read
    fired = [f for f in outcome.firings if f.rule_id == rule_id]
    if not fired:
        return [why_not_fired(outcome, kb, rule, drafts)]
    result = evaluate(rule.when, outcome.facts.values, frozenset(outcome.derived), kb.fact_types())
    values = "; ".join(f"{describe(leaf.node)} (actual {show_value(leaf.actual)})"
                       for leaf in result.leaves() if leaf.value)
    return [f"rule {rule_id} fired" + (f": {values}" if values else "")]


def plan_summary(outcome: Outcome) -> list[str]:
    """The whole plan in a few lines: phases, deferred, avoided, flags, no action."""
    plan = outcome.plan
    lines = [f"{p.name}: " + ", ".join(r.intervention for r in p.recommendations)
             for p in plan.phases]
    if plan.deferred:
        lines.append("deferred: " + ", ".join(d.intervention for d in plan.deferred))
    if plan.avoided:
        lines.append("avoided: " + ", ".join(a.intervention for a in plan.avoided))
    if plan.flags:
        lines.append("flags: " + ", ".join(f.code for f in plan.flags))
    if plan.no_action:
        lines.append("no action needed: " + ", ".join(r for n in plan.no_action for r in n.rules))
    return lines or ["the plan is empty"]
