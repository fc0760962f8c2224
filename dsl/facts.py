"""The fact registry: every fact a rule may test, declared once.

Each entry says what the fact is (its path, or a path pattern expanded per region and domain, per
developmental period or per part of relational health), its kind and scale, how it reads in plain
words, where its value comes from, how it is computed from an assessment, and how the lint analyses
enumerate its values. Everything else reads this table: the checker and the compiler
(`fact_types`), the engine's fact builder (engine/facts.py), the plain-language gates
(dsl/plain.py), the explanation's evidence (explain/evidence.py) and the value space of the logic
analyses (dsl/analysis/space.py).

Adding a fact is one entry here, with its computation; an entry that lacks a description, a
computation or a value space fails when this module is imported. docs/dsl.md section 10 lists
them for trainers (a test keeps the two in step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Protocol, Union

from dsl.vocabulary import (CAREGIVER_ROLES, DEVELOPMENTAL_PERIODS, HARM_BY_OTHERS, REFERRALS,
                            RELATIONAL_DOMAINS, RELATIONAL_LEVELS, SAFEGUARDING_CONCERNS,
                            SCALE_OF_KIND, SENSITIVITIES, SETTING_ADULTS, SETTINGS, SEVERITIES,
                            UNKNOWN, ArousalState, Kind, RelationalLevel, Severity)

if TYPE_CHECKING:  # only for the type checker: dsl never imports the engine at run time
    from engine.models import Assessment, PeriodHistory
    from engine.scoring import Score

Value = Union[str, float, bool, frozenset, None]


class Sources(Protocol):
    """What a fact is computed from (engine/facts.py provides it)."""

    @property
    def assessment(self) -> Assessment: ...

    @property
    def developmental_age_months(self) -> int: ...

    @property
    def referrals(self) -> frozenset[str]: ...

    def score(self, name: str) -> Score: ...


# ---- how the lint analyses enumerate a fact's values (dsl/analysis/space.py) ----

@dataclass(frozen=True)
class Scored:
    """A band or a score: both views of one variable per region or domain, the score."""


@dataclass(frozen=True)
class Months:
    """A whole number of months from 0 to the model's oldest age; `preferred` in examples."""

    preferred: int
    not_above: str | None = None  # a fact this one never exceeds


@dataclass(frozen=True)
class WholeYears:
    """A whole-years view of a months fact."""

    of: str


@dataclass(frozen=True)
class Count:
    """A count of people from 0 upwards."""

    preferred: int = 0
    not_above: str | None = None
    unknown: bool = False  # the value can be unknown (every comparison on it false)


@dataclass(frozen=True)
class Ranked:
    """A rank on the fact's ordered scale (yes/no: false < true); `preferred` in examples."""

    preferred: str
    unknown: bool = False  # the value can be unknown (a history period not recorded)


@dataclass(frozen=True)
class Members:
    """A set: one yes/no variable per member."""


@dataclass(frozen=True)
class Extreme:
    """The highest (or lowest) of the facts a pattern expands to; not a variable of its own."""

    of: str
    highest: bool


ValueSpace = Union[Scored, Months, WholeYears, Count, Ranked, Members, Extreme]
SPACES = (Scored, Months, WholeYears, Count, Ranked, Members, Extreme)

# A path pattern names at most one of these; `{scored}` is every region and domain the knowledge
# base declares, the others are fixed by the assessment model.
PATTERN = re.compile(r"\{(scored|period|part)\}")
FIXED_NAMES = {"period": DEVELOPMENTAL_PERIODS, "part": RELATIONAL_DOMAINS}


class RegistryError(TypeError):
    """A fact declared incompletely: raised when the registry is imported."""


@dataclass(frozen=True)
class Fact:
    """One declared fact (or pattern of facts). Texts may use {name} (the region, domain, period
    or part, as written) and {words} (the same with spaces for underscores)."""

    path: str
    kind: Kind
    description: str  # what it is, for a trainer
    subject: str  # how a gate names it in plain words: "the client is", "{name} is"
    origin: str  # where the value comes from, for the explanation's evidence
    compute: Callable[[Sources, str], Value]  # (sources, pattern name or "") → the value
    space: ValueSpace
    members: tuple[str, ...] = ()  # for sets: what `has` may name

    def __post_init__(self) -> None:
        for text in ("path", "description", "subject", "origin"):
            if not isinstance(getattr(self, text), str) or not getattr(self, text).strip():
                raise RegistryError(f"fact {self.path!r} needs a {text}")
        if not callable(self.compute):
            raise RegistryError(f"fact {self.path!r} needs a computation")
        if not isinstance(self.space, SPACES):
            raise RegistryError(f"fact {self.path!r} needs a value space (one of dsl.facts.SPACES)")
        if (self.kind is Kind.SET) != bool(self.members) or \
                (self.kind is Kind.SET) != isinstance(self.space, Members):
            raise RegistryError(f"fact {self.path!r}: a set, and only a set, has members")
        if len(PATTERN.findall(self.path)) > 1:
            raise RegistryError(f"fact {self.path!r}: a pattern names one variable at most")

    @property
    def pattern(self) -> str | None:
        found = PATTERN.search(self.path)
        return found.group(1) if found else None

    def names(self, scored: tuple[str, ...]) -> tuple[str, ...]:
        """What the pattern expands to ("" for a plain path)."""
        pattern = self.pattern
        if pattern is None:
            return ("",)
        return scored if pattern == "scored" else FIXED_NAMES[pattern]

    def path_for(self, name: str) -> str:
        return PATTERN.sub(name, self.path)

    def text(self, template: str, name: str) -> str:
        return template.format(name=name, words=name.replace("_", " "))


@dataclass(frozen=True)
class FactType:
    """One concrete fact path of a knowledge base, as the checker, compiler and explanations see
    it: its declaration and the region, domain, period or part the pattern was expanded for."""

    kind: Kind
    description: str
    members: tuple[str, ...] = ()
    fact: Fact | None = field(default=None, compare=False, repr=False)
    name: str = ""

    @property
    def scale(self) -> tuple[str, ...]:
        return SCALE_OF_KIND.get(self.kind, ())

    @property
    def subject(self) -> str:
        """How a gate names the fact: "the client is", "limbic is"."""
        return self.fact.text(self.fact.subject, self.name) if self.fact else self.description

    @property
    def origin(self) -> str:
        return self.fact.text(self.fact.origin, self.name) if self.fact else "the assessment"


# ---- computations ----

def _history(assessment: Assessment, period: str) -> PeriodHistory | None:
    """The recorded entry for a period (the last, if recorded twice); None: not recorded."""
    entries = [h for h in assessment.history if h.period == period]
    return entries[-1] if entries else None


def _known(severity: str | None) -> str | None:
    """A recorded severity, or None (unknown: a comparison on it is false)."""
    return None if severity in (None, UNKNOWN) else severity


def _adversity(s: Sources, period: str) -> str | None:
    entry = _history(s.assessment, period)
    return _known(entry.adversity if entry else None)


def _relational_poverty(s: Sources, period: str) -> str | None:
    entry = _history(s.assessment, period)
    return _known(entry.relational_poverty if entry else None)


def _worst_adversity(s: Sources, _: str) -> str | None:
    known = [a for a in (_adversity(s, p) for p in DEVELOPMENTAL_PERIODS) if a is not None]
    return max(known, key=SEVERITIES.index) if known else None


# When each developmental period begins, in months of age: a period the client has not reached
# is not unknown, it has not happened yet.
PERIOD_STARTS = {"perinatal": 0, "infancy": 0, "early_childhood": 12, "childhood": 72,
                 "adolescence": 144, "adulthood": 216}


def _unknown_periods(s: Sources, _: str) -> frozenset[str]:
    age = s.assessment.age.total_months
    return frozenset(p for p in DEVELOPMENTAL_PERIODS if PERIOD_STARTS[p] <= age
                     and (_adversity(s, p) is None or _relational_poverty(s, p) is None))


# The instrument item that rates tolerance of touch, and the caregiver roles that deliver
# body-contact work (at home or in residential care).
TOUCH_ITEM = "tolerates-touch"
TOUCH_DELIVERING_ROLES = frozenset({"parent", "foster_carer", "kinship_carer", "residential_staff"})


def _touch_tolerance(s: Sources, _: str) -> float | None:
    values = [r.value for r in s.assessment.ratings if r.item == TOUCH_ITEM and r.value is not None]
    return float(max(values)) if values else None  # two informants: the less tolerant rating


def _touch_policy(assessment: Assessment, setting: str) -> str:
    """A setting's recorded policy; unrecorded is unknown, except home (the carer's consent is
    the family's policy)."""
    recorded = [t.policy for t in assessment.touch_policies if t.setting == setting]
    return recorded[-1] if recorded else ("allowed" if setting == "home" else UNKNOWN)


def touch_settings(assessment: Assessment) -> frozenset[str]:
    """The client's settings whose policy allows body contact."""
    return frozenset(x for x in assessment.settings if _touch_policy(assessment, x) == "allowed")


def suspected(assessment: Assessment) -> frozenset[str]:
    """Who is suspected of harming the client; unknown for a concern recorded without one."""
    out = {h.suspected for h in assessment.suspected_harm}
    named = {h.concern for h in assessment.suspected_harm}
    out |= {UNKNOWN for c in assessment.safeguarding if c in HARM_BY_OTHERS and c not in named}
    return frozenset(out)


def _deliverer_safe(s: Sources, _: str) -> bool:
    who = suspected(s.assessment)
    return UNKNOWN not in who and not who & TOUCH_DELIVERING_ROLES


def _review_weeks(s: Sources, _: str) -> float | None:
    review = s.assessment.safety_review
    if review is None or review.evocative_work != "may_proceed":
        return None
    return float((s.assessment.assessment_date - review.date).days // 7)


def _lowest_connectedness(s: Sources, _: str) -> str:
    health = s.assessment.relational_health
    return min((getattr(health, part) for part in RELATIONAL_DOMAINS), key=RELATIONAL_LEVELS.index)


def _dysregulated(s: Sources, _: str) -> float:
    return float(sum(1 for c in s.assessment.caregivers if c.regulation == "dysregulated"))


def _variable(s: Sources, _: str) -> float:
    return float(sum(1 for c in s.assessment.caregivers if c.regulation == "variable"))


def _without_adult(s: Sources, _: str) -> frozenset:
    return settings_without_adult(s.assessment)


def settings_without_adult(assessment) -> frozenset:
    """Settings of the client's where no regulated adult of that setting's own kind is recorded
    (the engine's delivery asks for a person to be named exactly there)."""
    return frozenset(
        setting for setting, roles in SETTING_ADULTS.items() if setting in assessment.settings
        and not any(c.role in roles and setting in c.settings and c.regulation != "dysregulated"
                    for c in assessment.caregivers))


_FROM_HISTORY = "the developmental history in the assessment"
_FROM_AROUSAL = "the arousal states in the assessment"
_FROM_AGE = "the chronological age in the assessment"
_DEV_AGE = "estimated from the ratings (functional age equivalent)"

FACTS: tuple[Fact, ...] = (
    Fact("{scored}.band", Kind.BAND,
         "band of {words}: typical < mild < moderate < severe, or insufficient",
         "{name} is", "the ratings of the instrument's items",
         lambda s, name: s.score(name).band, Scored()),
    Fact("{scored}.score", Kind.NUMBER,
         "score of {words}, 0 (typical for age) to the instrument's highest rating; "
         "unknown when the band is insufficient",
         "{name} score is", "the ratings of the instrument's items",
         lambda s, name: s.score(name).score, Scored()),
    Fact("arousal.current", Kind.AROUSAL, "the arousal state today", "the client is",
         _FROM_AROUSAL, lambda s, _: s.assessment.arousal.current,
         Ranked(ArousalState.CALM.value)),
    Fact("arousal.baseline", Kind.AROUSAL, "the client's usual arousal state",
         "the client is usually", _FROM_AROUSAL, lambda s, _: s.assessment.arousal.baseline,
         Ranked(ArousalState.CALM.value)),
    Fact("arousal.dissociative", Kind.BOOL, "a dissociative (shut-down) response is recorded",
         "a dissociative indicator is", _FROM_AROUSAL,
         lambda s, _: s.assessment.arousal.dissociative, Ranked("false")),
    Fact("age.years", Kind.NUMBER, "chronological age in whole years",
         "the client's age in years is", _FROM_AGE,
         lambda s, _: float(s.assessment.age.years), WholeYears("age.months")),
    Fact("age.months", Kind.NUMBER, "chronological age in months",
         "the client's age in months is", _FROM_AGE,
         lambda s, _: float(s.assessment.age.total_months), Months(preferred=120)),
    Fact("developmental_age.months", Kind.NUMBER,
         "the estimated developmental (functional) age in months",
         "the developmental age estimate in months is", _DEV_AGE,
         lambda s, _: float(s.developmental_age_months),
         Months(preferred=120, not_above="age.months")),
    Fact("developmental_age.years", Kind.NUMBER,
         "the estimated developmental (functional) age in whole years",
         "the developmental age estimate in years is", _DEV_AGE,
         lambda s, _: float(s.developmental_age_months // 12),
         WholeYears("developmental_age.months")),
    Fact("history.{period}.adversity", Kind.SEVERITY,
         "adversity in the period; unknown when the assessment does not record it",
         "adversity in {words} is", _FROM_HISTORY, _adversity,
         Ranked(Severity.NONE.value, unknown=True)),
    Fact("history.{period}.relational_poverty", Kind.SEVERITY,
         "relational poverty (missing safe relationships) in the period; unknown when not "
         "recorded",
         "relational poverty in {words} is", _FROM_HISTORY, _relational_poverty,
         Ranked(Severity.NONE.value, unknown=True)),
    Fact("history.unknown_periods", Kind.SET,
         "periods the client has lived through whose adversity or relational poverty is unknown",
         "periods with unknown history are", _FROM_HISTORY, _unknown_periods, Members(),
         DEVELOPMENTAL_PERIODS),
    Fact("history.worst_adversity", Kind.SEVERITY,
         "the worst adversity recorded in any period (unknown periods left out)",
         "the worst adversity recorded is",
         "the worst adversity recorded for any developmental period", _worst_adversity,
         Extreme("history.{period}.adversity", highest=True)),
    Fact("relational_health.{part}", Kind.LEVEL, "connectedness now (family, community, culture)",
         "{name} connectedness is", "relational health in the assessment",
         lambda s, part: getattr(s.assessment.relational_health, part),
         Ranked(RelationalLevel.ADEQUATE.value)),
    Fact("relational_health.lowest", Kind.LEVEL,
         "the lowest of family, community and cultural connectedness",
         "the weakest part of relational health is",
         "the lowest of family, community and cultural connectedness", _lowest_connectedness,
         Extreme("relational_health.{part}", highest=False)),
    Fact("caregivers.count", Kind.NUMBER, "trusted adults available",
         "the number of trusted adults is", "the number of trusted adults recorded",
         lambda s, _: float(len(s.assessment.caregivers)), Count(preferred=1)),
    Fact("caregivers.dysregulated", Kind.NUMBER, "of the trusted adults, how many are dysregulated",
         "the number of dysregulated trusted adults is",
         "the number of trusted adults recorded as dysregulated", _dysregulated,
         Count(preferred=0, not_above="caregivers.count")),
    Fact("caregivers.variable", Kind.NUMBER,
         "of the trusted adults, how many are variably regulated",
         "the number of variably regulated trusted adults is",
         "the number of trusted adults recorded as variably regulated", _variable,
         Count(preferred=0, not_above="caregivers.count")),
    Fact("caregivers.roles", Kind.SET, "roles of the trusted adults", "the trusted adults' roles are",
         "the roles of the trusted adults recorded",
         lambda s, _: frozenset(c.role for c in s.assessment.caregivers), Members(),
         CAREGIVER_ROLES),
    Fact("safeguarding", Kind.SET, "current safeguarding concerns", "safeguarding concerns are",
         "the safeguarding concerns in the assessment",
         lambda s, _: frozenset(s.assessment.safeguarding), Members(), SAFEGUARDING_CONCERNS),
    Fact("suspected_harm", Kind.SET,
         "who is suspected of harming the client (a caregiver role, or unknown when maltreatment "
         "or exploitation is recorded without one)", "suspected of causing harm are",
         "the safeguarding concerns and suspected harm in the assessment",
         lambda s, _: suspected(s.assessment), Members(), CAREGIVER_ROLES + (UNKNOWN,)),
    Fact("touch.client_assent", Kind.BOOL, "the client's assent to touch-based work is recorded",
         "the client's assent to touch is", "the agreement to touch in the assessment",
         lambda s, _: s.assessment.touch.client_assent == "given", Ranked("false")),
    Fact("touch.carer_consent", Kind.BOOL, "the carer's consent to touch-based work is recorded",
         "the carer's consent to touch is", "the agreement to touch in the assessment",
         lambda s, _: s.assessment.touch.carer_consent == "given", Ranked("false")),
    Fact("touch.tolerance", Kind.NUMBER,
         "the rating of tolerating touch (0 = typical for age); unknown when not rated",
         "the touch-tolerance rating is", "the rating of the tolerates-touch item",
         _touch_tolerance, Count(preferred=0, unknown=True)),
    Fact("touch.setting_allows", Kind.BOOL,
         "some setting of the client allows body contact (home unless recorded otherwise)",
         "a setting allowing touch is", "the settings' touch policies in the assessment",
         lambda s, _: bool(touch_settings(s.assessment)), Ranked("true")),
    Fact("touch.deliverer_safe", Kind.BOOL,
         "no carer who would deliver body-contact work is suspected of harm, and no suspect is "
         "unknown", "a safe deliverer of touch is",
         "the safeguarding concerns and suspected harm in the assessment", _deliverer_safe,
         Ranked("true")),
    Fact("safety_review.weeks_ago", Kind.NUMBER,
         "weeks since a safety review that let evocative work proceed; unknown when none",
         "the weeks since a safety review cleared evocative work are",
         "the safety review in the assessment", _review_weeks, Count(preferred=0, unknown=True)),
    Fact("trauma_screen", Kind.SET,
         "the result of the trauma symptom screen (one of not_done, below_threshold, "
         "above_threshold)", "the trauma screen result is",
         "the trauma symptom screen in the assessment",
         lambda s, _: frozenset({s.assessment.trauma_screen.result}), Members(),
         ("not_done", "below_threshold", "above_threshold")),
    Fact("sensitivities", Kind.SET, "sensitivities and conditions that rule some activities out",
         "sensitivities are", "the sensitivities and conditions in the assessment",
         lambda s, _: frozenset(s.assessment.sensitivities), Members(), SENSITIVITIES),
    Fact("settings", Kind.SET, "settings the client lives and learns in", "settings are",
         "the settings in the assessment",
         lambda s, _: frozenset(s.assessment.settings), Members(), SETTINGS),
    Fact("settings.without_adult", Kind.SET,
         "the client's settings with no regulated adult of their own (a carer at home, a teacher "
         "at school, residential staff)", "settings without a named adult are",
         "the settings and trusted adults in the assessment", _without_adult, Members(), SETTINGS),
    Fact("referrals", Kind.SET,
         "referrals the instrument attaches to items rated severely below typical",
         "referrals suggested by the ratings are",
         "the items rated severely below typical that carry a referral in the instrument",
         lambda s, _: s.referrals, Members(), REFERRALS),
)

_BY_PATH = {fact.path: fact for fact in FACTS}


def declared(path: str) -> Fact:
    """The entry for a path or pattern exactly as declared, e.g. "{scored}.band"."""
    return _BY_PATH[path]


def expand(path: str, scored: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The concrete paths a declared path or pattern stands for."""
    fact = _BY_PATH[path]
    return tuple(fact.path_for(name) for name in fact.names(scored))


def band_path(name: str) -> str:
    """The band fact of a region or domain."""
    return _BY_PATH["{scored}.band"].path_for(name)


def score_path(name: str) -> str:
    return _BY_PATH["{scored}.score"].path_for(name)


AROUSAL_CURRENT = _BY_PATH["arousal.current"].path
SENSITIVITIES_PATH = _BY_PATH["sensitivities"].path


def ordered_pairs() -> tuple[tuple[str, str], ...]:
    """Linked facts: (lesser, greater) where the first is never above the second."""
    return tuple(sorted((f.path, f.space.not_above) for f in FACTS
                        if isinstance(f.space, (Months, Count)) and f.space.not_above))


@lru_cache(maxsize=32)
def fact_types(regions: tuple[str, ...], domains: tuple[str, ...]) -> dict[str, FactType]:
    """Every fact path a rule may use, for the declared regions and domains, in the registry's
    order (a run of entries over the same pattern is expanded name by name, so a region's band and
    score stay together). Cached (it is asked for on every assessment): the dict is shared, so
    callers must not change it."""
    scored = regions + domains
    types: dict[str, FactType] = {}
    index = 0
    while index < len(FACTS):
        group = [FACTS[index]]
        while (index + len(group) < len(FACTS) and group[0].pattern is not None
               and FACTS[index + len(group)].pattern == group[0].pattern):
            group.append(FACTS[index + len(group)])
        for name in group[0].names(scored):
            for fact in group:
                types[fact.path_for(name)] = FactType(
                    fact.kind, fact.text(fact.description, name), fact.members, fact, name)
        index += len(group)
    return types


def compute(types: dict[str, FactType], sources: Sources) -> dict[str, Value]:
    """Every fact's value for one assessment (None when unknown)."""
    out: dict[str, Value] = {}
    for path, fact_type in types.items():
        assert fact_type.fact is not None  # every type fact_types() makes has its declaration
        out[path] = fact_type.fact.compute(sources, fact_type.name)
    return out
