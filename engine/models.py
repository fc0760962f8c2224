"""The open assessment model: what a clinician records about a client, and nothing more.

Ids are pseudonyms; the model has no free-text field, so nothing a case says can reach a log.
Unknown fields are rejected. `groundwork schema` prints the JSON Schema generated from here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, field_validator

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


def _whole(value):
    # JSON Schema counts 1.0 as an integer (and RFC 8785 hashes it as 1); text, true/false and
    # 1.5 are not whole numbers
    return int(value) if isinstance(value, float) and value.is_integer() else value


def whole_number(low: int, high: int):
    """A whole number as docs/assessment.schema.json's "integer" means it: "6" and true are
    refused. (The bounds come before the validator so that the schema shows them as min/max.)"""
    return Annotated[int, Strict(), Field(ge=low, le=high), BeforeValidator(_whole)]


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
    adversity: Severity = Field(title="Adversity", description="Severity of adversity")
    relational_poverty: Severity = Field(title="Relational poverty",
                                         description="Severity of missing safe relationships")


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
                    "out is recorded as none")
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
    # at most 2^53 - 1: the largest integer JSON keeps exact (and RFC 8785 can hash)
    previous_record: whole_number(1, 2**53 - 1) | None = Field(  # type: ignore[valid-type]
        None, title="Previous assessment",
        description="Audit record id of this client's previous assessment (its plan id); the plan "
                    "then says what changed since (`since_previous`)")

    @field_validator("assessment_date", mode="before")
    @classmethod
    def _date_as_written(cls, value):
        # pydantic would take a number as a Unix time and a datetime as a date; the schema says a
        # date written YYYY-MM-DD (a date object, from Python, is one already).
        if isinstance(value, dt.date) or (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
            return value
        raise ValueError("must be a date written YYYY-MM-DD")
