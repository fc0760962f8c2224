"""The HTTP API's own envelopes. What they carry is the CLI's models: the Plan (engine/plan.py),
the explanations (explain/models.py), the instrument (dsl/instrument.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from dsl.instrument import Instrument
from engine.audit.feedback import MAX_COMMENT, OVERRIDE_REASONS
from engine.models import PSEUDONYM
from engine.plan import Plan

if TYPE_CHECKING:  # a Literal built at run time is a plain string to the type checker
    OverrideReason = str
else:
    OverrideReason = Literal[tuple(OVERRIDE_REASONS)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Recorded(BaseModel):
    audit_id: int = Field(title="Audit id", description="Id of the record in the audit store")
    record_hash: str = Field(title="Record hash", description="Hash-chain hash of the record")


class AssessmentResult(Recorded):
    plan: Plan = Field(title="Plan", description="The phased plan, as `groundwork assess -f json`")


class FeedbackEntry(BaseModel):
    audit_id: int = Field(title="Audit id", description="Id of the feedback record")
    recorded_at: str = Field(title="Recorded at", description="UTC time stamp")
    intervention: str = Field(title="Intervention", description="Catalog id")
    outcome: str = Field(title="Outcome", description="accepted or overridden")
    reason: str | None = Field(None, title="Reason", description="Override reason code")


class StoredPlan(Recorded):
    recorded_at: str = Field(title="Recorded at", description="UTC time stamp")
    plan: Plan = Field(title="Plan", description="The plan as the clinician received it")
    feedback: list[FeedbackEntry] = Field(title="Feedback", description="Recorded so far "
                                          "(comments are never returned)")


class FeedbackIn(_In):
    intervention: str = Field(title="Intervention", description="Catalog id of a recommendation "
                              "(or deferred, avoided or not-suitable entry) in the plan",
                              min_length=1, max_length=64)
    outcome: Literal["accepted", "overridden"] = Field(title="Outcome", description="What the "
                                                       "clinician did with the recommendation")
    reason: OverrideReason | None = Field(None, title="Override reason", description="Required "
                                          "when overridden, absent when accepted: " + "; ".join(
                                              f"{k} ({v})" for k, v in OVERRIDE_REASONS.items()))
    comment: str | None = Field(None, title="Comment", max_length=MAX_COMMENT,
                                description="Free text; stored, never logged, never returned")
    by: str | None = Field(None, title="By", pattern=PSEUDONYM,
                           description="Pseudonymous id of the clinician")


class FeedbackOut(Recorded):
    plan_id: int = Field(title="Plan id", description="The assessment record the feedback is on")
    intervention: str = Field(title="Intervention", description="Catalog id")
    outcome: str = Field(title="Outcome", description="accepted or overridden")


class RuleInfo(BaseModel):
    id: str = Field(title="Rule", description="Rule id")
    version: str = Field(title="Version", description="Rule version")
    title: str = Field(title="Title", description="Rule title")
    status: str = Field(title="Status", description="draft, approved or retired")
    evidence: str = Field(title="Evidence level", description="Declared quality of evidence")
    source: str = Field(title="Source", description="Public source the rule cites")
    rationale: str = Field(title="Rationale", description="Why the rule says what it says")
    location: str = Field(title="Location", description="file:line where the rule is written")


class InterventionInfo(BaseModel):
    id: str = Field(title="Intervention", description="Catalog id")
    name: str | None = Field(title="Name", description="Catalog name")
    region: str | None = Field(title="Target region", description="Region the work targets")
    phase: str | None = Field(title="Phase", description="regulate, relate or reason")
    modality: str | None = Field(title="Modality", description="Kind of activity")
    min_developmental_age_months: int = Field(title="Minimum developmental age", description="Months")
    requires: list[str] = Field(title="Prerequisites", description="Started before this")
    contraindicated: list[str] = Field(title="Contraindications", description="Sensitivities that rule it out")
    source: str | None = Field(title="Source", description="Public source")


class KnowledgeBaseInfo(BaseModel):
    name: str = Field(title="Name", description="Knowledge base name")
    version: str = Field(title="Version", description="Declared version")
    hash: str = Field(title="Hash", description="SHA-256 content hash")
    instrument: Instrument = Field(title="Instrument", description="Items, scale and thresholds")
    rules: list[RuleInfo] = Field(title="Rules", description="Every rule, in load order")
    interventions: list[InterventionInfo] = Field(title="Interventions", description="The catalog, by id")


class Health(BaseModel):
    status: Literal["ok"] = Field("ok", title="Status", description="ok when the server answers")


class Readiness(BaseModel):
    status: Literal["ready"] = Field("ready", title="Status",
                                     description="ready when an assessment can be made and recorded")
    knowledge_base: str = Field(title="Knowledge base", description="Name, version and content hash")
    records: int = Field(title="Records", description="Records in the audit store")
