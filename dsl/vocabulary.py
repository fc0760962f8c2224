"""The fixed clinical vocabulary: phases, the ordered scales (as enums) and the closed lists.

Regions and domains are declared by each knowledge base; the scales and lists here come from the
assessment model and are fixed, in one place, so that the assessment model, the DSL checker, the
engine and the explanations agree on the words and their order. The facts a rule may test are
declared in the fact registry, dsl/facts.py, which reads these scales.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class Phase(str, Enum):
    REGULATE = "regulate"
    RELATE = "relate"
    REASON = "reason"


PHASE_ORDER = {Phase.REGULATE: 1, Phase.RELATE: 2, Phase.REASON: 3}


# Ordered scales, each declared once: the order of the members is the rank used for comparisons
# (lower is better on every scale but relational health, where higher is better).
class Band(str, Enum):
    TYPICAL = "typical"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class ArousalState(str, Enum):
    CALM = "calm"
    ALERT = "alert"
    ALARM = "alarm"
    FEAR = "fear"
    TERROR = "terror"


class Severity(str, Enum):
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class RelationalLevel(str, Enum):
    POOR = "poor"
    LIMITED = "limited"
    ADEQUATE = "adequate"
    STRONG = "strong"


class FlagSeverity(str, Enum):
    """How urgent a flag is; ordered from least to most urgent."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


def words(scale: type[Enum]) -> tuple[str, ...]:
    """The members of a scale or list as the words rules and assessments use, in order."""
    return tuple(member.value for member in scale)


# The scales as their words, for code that ranks or lists them.
BANDS = words(Band)
INSUFFICIENT = "insufficient"  # the band of a region with too few known ratings; not on the scale
AROUSAL_STATES = words(ArousalState)
SEVERITIES = words(Severity)
RELATIONAL_LEVELS = words(RelationalLevel)

# Unordered sets a client can have members of.
DEVELOPMENTAL_PERIODS = (
    "perinatal", "infancy", "early_childhood", "childhood", "adolescence", "adulthood",
)
# Self-harm and suicidal ideation are distinct concerns (NICE NG225): each is recorded on its own.
SAFEGUARDING_CONCERNS = ("ongoing_maltreatment", "self_harm_risk", "placement_instability",
                         "suicidal_ideation", "exploitation", "going_missing", "harm_to_others")
# Concerns about someone harming the client: who is suspected is recorded (`suspected_harm`).
HARM_BY_OTHERS = ("ongoing_maltreatment", "exploitation")
# A history period's severity as recorded: the scale, or unknown (not recorded). A period left out
# of the assessment is unknown, never none.
UNKNOWN = "unknown"
HISTORY_SEVERITIES = SEVERITIES + (UNKNOWN,)
# Agreement to touch-based work, by the client (assent) and by the carer (consent).
AGREEMENT = ("given", "declined", UNKNOWN)
# A setting's policy on body contact in therapeutic work.
TOUCH_POLICIES = ("allowed", "restricted", "none")
# The result of a trauma symptom screen, and which public screen was used (a code, never text).
TRAUMA_SCREEN_RESULTS = ("not_done", "below_threshold", "above_threshold")
TRAUMA_SCREENS = ("cats", "cpss_5", "tscyc", "tscc", "ucla_ptsd_ri", "cries_8", "pcl_5", "itq",
                  "other_validated")
# Catalog markers a trainer sets on an intervention (`marks body_contact`). `one_off`: an action
# done once (a referral, a review, a plan written with the adults), not an activity carried every
# day or week: the load budget neither counts it nor moves it to the menu.
MARKERS = ("body_contact", "trauma_processing", "one_off")
SENSITIVITIES = (
    "touch_aversion", "noise_sensitivity", "seizures", "motion_sensitivity",
    "animal_allergy", "water_fear", "limited_mobility",
)
SETTINGS = ("home", "school", "residential", "clinic")
CAREGIVER_ROLES = (
    "parent", "foster_carer", "kinship_carer", "teacher", "residential_staff", "mentor",
)
CAREGIVER_REGULATION = ("well_regulated", "variable", "dysregulated")
# Who is suspected of causing harm: a caregiver role, or unknown (never free text).
SUSPECTS = CAREGIVER_ROLES + (UNKNOWN,)
# The adults whose own setting each is: who carries daily work there (CLINICAL.md section 3). The
# clinic always has the treating therapist.
SETTING_ADULTS = {"home": ("parent", "foster_carer", "kinship_carer"), "school": ("teacher",),
                  "residential": ("residential_staff",)}
INFORMANTS = ("caregiver", "teacher", "clinician_observation", "self_report", "records")
# Referrals an instrument item may carry (instrument.toml [[referrals]] declares their names).
REFERRALS = ("paediatrics", "occupational_therapy", "speech_and_language_therapy",
             "attention_assessment")
RELATIONAL_DOMAINS = ("family", "community", "cultural")
# Who delivers a dose; "therapist" is always available (the treating clinician), and "self" (the
# client practising on their own, after learning it with the therapist) is for adult work.
DELIVERERS = ("caregiver", "teacher", "residential_staff", "mentor", "therapist", "self")
# Existing daily routines a regulating dose can be attached to (CLINICAL.md section 3).
ROUTINES = ("waking", "meals", "transitions", "bedtime", "school_day")
# The moments a plan's state guidance covers, and the arousal states each one stands for.
GUIDANCE_STATES = ("calm", "alarm", "fear", "dissociated")
GUIDANCE_AROUSAL = {"calm": (ArousalState.CALM.value, ArousalState.ALERT.value),
                    "alarm": (ArousalState.ALARM.value,),
                    "fear": (ArousalState.FEAR.value, ArousalState.TERROR.value), "dissociated": ()}
# Whom an intervention is for: the client's own work, or the adults and settings around the client.
TRACKS = ("client", "support")
MODALITIES = ("somatosensory", "motor", "rhythmic", "relational", "cognitive", "expressive")
EVIDENCE_LEVELS = ("systematic_review", "trial", "observational", "expert_consensus", "practice")
RULE_STATUSES = ("draft", "approved", "retired")
SEVERITY_OF_FLAG = words(FlagSeverity)


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


# Every rule condition on a scale asks for positions: looked up, not searched for.
_RANKS = {kind: {value: i for i, value in enumerate(scale)} for kind, scale in SCALE_OF_KIND.items()}


def rank(kind: Kind, value: str) -> int:
    """Position of `value` on the ordered scale of `kind` (ValueError if it is not on it)."""
    try:
        return _RANKS[kind][value]
    except KeyError:
        raise ValueError(f"{value!r} is not on the {kind} scale") from None


def __getattr__(name: str) -> Any:
    """`FactType` and `fact_types` moved to the fact registry (dsl/facts.py); old imports work."""
    if name in ("FactType", "fact_types"):
        from dsl import facts
        return getattr(facts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
