"""The full trace of one assessment as plain JSON data: facts the rules saw, every firing, derived facts.

Firings keep the engine's canonical order (engine.runtime sorts them), and each matched field is
shown both as the engine saw it (encoded) and as the client's value, so a reviewer reads
`brainstem.band = severe`, not `brainstem__band = 3`.
"""

from __future__ import annotations

from dsl.encoding import field_name
from engine.pipeline import Outcome

TRACE_FORMAT = 1


def plain(value):
    """A fact value as JSON data: sets become sorted lists."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def _fact_of(field: str, values: dict, names: list[tuple[str, str]]) -> tuple[str, object]:
    """The fact path and client value behind one encoded profile field (`names`: each fact's
    encoded field name, in the order of `values`)."""
    for path, name in names:
        value = values[path]
        if field == name:
            return path, plain(value)
        if isinstance(value, (set, frozenset)) and field.startswith(name + "__"):
            member = field[len(name) + 2:]
            return f"{path} has {member}", member in value
    return field.replace("__", "."), None


def firing_data(firing, values: dict, names: list[tuple[str, str]] | None = None) -> dict:
    names = names if names is not None else [(path, field_name(path)) for path in values]
    matched = []
    for field, encoded in firing.matched:
        fact, value = _fact_of(field, values, names)
        matched.append({"field": field, "encoded": encoded, "fact": fact, "value": value})
    return {
        "rule_id": firing.rule_id,
        "rule_version": firing.rule_version,
        "ruleset": firing.ruleset,
        "stratum": firing.stratum,
        "matched": matched,
        "derived_from": [{"fact": fact, "rule": rule} for fact, rule in firing.derived_from],
        "asserted": list(firing.asserted),
    }


def trace_of(outcome: Outcome) -> dict:
    values = outcome.facts.values
    names = [(path, field_name(path)) for path in values]  # encoded once, not per matched field
    return {
        "format": TRACE_FORMAT,
        "facts": {path: plain(values[path]) for path in sorted(values)},
        "firings": [firing_data(f, values, names) for f in outcome.firings],
        "derived": {fact: list(rules) for fact, rules in sorted(outcome.derived.items())},
    }
