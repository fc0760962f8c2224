"""Typed, frozen AST of a knowledge base. Every node knows where it was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True, order=True)
class Pos:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


# ---- conditions ----

@dataclass(frozen=True)
class Comparison:
    path: str
    op: str  # one of = != < <= > >=
    value: Union[str, float, bool]
    pos: Pos = field(compare=False)
    value_pos: Pos = field(compare=False)


@dataclass(frozen=True)
class Membership:
    path: str
    values: tuple[Union[str, float, bool], ...]
    pos: Pos = field(compare=False)


@dataclass(frozen=True)
class Between:
    path: str
    low: float
    high: float
    pos: Pos = field(compare=False)


@dataclass(frozen=True)
class Has:
    path: str
    member: str
    pos: Pos = field(compare=False)
    member_pos: Pos = field(compare=False)


@dataclass(frozen=True)
class FactRef:
    """A derived fact, true once some rule has derived it."""

    name: str
    pos: Pos = field(compare=False)


@dataclass(frozen=True)
class Not:
    operand: "Condition"
    pos: Pos = field(compare=False)


@dataclass(frozen=True)
class And:
    operands: tuple["Condition", ...]
    pos: Pos = field(compare=False)


@dataclass(frozen=True)
class Or:
    operands: tuple["Condition", ...]
    pos: Pos = field(compare=False)


Literal = Union[Comparison, Membership, Between, Has]
Condition = Union[Comparison, Membership, Between, Has, FactRef, Not, And, Or]


# ---- catalog ----

@dataclass(frozen=True)
class Dose:
    frequency: int
    period: str  # day | week
    minutes: int
    delivered_by: tuple[str, ...]
    pos: Pos = field(compare=False)


@dataclass(frozen=True)
class Intervention:
    id: str
    pos: Pos
    name: str | None = None
    region: str | None = None
    region_pos: Pos | None = None
    phase: str | None = None
    modality: str | None = None
    dose: Dose | None = None
    settings: tuple[str, ...] = ()
    min_developmental_age_months: int = 0
    # The domain whose functional stage the activity needs (`min_developmental_age … in DOMAIN`);
    # None: the domain whose primary region is the activity's target region.
    stage_domain: str | None = None
    stage_domain_pos: Pos | None = None
    requires: tuple[str, ...] = ()
    requires_pos: Pos | None = None
    contraindicated: tuple[str, ...] = ()
    contraindicated_pos: Pos | None = None
    # Markers (`marks body_contact, trauma_processing`) and the no-touch alternative.
    marks: tuple[str, ...] = ()
    marks_pos: Pos | None = None
    no_touch_alternative: str | None = None
    no_touch_alternative_pos: Pos | None = None
    source: str | None = None
    description: str | None = None
    # Whom the work is for: "client" (the client's own work, sequenced bottom-up) or "support"
    # (the adults and settings around the client: never gated by the client's bands or state).
    track: str = "client"
    track_pos: Pos | None = None
    # Chronological age range in months, from min_age up to (not including) max_age; None: open.
    min_age_months: int | None = None
    max_age_months: int | None = None
    ages_pos: Pos | None = None
    # Existing routines a daily dose is attached to (waking, meals, transitions, bedtime, school_day).
    routines: tuple[str, ...] = ()
    routines_pos: Pos | None = None
    # The moments the activity fits (calm, alarm, fear, dissociated); () = by its phase's reach.
    fits: tuple[str, ...] = ()
    fits_pos: Pos | None = None


# ---- actions ----

@dataclass(frozen=True)
class Recommend:
    intervention: str
    pos: Pos
    dose: Dose | None = None
    settings: tuple[str, ...] = ()
    priority: int | None = None


@dataclass(frozen=True)
class Avoid:
    intervention: str
    reason: str
    pos: Pos


@dataclass(frozen=True)
class CatalogSet:
    """`every WORD… intervention`: the catalog entries that match every word (a phase, a region,
    a modality or a track). Resolved by dsl/passes/catalog_sets.py."""

    words: tuple[str, ...]
    pos: Pos = field(compare=False)

    def __str__(self) -> str:
        return " ".join(("every",) + self.words + ("intervention",))


@dataclass(frozen=True)
class Defer:
    intervention: str
    until: Condition
    pos: Pos
    via: CatalogSet | None = None  # the set this defer was written for, if it was


@dataclass(frozen=True)
class DeferEvery:
    """`defer every … intervention until …` as written; the checker replaces it with one Defer
    per member of the set, each remembering the set (`via`)."""

    members: CatalogSet
    until: Condition
    pos: Pos


@dataclass(frozen=True)
class Flag:
    severity: str
    code: str
    message: str
    pos: Pos
    # The catalog actions the flag brings (`brings …`): recommended by its rule, whatever the bands.
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Derive:
    fact: str
    pos: Pos


@dataclass(frozen=True)
class NoAction:
    reason: str
    pos: Pos


@dataclass(frozen=True)
class Guide:
    """`guide STATE do|avoid "…"`: what the adults do, or avoid, when the client is in STATE."""

    state: str
    kind: str  # do | avoid
    text: str
    pos: Pos


@dataclass(frozen=True)
class ScaleDose:
    phase: str
    minutes_factor: float
    frequency_factor: float
    pos: Pos


Action = Union[Recommend, Avoid, Defer, DeferEvery, Flag, Derive, NoAction, ScaleDose, Guide]


def deferred_name(action: Defer | DeferEvery) -> str:
    """What a defer names, as written: an intervention id or a catalog set."""
    if isinstance(action, DeferEvery):
        return str(action.members)
    return str(action.via) if action.via is not None else action.intervention


# ---- rules and declarations ----

@dataclass(frozen=True)
class Rule:
    id: str
    pos: Pos
    when: Condition
    actions: tuple[Action, ...]
    version: str | None = None
    title: str | None = None
    status: str | None = None
    evidence: str | None = None
    source: str | None = None
    author: str | None = None
    rationale: str | None = None
    field_pos: tuple[tuple[str, Pos], ...] = ()

    def position_of(self, header_field: str) -> Pos:
        return dict(self.field_pos).get(header_field, self.pos)


@dataclass(frozen=True)
class KbHeader:
    name: str
    version: str
    pos: Pos


@dataclass(frozen=True)
class RegionDecl:
    name: str
    order: int
    phase: str
    description: str
    pos: Pos


@dataclass(frozen=True)
class DomainDecl:
    name: str
    primary_region: str
    description: str
    pos: Pos


@dataclass(frozen=True)
class BandThreshold:
    band: str
    from_score: float
    pos: Pos


@dataclass(frozen=True)
class BandsDecl:
    thresholds: tuple[BandThreshold, ...]
    pos: Pos


@dataclass(frozen=True)
class CompromisedDecl:
    bands: tuple[str, ...]
    pos: Pos


@dataclass(frozen=True)
class ReachDecl:
    state: str
    phases: tuple[str, ...]
    pos: Pos


@dataclass(frozen=True)
class FactDecl:
    name: str
    description: str
    pos: Pos


@dataclass(frozen=True)
class ReviewDecl:
    weeks: int
    critical_weeks: int | None
    pos: Pos


@dataclass(frozen=True)
class BudgetDecl:
    """`budget ages A to B { … }`: the load one deliverer and one setting can carry for clients
    aged from A up to (not including) B, in months."""

    min_age_months: int
    max_age_months: int
    per_deliverer: int | None
    per_setting: int | None
    minutes_per_day: int | None
    pos: Pos


Declaration = Union[
    KbHeader, RegionDecl, DomainDecl, BandsDecl, CompromisedDecl, ReachDecl, FactDecl,
    ReviewDecl, BudgetDecl, Intervention, Rule,
]


@dataclass(frozen=True)
class SourceFile:
    """One parsed `.gw` file: its path relative to the knowledge base and its declarations."""

    path: str
    items: tuple[Declaration, ...]


def walk(condition: Condition):
    """Every node of a condition, depth first, parents before children."""
    yield condition
    if isinstance(condition, Not):
        yield from walk(condition.operand)
    elif isinstance(condition, (And, Or)):
        for operand in condition.operands:
            yield from walk(operand)


def fact_refs(condition: Condition, negated: bool = False):
    """(name, negated?) for each derived fact a condition mentions."""
    if isinstance(condition, FactRef):
        yield condition.name, negated
    elif isinstance(condition, Not):
        yield from fact_refs(condition.operand, not negated)
    elif isinstance(condition, (And, Or)):
        for operand in condition.operands:
            yield from fact_refs(operand, negated)


def rule_conditions(rule: Rule):
    """The rule's `when` and every `defer … until` condition."""
    yield rule.when
    seen = set()  # the defers of one catalog set share their condition: yield it once
    for action in rule.actions:
        if isinstance(action, (Defer, DeferEvery)) and id(action.until) not in seen:
            seen.add(id(action.until))
            yield action.until
