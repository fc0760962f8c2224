"""Every bad input to `groundwork assess`: one precise first line, exit 2, no traceback, no output."""

from __future__ import annotations

import json

import pytest

from tests.helpers import base_assessment, run_cli


def _write(tmp_path, content) -> str:
    path = tmp_path / "case.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def _assert_bad(result, first_line_contains: str, out_file=None):
    assert result.returncode == 2, result.stderr
    first = result.stderr.splitlines()[0]
    assert first_line_contains in first, first
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    if out_file is not None:
        assert not out_file.exists()
        assert not list(out_file.parent.glob(f".{out_file.name}.*"))


def test_missing_file(tmp_path):
    result = run_cli("assess", str(tmp_path / "nope.json"), cwd=tmp_path)
    _assert_bad(result, "nope.json: (file): no such file")


def test_empty_file(tmp_path):
    result = run_cli("assess", _write(tmp_path, ""), cwd=tmp_path)
    _assert_bad(result, "case.json: (file): the file is empty")


def test_malformed_json_gives_line_and_column(tmp_path):
    result = run_cli("assess", _write(tmp_path, '{\n  "client_id": "X"\n  "age": 3\n}'), cwd=tmp_path)
    _assert_bad(result, "case.json:3:3: error: E203: malformed JSON: Expecting ',' delimiter")


def test_unknown_field(tmp_path):
    result = run_cli("assess", _write(tmp_path, base_assessment(nickname="x")), cwd=tmp_path)
    _assert_bad(result, "case.json: nickname: unknown field")


def test_missing_required_field(tmp_path):
    data = base_assessment()
    del data["arousal"]
    result = run_cli("assess", _write(tmp_path, data), cwd=tmp_path)
    _assert_bad(result, "case.json: arousal: required field is missing")


def test_rating_out_of_scale(tmp_path):
    data = base_assessment()
    data["ratings"][3]["value"] = 4
    result = run_cli("assess", _write(tmp_path, data), cwd=tmp_path)
    _assert_bad(result, "case.json: ratings[3].value: must be between 0 and 3, or null when unknown")


def test_rating_far_out_of_scale_is_a_field_error(tmp_path):
    data = base_assessment()
    data["ratings"][0]["value"] = 17
    result = run_cli("assess", _write(tmp_path, data), cwd=tmp_path)
    _assert_bad(result, "case.json: ratings[0].value:")


def test_negative_age(tmp_path):
    result = run_cli("assess", _write(tmp_path, base_assessment(age={"years": -1})), cwd=tmp_path)
    _assert_bad(result, "case.json: age.years: Input should be greater than or equal to 0")


def test_item_not_in_instrument(tmp_path):
    data = base_assessment()
    data["ratings"][2]["item"] = "sleep-onsett"
    result = run_cli("assess", _write(tmp_path, data), cwd=tmp_path)
    _assert_bad(result, "case.json: ratings[2].item: item 'sleep-onsett' is not in the instrument")
    assert "did you mean 'sleep-onset'?" in result.stderr


def test_not_an_object(tmp_path):
    result = run_cli("assess", _write(tmp_path, "[1, 2]"), cwd=tmp_path)
    _assert_bad(result, "case.json: (top level): expected a JSON object")


def test_name_instead_of_pseudonym_is_refused_without_echoing_it(tmp_path):
    result = run_cli("assess", _write(tmp_path, base_assessment(client_id="Jane Doe")), cwd=tmp_path)
    _assert_bad(result, "case.json: client_id: must be a pseudonymous id")
    assert "Jane" not in result.stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_bad_input_writes_no_output_file(tmp_path, fmt):
    out = tmp_path / "plan.out"
    result = run_cli("assess", _write(tmp_path, "{"), "--format", fmt, "--out", str(out), cwd=tmp_path)
    _assert_bad(result, "case.json:1:2: error: E203: malformed JSON", out_file=out)


def test_missing_kb_directory(tmp_path):
    result = run_cli("assess", _write(tmp_path, base_assessment()), "--kb", str(tmp_path / "kb"),
                     cwd=tmp_path)
    _assert_bad(result, "kb: error: E100: knowledge base directory not found")
