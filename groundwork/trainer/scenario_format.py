"""The rule-scenario file format (`*.scenario.toml`), as pydantic models; docs/trainers.md shows it.

A file holds one or more `[[scenario]]` tables. Each names a client — a shorthand `profile`, or a
full `assessment` (a path to an assessment JSON file, relative to the scenario file, or an inline
table) — and what the plan for that client must show (`expect`). Unknown keys are errors, so a
misspelt expectation can never pass silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from dsl import vocabulary as v
from engine.models import whole_number

NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"

if TYPE_CHECKING:  # a Literal built at run time is a plain string to the type checker
    Band = str
else:
    Band = Literal[v.BANDS + (v.INSUFFICIENT,)]
PhaseName = Literal["regulate", "relate", "reason"]
Severity = Literal[v.HISTORY_SEVERITIES]  # type: ignore[valid-type]
Agreement = Literal[v.AGREEMENT]  # type: ignore[valid-type]


def _named(key: str):
    """Let a plain string stand for a table with only `key` (`"x"` = `{ intervention = "x" }`)."""
    return BeforeValidator(lambda value: {key: value} if isinstance(value, str) else value)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgeSpec(_Strict):
    years: whole_number(0, 120) = Field(description="Whole years")  # type: ignore[valid-type]
    months: whole_number(0, 11) = Field(0, description="Months beyond the whole years")  # type: ignore[valid-type]


class ArousalSpec(_Strict):
    current: Literal[v.AROUSAL_STATES] = "calm"  # type: ignore[valid-type]
    baseline: Literal[v.AROUSAL_STATES] = "calm"  # type: ignore[valid-type]
    dissociative: StrictBool = False


class CaregiverSpec(_Strict):
    role: Literal[v.CAREGIVER_ROLES] = "parent"  # type: ignore[valid-type]
    regulation: Literal[v.CAREGIVER_REGULATION] = "well_regulated"  # type: ignore[valid-type]
    settings: tuple[Literal[v.SETTINGS], ...] = Field(("home",), min_length=1)  # type: ignore[valid-type]


class HistorySpec(_Strict):
    adversity: Severity = "none"
    relational_poverty: Severity = "none"


class TouchSpec(_Strict):
    client_assent: Agreement = "unknown"
    carer_consent: Agreement = "unknown"


class SafetyReviewSpec(_Strict):
    weeks_ago: int = Field(ge=0, le=520, description="Weeks before the assessment date")
    evocative_work: Literal["may_proceed", "hold"] = "may_proceed"


class RelationalHealthSpec(_Strict):
    family: Literal[v.RELATIONAL_LEVELS] = "adequate"  # type: ignore[valid-type]
    community: Literal[v.RELATIONAL_LEVELS] = "adequate"  # type: ignore[valid-type]
    cultural: Literal[v.RELATIONAL_LEVELS] = "adequate"  # type: ignore[valid-type]


class ProfileSpec(_Strict):
    """The shorthand: only what matters for the rules under test; the rest is neutral."""

    # As strict as an assessment (engine/models.py): "6" and true are not numbers
    age: Union[whole_number(0, 120), AgeSpec] = 10  # type: ignore[valid-type]
    bands: dict[str, Band] = {}
    ratings: dict[str, Union[whole_number(0, 9), None]] = {}  # type: ignore[valid-type]
    arousal: ArousalSpec = ArousalSpec()
    sensitivities: tuple[Literal[v.SENSITIVITIES], ...] = ()  # type: ignore[valid-type]
    safeguarding: tuple[Literal[v.SAFEGUARDING_CONCERNS], ...] = ()  # type: ignore[valid-type]
    settings: tuple[Literal[v.SETTINGS], ...] = Field(("home", "school"), min_length=1)  # type: ignore[valid-type]
    caregivers: tuple[CaregiverSpec, ...] = (CaregiverSpec(),)
    relational_health: RelationalHealthSpec = RelationalHealthSpec()
    history: dict[Literal[v.DEVELOPMENTAL_PERIODS], HistorySpec] = {}  # type: ignore[valid-type]
    touch: TouchSpec = TouchSpec()
    touch_policies: dict[Literal[v.SETTINGS], Literal[v.TOUCH_POLICIES]] = {}  # type: ignore[valid-type]
    suspected_harm: dict[Literal[v.HARM_BY_OTHERS], Literal[v.SUSPECTS]] = {}  # type: ignore[valid-type]
    safety_review: SafetyReviewSpec | None = None
    trauma_screen: Literal[v.TRAUMA_SCREEN_RESULTS] = "not_done"  # type: ignore[valid-type]
    established: tuple[str, ...] = ()


class Recommended(_Strict):
    intervention: str
    phase: PhaseName | None = None
    before: str | None = None


class Deferred(_Strict):
    intervention: str
    gate: str | None = Field(None, description="Text the gate (or the value holding it) mentions")


class FlagSpec(_Strict):
    code: str
    severity: Literal[v.SEVERITY_OF_FLAG] | None = None  # type: ignore[valid-type]


class Explanation(_Strict):
    intervention: str
    contains: str = Field(min_length=1)


class Intervention(_Strict):
    intervention: str


class Rule(_Strict):
    rule: str


class Flag(_Strict):
    code: str


class Expect(_Strict):
    recommended: tuple[Annotated[Recommended, _named("intervention")], ...] = ()
    not_recommended: tuple[Annotated[Intervention, _named("intervention")], ...] = ()
    # Proposed by a rule but over the load budget: on the plan's menu (engine/carry.py).
    on_menu: tuple[Annotated[Intervention, _named("intervention")], ...] = ()
    avoided: tuple[Annotated[Intervention, _named("intervention")], ...] = ()
    deferred: tuple[Annotated[Deferred, _named("intervention")], ...] = ()
    flags: tuple[Annotated[FlagSpec, _named("code")], ...] = ()
    not_flags: tuple[Annotated[Flag, _named("code")], ...] = ()
    explanations: tuple[Explanation, ...] = ()
    no_action: bool | None = None
    fired: tuple[Annotated[Rule, _named("rule")], ...] = ()
    not_fired: tuple[Annotated[Rule, _named("rule")], ...] = ()

    def count(self) -> int:
        lists = (self.recommended, self.not_recommended, self.on_menu, self.avoided, self.deferred, self.flags,
                 self.not_flags, self.explanations, self.fired, self.not_fired)
        return sum(len(x) for x in lists) + (self.no_action is not None)


class ScenarioSpec(_Strict):
    name: str = Field(pattern=NAME, description="Unique name; letters, digits, '-' or '_'")
    description: str = ""
    profile: ProfileSpec | None = None
    assessment: Union[str, dict, None] = None
    expect: Expect


class ScenarioFile(_Strict):
    scenario: tuple[ScenarioSpec, ...] = Field(min_length=1)


def known_keys() -> set[str]:
    """Every key the format knows, for 'did you mean' on a misspelt one."""
    models = (ScenarioFile, ScenarioSpec, Expect, ProfileSpec, AgeSpec, ArousalSpec, CaregiverSpec,
              HistorySpec, RelationalHealthSpec, Recommended, Deferred, FlagSpec, Explanation)
    return {name for model in models for name in model.model_fields}
