"""The fact registry (dsl/facts.py) is the one home of every fact: complete entries, one spelling."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

import knowledge_base
from dsl import facts
from dsl.facts import FACTS, Fact, RegistryError
from dsl.vocabulary import Kind

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dsl", "engine", "explain", "groundwork", "knowledge_base")
# The CDS Hooks card indicator is the specification's own vocabulary; it happens to use our words.
SAME_WORDS_OTHER_VOCABULARY = {"groundwork/web/cards.py"}
COMPLETE = dict(path="example.fact", kind=Kind.NUMBER, description="an example",
                subject="the example is", origin="the assessment",
                compute=lambda s, _: 0.0, space=facts.Count())


def _import(tmp_path: Path, source: str):
    module = tmp_path / "declares_a_fact.py"
    module.write_text("from dsl.facts import Count, Fact\nfrom dsl.vocabulary import Kind\n"
                      + source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("declares_a_fact", module)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def test_a_complete_declaration_imports(tmp_path):
    loaded = _import(tmp_path, 'F = Fact("x.y", Kind.NUMBER, "what it is", "x is", "the assessment",'
                               ' lambda s, _: 1.0, Count())\n')
    assert loaded.F.description == "what it is"


@pytest.mark.parametrize("missing", ["description", "compute", "space"])
def test_a_fact_without_description_computation_or_value_space_fails_at_import(tmp_path, missing):
    arguments = {"description": '"what it is"', "compute": "lambda s, _: 1.0", "space": "Count()"}
    del arguments[missing]
    source = ("F = Fact(path='x.y', kind=Kind.NUMBER, subject='x is', origin='the assessment', "
              + ", ".join(f"{k}={v}" for k, v in arguments.items()) + ")\n")
    with pytest.raises(TypeError, match=missing):
        _import(tmp_path, source)


@pytest.mark.parametrize("field,value,message", [
    ("description", "", "needs a description"),
    ("compute", None, "needs a computation"),
    ("space", None, "needs a value space"),
    ("space", facts.Members(), "only a set"),
    ("path", "a.{period}.{part}", "one variable"),
])
def test_an_empty_or_inconsistent_declaration_is_refused(field, value, message):
    with pytest.raises(RegistryError, match=message):
        Fact(**(COMPLETE | {field: value}))


def test_every_fact_a_knowledge_base_offers_comes_from_the_registry():
    kb = knowledge_base.load()
    types = kb.fact_types()
    expanded = {path for fact in FACTS for path in facts.expand(fact.path, kb.region_names + kb.domain_names)}
    assert set(types) == expanded
    assert all(t.fact is not None and t.description and t.origin and t.subject for t in types.values())


def _sources() -> dict[str, str]:
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def test_each_fact_path_is_spelled_in_one_module_only():
    sources = _sources()
    for fact in FACTS:
        if fact.pattern is not None or "." not in fact.path:
            # Patterns are expanded by the registry (their concrete paths vary by knowledge base);
            # a one-word fact (`settings`) shares its name with the assessment field it reads.
            continue
        spelled = re.compile(rf"""["'`]{re.escape(fact.path)}["'` ]""")
        homes = sorted(name for name, text in sources.items() if spelled.search(text))
        assert homes == ["dsl/facts.py"], f"{fact.path} is spelled in {homes}"


@pytest.mark.parametrize("scale", [("typical", "mild"), ("calm", "alert"), ("none", "mild"),
                                   ("poor", "limited"), ("info", "warning")])
def test_each_scale_is_declared_once(scale):
    sequence = re.compile(rf"""["']{scale[0]}["'],\s*["']{scale[1]}["']""")
    homes = sorted(name for name, text in _sources().items() if sequence.search(text)
                   and name not in SAME_WORDS_OTHER_VOCABULARY)
    assert homes == [], f"the scale {scale} is re-typed in {homes}; use dsl.vocabulary's enum"


def test_the_dsl_reference_lists_every_declared_fact():
    reference = (ROOT / "docs" / "dsl.md").read_text(encoding="utf-8")
    for fact in FACTS:
        shown = fact.path.replace("{scored}", "REGION").replace("{period}", "PERIOD")
        shown = shown.replace("{part}", "family")
        assert f"`{shown}`" in reference, f"docs/dsl.md section 10 does not list {fact.path}"
