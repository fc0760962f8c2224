"""The plan a clinician receives, as pydantic models. Field names here are the output contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dsl.vocabulary import SEVERITY_OF_FLAG

PhaseName = Literal["regulate", "relate", "reason"]
TrackName = Literal["client", "support"]
GuidanceState = Literal["calm", "alarm", "fear", "dissociated"]
Period = Literal["day", "week"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Dose(_Out):
    frequency: int = Field(title="Frequency", description="Doses per period")
    period: Period = Field(title="Period", description="Per day or per week")
    minutes: int = Field(title="Minutes", description="Minutes per dose")
    delivered_by: str = Field(title="Delivered by", description="Who delivers each dose")


class ConditionValue(_Out):
    condition: str = Field(title="Condition", description="The condition as written in the rule")
    actual: str = Field(title="Actual value", description="The client's value")
    holds: bool = Field(title="Holds", description="Whether the condition is true for the client")


class Reason(_Out):
    rule: str = Field(title="Rule", description="Rule id")
    version: str = Field(title="Rule version", description="Rule version")
    title: str = Field(title="Rule title", description="Rule title")
    conditions: tuple[ConditionValue, ...] = Field(
        title="Conditions", description="Each condition of the rule with the client's value")


class Delivery(_Out):
    setting: str = Field(title="Setting", description="Where")
    delivered_by: str = Field(title="Delivered by", description="Who delivers it there (a deliverer: "
                              "caregiver, teacher, residential_staff, mentor, therapist)")
    adults: tuple[str, ...] = Field((), title="Adults", description=(
        "Pseudonyms of the client's trusted adults in that setting who can deliver it, lead "
        "first; empty when nobody is named yet"))
    professional: bool = Field(False, title="Professional",
                               description="Delivered by the treating therapist")
    find_person: bool = Field(False, title="Find a person", description=(
        "Daily work with nobody named to carry it here: the plan's support track has the action "
        "to name one (name-a-key-adult)"))


class Recommendation(_Out):
    intervention: str = Field(title="Intervention", description="Catalog id")
    name: str = Field(title="Name", description="Catalog name")
    target_region: str = Field(title="Target region", description="Region the work targets")
    modality: str = Field(title="Modality", description="Kind of activity")
    dose: Dose = Field(title="Dose", description="How often, how long, by whom")
    settings: tuple[str, ...] = Field(title="Settings", description="Where to deliver it")
    priority: int = Field(title="Priority", description="1 first; ties broken by id")
    prerequisites: tuple[str, ...] = Field(title="Prerequisites", description="Started before this")
    rules: tuple[str, ...] = Field(title="Rules", description="Rules that recommended it")
    because: tuple[Reason, ...] = Field(title="Because", description="Why, rule by rule")
    dose_notes: tuple[str, ...] = Field((), title="Dose notes",
                                        description="How and why the default dose was changed")
    once: bool = Field(False, title="Once", description=(
        "An action done once (a referral, a review, a plan written with the adults), not a "
        "repeated activity: the dose is its one sitting, and the load budget does not count it")
    )
    track: TrackName = Field("client", title="Track", description=(
        "client: the client's own work, sequenced bottom-up; support: work for the adults and "
        "settings around the client, never gated by the client's bands or arousal state"))
    in_place_of: tuple[str, ...] = Field(
        (), title="In place of",
        description="Body-contact work held back by the touch conditions that this no-touch "
                    "alternative is offered instead of")
    delivery: tuple[Delivery, ...] = Field((), title="Delivery",
                                           description="Who delivers it in each setting")
    routines: tuple[str, ...] = Field((), title="Routines", description=(
        "Existing routines the daily doses are attached to (waking, meals, transitions, bedtime, "
        "school_day)"))


class PhasePlan(_Out):
    name: PhaseName = Field(title="Phase", description="regulate, relate or reason")
    regions: tuple[str, ...] = Field(title="Regions", description="Regions this phase works on")
    recommendations: tuple[Recommendation, ...] = Field(title="Recommendations",
                                                        description="In the order to start them")
    move_on_when: tuple[str, ...] = Field(
        title="Move on when", description="What must change before the next phase opens")


class Deferred(_Out):
    intervention: str = Field(title="Intervention", description="Catalog id")
    name: str = Field(title="Name", description="Catalog name")
    phase: PhaseName = Field(title="Phase", description="Phase it belongs to")
    gate: str = Field(title="Gate", description="What must become true before it starts")
    gate_kind: Literal["region", "arousal", "rule", "prerequisite", "protocol"] = Field(
        title="Gate kind",
        description="Which constraint holds it back (protocol: one trauma-processing protocol at "
                    "a time)")
    holding_value: str = Field(title="Holding value", description="The value that holds the gate shut")
    rules: tuple[str, ...] = Field(title="Rules", description="Rules that proposed or deferred it")
    track: TrackName = Field("client", title="Track", description="client or support (see Recommendation)")


class Avoided(_Out):
    intervention: str = Field(title="Intervention", description="Catalog id")
    name: str = Field(title="Name", description="Catalog name")
    rules: tuple[str, ...] = Field(title="Rules", description="Rules that avoided it")
    reason: str = Field(title="Reason", description="Why it is avoided")
    proposed_by: tuple[str, ...] = Field((), title="Proposed by",
                                         description="Rules that recommended it (avoid wins)")


class NotSuitable(_Out):
    intervention: str = Field(title="Intervention", description="Catalog id")
    name: str = Field(title="Name", description="Catalog name")
    reason: str = Field(title="Reason", description="Why it cannot be offered to this client")
    rules: tuple[str, ...] = Field(title="Rules", description="Rules that recommended it")


class Flag(_Out):
    code: str = Field(title="Code", description="Stable flag code")
    severity: Literal[SEVERITY_OF_FLAG] = Field(  # type: ignore[valid-type]
        title="Severity", description="info, warning, critical")
    message: str = Field(title="Message", description="For clinician review")
    rules: tuple[str, ...] = Field(title="Rules", description="Rules that raised it (empty: engine)")
    actions: tuple[str, ...] = Field(
        (), title="Actions",
        description="Catalog ids of the actions the flag brings into the plan (a critical flag "
                    "always brings one)")


class NoAction(_Out):
    reason: str = Field(title="Reason", description="Why no action is needed")
    rules: tuple[str, ...] = Field(title="Rules", description="Rules that said so")


class RegionSummary(_Out):
    region: str = Field(title="Region", description="Region name")
    phase: PhaseName = Field(title="Phase", description="Phase for work on this region")
    score: float | None = Field(title="Score", description="Mean rating 0 (typical) to 3; null if insufficient")
    band: str = Field(title="Band", description="typical, mild, moderate, severe or insufficient")
    known_ratings: int = Field(title="Known ratings", description="Ratings that were known")
    items: int = Field(title="Items", description="Items loading on this region that are due at "
                                                  "the client's age")
    not_due: int = Field(0, title="Not due", description="Items of this region not rated at the client's age")
    borderline: bool = Field(False, title="Borderline",
                             description="The score is within the knowledge base's margin of a band edge")
    borderline_note: str | None = Field(None, title="Borderline note",
                                        description="Which single rating would change the band")


class DomainSummary(_Out):
    domain: str = Field(title="Domain", description="Domain name")
    score: float | None = Field(title="Score", description="Mean rating 0 (typical) to 3")
    band: str = Field(title="Band", description="Band, or insufficient")
    known_ratings: int = Field(title="Known ratings", description="Ratings that were known")
    items: int = Field(title="Items", description="Items in this domain that are due at the client's age")
    not_due: int = Field(0, title="Not due", description="Items of this domain not rated at the client's age")
    borderline: bool = Field(False, title="Borderline",
                             description="The score is within the knowledge base's margin of a band edge")
    borderline_note: str | None = Field(None, title="Borderline note",
                                        description="Which single rating would change the band")


class StageEstimate(_Out):
    name: str = Field(title="Domain or region", description="What the estimate is for ('overall': every item)")
    estimate_months: int | None = Field(
        title="Estimated functional stage", description="In months; an estimate, null when too few "
        "items are known (see reason)")
    basis_items: tuple[str, ...] = Field(
        title="Basis", description="Due items whose function is typically established by the "
        "client's age: what the estimate is based on")
    known_items: tuple[str, ...] = Field(title="Known", description="Of those, the items rated")
    credit: float = Field(title="Credit", description="Sum of the stage credits of the known ratings")
    reason: str | None = Field(None, title="Reason", description="Why there is no estimate")


class FunctionalProfile(_Out):
    label: Literal["estimate"] = Field("estimate", title="Label",
                                       description="Always an estimate, never a measurement")
    method: str = Field(title="Method", description="How the estimates are computed (docs/scoring.md)")
    domains: tuple[StageEstimate, ...] = Field(title="Domains", description="One estimate per domain")
    regions: tuple[StageEstimate, ...] = Field(title="Regions", description="One estimate per region")
    overall: StageEstimate = Field(title="Overall", description="Over every item: the summary "
                                   "behind developmental_age_months")


class ItemFlag(_Out):
    item: str = Field(title="Item", description="Instrument item id")
    text: str = Field(title="Function", description="The function, in the instrument's words")
    region: str = Field(title="Region", description="Region the item loads on")
    domain: str = Field(title="Domain", description="Domain of the item")
    value: int = Field(title="Rating", description="The rating used (severely below typical)")
    informants: tuple[str, ...] = Field(title="Informants", description="Who rated it")
    referral: str | None = Field(None, title="Referral", description="Referral id the instrument attaches, if any")
    referral_name: str | None = Field(None, title="Referral name", description="To whom, in plain words")
    message: str = Field(title="Message", description="For clinician review")


class ArousalSummary(_Out):
    current: str = Field(title="Current", description="Arousal state now")
    baseline: str = Field(title="Baseline", description="Usual arousal state")
    dissociative: bool = Field(title="Dissociative", description="Dissociative indicator")


class Review(_Out):
    interval_weeks: int = Field(title="Interval", description="Weeks until the plan is reviewed")
    reason: str = Field(title="Reason", description="Why this interval")


class Provenance(_Out):
    kb_name: str = Field(title="Knowledge base", description="Name of the knowledge base")
    kb_version: str = Field(title="Knowledge base version", description="Its declared version")
    kb_hash: str = Field(title="Knowledge base hash", description="SHA-256 of its content")
    engine_version: str = Field(title="Engine version", description="groundwork-cds version")
    input_hash: str = Field(title="Input hash", description="SHA-256 of the canonical input")
    drafts: bool = Field(False, title="Drafts", description="Whether draft rules were included")
    instrument_name: str = Field("", title="Instrument", description="Name of the instrument the ratings are on")
    instrument_version: str = Field("", title="Instrument version", description="Its declared version")


class BandChange(_Out):
    name: str = Field(title="Region or domain", description="Its name")
    before: str = Field(title="Band before", description="At the earlier assessment")
    after: str = Field(title="Band after", description="At the later assessment")
    steps: int | None = Field(title="Steps", description="Bands moved: negative better, positive "
                                                         "worse; null when not comparable")


class ItemChange(_Out):
    intervention: str = Field(title="Intervention", description="Catalog id")
    before: str = Field(title="Before", description="Its placement at the earlier assessment")
    after: str = Field(title="After", description="Its placement at the later assessment")
    rules: tuple[str, ...] = Field(title="Rules", description="Rules behind both placements")


class PlanChange(_Out):
    regions: tuple[BandChange, ...] = Field(title="Region bands that changed", description="Lowest first")
    domains: tuple[BandChange, ...] = Field(title="Domain bands that changed", description="As declared")
    flags_raised: tuple[str, ...] = Field(title="Flags raised", description="Flag codes")
    flags_dropped: tuple[str, ...] = Field(title="Flags no longer raised", description="Flag codes")
    started: tuple[ItemChange, ...] = Field(title="Started", description="Newly recommended")
    released: tuple[ItemChange, ...] = Field(title="Released from a gate",
                                             description="Deferred before, recommended now")
    stopped: tuple[ItemChange, ...] = Field(title="Stopped", description="No longer recommended")
    rules: tuple[str, ...] = Field(title="Rules responsible", description="Behind any change above")


class SincePrevious(PlanChange):
    record_id: int = Field(title="Previous record", description="Audit id of the previous assessment")
    record_hash: str = Field(title="Previous record hash", description="Its hash in the audit chain")
    assessment_date: str = Field(title="Previous assessment date", description="Its date")


class MenuItem(_Out):
    intervention: str = Field(title="Intervention", description="Catalog id")
    name: str = Field(title="Name", description="Catalog name")
    phase: PhaseName = Field(title="Phase", description="Phase it belongs to")
    track: TrackName = Field(title="Track", description="client or support")
    priority: int = Field(title="Priority", description="As in the plan")
    dose: Dose = Field(title="Dose", description="The dose it would have")
    delivery: tuple[Delivery, ...] = Field(title="Delivery", description="Who would deliver it where")
    rules: tuple[str, ...] = Field(title="Rules", description="Rules that recommended it")
    reason: str = Field(title="Reason", description="Why it is on the menu and not in the plan")


class LoadLine(_Out):
    name: str = Field(title="Deliverer or setting", description=(
        "A trusted adult's pseudonym, a role not yet named in a setting (teacher@school) or "
        "therapist; or a setting"))
    settings: tuple[str, ...] = Field(title="Settings", description="Where this load falls")
    activities: int = Field(title="Activities", description="Active activities")
    sessions_per_day: float = Field(title="Sessions a day", description="Doses a day (weekly ones / 7)")
    minutes_per_day: float = Field(title="Minutes a day", description="Minutes a day (weekly ones / 7)")
    budget_activities: int | None = Field(title="Activity budget", description="The most allowed")
    budget_minutes: int | None = Field(None, title="Minutes budget",
                                       description="The most minutes a day allowed (deliverers)")


class Load(_Out):
    ages: str = Field(title="Budget ages", description="The age range of the budget applied")
    per_deliverer: int | None = Field(title="Activities per deliverer", description="Budget")
    per_setting: int | None = Field(title="Activities per setting", description="Budget")
    minutes_per_day: int | None = Field(title="Minutes a day per deliverer", description="Budget")
    deliverers: tuple[LoadLine, ...] = Field(title="Deliverers", description="Load per deliverer")
    settings: tuple[LoadLine, ...] = Field(title="Settings", description="Load per setting")
    within_budget: bool = Field(title="Within budget", description="Every line within its budget")


class StateGuidance(_Out):
    state: GuidanceState = Field(
        title="State", description="calm (calm or alert), alarm, fear (fear or terror), dissociated")
    arousal_states: tuple[str, ...] = Field(title="Arousal states", description="What it covers")
    lead: bool = Field(title="Lead", description="The state to lead with today (the assessment's)")
    do: tuple[str, ...] = Field(title="Do", description="What the adults do")
    avoid: tuple[str, ...] = Field(title="Avoid", description="What the adults avoid")
    activities: tuple[str, ...] = Field(title="Activities", description=(
        "Active client activities that fit this state, in plan order"))
    rules: tuple[str, ...] = Field(title="Rules", description="Rules the guidance comes from")


class Plan(_Out):
    client_id: str = Field(title="Client pseudonym", description="From the assessment")
    assessment_date: str = Field(title="Assessment date", description="From the assessment")
    flags: tuple[Flag, ...] = Field(title="Flags", description="For clinician review, critical first")
    regions: tuple[RegionSummary, ...] = Field(title="Regions", description="Lowest first")
    domains: tuple[DomainSummary, ...] = Field(title="Domains", description="As declared")
    developmental_age_months: int = Field(
        title="Developmental age (summary estimate)",
        description="The overall functional stage estimate (profile.overall), or the chronological "
                    "age when too few items are known: a summary only, never above the "
                    "chronological age; no rule uses it to withhold work for the adults")
    profile: FunctionalProfile | None = Field(
        None, title="Functional profile",
        description="Estimated functional stage by domain and region, with its basis")
    item_flags: tuple[ItemFlag, ...] = Field(
        (), title="Item flags",
        description="Items rated severely below typical, whatever their region's band")
    not_due_items: tuple[str, ...] = Field(
        (), title="Not due",
        description="Items not rated at the client's age (neither known nor missing)")
    chronological_age_months: int = Field(title="Chronological age", description="In months")
    arousal: ArousalSummary = Field(title="Arousal", description="States from the assessment")
    phases: tuple[PhasePlan, ...] = Field(title="Phases", description="In order; empty ones omitted")
    deferred: tuple[Deferred, ...] = Field(title="Deferred", description="Not yet, with the gate")
    avoided: tuple[Avoided, ...] = Field(title="Avoided", description="Not now, with the reason")
    not_suitable: tuple[NotSuitable, ...] = Field(title="Not suitable",
                                                  description="Cannot be offered to this client")
    no_action: tuple[NoAction, ...] = Field(title="No action needed",
                                            description="Profiles the rules say need nothing")
    review: Review = Field(title="Review", description="When to review the plan")
    provenance: Provenance = Field(title="Provenance", description="What produced this plan")
    menu: tuple[MenuItem, ...] = Field((), title="Menu", description=(
        "Recommended but over the load budget: the clinician can swap any of these in"))
    load: Load | None = Field(None, title="Load", description=(
        "Activities, sessions and minutes a day per deliverer and setting, against the budget"))
    state_guidance: tuple[StateGuidance, ...] = Field((), title="State guidance", description=(
        "What the adults do and avoid in each state, and which planned activities fit it"))
    # A plan that names no previous assessment is exactly the plan it always was: the field is
    # left out rather than written as null (a field-level rule, so pydantic's serialiser stays in
    # Rust; a model-level wrap serialiser built the whole plan as Python dicts first).
    since_previous: SincePrevious | None = Field(
        None, title="Since the previous assessment",
        description="What changed since the assessment this one names (`previous_record`); "
                    "absent when it names none", exclude_if=lambda value: value is None)
