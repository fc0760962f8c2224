"""A plan as FHIR: a collection Bundle of one CarePlan, a DetectedIssue per flag and a Provenance.

The CarePlan holds one activity per recommendation in phase order (dose as a Timing, who
delivers it as the performer), then each deferred intervention on hold with its gate as the
status reason, then each avoided one as `doNotPerform`. Ids are derived from the plan's input
hash, and nothing depends on the clock (the Provenance's `recorded` is the assessment date unless
the caller gives the audit record's time), so the same plan gives the same bytes.
"""

from __future__ import annotations

import uuid

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.detectedissue import DetectedIssue
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.resource import Resource

from engine.plan import Plan, Recommendation
from explain.plain import sentence
from groundwork.fhir import CODESYSTEM, EXTENSION

PHASE_EXTENSION = f"{EXTENSION}/phase"
RULE_SYSTEM = f"{CODESYSTEM}/rules"
SEVERITY = {"critical": "high", "warning": "moderate", "info": "low"}
PERIOD_UNIT = {"day": "d", "week": "wk"}
NAMESPACE = uuid.UUID("6f1c2b0e-5d1a-4c55-9a53-3e0c1d8f7a21")  # Groundwork's FHIR ids


def full_url(plan: Plan, kind: str, index: int = 0) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{plan.provenance.input_hash}:{kind}:{index}')}"


def _code(intervention: str, name: str) -> dict:
    return {"coding": [{"system": f"{CODESYSTEM}/interventions", "code": intervention,
                        "display": name}], "text": name}


def _active(rec: Recommendation, phase: str, number: int) -> dict:
    dose = rec.dose
    rules = ", ".join(rec.rules)
    return {"extension": [{"url": PHASE_EXTENSION, "valueCode": phase}], "detail": {
        "code": _code(rec.intervention, rec.name), "status": "not-started",
        "scheduledTiming": {"repeat": {"frequency": dose.frequency, "period": 1,
                                       "periodUnit": PERIOD_UNIT[dose.period],
                                       "duration": dose.minutes, "durationUnit": "min"}},
        "performer": [{"display": dose.delivered_by}],
        "description": f"Phase {number} ({phase}), priority {rec.priority}: {rec.name}, "
                       f"{dose.frequency} x {dose.minutes} min per {dose.period}, delivered by "
                       f"{dose.delivered_by}, in {', '.join(rec.settings) or 'any setting'}. "
                       f"Recommended by rules {rules}."}}


def activities(plan: Plan, only: set[str] | None = None) -> list[dict]:
    """The CarePlan's activities (`only`: these interventions of the active phases)."""
    out = []
    for number, phase in enumerate(plan.phases, start=1):
        out += [_active(rec, phase.name, number) for rec in phase.recommendations
                if only is None or rec.intervention in only]
    if only is not None:
        return out
    out += [{"extension": [{"url": PHASE_EXTENSION, "valueCode": d.phase}], "detail": {
        "code": _code(d.intervention, d.name), "status": "on-hold",
        "statusReason": {"text": f"Deferred {d.gate} (now {d.holding_value})"},
        "description": f"Not yet: deferred {d.gate}. Rules: {', '.join(d.rules) or 'none'}."}}
        for d in plan.deferred]
    out += [{"detail": {
        "code": _code(a.intervention, a.name), "status": "cancelled", "doNotPerform": True,
        "statusReason": {"text": f"Avoided: {a.reason}"},
        "description": f"Avoid: {sentence(a.reason)} Rules: {', '.join(a.rules) or 'contraindication'}."}}
        for a in plan.avoided]
    return out


def care_plan(plan: Plan, only: set[str] | None = None, status: str = "draft",
              intent: str = "proposal", subject: str | None = None) -> CarePlan:
    """The plan as a CarePlan: a proposal by default (a clinician adopts it); the CDS Hooks
    suggestions create it active with only the activities accepted."""
    review = plan.review
    return CarePlan.model_validate(dict(
        status=status, intent=intent,
        title=f"Groundwork plan: regulate, relate, reason ({plan.provenance.kb_name})",
        description="Bottom-up plan from a developmental assessment; each activity names the "
                    "rules behind it. Decision support for a qualified clinician; never a "
                    "substitute for clinical judgement.",
        subject={"reference": f"Patient/{subject or plan.client_id}"}, created=plan.assessment_date,
        period={"start": plan.assessment_date},
        note=[{"text": f"Review in {review.interval_weeks} weeks: {sentence(review.reason)}"}],
        activity=activities(plan, only) or None))


def detected_issues(plan: Plan, care_plan_url: str) -> list[DetectedIssue]:
    return [DetectedIssue.model_validate(dict(
        status="preliminary", severity=SEVERITY[flag.severity],
        code={"coding": [{"system": f"{CODESYSTEM}/flags", "code": flag.code}], "text": flag.code},
        patient={"reference": f"Patient/{plan.client_id}"},
        identifiedDateTime=plan.assessment_date, detail=flag.message,
        implicated=[{"reference": care_plan_url}])) for flag in plan.flags]


def _rules(plan: Plan) -> list[str]:
    rules = [r for phase in plan.phases for rec in phase.recommendations for r in rec.rules]
    rules += [r for d in plan.deferred for r in d.rules] + [r for a in plan.avoided for r in a.rules]
    rules += [r for f in plan.flags for r in f.rules] + [r for n in plan.no_action for r in n.rules]
    return sorted(set(rules))


def provenance(plan: Plan, targets: list[str], recorded: str | None = None) -> Provenance:
    source = plan.provenance
    entities = [{"role": "source", "what": {
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:sha256:{source.kb_hash}"},
        "display": f"knowledge base {source.kb_name} {source.kb_version}"}},
        {"role": "source", "what": {
            "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:sha256:{source.input_hash}"},
            "display": "the assessment (canonical JSON)"}}]
    entities += [{"role": "derivation", "what": {"identifier": {"system": RULE_SYSTEM, "value": rule},
                                                 "display": f"rule {rule}"}} for rule in _rules(plan)]
    return Provenance.model_validate(dict(
        target=[{"reference": t} for t in targets],
        recorded=recorded or f"{plan.assessment_date}T00:00:00Z",
        agent=[{"type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "assembler"}]},
            "who": {"display": f"groundwork-cds {source.engine_version}"}}],
        entity=entities, reason=[{"text": f"drafts {'included' if source.drafts else 'excluded'}"}]))


def plan_bundle(plan: Plan, recorded: str | None = None) -> Bundle:
    plan_url = full_url(plan, "CarePlan")
    issues = detected_issues(plan, plan_url)
    issue_urls = [full_url(plan, "DetectedIssue", i) for i in range(len(issues))]
    entries: list[tuple[str, Resource]] = [(plan_url, care_plan(plan))]
    entries += list(zip(issue_urls, issues))
    entries.append((full_url(plan, "Provenance"), provenance(plan, [plan_url] + issue_urls, recorded)))
    return Bundle(id=f"groundwork-plan-{plan.provenance.input_hash[:16]}", type="collection",
                  entry=[{"fullUrl": url, "resource": resource} for url, resource in entries])
