"""The published assessment schema matches the model; every example round-trips."""

from __future__ import annotations

import json

import pytest

from engine.models import Assessment
from groundwork.cli.schema import assessment_schema_json
from tests.helpers import ROOT, example_paths, run_cli


def test_committed_schema_matches_the_model():
    committed = (ROOT / "docs" / "assessment.schema.json").read_text(encoding="utf-8")
    assert committed == assessment_schema_json(), (
        "regenerate: groundwork schema > docs/assessment.schema.json")


def test_schema_command_prints_it():
    result = run_cli("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "Assessment"


def test_every_field_documents_itself():
    full = Assessment.model_json_schema()

    def walk(schema, where):
        for name, prop in schema.get("properties", {}).items():
            referenced = full["$defs"].get(prop.get("$ref", "").rsplit("/", 1)[-1], {})
            assert prop.get("title") or referenced.get("title"), f"{where}.{name} has no title"
            assert prop.get("description"), f"{where}.{name} has no description"
    walk(full, "Assessment")
    for name, definition in full.get("$defs", {}).items():
        walk(definition, name)


@pytest.mark.parametrize("case", example_paths(), ids=lambda p: p.stem)
def test_examples_round_trip(case):
    first = Assessment.model_validate(json.loads(case.read_text()))
    again = Assessment.model_validate(json.loads(first.model_dump_json()))
    assert again == first


def test_committed_plan_schema_matches_the_model():
    from engine.plan import Plan
    schema = Plan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    committed = json.loads((ROOT / "docs" / "plan.schema.json").read_text(encoding="utf-8"))
    assert committed == schema, "regenerate docs/plan.schema.json from engine.plan.Plan"
