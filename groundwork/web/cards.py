"""CDS Hooks 2.0 cards for one recorded plan: a card per critical flag, a card per phase (one
suggestion per recommendation, so a clinician can accept some), and a card for what is held back.

Card and suggestion uuids are derived from the audit record (a UUIDv8 layout, RFC 9562): the
record id, what the uuid names (card kind, phase, recommendation) and a check value from the
record's hash. The feedback endpoint decodes them back to a plan and its interventions without
keeping any state, and a uuid for a record that does not exist, or was forged, does not check.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from engine.audit.feedback import OVERRIDE_REASONS
from engine.plan import Plan, Recommendation
from explain.context import Context
from explain.plain import sentence
from explain.plain import DISCLAIMER

SUMMARY_MAX = 139  # CDS Hooks: a summary is "<140 characters"
OVERRIDE_SYSTEM = "urn:groundwork:override-reason"
INDICATOR = {"critical": "critical", "warning": "warning"}  # anything else: info
PHASE_CARD, SUGGESTION, FLAG_CARD, HELD_CARD, NO_ASSESSMENT_CARD = 1, 2, 3, 4, 5
# CDS Hooks forbids null and empty elements: optional fields default to None and responses are
# serialised without them (response_model_exclude_none); lists are None rather than empty.


class Coding(BaseModel):
    code: str
    system: str | None = None
    display: str | None = None


class Source(BaseModel):
    label: str = Field(description="The rule and the public source it cites")


class Link(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"
    # Optional in CDS Hooks 2.0, but HealthChain's response model requires it: say it is not.
    autoLaunchable: bool = False


class Action(BaseModel):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict | None = Field(None, description="The FHIR resource to create (a CarePlan)")


class Suggestion(BaseModel):
    label: str
    uuid: str
    isRecommended: bool = True
    actions: list[Action] | None = None


class Card(BaseModel):
    uuid: str
    summary: str = Field(max_length=SUMMARY_MAX)
    detail: str
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["any", "at-most-one"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None


class CardsResponse(BaseModel):
    cards: list[Card]


@dataclass(frozen=True)
class Named:
    """What a decoded uuid names."""

    record_id: int
    kind: int
    first: int  # phase index (phase card, suggestion) or flag index
    second: int  # recommendation index (suggestion)


def _check(record_hash: str, kind: int, first: int, second: int) -> int:
    digest = hashlib.sha256(f"{record_hash}:{kind}:{first}:{second}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 10  # 54 bits


def make_uuid(record_id: int, record_hash: str, kind: int, first: int = 0, second: int = 0) -> str:
    # record 48 | version 4 | kind 4 | first 8 | variant 2 | second 8 | check 54
    value = (record_id << 80) | (8 << 76) | (kind << 72) | (first << 64) | (0b10 << 62) \
        | (second << 54) | _check(record_hash, kind, first, second)
    return str(uuid.UUID(int=value))


def read_uuid(text: str) -> Named | None:
    """What a uuid names (unchecked: `checks` confirms it against the record's hash)."""
    try:
        value = uuid.UUID(str(text)).int
    except ValueError:
        return None
    if (value >> 76) & 0xF != 8 or (value >> 62) & 0b11 != 0b10:
        return None
    return Named(value >> 80, (value >> 72) & 0xF, (value >> 64) & 0xFF, (value >> 54) & 0xFF)


def checks(text: str, named: Named, record_hash: str) -> bool:
    return make_uuid(named.record_id, record_hash, named.kind, named.first, named.second) == str(
        uuid.UUID(str(text)))


def fit(text: str, limit: int = SUMMARY_MAX) -> str:
    """At most `limit` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def cards(ctx: Context, record_id: int, record_hash: str, plan_url: str,
          patient: str | None = None) -> list[Card]:
    """The cards for one recorded plan; `patient`: the EHR's Patient id the CarePlans are for."""
    plan = ctx.plan
    indicator = _plan_indicator(plan)
    link = [Link(label="Open the explained plan in Groundwork", url=plan_url)]
    out = [_flag_card(ctx, record_id, record_hash, index, flag, link)
           for index, flag in enumerate(plan.flags) if flag.severity == "critical"]
    out += [_phase_card(ctx, record_id, record_hash, index, indicator, link, patient)
            for index in range(len(plan.phases))]
    if plan.deferred or plan.avoided or plan.not_suitable:
        out.append(_held_card(ctx, record_id, record_hash, link))
    return out


def _plan_indicator(plan: Plan) -> str:
    severities = {f.severity for f in plan.flags}
    for level in ("critical", "warning"):
        if level in severities:
            return INDICATOR[level]
    return "info"


def _source(ctx: Context, rule_ids) -> Source:
    rule_ids = list(dict.fromkeys(rule_ids))
    if not rule_ids:
        return Source(label=f"Groundwork engine, knowledge base {ctx.kb.name} {ctx.kb.version}")
    rule = ctx.kb.fired_rule(rule_ids[0])
    more = f" (+{len(rule_ids) - 1} more rules in the detail)" if len(rule_ids) > 1 else ""
    # Never shortened: the citation is what a reviewer follows up.
    return Source(label=f"Groundwork rule {rule.id}: {rule.source or 'no source given'}{more}")


def _flag_card(ctx, record_id, record_hash, index, flag, link) -> Card:
    rules = ", ".join(f"`{r}`" for r in flag.rules) or "the engine"
    return Card(uuid=make_uuid(record_id, record_hash, FLAG_CARD, index),
                summary=fit(f"Critical: {flag.message}"), indicator="critical",
                detail=f"**{flag.code}**: {flag.message}\n\nRaised by {rules}.\n\n_{DISCLAIMER}_",
                source=_source(ctx, flag.rules), links=link)


def _dose(rec: Recommendation) -> str:
    d = rec.dose
    return (f"{d.frequency} per {d.period}, {d.minutes} minutes, by "
            f"{d.delivered_by.replace('_', ' ')}; in {', '.join(rec.settings)}")


def _because(ctx: Context, rec: Recommendation) -> list[str]:
    lines = []
    for reason in rec.because:
        rule = ctx.kb.rule(reason.rule)
        values = "; ".join(f"`{c.condition}`: client value **{c.actual}**"
                           f" ({'holds' if c.holds else 'does not hold'})" for c in reason.conditions)
        lines.append(f"  - Because rule `{reason.rule}` {reason.version} ({reason.title}): {values}. "
                     f"Source: {rule.source if rule else 'not given'}.")
    return lines


def _create_care_plan(ctx: Context, rec: Recommendation, patient: str | None) -> Action:
    from groundwork.fhir.jsonout import resource_dict
    from groundwork.fhir.plan import care_plan
    resource = resource_dict(care_plan(ctx.plan, only={rec.intervention}, status="active",
                                       intent="plan", subject=patient))
    return Action(type="create", description=f"Add {rec.name} to the patient's care plan",
                  resource=resource)


def _phase_card(ctx, record_id, record_hash, index, indicator, link, patient=None) -> Card:
    phase = ctx.plan.phases[index]
    recs = phase.recommendations
    names = ", ".join(r.name for r in recs)
    count = len(ctx.plan.phases)
    summary = fit(f"Phase {index + 1} of {count}, {phase.name}: {names}")
    lines = [f"**Phase {index + 1}: {phase.name.capitalize()}** ({', '.join(phase.regions)}), "
             "in the order to start them:", ""]
    for rec in recs:
        lines.append(f"- **{rec.name}** (`{rec.intervention}`): {_dose(rec)}.")
        lines += _because(ctx, rec)
    lines += ["", f"Move on when: {'; '.join(phase.move_on_when)}.", "", f"_{DISCLAIMER}_"]
    suggestions = [Suggestion(label=fit(f"Start {r.name}: {_dose(r)}", 200),
                              uuid=make_uuid(record_id, record_hash, SUGGESTION, index, number),
                              actions=[_create_care_plan(ctx, r, patient)])
                   for number, r in enumerate(recs)]
    reasons = [Coding(code=code, system=OVERRIDE_SYSTEM, display=text)
               for code, text in OVERRIDE_REASONS.items()]
    return Card(uuid=make_uuid(record_id, record_hash, PHASE_CARD, index), summary=summary,
                detail="\n".join(lines), indicator=indicator,
                source=_source(ctx, [rule for r in recs for rule in r.rules]),
                suggestions=suggestions, selectionBehavior="any", overrideReasons=reasons, links=link)


def _held_card(ctx, record_id, record_hash, link) -> Card:
    plan = ctx.plan
    counts = [(len(plan.deferred), "deferred"), (len(plan.avoided), "avoided"),
              (len(plan.not_suitable), "not suitable")]
    summary = "Not yet or not now: " + ", ".join(f"{n} {label}" for n, label in counts if n)
    lines = [f"- **{d.name}** (`{d.intervention}`): deferred {d.gate} (now {d.holding_value}); "
             f"rules {', '.join(d.rules) or 'none'}." for d in plan.deferred]
    lines += [f"- **{a.name}** (`{a.intervention}`): avoided, {a.reason}; rules "
              f"{', '.join(a.rules) or 'none (contraindication)'}." for a in plan.avoided]
    lines += [f"- **{n.name}** (`{n.intervention}`): not suitable, {sentence(n.reason)}" for n in plan.not_suitable]
    rules = [r for d in plan.deferred for r in d.rules] + [r for a in plan.avoided for r in a.rules] \
        + [r for n in plan.not_suitable for r in n.rules]
    return Card(uuid=make_uuid(record_id, record_hash, HELD_CARD), summary=fit(summary),
                detail="\n".join(lines + ["", f"_{DISCLAIMER}_"]), indicator="info",
                source=_source(ctx, rules), links=link)


def no_assessment_card(questionnaire_url: str, version: str, page_url: str) -> Card:
    """The one card for a patient without a completed Groundwork assessment: how to make one."""
    detail = "\n".join([
        "Groundwork found no completed assessment for this patient, so it has no plan to show.",
        "", "To get a plan:",
        f"1. Complete the questionnaire `{questionnaire_url}` (version {version}) for this "
        "patient in your record system (your administrator loads it with "
        "`groundwork fhir questionnaire`), or enter the assessment on Groundwork's page.",
        "2. Open the patient's record again: the latest completed response is read "
        "automatically.", "", f"_{DISCLAIMER}_"])
    return Card(uuid=make_uuid(0, "", NO_ASSESSMENT_CARD),
                summary="No Groundwork assessment yet: complete the questionnaire to get a plan",
                detail=detail, indicator="info",
                source=Source(label="Groundwork: explainable, bottom-up intervention planning"),
                links=[Link(label="Enter an assessment in Groundwork", url=page_url)])
