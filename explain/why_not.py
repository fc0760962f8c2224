"""why not X: for any catalog intervention that is not active, what holds it back, with values.

Deferred: the gate and the value that holds it. Avoided: the rule and its reason, and the rules it
overrode (avoid wins). Not suitable: the developmental age or the settings. Never proposed: every
rule that could recommend it, with the first condition that failed and its value.
"""

from __future__ import annotations

from dsl import ast
from dsl.vocabulary import PHASE_ORDER, Phase
from explain.conditions import line
from engine.sequence import outside_ages
from explain.plain import sentence
from explain.context import Context
from explain.evidence import all_checks, miss_checks, rule_evidence, rule_miss, scores_and_facts
from explain.gates import gates
from explain.models import Gate, WhyNot, WhyNotStatus


def explain_why_not(ctx: Context, intervention: str) -> WhyNot:
    plan = ctx.plan
    located = ctx.locate(intervention)
    if located is not None:
        return _answer(ctx, intervention, "active",
                       f"It is not held back: it is activity {located.position} of {located.of} "
                       f"in phase {located.phase_number}, {located.phase}. "
                       f"Ask `groundwork explain` why.")
    for offered in plan.menu:
        if offered.intervention == intervention:
            return _answer(ctx, intervention, "menu",
                           f"It is on the menu, not in the plan: {offered.reason}",
                           gates=gates(ctx, intervention),
                           rules=_evidence(ctx, offered.rules, intervention))
    for entry in plan.deferred:
        if entry.intervention == intervention:
            return _deferred(ctx, entry)
    for avoided in plan.avoided:
        if avoided.intervention == intervention:
            return _avoided(ctx, avoided)
    for unsuitable in plan.not_suitable:
        if unsuitable.intervention == intervention:
            return _answer(ctx, intervention, "not_suitable",
                           "It is not suitable for this client: " + sentence(unsuitable.reason),
                           gates=_failing_first(gates(ctx, intervention)),
                           rules=_evidence(ctx, unsuitable.rules, intervention))
    return _never_proposed(ctx, intervention)


def _answer(ctx: Context, intervention: str, status: WhyNotStatus, summary: str, gates=(), rules=(),
            overridden=(), candidates=(), regions=()) -> WhyNot:
    checks = list(all_checks(tuple(rules) + tuple(overridden))) + list(miss_checks(candidates))
    scores, facts = scores_and_facts(ctx, checks, regions)
    return WhyNot(client_id=ctx.plan.client_id, intervention=intervention,
                  name=ctx.kb.interventions[intervention].name or intervention, status=status,
                  summary=summary, gates=tuple(gates), rules=tuple(rules),
                  overridden=tuple(overridden), candidates=tuple(candidates), scores=scores,
                  facts=facts, provenance=ctx.plan.provenance)


def _evidence(ctx: Context, rule_ids, intervention: str):
    return tuple(rule_evidence(ctx, ctx.kb.fired_rule(r), intervention) for r in rule_ids)


def _failing_first(all_gates: tuple[Gate, ...], kind: str | None = None) -> tuple[Gate, ...]:
    """The gate that holds it first (of `kind` when given), then every other gate in order."""
    holding = [g for g in all_gates if not g.passed and (kind is None or g.kind == kind)][:1]
    return tuple(holding) + tuple(g for g in all_gates if g not in holding)


def _deferred(ctx: Context, entry) -> WhyNot:
    summary = f"It is deferred {entry.gate}. Now: {entry.holding_value}."
    if entry.gate_kind == "prerequisite":
        summary += " " + " ".join(_prerequisite_status(ctx, p)
                                  for p in ctx.kb.interventions[entry.intervention].requires)
    phase = Phase(entry.phase)
    regions = tuple(r.region for r in ctx.plan.regions
                    if entry.gate_kind == "region" and PHASE_ORDER[Phase(r.phase)] < PHASE_ORDER[phase])
    return _answer(ctx, entry.intervention, "deferred", summary,
                   gates=_failing_first(gates(ctx, entry.intervention), entry.gate_kind),
                   rules=_evidence(ctx, entry.rules, entry.intervention), regions=regions)


def _prerequisite_status(ctx: Context, prerequisite: str) -> str:
    if prerequisite in ctx.outcome.assessment.established:
        return f"{prerequisite} is recorded as established."
    if ctx.locate(prerequisite) is not None:
        return (f"{prerequisite} is in the plan; record it as established (`established` in the "
                "assessment) once it is.")
    answer = explain_why_not(ctx, prerequisite)
    return f"{prerequisite}: {answer.summary}"


def _avoided(ctx: Context, entry) -> WhyNot:
    summary = "It is avoided: " + sentence(entry.reason)
    if entry.proposed_by:
        summary += (f" Avoiding wins over recommending: {', '.join(entry.proposed_by)} "
                    f"recommended it.")
    all_gates = gates(ctx, entry.intervention)
    kind = "avoid" if entry.rules else "contraindication"
    return _answer(ctx, entry.intervention, "avoided", summary,
                   gates=_failing_first(all_gates, kind),
                   rules=_evidence(ctx, entry.rules, entry.intervention),
                   overridden=_evidence(ctx, entry.proposed_by, entry.intervention))


def _never_proposed(ctx: Context, intervention: str) -> WhyNot:
    candidates = tuple(rule_miss(ctx, r) for r in ctx.rules_acting_on(intervention, ast.Recommend))
    if not candidates:
        summary = "No rule in the knowledge base recommends it."
    else:
        first = candidates[0]
        reason = line(first.first_failing) if first.first_failing else first.note
        count = len(candidates)
        summary = (f"No rule recommended it for this client. {count} rule{'s' if count > 1 else ''} "
                   f"could: {first.rule} did not fire because {reason}.")
    deferrers = ctx.findings.defers.get(intervention, [])
    if deferrers:
        summary += (f" Rule {', '.join(sorted({r.id for r, _ in deferrers}))} would defer it, "
                    "but nothing proposed it.")
    outside = outside_ages(ctx.kb.interventions[intervention], ctx.outcome.assessment.age.total_months)
    if outside is not None:  # nothing is offered outside its age range, proposed or not
        summary += f" It could not be offered anyway: {outside}."
    return _answer(ctx, intervention, "never_proposed", summary, candidates=candidates)

