"""Findings → a phased plan, bottom-up.

For each proposed intervention, in this order of precedence: avoided (by a rule, or by a catalog
contraindication the client has), not suitable (above the developmental-age estimate, or no setting
the client lives in whose touch policy allows it, for body contact), deferred (a rule's
`defer … until` gate, a compromised or unrated lower region, an arousal state that cannot reach its
phase, a prerequisite not recorded as established, a second trauma-processing protocol), else
active in the phase of its target region. Held body-contact work brings its no-touch alternative.
An intervention that no fired rule recommends is never deferred or placed (a `defer` gates a
recommendation; it proposes nothing), though a rule may still avoid it. Regions that share a phase
are worked on together, lowest first; work for a later phase waits while any region of an earlier
phase is compromised.

Every decision is recorded as data (engine/decisions.py) beside the plan, for the explanations.
"""

from __future__ import annotations

import functools
from typing import cast
from dataclasses import replace

from dsl import ast
from dsl.evaluate import Evaluation, describe, show_value
from dsl.facts import AROUSAL_CURRENT, band_path, settings_without_adult, touch_settings
from dsl.vocabulary import (GUIDANCE_AROUSAL, GUIDANCE_STATES, INSUFFICIENT, PHASE_ORDER,
                            SEVERITY_OF_FLAG, Phase)
from dsl.checked import CheckedKnowledgeBase
from engine import plan as p
from dsl.checked import CheckedRule
from engine.decisions import Decision, Decisions, Findings, Gate, PhaseGates, Status
from engine.carry import Budget, budget_for, delivery
from engine.dosing import available_deliverers, choose_dose
from engine.sequence_index import sequence_index
from engine.facts import ClientFacts
from engine.graph import start_order
from engine.item_flags import informant_flags, item_flags
from engine.profile import profile_summary
from engine.ratings import not_due
from engine.models import Assessment
from engine.runtime import Firing

DEFAULT_PRIORITY = 5
GATE_POS = ast.Pos("<sequencer>", 0, 0)  # position of the gate conditions the sequencer builds
SEVERITY_ORDER = {s: -i for i, s in enumerate(SEVERITY_OF_FLAG)}  # most urgent first


def gather(kb: CheckedKnowledgeBase, firings: tuple[Firing, ...]) -> Findings:
    """What the fired rules said, rule by rule in id order (a flag's `brings` are its rule's
    recommendations: engine/sequence_index.py)."""
    findings = Findings()
    contributions = sequence_index(kb).rules
    for rule_id in sorted({f.rule_id for f in firings}):
        said = contributions[rule_id]
        rule = said.rule
        for intervention, recommend in said.recommends:
            findings.recommends.setdefault(intervention, []).append((rule, recommend))
        for avoid in said.avoids:
            findings.avoids.setdefault(avoid.intervention, []).append((rule, avoid))
        for defer in said.defers:
            findings.defers.setdefault(defer.intervention, []).append((rule, defer))
        for flag in said.flags:
            findings.flags.setdefault(flag.code, []).append((rule, flag))
        findings.no_action.extend((rule, n) for n in said.no_action)
        for scale in said.scales:
            findings.scales.setdefault(scale.phase, []).append((rule.id, scale))
        findings.guides.extend((rule, g) for g in said.guides)
    return findings


class Sequencer:
    def __init__(self, kb: CheckedKnowledgeBase, assessment: Assessment, facts: ClientFacts,
                 derived: dict[str, tuple[str, ...]]):
        self.kb = kb
        self.index = sequence_index(kb)  # what depends on the knowledge base alone
        self.assessment = assessment
        self.facts = facts
        self.derived = frozenset(derived)
        self._evaluations: dict[int, Evaluation] = {}
        self._reasons: dict[str, p.Reason] = {}
        self.bands = {s.name: s.band for s in facts.regions}
        self.client_settings = frozenset(assessment.settings)
        self.in_place_of: dict[str, tuple[str, ...]] = {}  # no-touch alternative → held work
        # A gate depends only on the phase (the rest is fixed for this assessment) and is asked
        # for once per proposed intervention: remember each answer.
        self.region_gate = functools.cache(self.region_gate)  # type: ignore[method-assign]
        self.arousal_gate = functools.cache(self.arousal_gate)  # type: ignore[method-assign]
        self._scales: dict[str, list] = {}  # the fired rules' dose scaling per phase (decide)
        # A dose, and who delivers it where, for each base dose (a catalog or rule node, alive
        # as long as the knowledge base: known by identity) and phase, and each list of
        # deliverers and settings, once per plan.
        self.available = available_deliverers(assessment)
        self.unstaffed = settings_without_adult(assessment)
        self._doses: dict[tuple[int, str], tuple[p.Dose, tuple[str, ...]]] = {}
        self._deliveries: dict[tuple, tuple[p.Delivery, ...]] = {}

    def dose(self, base: ast.Dose, phase: str) -> tuple[p.Dose, tuple[str, ...]]:
        key = (id(base), phase)
        found = self._doses.get(key)
        if found is None:
            found = self._doses[key] = choose_dose(base, self.available,
                                                   self._scales.get(phase, []))
        return found

    def delivery(self, by: tuple[str, ...], settings: tuple[str, ...],
                 period: str) -> tuple[p.Delivery, ...]:
        key = (by, settings, period)
        found = self._deliveries.get(key)
        if found is None:
            found = self._deliveries[key] = delivery(by, settings, period, self.assessment,
                                                     self.unstaffed)
        return found

    @functools.cached_property
    def touch_settings(self) -> frozenset[str]:
        return frozenset(touch_settings(self.assessment))

    # ---- gates ----
    def region_gate(self, phase: Phase) -> Gate | None:
        """Closed when a region of an earlier phase is compromised: its band is one the
        knowledge base's gate policy lists (`compromised bands …`, which may list `insufficient`:
        too few known ratings then hold the work above exactly as a compromised band does)."""
        blocking = [r for r in self.index.phases[phase].earlier_regions
                    if self.bands[r.name] in self.kb.compromised]
        if not blocking:
            return None
        names = " and ".join(r.name for r in blocking)
        verb = "is" if len(blocking) == 1 else "are"
        healthy = self.index.healthy_band
        tests = tuple(ast.Comparison(band_path(r.name), "<=", healthy, GATE_POS, GATE_POS)
                      for r in blocking)
        unrated = [r.name for r in blocking if self.bands[r.name] == INSUFFICIENT]
        needs = f"{names} {verb} {healthy} or better"
        if unrated:
            needs += " (rated first: " + "; ".join(self._missing(name) for name in unrated) + ")"
        return Gate(kind="region", needs=needs,
                    condition=tests[0] if len(tests) == 1 else ast.And(tests, GATE_POS),
                    holding=tuple((band_path(r.name), self.bands[r.name]) for r in blocking),
                    holding_text=", ".join(f"{r.name} band = {self.bands[r.name]}"
                                           for r in blocking))

    def _missing(self, region: str) -> str:
        """The unrated due items of a region, by id."""
        missing = sorted(r.item.id for r in self.facts.ratings
                         if r.item.region == region and r.due and r.value is None)
        return f"{region} items not rated: " + (", ".join(missing) or "none due")

    def arousal_gate(self, phase: Phase) -> Gate | None:
        """Closed when the current arousal state cannot reach work of the phase, for work that
        needs a calm or alert state (no state of alarm or above reaches it: reasoning and
        processing). Work that alarm can reach waits for no particular day: the day's state
        raises flags and chooses the state guidance to lead with, and the guidance says which
        activities fit each state (CLINICAL.md section 2)."""
        current = self.assessment.arousal.current
        reach = self.index.phases[phase]
        reaching = reach.reached_by
        if current in reaching or reach.reached_in_alarm:
            return None
        return Gate(kind="arousal", needs=f"the client is {' or '.join(reaching)}",
                    condition=ast.Membership(AROUSAL_CURRENT, tuple(reaching), GATE_POS),
                    holding=((AROUSAL_CURRENT, current),),
                    holding_text=f"{AROUSAL_CURRENT} = {current}")

    def evaluated(self, condition: ast.Condition, compiled) -> Evaluation:
        """The condition's evaluation for this client, by its compiled form (the sequence
        index's). A gate written once for a whole set of interventions, and a rule that
        recommends several, are asked about again and again in one run: each node is evaluated
        once (by identity: the knowledge base's nodes live as long as it does)."""
        key = id(condition)
        found = self._evaluations.get(key)
        if found is None:
            found = self._evaluations[key] = compiled(self.facts.values, self.derived)
        return found

    def rule_gate(self, defers) -> Gate | None:
        """The first `defer … until` whose condition is false for this client, or None."""
        for rule, action in defers:
            said = self.index.rules[rule.id]
            position = next(i for i, d in enumerate(said.defers) if d is action)
            result = self.evaluated(action.until, said.untils[position])
            if not result.value:
                holding = _holding(result)
                return Gate(kind="rule", needs=said.gate_wording[position],
                            condition=action.until, holding=holding,
                            holding_text=", ".join(f"{path} = {value}" for path, value in holding)
                            or describe(action.until), rules=(rule.id,))
        return None

    def phase_gates(self) -> dict[Phase, PhaseGates]:
        return {phase: PhaseGates(phase, self.region_gate(phase), self.arousal_gate(phase))
                for phase in Phase}

    # ---- the plan ----
    def reasons(self, rules: list[CheckedRule]) -> tuple[p.Reason, ...]:
        return tuple(self._reason(rule) for rule in rules)

    def _reason(self, rule: CheckedRule) -> p.Reason:
        """Why a rule fired, with the client's values: one per rule and plan, however many
        recommendations the rule makes."""
        found = self._reasons.get(rule.id)
        if found is None:
            said = self.index.rules[rule.id]
            result = self.evaluated(rule.when, said.when)
            conditions = tuple(
                p.ConditionValue(condition=text, actual=show_value(leaf.actual), holds=leaf.value)
                for text, leaf in zip(said.condition_texts, result.leaves()))
            found = self._reasons[rule.id] = p.Reason(rule=rule.id, version=rule.version,
                                                      title=rule.title, conditions=conditions)
        return found

    def build(self, findings: Findings, provenance: p.Provenance) -> p.Plan:
        return self.decide(findings, provenance)[0]

    def decide(self, findings: Findings, provenance: p.Provenance) -> tuple[p.Plan, Decisions]:
        """The plan, and the decision behind every intervention it considered."""
        proposed = sorted(set(findings.recommends) | set(findings.avoids) | set(findings.defers))
        self._scales = findings.scales
        decisions = {iv_id: self._decide(iv_id, findings) for iv_id in proposed}
        self.in_place_of = self._offer_no_touch_alternatives(findings, decisions)
        candidates = {iv_id: [self.kb.interventions[iv_id], findings.recommends[iv_id], d.settings]
                      for iv_id, d in decisions.items() if d.status is Status.ACTIVE}
        self._defer_missing_prerequisites(candidates, decisions)
        self._one_trauma_protocol(candidates, findings, decisions)
        phases, menu, load = self._phases(candidates, findings)
        for item in menu:
            decisions[item.intervention] = replace(decisions[item.intervention], status=Status.MENU,
                                                   kind="budget", reason=item.reason)
        plan = self._plan(decisions, phases, findings, provenance).model_copy(
            update={"menu": menu, "load": load, "state_guidance": self._guidance(phases, findings)})
        return plan, Decisions(decisions, self.phase_gates(), findings)

    def _decide(self, iv_id: str, findings: Findings) -> Decision:
        """Avoided, not suitable, deferred or active, in that order of precedence."""
        iv = self.kb.interventions[iv_id]
        traits = self.index.activities[iv_id]
        recs = findings.recommends.get(iv_id, [])
        defers = findings.defers.get(iv_id, [])
        rec_rules = tuple(sorted({r.id for r, _ in recs}))
        rule_gate = self.rule_gate(defers)
        settings = self._settings(iv, recs)
        decided = functools.partial(Decision, iv_id, proposed_by=rec_rules, rule_gate=rule_gate,
                                    settings=settings)
        if findings.avoids.get(iv_id):
            pairs = findings.avoids[iv_id]
            return decided(Status.AVOIDED, "avoid", tuple(sorted({r.id for r, _ in pairs})),
                           reason=join_reasons(a.reason for _, a in pairs))
        hit = sorted(traits.contraindicated.intersection(self.assessment.sensitivities))
        if hit and recs:
            return decided(Status.AVOIDED, "contraindication", (), reason=(
                "contraindicated for a client with "
                + ", ".join(h.replace("_", " ") for h in hit) + " (catalog entry)"))
        if not recs:  # a `defer` gates a recommendation; alone it proposes nothing
            return decided(Status.NOT_PROPOSED, "no_recommendation",
                           tuple(sorted({r.id for r, _ in defers})))
        # Work for the adults around the client is never held by the client's developmental
        # profile, bands or arousal state (CLINICAL.md sections 1 and 6); only a rule's own gate.
        support = traits.support
        age_reason = outside_ages(iv, self.assessment.age.total_months)
        if age_reason is not None:
            return decided(Status.NOT_SUITABLE, "age_range", rec_rules, reason=age_reason)
        stage_reason = None if support else self._below_stage(iv, traits.stage_domain)
        if stage_reason is not None:
            return decided(Status.NOT_SUITABLE, "developmental_age", rec_rules, reason=stage_reason)
        if not settings:
            return decided(Status.NOT_SUITABLE, "settings", rec_rules, reason=(
                "offered only in " + ", ".join(iv.settings) + "; the client is in "
                + ", ".join(sorted(self.assessment.settings)) + self._touch_note(iv)))
        if rule_gate is not None:
            return decided(Status.DEFERRED, "rule", tuple(sorted(set(rec_rules + rule_gate.rules))),
                           gate=rule_gate)
        phase = traits.phase
        for gate in (() if support else (self.region_gate(phase), self.arousal_gate(phase))):
            if gate is not None:
                return decided(Status.DEFERRED, gate.kind, rec_rules, gate=gate)
        return decided(Status.ACTIVE, "phase", rec_rules)

    def _plan(self, decisions: dict[str, Decision], phases: tuple[p.PhasePlan, ...],
              findings: Findings, provenance: p.Provenance) -> p.Plan:
        kb, facts = self.kb, self.facts
        names = {iv_id: kb.interventions[iv_id].name for iv_id in decisions}
        of = lambda status: [d for d in decisions.values() if d.status is status]  # noqa: E731
        deferred = [p.Deferred(intervention=d.intervention, name=names[d.intervention],
                               phase=kb.phase_of_region(kb.interventions[d.intervention].region).value,
                               gate=d.gate.text, gate_kind=d.gate.kind,
                               holding_value=d.gate.holding_text, rules=d.rules,
                               track=cast(p.TrackName, kb.interventions[d.intervention].track))
                    for d in of(Status.DEFERRED) if d.gate is not None]
        avoided = [p.Avoided(intervention=d.intervention, name=names[d.intervention], rules=d.rules,
                             reason=d.reason, proposed_by=d.proposed_by)
                   for d in of(Status.AVOIDED)]
        not_suitable = [p.NotSuitable(intervention=d.intervention, name=names[d.intervention],
                                      rules=d.rules, reason=d.reason)
                        for d in of(Status.NOT_SUITABLE)]
        return p.Plan(
            client_id=self.assessment.client_id,
            assessment_date=self.assessment.assessment_date.isoformat(),
            flags=self._flags(findings),
            regions=tuple(p.RegionSummary(region=s.name, phase=cast(p.PhaseName, kb.region(s.name).phase),
                                          score=s.score, band=s.band, known_ratings=s.known,
                                          items=s.items, not_due=s.not_due, borderline=s.borderline,
                                          borderline_note=s.borderline_note) for s in facts.regions),
            domains=tuple(p.DomainSummary(domain=s.name, score=s.score, band=s.band,
                                          known_ratings=s.known, items=s.items, not_due=s.not_due,
                                          borderline=s.borderline, borderline_note=s.borderline_note)
                          for s in facts.domains),
            developmental_age_months=facts.developmental_age_months,
            profile=profile_summary(facts),
            item_flags=item_flags(facts.ratings, kb),
            not_due_items=not_due(facts.ratings),
            chronological_age_months=self.assessment.age.total_months,
            arousal=p.ArousalSummary(current=self.assessment.arousal.current,
                                     baseline=self.assessment.arousal.baseline,
                                     dissociative=self.assessment.arousal.dissociative),
            phases=phases,
            deferred=tuple(sorted(deferred, key=lambda d: (PHASE_ORDER[Phase(d.phase)], d.intervention))),
            avoided=tuple(sorted(avoided, key=lambda a: a.intervention)),
            not_suitable=tuple(sorted(not_suitable, key=lambda n: n.intervention)),
            no_action=self._no_action(findings),
            review=self._review(findings),
            provenance=provenance,
        )

    def _below_stage(self, iv, domain: str | None) -> str | None:
        """Why the client's functional stage in the domain the activity names is below the
        stage it states (`min_developmental_age N months in DOMAIN`), or None. No estimate (too
        few items known): not excluded on that account; the profile says why it is missing."""
        needed = iv.min_developmental_age_months
        stage = self.facts.domain_stage(domain) if domain else None
        if not needed or not domain or stage is None or stage.months is None \
                or stage.months >= needed:
            return None
        words = domain.replace("_", " ")
        return (f"needs a functional stage of {needed} months in {words}; the client's {words} "
                f"estimate is {stage.months} months (an estimate from {len(stage.known)} of "
                f"{len(stage.due)} due items)")

    def _touch_note(self, iv) -> str:
        if "body_contact" not in iv.marks:
            return ""
        allowed = sorted(self.touch_settings)
        return ("; body contact is allowed by the touch policy of "
                + (", ".join(allowed) if allowed else "none of the client's settings")
                + " (a setting's policy not recorded is not allowed, except home)")

    def _settings(self, iv, recs) -> tuple[str, ...]:
        """Where to deliver it: every setting some recommending rule asks for (a rule without
        `in` asks for all of the catalog's), that the catalog allows and the client lives in."""
        wanted = set().union(*(action.settings or iv.settings for _, action in recs))
        client_settings = self.client_settings
        if self.index.activities[iv.id].body_contact:  # only where the touch policy allows it
            client_settings = client_settings & self.touch_settings
        return tuple(s for s in iv.settings if s in wanted and s in client_settings)

    def _offer_no_touch_alternatives(self, findings: Findings,
                                     decisions: dict[str, Decision]) -> dict[str, tuple[str, ...]]:
        """Body-contact work that is recommended but held back (the touch conditions, a
        contraindication, no setting that allows touch) is replaced by the catalog's no-touch
        alternative, proposed by the same rules. Returns alternative → what it stands in for."""
        instead: dict[str, list[str]] = {}
        for iv_id, decision in sorted(decisions.items()):
            iv = self.kb.interventions[iv_id]
            if ("body_contact" not in iv.marks or not iv.no_touch_alternative
                    or decision.status in (Status.ACTIVE, Status.NOT_PROPOSED)):
                continue
            alternative = iv.no_touch_alternative
            instead.setdefault(alternative, []).append(iv_id)
            if alternative in findings.recommends:
                continue  # already proposed in its own right
            findings.recommends[alternative] = [
                (rule, ast.Recommend(alternative, action.pos, priority=action.priority,
                                     settings=action.settings))
                for rule, action in findings.recommends[iv_id]]
        for alternative in sorted(instead):
            decisions[alternative] = self._decide(alternative, findings)
        return {a: tuple(ids) for a, ids in instead.items()}

    def _defer_missing_prerequisites(self, candidates, decisions: dict[str, Decision]) -> None:
        """A prerequisite means completed or established, recorded in the assessment
        (`established`, from a re-assessment or feedback), not merely also in this plan."""
        established = set(self.assessment.established)
        for iv_id in sorted(candidates):
            iv = candidates[iv_id][0]
            missing = [r for r in iv.requires if r not in established]
            if missing:
                names = " and ".join(self.kb.interventions[m].name for m in missing)
                verb = "is" if len(missing) == 1 else "are"
                gate = Gate(kind="prerequisite", needs=f"{names} {verb} recorded as established",
                            condition=None, holding=(),
                            holding_text="not recorded as established: " + ", ".join(missing))
                decisions[iv_id] = replace(decisions[iv_id], status=Status.DEFERRED,
                                           kind="prerequisite", gate=gate)
                del candidates[iv_id]

    def _one_trauma_protocol(self, candidates, findings: Findings,
                             decisions: dict[str, Decision]) -> None:
        """At most one trauma-processing protocol at a time: the first in the sequence (lowest
        priority, then region, then id) is active; the others wait until it is established."""
        protocols = [iv_id for iv_id in candidates
                     if self.index.activities[iv_id].trauma_processing]
        if len(protocols) < 2:
            return
        def key(iv_id: str) -> tuple[int, int, str]:
            priority = min((a.priority for _, a in findings.recommends[iv_id]
                            if a.priority is not None), default=DEFAULT_PRIORITY)
            return (priority, self.index.activities[iv_id].region_order, iv_id)
        first, *rest = sorted(protocols, key=key)
        name = self.kb.interventions[first].name
        for iv_id in rest:
            gate = Gate(kind="protocol", needs=f"{name} is recorded as established (one "
                        "trauma-processing protocol at a time)", condition=None, holding=(),
                        holding_text=f"active trauma-processing protocol: {first}")
            decisions[iv_id] = replace(decisions[iv_id], status=Status.DEFERRED, kind="protocol",
                                       gate=gate)
            del candidates[iv_id]

    def _phases(self, candidates, findings: Findings):
        """The active phases, the menu (over the load budget) and the load (engine/carry.py)."""
        activities = self.index.activities
        keys = {}
        for iv_id, (_, recs, _) in candidates.items():
            priority = min((a.priority for _, a in recs if a.priority is not None),
                           default=DEFAULT_PRIORITY)
            keys[iv_id] = (activities[iv_id].region_order, priority, iv_id)
        built: dict[str, p.Recommendation] = {}
        order = start_order(keys, self.kb)
        for iv_id in order:
            iv, recs, settings = candidates[iv_id]
            traits = activities[iv_id]
            recs = sorted(recs, key=lambda x: (x[1].priority or DEFAULT_PRIORITY, x[0].id))
            base = next((a.dose for _, a in recs if a.dose is not None), iv.dose)
            dose, notes = self.dose(base, traits.phase.value)
            built[iv_id] = p.Recommendation(
                intervention=iv_id, name=iv.name, target_region=iv.region, modality=iv.modality,
                dose=dose, settings=settings, priority=keys[iv_id][1], prerequisites=iv.requires,
                rules=tuple(sorted({r.id for r, _ in recs})),
                because=self.reasons(sorted({r.id: r for r, _ in recs}.values(), key=lambda r: r.id)),
                dose_notes=notes, track=cast(p.TrackName, iv.track), once=traits.one_off,
                in_place_of=self.in_place_of.get(iv_id, ()),
                # the rule's deliverers first, then the catalog's: a rule that names residential
                # staff does not take a teacher away from the school day
                delivery=self.delivery(tuple(dict.fromkeys(base.delivered_by + iv.dose.delivered_by)),
                                       settings, dose.period),
                routines=iv.routines if dose.period == "day" else ())
        placed, menu, load = self._fit_budget(built, keys, findings)
        recommendations: dict[Phase, list[p.Recommendation]] = {}
        for iv_id in order:
            if iv_id in placed:
                recommendations.setdefault(activities[iv_id].phase, []).append(built[iv_id])
        phases = tuple(
            p.PhasePlan(name=phase.value, regions=self.index.phases[phase].regions,
                        recommendations=tuple(recommendations[phase]),
                        move_on_when=self._move_on_when(phase))
            for phase in sorted(recommendations, key=PHASE_ORDER.__getitem__))
        return phases, menu, load

    def _fit_budget(self, built: dict[str, p.Recommendation], keys, findings: Findings):
        """Place recommendations by priority within the age's budget; the rest is the menu:
        critical actions first (with the support track's priority-1 actions), then the lowest
        region, then the rules' priority (CLINICAL.md section 3). An action done once (`marks
        one_off`: a referral, a review) is placed without counting against the budget."""
        critical = {r.id for pairs in findings.flags.values() for r, a in pairs
                    if a.severity == "critical"}
        # What a critical flag brings is never moved to the menu (CLINICAL.md section 4).
        brought = {iv for pairs in findings.flags.values() for _, a in pairs
                   if a.severity == "critical" for iv in a.actions}
        budget = Budget(budget_for(self.kb, self.assessment.age.total_months))
        placed: set[str] = set()
        menu: list[p.MenuItem] = []
        menu_ids: set[str] = set()

        def rank(iv_id):
            rec = built[iv_id]
            # The plan's first actions: a critical flag's, and the adults' work a rule puts
            # first (priority 1 on the support track: finding a person, a coaching carer).
            first = bool(set(rec.rules) & critical) or (rec.track == "support" and rec.priority <= 1)
            return (not first,) + keys[iv_id]

        def place(iv_id: str) -> None:
            if iv_id in placed or iv_id in menu_ids:
                return
            rec = built[iv_id]
            if self.index.activities[iv_id].one_off:  # done once: not a daily load
                placed.add(iv_id)
                return
            if iv_id in brought:  # counted in the load, never displaced by it
                budget.add(rec)
                placed.add(iv_id)
                return
            for prerequisite in rec.prerequisites:
                if prerequisite in built:  # an established prerequisite need not be in the plan
                    place(prerequisite)
            waiting = [r for r in rec.prerequisites if r in menu_ids]
            reason = (f"it needs {', '.join(waiting)} first, which is on the menu" if waiting
                      else budget.over(rec))
            if reason is None:
                budget.add(rec)
                placed.add(iv_id)
                return
            menu_ids.add(iv_id)
            menu.append(p.MenuItem(
                intervention=iv_id, name=rec.name, track=rec.track, priority=rec.priority,
                phase=self.index.activities[iv_id].phase.value,
                dose=rec.dose, delivery=rec.delivery, rules=rec.rules,
                reason=f"Over the load budget: {reason}. Swap it in for a planned activity if it "
                       "fits this client better."))

        for iv_id in sorted(built, key=rank):
            place(iv_id)
        return placed, tuple(menu), budget.load(age_words)

    def _guidance(self, phases, findings: Findings) -> tuple[p.StateGuidance, ...]:
        """For each state, what the adults do and avoid (the `guide` actions of the rules that
        fired) and which of the client's active activities fit it (the catalog's `fits`, else
        the states that reach its phase). The assessment's state is the one to lead with."""
        arousal = self.assessment.arousal
        lead = "dissociated" if arousal.dissociative else next(
            s for s, covered in GUIDANCE_AROUSAL.items() if arousal.current in covered)
        out = []
        for state in GUIDANCE_STATES:
            said = sorted(((r.id, g) for r, g in findings.guides if g.state == state),
                          key=lambda x: x[0])
            activities = tuple(
                rec.intervention for phase in phases for rec in phase.recommendations
                if rec.track == "client" and state in self.index.activities[rec.intervention].fits)
            out.append(p.StateGuidance(
                state=cast(p.GuidanceState, state), arousal_states=GUIDANCE_AROUSAL[state],
                lead=state == lead,
                do=tuple(dict.fromkeys(g.text for _, g in said if g.kind == "do")),
                avoid=tuple(dict.fromkeys(g.text for _, g in said if g.kind == "avoid")),
                activities=activities, rules=tuple(dict.fromkeys(r for r, _ in said))))
        return tuple(out)

    def _move_on_when(self, phase: Phase) -> tuple[str, ...]:
        later = self.index.phases[phase].next_phase
        if later is None:
            return ("review progress at each review; this is the last phase",)
        needs = []
        region_gate = self.region_gate(later)
        if region_gate:
            needs.append(f"{region_gate.needs} (now {region_gate.holding_text})")
        arousal_gate = self.arousal_gate(later)
        if arousal_gate:
            needs.append(f"{arousal_gate.needs} (now {self.assessment.arousal.current})")
        return tuple(needs) or (f"nothing holds back {later.value} work",)

    def _flags(self, findings: Findings) -> tuple[p.Flag, ...]:
        flags = []
        for code, pairs in findings.flags.items():
            worst = min((a.severity for _, a in pairs), key=SEVERITY_ORDER.__getitem__)
            message = next(a.message for r, a in sorted(pairs, key=lambda x: x[0].id))
            actions = tuple(sorted({i for _, a in pairs for i in a.actions}))
            flags.append(p.Flag(code=code, severity=worst, message=message,
                                rules=tuple(sorted({r.id for r, _ in pairs})), actions=actions))
        flags.extend(informant_flags(self.facts.ratings, self.kb))
        for score in self.facts.regions:
            if score.band == "insufficient":
                flags.append(p.Flag(
                    code=f"INSUFFICIENT_RATINGS_{score.name.upper()}", severity="warning", rules=(),
                    message=f"Only {score.known} of {score.items} {score.name} items are rated; "
                            f"rate more before relying on the {score.name} band."))
        return tuple(sorted(flags, key=lambda f: (SEVERITY_ORDER[f.severity], f.code)))

    def _no_action(self, findings: Findings) -> tuple[p.NoAction, ...]:
        """"No action needed" never stands beside a critical flag: a critical flag always brings
        action, whatever another rule concluded about the profile."""
        if any(a.severity == "critical" for pairs in findings.flags.values() for _, a in pairs):
            return ()
        return tuple(p.NoAction(reason=a.reason, rules=(r.id,))
                     for r, a in sorted(findings.no_action, key=lambda x: x[0].id))

    def _review(self, findings: Findings) -> p.Review:
        review = self.kb.review
        weeks = review.weeks if review else 6
        critical = any(a.severity == "critical" for pairs in findings.flags.values() for _, a in pairs)
        if critical and review and review.critical_weeks:
            return p.Review(interval_weeks=review.critical_weeks,
                            reason="a critical flag is raised: review sooner")
        return p.Review(interval_weeks=weeks, reason="the knowledge base's standard interval")


def age_words(months: int) -> str:
    years, rest = divmod(months, 12)
    if years == 0:
        return f"{rest} month{'s' if rest != 1 else ''}"
    return f"{years} year{'s' if years != 1 else ''}" + (f" {rest} months" if rest else "")


def age_range_words(iv: ast.Intervention) -> str:
    low, high = iv.min_age_months or 0, iv.max_age_months
    if high is None:
        return f"from {age_words(low)}"
    return f"from {age_words(low)} up to {age_words(high)}"


def outside_ages(iv: ast.Intervention, age_months: int) -> str | None:
    """Why the client's chronological age is outside the activity's age range, or None."""
    low, high = iv.min_age_months or 0, iv.max_age_months
    if age_months >= low and (high is None or age_months < high):
        return None
    return (f"it is for ages {age_range_words(iv)} (not including); the client is "
            f"{age_words(age_months)} old")


def _holding(result) -> tuple[tuple[str, str], ...]:
    """The client's values that keep a gate shut: every fact whose test is false, once each."""
    values: dict[str, str] = {}
    for leaf in _against(result, True):
        if hasattr(leaf.node, "path"):
            values.setdefault(leaf.node.path, show_value(leaf.actual))
        elif isinstance(leaf.node, ast.FactRef):
            values.setdefault(leaf.node.name, "derived" if leaf.value else "not derived")
    return tuple(values.items())


def _against(result, wanted: bool):
    """The leaves whose value is not the one the condition wants (under `not`, the opposite)."""
    if isinstance(result.node, ast.Not):
        for child in result.children:
            yield from _against(child, not wanted)
        return
    if not result.children:
        if result.value != wanted:
            yield result
        return
    for child in result.children:
        yield from _against(child, wanted)


def join_reasons(reasons) -> str:
    """Distinct reasons as sentences, in a stable order."""
    sentences = {r.strip() if r.strip().endswith((".", "!", "?")) else r.strip() + "." for r in reasons}
    return " ".join(sorted(sentences))

