"""why X: the rules that recommended an active intervention, on the client's values, back to the
ratings, and the sequencing facts that fixed its phase and its place in the phase."""

from __future__ import annotations

from dsl.vocabulary import PHASE_ORDER, Phase
from explain.conditions import tests
from explain.context import Context, Located
from explain.evidence import all_checks, rule_evidence, scores_and_facts
from explain.gates import gates
from explain.models import Sequencing, Why

ORDER_RULE = ("prerequisites first, then lower regions first, then priority (1 first), "
              "then catalog id")


def explain_why(ctx: Context, intervention: str) -> Why | None:
    """The explanation of an active recommendation; None when it is not active."""
    located = ctx.locate(intervention)
    if located is None:
        return None
    rec = located.recommendation
    rules = tuple(rule_evidence(ctx, ctx.kb.fired_rule(rule_id), intervention) for rule_id in rec.rules)
    phase = Phase(located.phase)
    # The target region and every region below its phase were read by the region gate.
    regions = tuple(r.region for r in ctx.plan.regions
                    if PHASE_ORDER[Phase(r.phase)] < PHASE_ORDER[phase] or r.region == rec.target_region)
    scores, facts = scores_and_facts(ctx, all_checks(rules), regions)
    return Why(client_id=ctx.plan.client_id, intervention=intervention, name=rec.name,
               summary=summary(located, rules), rules=rules, scores=scores, facts=facts,
               sequencing=sequencing(ctx, located), provenance=ctx.plan.provenance)


def summary(located: Located, rules) -> str:
    rec = located.recommendation
    held = [f"{c.fact} = {c.actual}" for c in tests(rules[0].conditions) if c.holds]
    because = "; ".join(dict.fromkeys(held)) or "its conditions hold"
    more = f" and {len(rules) - 1} more rule{'s' if len(rules) > 2 else ''}" if len(rules) > 1 else ""
    return (f"{rec.name} is activity {located.position} of {located.of} in phase "
            f"{located.phase_number}, {located.phase}. Rule {rules[0].rule}{more} recommended it "
            f"because {because}.")


def sequencing(ctx: Context, located: Located) -> Sequencing:
    rec = located.recommendation
    return Sequencing(
        phase=located.phase, phase_number=located.phase_number, target_region=rec.target_region,
        position=located.position, of=located.of, priority=rec.priority,
        prerequisites=rec.prerequisites, starts_after=located.before, order_rule=ORDER_RULE,
        gates=gates(ctx, rec.intervention), dose=rec.dose, dose_notes=rec.dose_notes,
        settings=rec.settings)
