"""docs/web.md says what the code does: every web error code, every route, the override reasons."""

from __future__ import annotations

import re

from engine.audit.feedback import OVERRIDE_REASONS
from groundwork.web.app import create_app
from groundwork.web.settings import Settings
from tests.helpers import ROOT

DOC = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")


def test_every_web_error_code_is_documented():
    sources = [*(ROOT / "groundwork" / "web").glob("*.py"), ROOT / "groundwork" / "service.py"]
    used = {code for path in sources for code in re.findall(r'"(E8\d\d)"', path.read_text())}
    assert used and {code for code in used if code not in DOC} == set()


def test_every_route_is_documented():
    schema = create_app(Settings(token="t" * 20)).openapi()
    for path, operations in schema["paths"].items():
        documented = re.sub(r"\{\w+\}", lambda m: {"{plan_id}": "{id}", "{service_id}": "groundwork-plan"}
                            .get(m.group(0), m.group(0)), path)
        for method in operations:
            assert f"{method.upper()} {documented}" in DOC, (method, path)


def test_override_reasons_table_matches_the_vocabulary():
    for code, meaning in OVERRIDE_REASONS.items():
        assert f"| `{code}` | {meaning} |" in DOC
