"""Checking returns a narrower type (dsl/checked.py): nothing after the checker tests for None."""

from __future__ import annotations

import dataclasses
import re

import pytest

import knowledge_base
from dsl import ast
from dsl.checked import CheckedIntervention, CheckedKnowledgeBase, CheckedRule, checked
from groundwork.web.models import RuleInfo
from tests.helpers import ROOT

KB = knowledge_base.load()


def test_loading_returns_the_checked_types():
    assert isinstance(KB, CheckedKnowledgeBase)
    assert all(isinstance(r, CheckedRule) for r in KB.rules)
    assert all(isinstance(i, CheckedIntervention) for i in KB.interventions.values())
    for rule in KB.rules:
        assert all(isinstance(getattr(rule, f), str) and getattr(rule, f)
                   for f in ("version", "title", "status", "evidence", "source", "author", "rationale"))
    for iv in KB.interventions.values():
        assert iv.name and iv.region and iv.modality and iv.source and isinstance(iv.dose, ast.Dose)
    assert KB.instrument is not None and KB.review is not None


def test_a_node_the_checker_let_through_incomplete_fails_loudly_not_later():
    rule = KB.rules[0]
    draft = ast.Rule(**{f.name: getattr(rule, f.name) for f in dataclasses.fields(ast.Rule)}
                     | {"source": None})
    unchecked = dataclasses.replace(KB, rules=(draft,))
    with pytest.raises(ValueError, match="checked without .*source"):
        checked(unchecked, KB.instrument)


def test_a_fired_rule_is_found_or_it_is_a_bug():
    assert KB.fired_rule(KB.rules[0].id) is KB.rules[0]
    with pytest.raises(KeyError):
        KB.fired_rule("no-such-rule")
    assert KB.rule("no-such-rule") is None


def test_the_http_schema_has_no_optional_rule_header():
    schema = RuleInfo.model_json_schema()
    for name in ("version", "title", "status", "evidence", "source", "rationale"):
        assert schema["properties"][name]["type"] == "string", name
        assert name in schema["required"]


def test_make_test_runs_ruff_and_mypy_before_pytest():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^test:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1)
    steps = [line.split()[0].rsplit("/", 1)[-1] for line in target.strip().splitlines()]
    assert steps.index("ruff") < steps.index("python") and steps.index("mypy") < steps.index("python")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"mypy' in pyproject and '"ruff' in pyproject and 'plugins = ["pydantic.mypy"]' in pyproject
