"""How typed fact values become the flat fields of the one profile fact durable-rules matches on.

Ordered scales become ranks so that `>=` works; a set becomes one 0/1 field per member; an unknown
value (an `insufficient` band, a missing score) is left out, which both the compiled rules and the
reference evaluator treat as "no comparison holds".
"""

from __future__ import annotations

from dsl.facts import FactType
from dsl.vocabulary import INSUFFICIENT, Kind, rank

PROFILE = "profile"
DERIVED = "derived"


def field_name(path: str, member: str | None = None) -> str:
    name = path.replace(".", "__")
    return f"{name}__{member}" if member is not None else name


def encode_value(fact_type: FactType, value):
    """The encoded form of one comparison operand or fact value (None: unknown)."""
    if value is None or value == INSUFFICIENT:
        return None
    if fact_type.kind in (Kind.BAND, Kind.AROUSAL, Kind.SEVERITY, Kind.LEVEL):
        return rank(fact_type.kind, value)
    if fact_type.kind is Kind.BOOL:
        return 1 if value else 0
    if fact_type.kind is Kind.NUMBER:
        return float(value)
    raise ValueError(f"cannot encode a {fact_type.kind.value}")


def encode_profile(values: dict, types: dict[str, FactType], sid: str) -> dict:
    """The profile fact for one assessment session."""
    profile: dict = {"t": PROFILE, "sid": sid}
    for path, fact_type in types.items():
        value = values.get(path)
        if fact_type.kind is Kind.SET:
            for member in fact_type.members:
                profile[field_name(path, member)] = 1 if member in (value or ()) else 0
            continue
        encoded = encode_value(fact_type, value)
        if encoded is not None:
            profile[field_name(path)] = encoded
    return profile
