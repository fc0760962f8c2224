"""The explanation a QA reviewer reads: pydantic models, published as docs/explanation.schema.json.

Three kinds share one schema, told apart by `kind`: `why` (an active recommendation), `why_not`
(any other catalog intervention) and `trace` (every firing of one assessment). Every value is the
client's own value as the rules saw it, rendered as text the way a rule writes it (`severe`,
`2.57`, `{home, school}`), so that text, JSON, DOT and HTML all show the same words.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel

from engine.plan import Dose, Provenance

Combine = Literal["fact", "all", "any", "not"]
WhyNotStatus = Literal["active", "deferred", "avoided", "not_suitable", "never_proposed"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class Check(_Out):
    """One condition evaluated on the client's values; `and`/`or`/`not` nodes hold their parts."""

    condition: str = Field(title="Condition", description="The condition as the rule writes it")
    combine: Combine = Field(
        "fact", title="Combination",
        description="fact: a single test; all/any: every/one of `parts` must hold; not: the part must not")
    fact: str | None = Field(None, title="Fact", description="Fact path or derived fact tested (fact only)")
    actual: str | None = Field(None, title="Actual value", description="The client's value (fact only)")
    required: str | None = Field(None, title="Required",
                                 description="What the rule requires, e.g. '>= moderate' (fact only)")
    holds: bool = Field(title="Holds", description="Whether this condition is true for the client")
    parts: tuple["Check", ...] = Field((), title="Parts", description="Sub-conditions, in reading order")


class DerivedFact(_Out):
    """A fact that rules derive for other rules, and how the client came to have it (or not)."""

    fact: str = Field(title="Fact", description="Derived fact name")
    description: str = Field(title="Description", description="What the fact means")
    derived: bool = Field(title="Derived", description="Whether some rule derived it for this client")
    derived_by: tuple["RuleEvidence", ...] = Field(
        (), title="Derived by", description="The rules that derived it, with their conditions")
    could_derive: tuple["RuleMiss", ...] = Field(
        (), title="Could derive", description="When not derived: each rule that could, and why it did not")


class RuleEvidence(_Out):
    """A rule that fired, with its header and every condition on the client's values."""

    rule: str = Field(title="Rule", description="Rule id")
    version: str = Field(title="Version", description="Rule version")
    title: str = Field(title="Title", description="Rule title")
    status: str = Field(title="Status", description="draft, approved or retired")
    evidence: str = Field(title="Evidence level", description="Declared quality of evidence")
    rationale: str = Field(title="Rationale", description="Why the rule says what it says")
    source: str = Field(title="Source", description="Public source the rule cites")
    location: str = Field(title="Location", description="file:line where the rule is written")
    conditions: Check = Field(title="Conditions", description="The rule's `when`, evaluated")
    says: tuple[str, ...] = Field((), title="Says",
                                  description="What the rule does about this intervention")
    derived_facts: tuple[DerivedFact, ...] = Field(
        (), title="Derived facts", description="The chain behind each derived fact the rule uses")


class RuleMiss(_Out):
    """A rule that did not fire, and the first condition that kept it from firing."""

    rule: str = Field(title="Rule", description="Rule id")
    version: str = Field(title="Version", description="Rule version")
    title: str = Field(title="Title", description="Rule title")
    status: str = Field(title="Status", description="draft, approved or retired")
    location: str = Field(title="Location", description="file:line where the rule is written")
    first_failing: Check | None = Field(
        None, title="First failing condition",
        description="The first condition, in reading order, that is false for the client")
    note: str | None = Field(None, title="Note",
                             description="Why it did not fire when no condition failed (draft, retired)")
    derived_fact: DerivedFact | None = Field(
        None, title="Derived fact", description="When the failing test is a derived fact: its chain")


class ItemRating(_Out):
    item: str = Field(title="Item", description="Instrument item id")
    function: str = Field(title="Function", description="The function rated (instrument text)")
    value: int | None = Field(title="Value", description="The rating; null when unknown or not rated")
    informant: str | None = Field(title="Informant", description="Who the rating is based on")
    meaning: str = Field(title="Meaning", description="The scale label of the value, or 'not rated'")


class ScoreEvidence(_Out):
    """A region or domain band, back to the item ratings it was computed from."""

    name: str = Field(title="Name", description="Region or domain")
    kind: Literal["region", "domain"] = Field(title="Kind", description="region or domain")
    score: float | None = Field(title="Score", description="Mean known rating, 0 (typical) to 3")
    band: str = Field(title="Band", description="typical, mild, moderate, severe or insufficient")
    band_rule: str = Field(title="Band rule", description="Which thresholds give this band")
    known_ratings: int = Field(title="Known ratings", description="Ratings that were known")
    items: int = Field(title="Items", description="Items loading on it")
    ratings: tuple[ItemRating, ...] = Field(title="Ratings", description="Every item, in instrument order")


class FactValue(_Out):
    fact: str = Field(title="Fact", description="Fact path")
    value: str = Field(title="Value", description="The client's value")
    origin: str = Field(title="Origin", description="Where in the assessment the value comes from")


class Gate(_Out):
    """One constraint the sequencer checks before an intervention can be active."""

    kind: Literal["avoid", "contraindication", "developmental_age", "settings", "rule", "region",
                  "arousal", "prerequisite"] = Field(title="Kind", description="Which constraint")
    passed: bool = Field(title="Passed", description="Whether the constraint lets it through now")
    text: str = Field(title="Text", description="The constraint in a short sentence")
    value: str = Field(title="Value", description="The client's value it was checked against")
    rules: tuple[str, ...] = Field((), title="Rules", description="Rules behind the constraint")


class Sequencing(_Out):
    phase: str = Field(title="Phase", description="regulate, relate or reason")
    phase_number: int = Field(title="Phase number", description="1-based, among the plan's phases")
    target_region: str = Field(title="Target region", description="Region the work targets")
    position: int = Field(title="Position", description="1-based place in the phase's start order")
    of: int = Field(title="Of", description="Recommendations in the phase")
    priority: int = Field(title="Priority", description="1 first; default 5")
    prerequisites: tuple[str, ...] = Field(title="Prerequisites", description="Must start before it")
    starts_after: tuple[str, ...] = Field(title="Starts after",
                                          description="Recommendations before it in the phase")
    order_rule: str = Field(title="Order rule", description="How the start order is decided")
    gates: tuple[Gate, ...] = Field(title="Gates", description="Every constraint checked, in order")
    dose: Dose = Field(title="Dose", description="The dose in the plan")
    dose_notes: tuple[str, ...] = Field((), title="Dose notes",
                                        description="How and why the catalog's default dose was changed")
    settings: tuple[str, ...] = Field(title="Settings", description="Where it is delivered")


class Why(_Out):
    kind: Literal["why"] = Field("why", title="Kind", description="why: an active recommendation")
    client_id: str = Field(title="Client pseudonym", description="From the assessment")
    intervention: str = Field(title="Intervention", description="Catalog id")
    name: str = Field(title="Name", description="Catalog name")
    summary: str = Field(title="Summary", description="One sentence for a clinician")
    rules: tuple[RuleEvidence, ...] = Field(title="Rules", description="Each rule that recommended it")
    scores: tuple[ScoreEvidence, ...] = Field(
        title="Scores", description="Every band used above, back to the item ratings")
    facts: tuple[FactValue, ...] = Field(title="Facts", description="Other client values used above")
    sequencing: Sequencing = Field(title="Sequencing", description="What fixed its phase and position")
    provenance: Provenance = Field(title="Provenance", description="What produced the plan")


class WhyNot(_Out):
    kind: Literal["why_not"] = Field("why_not", title="Kind",
                                     description="why_not: any catalog intervention not active")
    client_id: str = Field(title="Client pseudonym", description="From the assessment")
    intervention: str = Field(title="Intervention", description="Catalog id")
    name: str = Field(title="Name", description="Catalog name")
    status: WhyNotStatus = Field(
        title="Status", description="Where the intervention stands in the plan")
    summary: str = Field(title="Summary", description="One sentence for a clinician")
    gates: tuple[Gate, ...] = Field((), title="Gates",
                                    description="The constraints checked; the holding one first")
    rules: tuple[RuleEvidence, ...] = Field(
        (), title="Rules", description="Rules that avoided or deferred it, with their conditions")
    overridden: tuple[RuleEvidence, ...] = Field(
        (), title="Overridden", description="Rules that recommended it but were overruled (avoid wins)")
    candidates: tuple[RuleMiss, ...] = Field(
        (), title="Candidates", description="Never proposed: every rule that could recommend it")
    scores: tuple[ScoreEvidence, ...] = Field((), title="Scores", description="Bands used above")
    facts: tuple[FactValue, ...] = Field((), title="Facts", description="Other client values used")
    provenance: Provenance = Field(title="Provenance", description="What produced the plan")


class MatchedFact(_Out):
    fact: str = Field(title="Fact", description="Fact path (a set member as path has member)")
    value: str = Field(title="Value", description="Decoded value the rule matched on")


class TraceFiring(_Out):
    index: int = Field(title="Index", description="1-based place in canonical order")
    rule: str = Field(title="Rule", description="Rule id")
    version: str = Field(title="Version", description="Rule version")
    stratum: int = Field(title="Stratum", description="Negation stratum the rule ran in")
    ruleset: str = Field(title="Rule set", description="Compiled rule set it ran in")
    matched: tuple[MatchedFact, ...] = Field(title="Matched", description="Client values it looked at")
    joined: tuple[MatchedFact, ...] = Field(
        title="Joined", description="Derived facts it joined on, with the rules that derived them")
    asserted: tuple[str, ...] = Field(title="Asserted", description="Derived facts it asserted")
    actions: tuple[str, ...] = Field(title="Actions", description="Everything the rule says, in order")


class Trace(_Out):
    kind: Literal["trace"] = Field("trace", title="Kind", description="trace: every firing")
    client_id: str = Field(title="Client pseudonym", description="From the assessment")
    order: str = Field(title="Order", description="How firings are ordered")
    firings: tuple[TraceFiring, ...] = Field(title="Firings", description="In canonical order")
    derived: tuple[MatchedFact, ...] = Field(
        title="Derived", description="Every derived fact, with the rules that derived it")
    provenance: Provenance = Field(title="Provenance", description="What produced the plan")


class Explanation(RootModel):
    """Any explanation Groundwork prints as JSON."""

    root: Annotated[Union[Why, WhyNot, Trace], Field(discriminator="kind")]


def explanation_schema() -> dict:
    schema = Explanation.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Groundwork explanation"
    return schema


def schema_json() -> str:
    return json.dumps(explanation_schema(), indent=2, sort_keys=True) + "\n"


def to_json(model: BaseModel) -> str:
    """Same explanation, same bytes."""
    return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


for _model in (Check, DerivedFact, RuleEvidence, RuleMiss):
    _model.model_rebuild()


if __name__ == "__main__":  # python -m explain.models > docs/explanation.schema.json
    print(schema_json(), end="")
