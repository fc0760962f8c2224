"""The open assessment model: what a clinician records about a client, and nothing more.

Ids are pseudonyms; the model has no free-text field, so nothing a case says can reach a log.
Unknown fields are rejected. `groundwork schema` prints the JSON Schema generated from here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints,
                      ValidationInfo, field_validator)

from dsl import vocabulary as v

PSEUDONYM = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"

ArousalState = Literal[v.AROUSAL_STATES]  # type: ignore[valid-type]
Severity = Literal[v.SEVERITIES]  # type: ignore[valid-type]
RelationalLevel = Literal[v.RELATIONAL_LEVELS]  # type: ignore[valid-type]
Period = Literal[v.DEVELOPMENTAL_PERIODS]  # type: ignore[valid-type]
Setting = Literal[v.SETTINGS]  # type: ignore[valid-type]
Sensitivity = Literal[v.SENSITIVITIES]  # type: ignore[valid-type]
Concern = Literal[v.SAFEGUARDING_CONCERNS]  # type: ignore[valid-type]
Role = Literal[v.CAREGIVER_ROLES]  # type: ignore[valid-type]
Regulation = Literal[v.CAREGIVER_REGULATION]  # type: ignore[valid-type]
Informant = Literal[v.INFORMANTS]  # type: ignore[valid-type]
HistorySeverity = Literal[v.HISTORY_SEVERITIES]  # type: ignore[valid-type]
Agreement = Literal[v.AGREEMENT]  # type: ignore[valid-type]
TouchPolicy = Literal[v.TOUCH_POLICIES]  # type: ignore[valid-type]
Suspect = Literal[v.SUSPECTS]  # type: ignore[valid-type]
HarmConcern = Literal[v.HARM_BY_OTHERS]  # type: ignore[valid-type]
ScreenResult = Literal[v.TRAUMA_SCREEN_RESULTS]  # type: ignore[valid-type]
ScreenCode = Literal[v.TRAUMA_SCREENS]  # type: ignore[valid-type]
CatalogId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]


def _whole(value):
    # JSON Schema counts 1.0 as an integer (and RFC 8785 hashes it as 1); text, true/false and
    # 1.5 are not whole numbers
    return int(value) if isinstance(value, float) and value.is_integer() else value


def whole_number(low: int, high: int):
    """A whole number as docs/assessment.schema.json's "integer" means it: "6" and true are
    refused. (The bounds come before the validator so that the schema shows them as min/max.)"""
    return Annotated[int, Strict(), Field(ge=low, le=high), BeforeValidator(_whole)]


def date_as_written(value):
    """A date as the schema writes it, YYYY-MM-DD: pydantic alone would take a number as a Unix
    time and a datetime as a date (a date object, from Python, is one already)."""
    if isinstance(value, dt.date) or (isinstance(value, str)
                                      and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


class _Model(BaseModel):
    # Numbers and booleans are strict field by field, as docs/assessment.schema.json says: "6" or
    # true is not a rating. (Model-wide strict mode would also refuse dates as text.)
    model_config = ConfigDict(extra="forbid", frozen=True)


class Age(_Model):
    years: whole_number(0, 120) = Field(  # type: ignore[valid-type]
        title="Years", description="Whole years of chronological age")
    months: whole_number(0, 11) = Field(  # type: ignore[valid-type]
        0, title="Months", description="Months beyond the whole years")

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months


class Rating(_Model):
    item: str = Field(title="Item", description="Id of an item of the knowledge base's instrument",
                      pattern=r"^[a-z][a-z0-9-]*$")
    value: whole_number(0, 9) | None = Field(  # type: ignore[valid-type]
        title="Value",
        description="Rating on the instrument's scale relative to what is typical for age "
                    "(0 = typical); null when unknown")
    informant: Informant = Field(title="Informant", description="Who the rating is based on")


class Arousal(_Model):
    baseline: ArousalState = Field(title="Baseline state", description="The client's usual state")
    current: ArousalState = Field(title="Current state", description="The client's state now")
    dissociative: bool = Field(False, title="Dissociative indicator", strict=True,
                               description="Signs of a dissociative (shut-down) response")


class PeriodHistory(_Model):
    period: Period = Field(title="Developmental period", description="When it happened")
    adversity: HistorySeverity = Field(
        "unknown", title="Adversity",
        description="Severity of adversity; unknown when it could not be established")
    relational_poverty: HistorySeverity = Field(
        "unknown", title="Relational poverty",
        description="Severity of missing safe relationships; unknown when it could not be "
                    "established")


class RelationalHealth(_Model):
    family: RelationalLevel = Field(title="Family", description="Connectedness to family now")
    community: RelationalLevel = Field(title="Community", description="Connectedness to community now")
    cultural: RelationalLevel = Field(title="Cultural", description="Connectedness to culture now")


class Caregiver(_Model):
    id: str = Field(title="Pseudonym", description="Pseudonymous id of the trusted adult",
                    pattern=PSEUDONYM)
    role: Role = Field(title="Role", description="How this adult relates to the client")
    settings: tuple[Setting, ...] = Field(title="Settings", min_length=1,
                                          description="Where this adult is with the client")
    regulation: Regulation = Field(title="Regulation", description="How regulated the adult is")


class TouchAgreement(_Model):
    client_assent: Agreement = Field(
        "unknown", title="Client's assent",
        description="The client's own agreement to touch-based work (given, declined, unknown: "
                    "not yet asked)")
    carer_consent: Agreement = Field(
        "unknown", title="Carer's consent",
        description="Consent of the person with parental responsibility (or the adult client) to "
                    "touch-based work (given, declined, unknown: not yet asked)")


class SettingTouchPolicy(_Model):
    setting: Setting = Field(title="Setting", description="A setting the client lives or learns in")
    policy: TouchPolicy = Field(
        title="Touch policy",
        description="The setting's policy on body contact in therapeutic work: allowed, restricted "
                    "(only under a protocol agreed case by case) or none")


class SuspectedHarm(_Model):
    concern: HarmConcern = Field(title="Concern",
                                 description="The safeguarding concern about harm by another person")
    suspected: Suspect = Field(
        title="Suspected of causing harm",
        description="The caregiver role suspected of causing the harm, or unknown; never a name")


class SafetyReview(_Model):
    date: dt.date = Field(title="Review date",
                          description="When the safety review was held (on or before the assessment)")

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_written(cls, value):
        return date_as_written(value)
    evocative_work: Literal["may_proceed", "hold"] = Field(
        title="Evocative work",
        description="What the review decided about trauma narrative, exposure, life-story and "
                    "insight work: may_proceed or hold")


class TraumaScreen(_Model):
    result: ScreenResult = Field("not_done", title="Result",
                                 description="not_done, below_threshold or above_threshold")
    screen: ScreenCode | None = Field(None, title="Screen",
                                      description="Code of the validated screen used")


class Assessment(_Model):
    schema_version: Literal["1"] = Field("1", title="Schema version",
                                         description="Version of this assessment format")
    client_id: str = Field(title="Client pseudonym", pattern=PSEUDONYM,
                           description="Pseudonymous client id; never a name")
    assessor_id: str = Field(title="Assessor pseudonym", pattern=PSEUDONYM,
                             description="Pseudonymous id of the assessing clinician")
    assessment_date: dt.date = Field(title="Assessment date", description="Date of the assessment")
    age: Age = Field(title="Age", description="Chronological age")
    ratings: tuple[Rating, ...] = Field(title="Ratings", min_length=1,
                                        description="Ratings of the instrument's items")
    arousal: Arousal = Field(title="Arousal", description="Baseline and current arousal")
    history: tuple[PeriodHistory, ...] = Field(
        (), title="Developmental history",
        description="Adversity and relational poverty per developmental period; a period left "
                    "out is unknown (not none), and the plan treats unknown early history with "
                    "caution")
    relational_health: RelationalHealth = Field(title="Relational health",
                                                description="Connectedness now")
    caregivers: tuple[Caregiver, ...] = Field((), title="Trusted adults",
                                              description="Trusted adults available to the client")
    safeguarding: tuple[Concern, ...] = Field((), title="Safeguarding concerns",
                                              description="Current safeguarding concerns")
    sensitivities: tuple[Sensitivity, ...] = Field(
        (), title="Sensitivities and conditions",
        description="Sensitivities and conditions that rule some activities out")
    settings: tuple[Setting, ...] = Field(title="Settings", min_length=1,
                                          description="Settings the client lives and learns in")
    touch: TouchAgreement = Field(
        TouchAgreement(), title="Agreement to touch",
        description="Assent and consent to touch-based work; unknown (not yet asked) by default, "
                    "which holds body-contact work back until it is asked")
    touch_policies: tuple[SettingTouchPolicy, ...] = Field(
        (), title="Touch policies",
        description="Each setting's policy on body contact; a setting not listed is unknown "
                    "(not allowed) except home, where the carer's consent is the family's policy")
    suspected_harm: tuple[SuspectedHarm, ...] = Field(
        (), title="Suspected of causing harm",
        description="For ongoing maltreatment or exploitation: who is suspected (a caregiver role "
                    "or unknown); a concern recorded without an entry here counts as unknown")
    safety_review: SafetyReview | None = Field(
        None, title="Safety review",
        description="The latest review of current risk; evocative work waits for one that lets "
                    "it proceed")
    trauma_screen: TraumaScreen = Field(
        TraumaScreen(), title="Trauma symptom screen",
        description="The result of a validated trauma symptom screen; not_done by default")
    established: tuple[CatalogId, ...] = Field(
        (), title="Established work",
        description="Catalog ids of interventions recorded as completed or established (at a "
                    "re-assessment or in feedback); prerequisites count only when listed here")
    # at most 2^53 - 1: the largest integer JSON keeps exact (and RFC 8785 can hash)
    previous_record: whole_number(1, 2**53 - 1) | None = Field(  # type: ignore[valid-type]
        None, title="Previous assessment",
        description="Audit record id of this client's previous assessment (its plan id); the plan "
                    "then says what changed since (`since_previous`)")


    @field_validator("suspected_harm")
    @classmethod
    def _suspect_of_a_recorded_concern(cls, value, info: ValidationInfo):
        recorded = info.data.get("safeguarding", ())
        for index, entry in enumerate(value):
            if entry.concern not in recorded:
                raise ValueError(f"entry {index} names '{entry.concern}', which is not among the "
                                 "safeguarding concerns; add it there or remove the entry")
        return value

    @field_validator("safety_review")
    @classmethod
    def _review_has_taken_place(cls, value, info: ValidationInfo):
        date = info.data.get("assessment_date")
        if value is not None and date is not None and value.date > date:
            raise ValueError("the review is dated after the assessment; record a review that has "
                             "taken place")
        return value

    @field_validator("assessment_date", mode="before")
    @classmethod
    def _date_as_written(cls, value):
        return date_as_written(value)
