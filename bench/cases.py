"""Synthetic assessments (pseudonymous, random, never real people) for the benchmark and tests.

`valid_case` draws a complete assessment against the bundled instrument; `invalid_case` breaks
one valid case in one of several known ways and says which field path the error must name, so a
batch run can be checked against it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from dsl import vocabulary as v
from dsl.instrument import Instrument, load_instrument

import knowledge_base


def bundled_instrument() -> Instrument:
    path = knowledge_base.BUNDLED / "instrument.toml"
    return load_instrument(path, str(path))


def valid_case(rng: random.Random, index: int, instrument: Instrument) -> dict:
    """One complete assessment; about one in ten leaves enough ratings unknown to be insufficient."""
    sparse = rng.random() < 0.1
    severity = rng.random() * 3  # how far below typical this client is overall
    ratings = []
    for item in instrument.items:
        if sparse and rng.random() < 0.6:
            value = None
        else:
            value = max(0, min(instrument.max_value, round(rng.gauss(severity, 0.8))))
        ratings.append({"item": item.id, "value": value,
                        "informant": rng.choice(v.INFORMANTS)})
    years = rng.randint(2, 17)
    caregivers = [{"id": f"cg-{index}-{k}", "role": rng.choice(v.CAREGIVER_ROLES),
                   "settings": sorted(rng.sample(v.SETTINGS, rng.randint(1, 2))),
                   "regulation": rng.choice(v.CAREGIVER_REGULATION)}
                  for k in range(rng.randint(0, 3))]
    return {
        "client_id": f"bench-{index:06d}",
        "assessor_id": f"assessor-{index % 17:02d}",
        "assessment_date": f"2024-{1 + index % 12:02d}-{1 + index % 28:02d}",
        "age": {"years": years, "months": rng.randint(0, 11)},
        "ratings": ratings,
        "arousal": {"baseline": rng.choice(v.AROUSAL_STATES),
                    "current": rng.choice(v.AROUSAL_STATES),
                    "dissociative": rng.random() < 0.15},
        "history": [{"period": period, "adversity": rng.choice(v.SEVERITIES),
                     "relational_poverty": rng.choice(v.SEVERITIES)}
                    for period in v.DEVELOPMENTAL_PERIODS[:2 + years // 6] if rng.random() < 0.7],
        "relational_health": {part: rng.choice(v.RELATIONAL_LEVELS)
                              for part in v.RELATIONAL_DOMAINS},
        "caregivers": caregivers,
        "safeguarding": sorted(rng.sample(v.SAFEGUARDING_CONCERNS, rng.choice((0, 0, 0, 1)))),
        "sensitivities": sorted(rng.sample(v.SENSITIVITIES, rng.choice((0, 0, 1, 2)))),
        "settings": sorted(rng.sample(("home", "school", "residential", "clinic"),
                                      rng.randint(1, 3))),
    }


def _out_of_range(case):
    case["ratings"][3]["value"] = 7
    return "ratings[3].value"


def _unknown_item(case):
    case["ratings"][1]["item"] = "sleep-onsett"
    return "ratings[1].item"


def _missing_arousal(case):
    del case["arousal"]
    return "arousal"


def _bad_state(case):
    case["arousal"]["current"] = "panicked"
    return "arousal.current"


def _not_a_pseudonym(case):
    case["client_id"] = "Jane Doe"
    return "client_id"


def _unknown_field(case):
    case["notes"] = "free text is not allowed"
    return "notes"


BREAKAGES = (_out_of_range, _unknown_item, _missing_arousal, _bad_state, _not_a_pseudonym,
             _unknown_field)


def invalid_case(rng: random.Random, index: int, instrument: Instrument) -> tuple[dict, str]:
    """A case with one known problem, and the field path its first error names."""
    case = valid_case(rng, index, instrument)
    breakage = BREAKAGES[index % len(BREAKAGES)]
    return case, breakage(case)


def caseload(count: int, invalid_every: int = 0, seed: int = 11) -> list[tuple[dict, str | None]]:
    """`count` cases; every `invalid_every`-th one (0: none) is broken: (case, expected field path)."""
    rng = random.Random(seed)
    instrument = bundled_instrument()
    out = []
    for index in range(count):
        if invalid_every and index % invalid_every == invalid_every - 1:
            out.append(invalid_case(rng, index, instrument))
        else:
            out.append((valid_case(rng, index, instrument), None))
    return out


def write_jsonl(path: Path, cases: list[tuple[dict, str | None]]) -> Path:
    with path.open("w", encoding="utf-8") as stream:
        for case, _ in cases:
            stream.write(json.dumps(case, separators=(",", ":")) + "\n")
    return path
