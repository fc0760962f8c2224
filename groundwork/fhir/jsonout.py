"""Deterministic FHIR JSON: the same resource gives the same bytes, with no null or empty element."""

from __future__ import annotations

import json

from fhir.resources.R4B.resource import Resource


def resource_dict(resource: Resource) -> dict:
    """The resource as FHIR JSON data (resourceType first, the models' field order)."""
    return pruned(json.loads(resource.model_dump_json(exclude_none=True)))


def pruned(value):
    """Drop nulls and empty lists and objects, recursively (FHIR forbids them in JSON)."""
    if isinstance(value, dict):
        fields = {k: pruned(v) for k, v in value.items()}
        return {k: v for k, v in fields.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        items = [pruned(v) for v in value]
        return [v for v in items if v is not None and v != [] and v != {}]
    return value


def dumps(resource: Resource) -> str:
    return json.dumps(resource_dict(resource), indent=2, ensure_ascii=False) + "\n"
