"""Findings → a phased plan, bottom-up.

For each proposed intervention, in this order of precedence: avoided (by a rule, or by a catalog
contraindication the client has), not suitable (above the developmental-age estimate, or no setting
the client lives in), deferred (a rule's `defer … until` gate, a compromised lower region, an
arousal state that cannot reach its phase, a prerequisite not under way), else active in the phase
of its target region. An intervention that no fired rule recommends is never deferred or placed
(a `defer` gates a recommendation; it proposes nothing), though a rule may still avoid it. Regions that share a phase are worked on together, lowest first; work for a
later phase waits while any region of an earlier phase is compromised.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from dsl import ast
from dsl.evaluate import evaluate, describe, show_value
from dsl.kb import KnowledgeBase
from dsl.plain import plain
from dsl.vocabulary import AROUSAL_STATES, PHASE_ORDER, Phase
from engine import plan as p
from engine.dosing import choose_dose
from engine.facts import ClientFacts
from engine.graph import start_order
from engine.item_flags import informant_flags, item_flags
from engine.profile import profile_summary
from engine.ratings import not_due
from engine.models import Assessment
from engine.runtime import Firing

DEFAULT_PRIORITY = 5
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass
class Findings:
    """What the fired rules said, gathered per intervention."""

    recommends: dict[str, list[tuple[ast.Rule, ast.Recommend]]] = field(default_factory=dict)
    avoids: dict[str, list[tuple[ast.Rule, ast.Avoid]]] = field(default_factory=dict)
    defers: dict[str, list[tuple[ast.Rule, ast.Defer]]] = field(default_factory=dict)
    flags: dict[str, list[tuple[ast.Rule, ast.Flag]]] = field(default_factory=dict)
    no_action: list[tuple[ast.Rule, ast.NoAction]] = field(default_factory=list)
    scales: dict[str, list[tuple[str, ast.ScaleDose]]] = field(default_factory=dict)


def gather(kb: KnowledgeBase, firings: tuple[Firing, ...]) -> Findings:
    findings = Findings()
    fired = sorted({f.rule_id for f in firings})
    for rule_id in fired:
        rule = kb.rule(rule_id)
        for action in rule.actions:
            if isinstance(action, ast.Recommend):
                findings.recommends.setdefault(action.intervention, []).append((rule, action))
            elif isinstance(action, ast.Avoid):
                findings.avoids.setdefault(action.intervention, []).append((rule, action))
            elif isinstance(action, ast.Defer):
                findings.defers.setdefault(action.intervention, []).append((rule, action))
            elif isinstance(action, ast.Flag):
                findings.flags.setdefault(action.code, []).append((rule, action))
            elif isinstance(action, ast.NoAction):
                findings.no_action.append((rule, action))
            elif isinstance(action, ast.ScaleDose):
                findings.scales.setdefault(action.phase, []).append((rule.id, action))
    return findings


class Sequencer:
    def __init__(self, kb: KnowledgeBase, assessment: Assessment, facts: ClientFacts,
                 derived: dict[str, tuple[str, ...]]):
        self.kb = kb
        self.assessment = assessment
        self.facts = facts
        self.derived = frozenset(derived)
        self.types = kb.fact_types()
        self.bands = {s.name: s.band for s in facts.regions}
        # A gate depends only on the phase (the rest is fixed for this assessment) and is asked
        # for once per proposed intervention: remember each answer.
        self.region_gate = functools.cache(self.region_gate)
        self.arousal_gate = functools.cache(self.arousal_gate)

    # ---- gates ----
    def region_gate(self, phase: Phase) -> tuple[str, str] | None:
        """(gate, holding value) when a region of an earlier phase is compromised."""
        blocking = [r for r in self.kb.regions
                    if PHASE_ORDER[Phase(r.phase)] < PHASE_ORDER[phase]
                    and self.bands[r.name] in self.kb.compromised]
        if not blocking:
            return None
        names = " and ".join(r.name for r in blocking)
        verb = "is" if len(blocking) == 1 else "are"
        healthy = [b for b in ("typical", "mild", "moderate", "severe") if b not in self.kb.compromised]
        return (f"until {names} {verb} {healthy[-1]} or better",
                ", ".join(f"{r.name} band = {self.bands[r.name]}" for r in blocking))

    def arousal_gate(self, phase: Phase) -> tuple[str, str] | None:
        current = self.assessment.arousal.current
        reaching = [s for s in AROUSAL_STATES if phase.value in self.kb.reachable.get(s, ())]
        if current in reaching:
            return None
        return (f"until the client is {' or '.join(reaching)}", f"arousal.current = {current}")

    def rule_gate(self, defers) -> tuple[str, str, tuple[str, ...]] | None:
        for rule, action in defers:
            result = evaluate(action.until, self.facts.values, self.derived, self.types)
            if not result.value:
                return (f"until {plain(action.until, self.types)}", _holding(result) or
                        describe(action.until), (rule.id,))
        return None

    # ---- the plan ----
    def reasons(self, rules: list[ast.Rule]) -> tuple[p.Reason, ...]:
        out = []
        for rule in rules:
            result = evaluate(rule.when, self.facts.values, self.derived, self.types)
            conditions = tuple(
                p.ConditionValue(condition=describe(leaf.node), actual=show_value(leaf.actual),
                                 holds=leaf.value) for leaf in result.leaves())
            out.append(p.Reason(rule=rule.id, version=rule.version, title=rule.title,
                                conditions=conditions))
        return tuple(out)

    def build(self, findings: Findings, provenance: p.Provenance) -> p.Plan:
        kb, facts = self.kb, self.facts
        sensitivities = set(self.assessment.sensitivities)
        client_settings = set(self.assessment.settings)
        avoided, not_suitable, deferred = [], [], []
        candidates: dict[str, list] = {}
        proposed = sorted(set(findings.recommends) | set(findings.avoids) | set(findings.defers))
        for iv_id in proposed:
            iv = kb.interventions[iv_id]
            recs = findings.recommends.get(iv_id, [])
            rec_rules = tuple(sorted({r.id for r, _ in recs}))
            phase = kb.phase_of_region(iv.region)
            if findings.avoids.get(iv_id):
                pairs = findings.avoids[iv_id]
                avoided.append(p.Avoided(
                    intervention=iv_id, name=iv.name, rules=tuple(sorted({r.id for r, _ in pairs})),
                    reason=join_reasons(a.reason for _, a in pairs),
                    proposed_by=rec_rules))
                continue
            hit = sorted(sensitivities & set(iv.contraindicated))
            if hit and recs:
                avoided.append(p.Avoided(
                    intervention=iv_id, name=iv.name, rules=(), proposed_by=rec_rules,
                    reason="contraindicated for a client with " + ", ".join(
                        h.replace("_", " ") for h in hit) + " (catalog entry)"))
                continue
            if not recs:
                continue  # a `defer` gates a recommendation; alone it proposes nothing
            stage_reason = self._below_stage(iv)
            if stage_reason is not None:
                not_suitable.append(p.NotSuitable(
                    intervention=iv_id, name=iv.name, rules=rec_rules, reason=stage_reason))
                continue
            settings = self._settings(iv, recs, client_settings)
            if not settings:
                not_suitable.append(p.NotSuitable(
                    intervention=iv_id, name=iv.name, rules=rec_rules,
                    reason="offered only in " + ", ".join(iv.settings)
                           + "; the client is in " + ", ".join(sorted(client_settings))))
                continue
            gate = self.rule_gate(findings.defers.get(iv_id, []))
            if gate is not None:
                text, holding, defer_rules = gate
                deferred.append(p.Deferred(intervention=iv_id, name=iv.name, phase=phase.value,
                                           gate=text, gate_kind="rule", holding_value=holding,
                                           rules=tuple(sorted(set(rec_rules + defer_rules)))))
                continue
            for kind, gate in (("region", self.region_gate(phase)), ("arousal", self.arousal_gate(phase))):
                if gate is not None:
                    deferred.append(p.Deferred(intervention=iv_id, name=iv.name, phase=phase.value,
                                               gate=gate[0], gate_kind=kind, holding_value=gate[1],
                                               rules=rec_rules))
                    break
            else:
                candidates[iv_id] = [iv, recs, settings]
        self._defer_missing_prerequisites(candidates, deferred)
        phases = self._phases(candidates, findings)
        return p.Plan(
            client_id=self.assessment.client_id,
            assessment_date=self.assessment.assessment_date.isoformat(),
            flags=self._flags(findings),
            regions=tuple(p.RegionSummary(region=s.name, phase=kb.region(s.name).phase,
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
            no_action=tuple(p.NoAction(reason=a.reason, rules=(r.id,))
                            for r, a in sorted(findings.no_action, key=lambda x: x[0].id)),
            review=self._review(findings),
            provenance=provenance,
        )

    def _below_stage(self, iv) -> str | None:
        """Why the client's functional stage in the domain the activity names is below the
        stage it states (`min_developmental_age N months in DOMAIN`), or None. No estimate (too
        few items known): not excluded on that account; the profile says why it is missing."""
        needed = iv.min_developmental_age_months
        domain = stage_domain(self.kb, iv)
        stage = self.facts.domain_stage(domain) if domain else None
        if not needed or stage is None or stage.months is None or stage.months >= needed:
            return None
        words = domain.replace("_", " ")
        return (f"needs a functional stage of {needed} months in {words}; the client's {words} "
                f"estimate is {stage.months} months (an estimate from {len(stage.known)} of "
                f"{len(stage.due)} due items)")

    def _settings(self, iv, recs, client_settings) -> tuple[str, ...]:
        """Where to deliver it: every setting some recommending rule asks for (a rule without
        `in` asks for all of the catalog's), that the catalog allows and the client lives in."""
        wanted = set().union(*(set(action.settings or iv.settings) for _, action in recs))
        return tuple(s for s in iv.settings if s in wanted and s in client_settings)

    def _defer_missing_prerequisites(self, candidates, deferred) -> None:
        changed = True
        while changed:
            changed = False
            for iv_id in sorted(candidates):
                iv, recs, _ = candidates[iv_id]
                missing = [r for r in iv.requires if r not in candidates]
                if missing:
                    names = " and ".join(self.kb.interventions[m].name for m in missing)
                    deferred.append(p.Deferred(
                        intervention=iv_id, name=iv.name, phase=self.kb.phase_of_region(iv.region).value,
                        gate=f"until {names} is under way", gate_kind="prerequisite",
                        holding_value="not in the active plan: " + ", ".join(missing),
                        rules=tuple(sorted({r.id for r, _ in recs}))))
                    del candidates[iv_id]
                    changed = True

    def _phases(self, candidates, findings: Findings) -> tuple[p.PhasePlan, ...]:
        keys = {}
        for iv_id, (iv, recs, _) in candidates.items():
            priority = min((a.priority for _, a in recs if a.priority is not None),
                           default=DEFAULT_PRIORITY)
            keys[iv_id] = (self.kb.region(iv.region).order, priority, iv_id)
        recommendations: dict[Phase, list[p.Recommendation]] = {}
        for iv_id in start_order(keys, self.kb):
            iv, recs, settings = candidates[iv_id]
            phase = self.kb.phase_of_region(iv.region)
            recs = sorted(recs, key=lambda x: (x[1].priority or DEFAULT_PRIORITY, x[0].id))
            base = next((a.dose for _, a in recs if a.dose is not None), iv.dose)
            dose, notes = choose_dose(base, self.assessment, findings.scales.get(phase.value, []))
            recommendations.setdefault(phase, []).append(p.Recommendation(
                intervention=iv_id, name=iv.name, target_region=iv.region, modality=iv.modality,
                dose=dose, settings=settings, priority=keys[iv_id][1], prerequisites=iv.requires,
                rules=tuple(sorted({r.id for r, _ in recs})),
                because=self.reasons(sorted({r.id: r for r, _ in recs}.values(), key=lambda r: r.id)),
                dose_notes=notes))
        return tuple(
            p.PhasePlan(name=phase.value,
                        regions=tuple(r.name for r in self.kb.regions if r.phase == phase.value),
                        recommendations=tuple(recommendations[phase]),
                        move_on_when=self._move_on_when(phase))
            for phase in sorted(recommendations, key=PHASE_ORDER.get))

    def _move_on_when(self, phase: Phase) -> tuple[str, ...]:
        later = [ph for ph in Phase if PHASE_ORDER[ph] == PHASE_ORDER[phase] + 1]
        if not later:
            return ("review progress at each review; this is the last phase",)
        needs = []
        region_gate = self.region_gate(later[0])
        if region_gate:
            needs.append(f"{region_gate[0][len('until '):]} (now {region_gate[1]})")
        arousal_gate = self.arousal_gate(later[0])
        if arousal_gate:
            needs.append(f"the client is {arousal_gate[0][len('until the client is '):]} "
                         f"(now {self.assessment.arousal.current})")
        return tuple(needs) or (f"nothing holds back {later[0].value} work",)

    def _flags(self, findings: Findings) -> tuple[p.Flag, ...]:
        flags = []
        for code, pairs in findings.flags.items():
            worst = min((a.severity for _, a in pairs), key=SEVERITY_ORDER.get)
            message = next(a.message for r, a in sorted(pairs, key=lambda x: x[0].id))
            flags.append(p.Flag(code=code, severity=worst, message=message,
                                rules=tuple(sorted({r.id for r, _ in pairs}))))
        flags.extend(informant_flags(self.facts.ratings, self.kb))
        for score in self.facts.regions:
            if score.band == "insufficient":
                flags.append(p.Flag(
                    code=f"INSUFFICIENT_RATINGS_{score.name.upper()}", severity="warning", rules=(),
                    message=f"Only {score.known} of {score.items} {score.name} items are rated; "
                            f"rate more before relying on the {score.name} band."))
        return tuple(sorted(flags, key=lambda f: (SEVERITY_ORDER[f.severity], f.code)))

    def _review(self, findings: Findings) -> p.Review:
        review = self.kb.review
        weeks = review.weeks if review else 6
        critical = any(a.severity == "critical" for pairs in findings.flags.values() for _, a in pairs)
        if critical and review and review.critical_weeks:
            return p.Review(interval_weeks=review.critical_weeks,
                            reason="a critical flag is raised: review sooner")
        return p.Review(interval_weeks=weeks, reason="the knowledge base's standard interval")


def stage_domain(kb: KnowledgeBase, iv: ast.Intervention) -> str | None:
    """The domain whose stage an activity needs: the one it names, else the domain whose primary
    region is its target region."""
    if iv.stage_domain:
        return iv.stage_domain
    return next((d.name for d in kb.domains if d.primary_region == iv.region), None)


def _holding(result) -> str:
    """The client's values that keep a gate shut: every fact whose test is false, once each."""
    values = {}
    for leaf in result.leaves():
        if not leaf.value and hasattr(leaf.node, "path"):
            values.setdefault(leaf.node.path, show_value(leaf.actual))
        elif not leaf.value and isinstance(leaf.node, ast.FactRef):
            values.setdefault(leaf.node.name, "not derived")
    return ", ".join(f"{path} = {value}" for path, value in values.items())


def join_reasons(reasons) -> str:
    """Distinct reasons as sentences, in a stable order."""
    sentences = {r.strip() if r.strip().endswith((".", "!", "?")) else r.strip() + "." for r in reasons}
    return " ".join(sorted(sentences))
