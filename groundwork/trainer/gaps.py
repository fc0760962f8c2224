"""Coverage gaps: client profiles for which the knowledge base gives no guidance.

For each region, each band (typical … severe) and each current arousal state, with every other
region typical and everything else neutral (engine/synthetic/clients.py), the real engine assesses the
client. The profile is covered for that region when the plan says something about it:
- when the region's band is typical, anything at all (the profile is then about the arousal
  state, or is the all-typical client): a recommendation, deferral, avoidance or "no action";
- otherwise a recommendation, a deferral, an avoidance or a "not suitable" of an intervention that targets
  the region; or
- "no action needed" from a rule whose condition names the region (its band or score), or that
  names no region at all (a statement about the whole client).
4 regions × 4 bands × 5 states = 80 profiles (the all-typical ones recur for each region).
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl import ast
from dsl.facts import AROUSAL_CURRENT, band_path
from dsl.vocabulary import AROUSAL_STATES, BANDS
from dsl.checked import CheckedKnowledgeBase
from engine.pipeline import assess
from engine.plan import Plan
from engine.synthetic.clients import Profile, synthesise


@dataclass(frozen=True)
class Gap:
    region: str
    band: str
    arousal: str

    def describe(self) -> str:
        return (f"{band_path(self.region)} = {self.band} with {AROUSAL_CURRENT} = {self.arousal} "
                "(other regions typical)")


def _regions_named(rule: ast.Rule, kb: CheckedKnowledgeBase) -> set[str]:
    return {node.path.split(".")[0] for node in ast.walk(rule.when)
            if getattr(node, "path", "").split(".")[0] in kb.region_names}


def addresses(plan: Plan, region: str, kb: CheckedKnowledgeBase) -> bool:
    """Whether the plan gives guidance (work, not-yet, not-this, or no action) for `region`."""
    targets = [r.target_region for phase in plan.phases for r in phase.recommendations]
    for entry in plan.deferred + plan.avoided + plan.not_suitable:
        iv = kb.interventions.get(entry.intervention)
        if iv is not None:
            targets.append(iv.region)
    if region in targets:
        return True
    for note in plan.no_action:
        for rule_id in note.rules:
            named = _regions_named(kb.fired_rule(rule_id), kb)
            if not named or region in named:
                return True
    return False


def profiles(kb: CheckedKnowledgeBase):
    """(region, band, state, profile) for every profile the coverage check looks at."""
    for region in kb.region_names:
        for band in BANDS:
            for state in AROUSAL_STATES:
                bands = {region: band} if band != BANDS[0] else {}
                yield region, band, state, Profile(bands=bands, arousal_current=state)


def coverage_gaps(kb: CheckedKnowledgeBase, drafts: bool = False) -> list[Gap]:
    plans: dict[tuple, Plan] = {}
    gaps = []
    for region, band, state, profile in profiles(kb):
        key = (tuple(sorted(profile.bands.items())), state)
        if key not in plans:
            assessment, raw = synthesise(profile, kb, client_id="coverage-profile")
            plans[key] = assess(assessment, raw, kb, drafts=drafts).plan
        plan = plans[key]
        says_anything = plan.phases or plan.deferred or plan.avoided or plan.not_suitable \
            or plan.no_action
        if not (addresses(plan, region, kb) or (band == BANDS[0] and says_anything)):
            gaps.append(Gap(region, band, state))
    return gaps
