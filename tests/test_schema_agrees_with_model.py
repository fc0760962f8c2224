"""docs/assessment.schema.json and the Assessment model accept and reject the same documents (#18).

Documents valid by the schema are generated from it (hypothesis-jsonschema); documents near the
schema are made by putting an arbitrary JSON value in place of one field of a valid document (or
adding or removing a field), which is where a coercing or a stricter model would disagree.
"""

from __future__ import annotations

import copy
import json

import jsonschema_rs
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from pydantic import ValidationError

from engine.models import Assessment
from tests.helpers import ROOT

SCHEMA = json.loads((ROOT / "docs" / "assessment.schema.json").read_text(encoding="utf-8"))
# A validator with ECMA-262 regular expressions, as JSON Schema specifies (Python's `$` would
# also match before a final newline) and formats checked ("format": "date")
VALIDATOR = jsonschema_rs.validator_for(SCHEMA, validate_formats=True)

# JSON values as a client could send them (json.loads never gives a tuple or a NaN)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20) | st.sampled_from(["calm", "terror", "home", "caregiver", "2026-11-01",
                                              "2026-02-30", "20261101", "A-1", "x\n", "sleep-onset"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


def from_schema(schema: dict, root: dict = SCHEMA) -> st.SearchStrategy:
    """Documents valid by `schema`: the constructs docs/assessment.schema.json uses, and only
    those (hypothesis-jsonschema does this in general, but its release does not run on the
    Hypothesis we use)."""
    if "$ref" in schema:
        return from_schema(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, root) for s in schema["anyOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", ()))
        properties = schema["properties"]
        return st.fixed_dictionaries(
            {k: from_schema(v, root) for k, v in properties.items() if k in required},
            optional={k: from_schema(v, root) for k, v in properties.items() if k not in required})
    if kind == "array":
        return st.lists(from_schema(schema["items"], root), min_size=schema.get("minItems", 0),
                        max_size=max(3, schema.get("minItems", 0)))
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string" and schema.get("format") == "date":
        return st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}")
    if kind == "string" and "pattern" in schema:
        return st.from_regex(schema["pattern"].replace("$", r"\Z"), fullmatch=True)
    if kind == "string":
        return st.text()
    raise AssertionError(f"a schema construct this generator does not know: {schema}")


# What the model checks across fields and JSON Schema cannot say: a suspected person names a
# concern that is recorded, and a safety review took place on or before the assessment (#13).
# The schema's descriptions say so; here a document breaking one of them is set aside.
def _beyond_the_schema(document) -> bool:
    if not isinstance(document, dict):
        return False
    concerns = document.get("safeguarding", [])
    suspected = document.get("suspected_harm")
    if isinstance(suspected, list) and isinstance(concerns, list) and any(
            isinstance(entry, dict) and entry.get("concern") not in concerns for entry in suspected):
        return True
    review, day = document.get("safety_review"), document.get("assessment_date")
    return (isinstance(review, dict) and isinstance(review.get("date"), str)
            and isinstance(day, str) and review["date"] > day)


def _model_accepts(document) -> bool:
    try:
        Assessment.model_validate(document)
    except ValidationError:
        return False
    return True


def _schema_accepts(document) -> bool:
    return VALIDATOR.is_valid(document)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(from_schema(SCHEMA))
def test_every_document_the_schema_accepts_the_model_accepts(document):
    assume(not _beyond_the_schema(document))
    assert _model_accepts(document), document


def _paths(value, where=()):
    """Every place in a document a value can be replaced, removed or added."""
    yield where
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, where + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, where + (index,))


@st.composite
def near_schema(draw):
    document = copy.deepcopy(draw(from_schema(SCHEMA)))
    paths = [p for p in _paths(document) if p]
    if not paths:
        return document
    where = draw(st.sampled_from(paths))
    parent = document
    for step in where[:-1]:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace":
        parent[where[-1]] = draw(JSON)
    elif action == "remove":
        del parent[where[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.text(max_size=8))] = draw(JSON)
    else:
        parent.append(draw(JSON))
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_schema())
def test_the_schema_and_the_model_agree_near_the_schema(document):
    assume(not _beyond_the_schema(document))
    assert _schema_accepts(document) == _model_accepts(document), document


def test_the_cross_field_rules_are_the_models_own():
    document = json.loads((ROOT / "examples" / "school-age-child.json").read_text(encoding="utf-8"))
    for extra in ({"suspected_harm": [{"concern": "ongoing_maltreatment", "suspected": "unknown"}]},
                  {"safety_review": {"date": "2099-01-01", "evocative_work": "hold"}}):
        bad = document | extra
        assert _beyond_the_schema(bad) and _schema_accepts(bad) and not _model_accepts(bad), extra


def test_the_cases_issue_18_found_are_refused_by_both():
    document = json.loads((ROOT / "examples" / "school-age-child.json").read_text(encoding="utf-8"))
    for mutate in (lambda d: d["ratings"][0].update(value="6"),
                   lambda d: d["ratings"][0].update(value=True),
                   lambda d: d["arousal"].update(dissociative="true"),
                   lambda d: d["age"].update(years=8.5),
                   lambda d: d.update(assessment_date=1762000000)):
        bad = copy.deepcopy(document)
        mutate(bad)
        assert not _schema_accepts(bad) and not _model_accepts(bad), bad


def test_a_whole_number_written_with_a_fraction_is_a_whole_number_to_both():
    # JSON Schema's "integer" includes 1.0; RFC 8785 hashes it as 1 (docs/audit.md)
    document = json.loads((ROOT / "examples" / "school-age-child.json").read_text(encoding="utf-8"))
    document["age"]["years"] = 8.0
    assert _schema_accepts(document) and _model_accepts(document)
    assert Assessment.model_validate(document).age.years == 8
