"""`groundwork schema`: the assessment JSON Schema, generated from the pydantic model."""

from __future__ import annotations

import json

from engine.models import Assessment
from groundwork.cli import app


def assessment_schema_json() -> str:
    schema = Assessment.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


@app.command()
def schema() -> None:
    """Print the JSON Schema of an assessment."""
    print(assessment_schema_json(), end="")
