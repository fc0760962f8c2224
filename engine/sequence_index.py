"""What the sequencer needs from the knowledge base alone, worked out once per knowledge base.

Every plan asks the same questions of the catalog and the rules: which phase an activity belongs
to, whether it touches, which states it fits, what a fired rule contributes, how a gate is worded,
how each condition of a rule reads; and it evaluates the same conditions (compiled here once,
dsl/evaluate.py's `compiled`). None of it depends on the client, so it is built on first use and
kept with the knowledge base (which never changes once built, and whose copies each build their
own); per assessment the sequencer does only the client's part (issue #20).

Nothing here is keyed by object identity, so the index can travel with a pickled knowledge base.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dsl import ast
from dsl.checked import CheckedIntervention, CheckedKnowledgeBase, CheckedRule
from dsl.evaluate import Evaluation, compiled, describe
from dsl.plain import plain
from dsl.vocabulary import (AROUSAL_STATES, BANDS, GUIDANCE_AROUSAL, GUIDANCE_STATES,
                            PHASE_ORDER, ArousalState, Phase)

FLAG_PRIORITY = 1  # what a flag brings comes first


@dataclass(frozen=True)
class Activity:
    """A catalog entry's traits the sequencer consults for every plan that proposes it."""

    phase: Phase
    region_order: int
    stage_domain: str | None  # the domain whose functional stage it needs
    body_contact: bool
    one_off: bool  # done once (a referral, a review): not a daily load
    support: bool  # the adults' work: not held by the client's bands or state
    trauma_processing: bool
    contraindicated: frozenset[str]
    fits: tuple[str, ...]  # the guidance states it fits, in GUIDANCE_STATES order


@dataclass(frozen=True)
class RuleContribution:
    """What a rule adds to the findings when it fires, in the order of its actions; a flag's
    `brings` are its rule's recommendations, at the flag priority."""

    rule: CheckedRule
    recommends: tuple[tuple[str, ast.Recommend], ...]
    avoids: tuple[ast.Avoid, ...]
    defers: tuple[ast.Defer, ...]
    flags: tuple[ast.Flag, ...]
    no_action: tuple[ast.NoAction, ...]
    scales: tuple[ast.ScaleDose, ...]
    guides: tuple[ast.Guide, ...]
    condition_texts: tuple[str, ...]  # each leaf of `when` as written, in evaluation order
    gate_wording: tuple[str, ...]  # each defer's `until` in plain words, as `defers`
    when: Callable[..., Evaluation]  # `when`, compiled (dsl/evaluate.py)
    untils: tuple[Callable[..., Evaluation], ...]  # each defer's `until`, compiled, as `defers`


@dataclass(frozen=True)
class PhaseReach:
    """A phase's place in the hierarchy."""

    regions: tuple[str, ...]  # its regions, in the knowledge base's order
    earlier_regions: tuple[ast.RegionDecl, ...]  # regions of every earlier phase
    next_phase: Phase | None
    reached_by: tuple[str, ...]  # the arousal states that reach its work
    reached_in_alarm: bool  # some state of alarm or above reaches it: no calm day needed


@dataclass(frozen=True)
class SequenceIndex:
    activities: dict[str, Activity]
    rules: dict[str, RuleContribution]
    phases: dict[Phase, PhaseReach]
    healthy_band: str  # the worst band the gate policy does not count as compromised


def sequence_index(kb: CheckedKnowledgeBase) -> SequenceIndex:
    """The knowledge base's index, built on its first plan."""
    return kb.kept("_sequence_index", _build)


def _build(kb: CheckedKnowledgeBase) -> SequenceIndex:
    types = kb.fact_types()
    return SequenceIndex(
        activities={iv_id: _activity(kb, iv) for iv_id, iv in kb.interventions.items()},
        rules={rule.id: _contribution(rule, types) for rule in kb.rules},
        phases={phase: _reach(kb, phase) for phase in Phase},
        healthy_band=[b for b in BANDS if b not in kb.compromised][-1])


def _activity(kb: CheckedKnowledgeBase, iv: CheckedIntervention) -> Activity:
    phase = kb.phase_of_region(iv.region)
    reach = {s for s, phases in kb.reachable.items() if phase.value in phases}
    fits = tuple(state for state in GUIDANCE_STATES
                 if (state in iv.fits if iv.fits else any(s in reach for s in GUIDANCE_AROUSAL[state])))
    return Activity(phase=phase, region_order=kb.region(iv.region).order,
                    stage_domain=stage_domain(kb, iv), body_contact="body_contact" in iv.marks,
                    one_off="one_off" in iv.marks, support=iv.track == "support",
                    trauma_processing="trauma_processing" in iv.marks,
                    contraindicated=frozenset(iv.contraindicated), fits=fits)


def stage_domain(kb: CheckedKnowledgeBase, iv: ast.Intervention) -> str | None:
    """The domain whose stage an activity needs: the one it names, else the domain whose primary
    region is its target region."""
    if iv.stage_domain:
        return iv.stage_domain
    return next((d.name for d in kb.domains if d.primary_region == iv.region), None)


def _contribution(rule: CheckedRule, types) -> RuleContribution:
    of = lambda kind: tuple(a for a in rule.actions if isinstance(a, kind))  # noqa: E731
    recommends: list[tuple[str, ast.Recommend]] = []
    for action in rule.actions:
        if isinstance(action, ast.Recommend):
            recommends.append((action.intervention, action))
        elif isinstance(action, ast.Flag):
            recommends.extend((brought, ast.Recommend(brought, action.pos, priority=FLAG_PRIORITY))
                              for brought in action.actions)
    defers = of(ast.Defer)
    return RuleContribution(
        rule=rule, recommends=tuple(recommends), avoids=of(ast.Avoid), defers=defers,
        flags=of(ast.Flag), no_action=of(ast.NoAction), scales=of(ast.ScaleDose),
        guides=of(ast.Guide), condition_texts=tuple(describe(leaf) for leaf in leaves(rule.when)),
        gate_wording=tuple(plain(d.until, types) for d in defers), when=compiled(rule.when, types),
        untils=tuple(compiled(d.until, types) for d in defers))


def leaves(condition: ast.Condition):
    """The leaves of a condition in the order dsl/evaluate.py's Evaluation.leaves() gives them
    (every operand is evaluated, so the shape does not depend on the client)."""
    if isinstance(condition, ast.Not):
        yield from leaves(condition.operand)
    elif isinstance(condition, (ast.And, ast.Or)):
        for operand in condition.operands:
            yield from leaves(operand)
    else:
        yield condition


def _reach(kb: CheckedKnowledgeBase, phase: Phase) -> PhaseReach:
    later = [ph for ph in Phase if PHASE_ORDER[ph] == PHASE_ORDER[phase] + 1]
    reached_by = tuple(s for s in AROUSAL_STATES if phase.value in kb.reachable.get(s, ()))
    high = AROUSAL_STATES[AROUSAL_STATES.index(ArousalState.ALARM.value):]
    return PhaseReach(
        regions=tuple(r.name for r in kb.regions if r.phase == phase.value),
        earlier_regions=tuple(r for r in kb.regions
                              if PHASE_ORDER[Phase(r.phase)] < PHASE_ORDER[phase]),
        next_phase=later[0] if later else None, reached_by=reached_by,
        reached_in_alarm=any(s in reached_by for s in high))
