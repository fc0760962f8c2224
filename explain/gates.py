"""The constraints the sequencer checks before an intervention can be active, with their values.

The open/closed decision for rule, region and arousal gates, and the settings an intervention fits,
come from the decisions the sequencer recorded (engine/decisions.py); this module only words each
gate and names the value it was checked on. Gates are listed in the sequencer's order of precedence.
"""

from __future__ import annotations

from dsl import ast
from dsl.evaluate import show_value
from dsl.facts import AROUSAL_CURRENT, SENSITIVITIES_PATH
from dsl.plain import plain
from dsl.vocabulary import PHASE_ORDER, Phase
from engine.sequence import age_range_words, age_words, join_reasons, outside_ages
from engine.sequence_index import stage_domain
from explain.context import Context
from explain.evidence import rule_miss
from explain.models import Gate


def _words(values) -> str:
    return ", ".join(v.replace("_", " ") for v in values) or "none"


def gates(ctx: Context, intervention: str) -> tuple[Gate, ...]:
    iv = ctx.kb.interventions[intervention]
    phase = ctx.kb.phase_of_region(iv.region)
    out = [_avoid_gate(ctx, intervention)]
    out.append(_contraindication_gate(ctx, iv))
    out.append(_age_range_gate(ctx, iv))
    out.append(_age_gate(ctx, iv))
    out.append(_settings_gate(ctx, iv))
    out.append(_rule_gate(ctx, intervention))
    if iv.track == "support":
        out += _support_gates(ctx)
    else:
        out.append(_region_gate(ctx, phase))
        out.append(_arousal_gate(ctx, phase))
    out.append(_prerequisite_gate(ctx, iv))
    out.append(_protocol_gate(ctx, intervention))
    return tuple(g for g in out if g is not None)


def _avoid_gate(ctx: Context, intervention: str) -> Gate | None:
    fired = ctx.findings.avoids.get(intervention, [])
    if fired:
        rules = tuple(sorted({r.id for r, _ in fired}))
        reasons = join_reasons(a.reason for _, a in fired)
        return Gate(kind="avoid", passed=False, rules=rules, value=reasons,
                    text=f"Avoided by {', '.join(rules)}, which wins over any recommendation.")
    could = ctx.rules_acting_on(intervention, ast.Avoid)
    if not could:
        return None
    misses = [rule_miss(ctx, r) for r in could]
    value = "; ".join(f"{m.rule}: {m.first_failing.fact} = {m.first_failing.actual}"
                      if m.first_failing and m.first_failing.fact else f"{m.rule}: {m.note}"
                      for m in misses)
    return Gate(kind="avoid", passed=True, rules=tuple(m.rule for m in misses), value=value,
                text="No rule avoids it for this client.")


def _contraindication_gate(ctx: Context, iv: ast.Intervention) -> Gate | None:
    if not iv.contraindicated:
        return None
    client = ctx.values.get(SENSITIVITIES_PATH) or frozenset()
    hit = sorted(client & set(iv.contraindicated))
    value = f"{SENSITIVITIES_PATH} = {show_value(client)}"
    if hit:
        return Gate(kind="contraindication", passed=False, value=value,
                    text=f"The catalog contraindicates it for a client with {_words(hit)}.")
    return Gate(kind="contraindication", passed=True, value=value,
                text=f"Not contraindicated: the catalog lists {_words(iv.contraindicated)}, "
                     "and the client has none of them.")


def _rule_gate(ctx: Context, intervention: str) -> Gate | None:
    defers = ctx.findings.defers.get(intervention, [])
    if not defers:
        return None
    decision = ctx.decisions.get(intervention)
    closed = decision.rule_gate if decision else None
    if closed is not None:
        sets = sorted({str(a.via) for r, a in defers if r.id in closed.rules and a.via is not None})
        what = f"{sets[0]}, {intervention} among them," if sets else "it"
        return Gate(kind="rule", passed=False, rules=closed.rules, value=closed.holding_text,
                    text=f"Rule {', '.join(closed.rules)} defers {what} {closed.text}.")
    rules = tuple(sorted({r.id for r, _ in defers}))
    until = "; ".join(sorted({_until(a, ctx.kb.fact_types()) for _, a in defers}))
    return Gate(kind="rule", passed=True, rules=rules, value=until,
                text=f"Rule {', '.join(rules)} would defer it, but its condition holds now.")


def _until(action: ast.Defer, types) -> str:
    return f"until {plain(action.until, types)}"


def _support_gates(ctx: Context) -> list[Gate]:
    """Work for the adults around the client is not held by the client's bands or state."""
    bands = ", ".join(f"{r.region} band = {r.band}" for r in ctx.plan.regions)
    current = ctx.outcome.assessment.arousal.current
    return [Gate(kind="region", passed=True, value=bands,
                 text="It is work for the adults around the client: the client's bands do not "
                      "hold it back."),
            Gate(kind="arousal", passed=True, value=f"{AROUSAL_CURRENT} = {current}",
                 text="It is work for the adults around the client: it starts whatever the "
                      "client's state today.")]


def _age_range_gate(ctx: Context, iv: ast.Intervention) -> Gate | None:
    if iv.min_age_months is None and iv.max_age_months is None:
        return None
    age = ctx.outcome.assessment.age.total_months
    outside = outside_ages(iv, age)
    value = f"age = {age_words(age)}"
    if outside is not None:
        return Gate(kind="age_range", passed=False, value=value,
                    text=f"Nothing is offered outside its age range: {outside}.")
    return Gate(kind="age_range", passed=True, value=value,
                text=f"It is for ages {age_range_words(iv)}; the client's age is within it.")


def _age_gate(ctx: Context, iv: ast.Intervention) -> Gate | None:
    needed = iv.min_developmental_age_months
    if not needed or iv.track == "support":
        return None
    # The stage in the domain the activity names (as engine/sequence.py decides it);
    # no estimate: not held back on that account.
    domain = stage_domain(ctx.kb, iv)
    stage = next((s for s in ctx.plan.profile.domains if s.name == domain), None) \
        if ctx.plan.profile else None
    estimate = stage.estimate_months if stage else None
    shown = f"{estimate} months" if estimate is not None else "no estimate"
    words = (domain or "").replace("_", " ")
    return Gate(kind="developmental_age", passed=estimate is None or estimate >= needed,
                value=f"{words} functional stage estimate = {shown}",
                text=f"It needs a functional stage of at least {needed} months in {words}.")


def _settings_gate(ctx: Context, iv: ast.Intervention) -> Gate:
    decision = ctx.decisions.get(iv.id)
    fits = decision.settings if decision else ()  # the sequencer's own choice of settings
    value = f"the client is in {', '.join(ctx.outcome.assessment.settings)}"
    if fits:
        return Gate(kind="settings", passed=True, value=value,
                    text=f"It is offered in {', '.join(iv.settings)}; it fits {', '.join(fits)}.")
    return Gate(kind="settings", passed=False, value=value,
                text=f"It is offered only in {', '.join(iv.settings)}.")


def _region_gate(ctx: Context, phase: Phase) -> Gate:
    closed = ctx.decisions.phases[phase].region
    if closed is not None:
        return Gate(kind="region", passed=False, value=closed.holding_text,
                    text=f"It waits {closed.text}: work moves up only when the regions below are "
                         "no longer compromised.")
    lower = [r for r in ctx.plan.regions if PHASE_ORDER[Phase(r.phase)] < PHASE_ORDER[phase]]
    if not lower:
        return Gate(kind="region", passed=True, value=f"{phase.value} is the first phase",
                    text="No region lies below its phase.")
    bands = ", ".join(f"{r.region} band = {r.band}" for r in lower)
    return Gate(kind="region", passed=True, value=bands,
                text=f"No region below the {phase.value} phase is compromised "
                     f"({' or '.join(ctx.kb.compromised)}).")


def _arousal_gate(ctx: Context, phase: Phase) -> Gate:
    current = ctx.outcome.assessment.arousal.current
    closed = ctx.decisions.phases[phase].arousal
    if closed is not None:
        return Gate(kind="arousal", passed=False, value=closed.holding_text,
                    text=f"It waits {closed.text}: in {current} the client cannot reach "
                         f"{phase.value} work.")
    reaches = ", ".join(ctx.kb.reachable.get(current, ()))
    return Gate(kind="arousal", passed=True, value=f"{AROUSAL_CURRENT} = {current}",
                text=f"In {current} the client can reach {reaches} work.")


def _prerequisite_gate(ctx: Context, iv: ast.Intervention) -> Gate | None:
    if not iv.requires:
        return None
    established = set(ctx.outcome.assessment.established)
    missing = [r for r in iv.requires if r not in established]
    names = ", ".join(iv.requires)
    if missing:
        return Gate(kind="prerequisite", passed=False,
                    value="not recorded as established: " + ", ".join(missing),
                    text=f"It needs {names} completed or established first (recorded in the "
                         "assessment's `established` at a re-assessment or from feedback).")
    return Gate(kind="prerequisite", passed=True, value=f"{names} recorded as established",
                text=f"It needs {names} first; that is recorded as established.")


def _protocol_gate(ctx: Context, intervention: str) -> Gate | None:
    decision = ctx.decisions.get(intervention)
    if decision is None or decision.kind != "protocol" or decision.gate is None:
        return None
    return Gate(kind="protocol", passed=False, value=decision.gate.holding_text,
                text=f"One trauma-processing protocol at a time: it waits {decision.gate.text}.")
