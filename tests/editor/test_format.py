"""`groundwork fmt`: the canonical layout round-trips (the same declarations), keeps every comment,
is idempotent, and the shipped knowledge base is already in it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from dsl import ast
from dsl.format import format_text
from dsl.parser import parse_text
from tests.editor.rule_files import rule_files
from tests.helpers import CORE_KB, ROOT, run_cli


def without_positions(node):
    """An AST with every position left out: what a file means, not where it was written."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return (type(node).__name__,) + tuple(
            (f.name, without_positions(getattr(node, f.name))) for f in dataclasses.fields(node)
            if f.name != "pos" and not f.name.endswith("_pos"))
    if isinstance(node, (tuple, list)):
        return tuple(without_positions(n) for n in node)
    return node


def meaning(text: str):
    return without_positions(parse_text(text, "x.gw").items)


def comments_of(text: str) -> list[str]:
    """Comment texts, found by the lexer's own rule (outside strings)."""
    from dsl.format import _comments, _full_parser, _tokens
    tokens = sorted(_tokens(_full_parser().parse(text)), key=lambda t: t.start_pos)
    return sorted(c for _, _, c, _ in _comments(text, tokens))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_files())
def test_formatting_keeps_the_meaning_and_the_comments_and_is_idempotent(text):
    formatted = format_text(text)
    assert meaning(formatted) == meaning(text)
    assert comments_of(formatted) == comments_of(text)
    assert format_text(formatted) == formatted


SHIPPED = sorted(CORE_KB.rglob("*.gw")) + sorted((ROOT / "examples").rglob("*.gw"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_rule_file_is_formatted(path):
    text = path.read_text(encoding="utf-8")
    assert format_text(text, str(path)) == text, f"run: groundwork fmt {path}"


def test_the_canonical_layout():
    messy = ('# a model\nregion a order 1 phase regulate  region bee order 2 phase relate "B"\n'
             'rule r {  # lint: allow W350\n version "1.0.0"  when x . y >= 2 and ( a or b )'
             ' and z in { p ,q } then recommend w dose 1 per day , 5 minutes , by t\n'
             '  # above the avoid\n avoid w because "no"}\n'
             'intervention w { name "W" settings home , clinic }')
    assert format_text(messy) == (
        "# a model\n"
        "region a   order 1 phase regulate\n"
        'region bee order 2 phase relate "B"\n'
        "\n"
        "rule r {  # lint: allow W350\n"
        '  version "1.0.0"\n'
        "  when x.y >= 2 and (a or b) and z in {p, q}\n"
        "  then\n"
        "    recommend w dose 1 per day, 5 minutes, by t\n"
        "    # above the avoid\n"
        '    avoid w because "no"\n'
        "}\n"
        "\n"
        "intervention w {\n"
        '  name "W"\n'
        "  settings home, clinic\n"
        "}\n")


def test_a_long_condition_is_wrapped_before_its_operators():
    condition = " and ".join(f"region{i}.band <= mild" for i in range(6))
    text = f'rule r {{ when {condition} then derive f }}\n'
    lines = format_text(text).splitlines()
    assert all(len(line) <= 100 for line in lines)
    assert lines[2].startswith("       and region")  # under the first word of the condition
    assert meaning(format_text(text)) == meaning(text)


def _kb_copy(tmp_path) -> Path:
    target = tmp_path / "kb"
    target.mkdir()
    for path in CORE_KB.glob("*.gw"):
        (target / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_fmt_check_passes_on_the_shipped_knowledge_base():
    result = run_cli("fmt", "--check", "knowledge_base/core")
    assert result.returncode == 0, result.stdout + result.stderr
    files = len(list(CORE_KB.glob("*.gw")))
    assert result.stdout == "" and f"{files} files already formatted" in result.stderr


def test_fmt_check_and_diff_report_without_writing_and_fmt_rewrites(tmp_path):
    kb = _kb_copy(tmp_path)
    original = (kb / "00-model.gw").read_text(encoding="utf-8")
    (kb / "00-model.gw").write_text(original.replace("region brainstem    order",
                                                     "region   brainstem order"), encoding="utf-8")
    messy = (kb / "00-model.gw").read_text(encoding="utf-8")
    check = run_cli("fmt", "--check", "kb", cwd=tmp_path)
    assert check.returncode == 1 and "would reformat kb/00-model.gw" in check.stderr
    diff = run_cli("fmt", "--diff", "kb", cwd=tmp_path)
    assert diff.returncode == 0
    assert "--- kb/00-model.gw" in diff.stdout and "+region brainstem    order 1" in diff.stdout
    assert (kb / "00-model.gw").read_text(encoding="utf-8") == messy
    rewrite = run_cli("fmt", "kb", cwd=tmp_path)
    assert rewrite.returncode == 0 and "reformatted kb/00-model.gw" in rewrite.stderr
    assert (kb / "00-model.gw").read_text(encoding="utf-8") == original


def test_fmt_refuses_a_file_with_a_syntax_error_and_writes_nothing(tmp_path):
    kb = _kb_copy(tmp_path)
    broken = "rule r { when then derive x }\n"
    (kb / "90-broken.gw").write_text(broken, encoding="utf-8")
    (kb / "00-model.gw").write_text("region   brainstem order 1 phase regulate\n", encoding="utf-8")
    result = run_cli("fmt", "kb", cwd=tmp_path)
    assert result.returncode == 2
    assert re.match(r"kb/90-broken\.gw:1:15: error: E001: ", result.stderr)
    assert (kb / "90-broken.gw").read_text(encoding="utf-8") == broken
    assert (kb / "00-model.gw").read_text(encoding="utf-8").startswith("region   brainstem")


def test_fmt_of_a_missing_path(tmp_path):
    result = run_cli("fmt", "nowhere", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("nowhere: error: E500: ")
