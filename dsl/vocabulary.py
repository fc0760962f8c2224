"""The fixed clinical vocabulary that rules may talk about.

Regions and domains are declared by each knowledge base; everything else a rule can name comes
from the assessment model and is fixed here, in one place, so that the DSL checker, the engine's
fact builder and the reference evaluator all agree on the names, their types and their order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache


class Phase(str, Enum):
    REGULATE = "regulate"
    RELATE = "relate"
    REASON = "reason"


PHASE_ORDER = {Phase.REGULATE: 1, Phase.RELATE: 2, Phase.REASON: 3}


# Ordered scales: the position in each tuple is the rank used for comparisons.
BANDS = ("typical", "mild", "moderate", "severe")
INSUFFICIENT = "insufficient"
AROUSAL_STATES = ("calm", "alert", "alarm", "fear", "terror")
SEVERITIES = ("none", "mild", "moderate", "severe")
RELATIONAL_LEVELS = ("poor", "limited", "adequate", "strong")

# Unordered sets a client can have members of.
DEVELOPMENTAL_PERIODS = (
    "perinatal", "infancy", "early_childhood", "childhood", "adolescence", "adulthood",
)
SAFEGUARDING_CONCERNS = ("ongoing_maltreatment", "self_harm_risk", "placement_instability")
SENSITIVITIES = (
    "touch_aversion", "noise_sensitivity", "seizures", "motion_sensitivity",
    "animal_allergy", "water_fear", "limited_mobility",
)
SETTINGS = ("home", "school", "residential", "clinic")
CAREGIVER_ROLES = (
    "parent", "foster_carer", "kinship_carer", "teacher", "residential_staff", "mentor",
)
CAREGIVER_REGULATION = ("well_regulated", "variable", "dysregulated")
INFORMANTS = ("caregiver", "teacher", "clinician_observation", "self_report", "records")
# Referrals an instrument item may carry (instrument.toml [[referrals]] declares their names).
REFERRALS = ("paediatrics", "occupational_therapy", "speech_and_language_therapy",
             "attention_assessment")
RELATIONAL_DOMAINS = ("family", "community", "cultural")
# Who delivers a dose; "therapist" is always available (the treating clinician).
DELIVERERS = ("caregiver", "teacher", "residential_staff", "mentor", "therapist")
MODALITIES = ("somatosensory", "motor", "rhythmic", "relational", "cognitive", "expressive")
EVIDENCE_LEVELS = ("systematic_review", "trial", "observational", "expert_consensus", "practice")
RULE_STATUSES = ("draft", "approved", "retired")
SEVERITY_OF_FLAG = ("info", "warning", "critical")


class Kind(str, Enum):
    """What kind of value a fact path holds; decides which comparisons make sense."""

    BAND = "band"
    NUMBER = "number"
    AROUSAL = "arousal state"
    SEVERITY = "severity"
    LEVEL = "relational level"
    BOOL = "yes/no value"
    SET = "set"


SCALE_OF_KIND = {
    Kind.BAND: BANDS,
    Kind.AROUSAL: AROUSAL_STATES,
    Kind.SEVERITY: SEVERITIES,
    Kind.LEVEL: RELATIONAL_LEVELS,
}


@dataclass(frozen=True)
class FactType:
    kind: Kind
    description: str
    members: tuple[str, ...] = ()  # for sets: what `has` may name

    @property
    def scale(self) -> tuple[str, ...]:
        return SCALE_OF_KIND.get(self.kind, ())


@lru_cache(maxsize=32)
def fact_types(regions: tuple[str, ...], domains: tuple[str, ...]) -> dict[str, FactType]:
    """Every fact path a rule may use, for the declared regions and domains. Cached (it is asked
    for on every assessment): the dict is shared, so callers must not change it."""
    types: dict[str, FactType] = {}
    for name in regions + domains:
        types[f"{name}.band"] = FactType(Kind.BAND, f"band of {name} (or insufficient)")
        types[f"{name}.score"] = FactType(Kind.NUMBER, f"score of {name}, 0 (typical) to 3")
    types["arousal.current"] = FactType(Kind.AROUSAL, "arousal state today")
    types["arousal.baseline"] = FactType(Kind.AROUSAL, "usual arousal state")
    types["arousal.dissociative"] = FactType(Kind.BOOL, "dissociative indicator")
    types["age.years"] = FactType(Kind.NUMBER, "chronological age in whole years")
    types["age.months"] = FactType(Kind.NUMBER, "chronological age in months")
    types["developmental_age.months"] = FactType(Kind.NUMBER, "estimated developmental age")
    types["developmental_age.years"] = FactType(Kind.NUMBER, "estimated developmental age")
    for period in DEVELOPMENTAL_PERIODS:
        types[f"history.{period}.adversity"] = FactType(Kind.SEVERITY, f"adversity in {period}")
        types[f"history.{period}.relational_poverty"] = FactType(
            Kind.SEVERITY, f"relational poverty in {period}")
    types["history.worst_adversity"] = FactType(Kind.SEVERITY, "worst adversity, any period")
    for part in RELATIONAL_DOMAINS:
        types[f"relational_health.{part}"] = FactType(Kind.LEVEL, f"{part} connectedness now")
    types["relational_health.lowest"] = FactType(Kind.LEVEL, "lowest of the three")
    types["caregivers.count"] = FactType(Kind.NUMBER, "trusted adults available")
    types["caregivers.dysregulated"] = FactType(Kind.NUMBER, "dysregulated trusted adults")
    types["caregivers.roles"] = FactType(Kind.SET, "roles of trusted adults", CAREGIVER_ROLES)
    types["safeguarding"] = FactType(Kind.SET, "safeguarding concerns", SAFEGUARDING_CONCERNS)
    types["sensitivities"] = FactType(Kind.SET, "sensitivities and conditions", SENSITIVITIES)
    types["settings"] = FactType(Kind.SET, "settings the client lives and learns in", SETTINGS)
    types["referrals"] = FactType(Kind.SET, "referrals carried by items rated severely below "
                                  "typical", REFERRALS)
    return types


def rank(kind: Kind, value: str) -> int:
    """Position of `value` on the ordered scale of `kind`."""
    return SCALE_OF_KIND[kind].index(value)
