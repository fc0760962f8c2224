"""`groundwork batch`: one line per case in input order, structured errors, nothing partial."""

from __future__ import annotations

import json
import random

import pytest

import knowledge_base
from bench.cases import bundled_instrument, caseload, invalid_case, valid_case, write_jsonl
from dsl.errors import GroundworkError
from engine.batch.local import CaseInput, evaluate_case, evaluate_local, find_cases, write_results
from engine.intake import validate_assessment
from engine.pipeline import assess
from tests.scale_helpers import groundwork


@pytest.fixture(scope="module")
def kb():
    return knowledge_base.load()


@pytest.fixture
def case_dir(tmp_path):
    """Three valid cases, one invalid, one that is not JSON, and a file that is not a case."""
    rng = random.Random(3)
    instrument = bundled_instrument()
    directory = tmp_path / "cases"
    (directory / "sub").mkdir(parents=True)
    for index, name in enumerate(("b.json", "a.json", "sub/c.json")):
        (directory / name).write_text(json.dumps(valid_case(rng, index, instrument)))
    broken, _ = invalid_case(rng, 0, instrument)  # rating value out of range
    (directory / "d-invalid.json").write_text(json.dumps(broken))
    (directory / "e-not-json.json").write_text("{\"client_id\": ")
    (directory / "notes.txt").write_text("not a case")
    (directory / ".hidden.json").write_text("{}")
    return directory


def test_find_cases_orders_files_and_reads_json_lines(case_dir, tmp_path):
    lines = write_jsonl(tmp_path / "load.jsonl", caseload(3))
    with lines.open("a") as stream:
        stream.write("\n")  # blank lines are not cases
    found = find_cases([case_dir, lines])
    assert [c.source.replace(str(tmp_path), "") for c in found] == [
        "/cases/a.json", "/cases/b.json", "/cases/d-invalid.json", "/cases/e-not-json.json",
        "/cases/sub/c.json", "/load.jsonl:1", "/load.jsonl:2", "/load.jsonl:3"]


def test_find_cases_skips_the_output_file(tmp_path):
    write_jsonl(tmp_path / "in.jsonl", caseload(2))
    write_jsonl(tmp_path / "results.jsonl", caseload(1))
    assert len(find_cases([tmp_path], exclude=[tmp_path / "results.jsonl"])) == 2


@pytest.mark.parametrize("paths, code", [(["missing.json"], "E201"), ([], "E204")])
def test_find_cases_rejects_nothing_to_do(tmp_path, paths, code):
    (tmp_path / "empty").mkdir()
    with pytest.raises(GroundworkError) as error:
        find_cases([tmp_path / p for p in paths] or [tmp_path / "empty"])
    assert error.value.first.code == code


def test_ok_line_holds_the_same_plan_as_assess(kb):
    case, _ = caseload(1)[0]
    result = evaluate_case(CaseInput("x.json", "x.json", text=json.dumps(case)), kb)
    expected = assess(validate_assessment(case, "x.json", kb), case, kb).plan
    line = json.loads(result.line)
    assert (line["source"], line["status"]) == ("x.json", "ok")
    assert line["plan"] == expected.model_dump(mode="json")
    assert result.line == json.dumps({"source": "x.json", "status": "ok",
                                      "plan": expected.model_dump(mode="json")},
                                     ensure_ascii=False, separators=(",", ":"))


def test_invalid_case_names_field_paths_and_not_values(kb):
    case, field = invalid_case(random.Random(1), 4, bundled_instrument())  # client_id "Jane Doe"
    result = evaluate_case(CaseInput("in.jsonl:7", "in.jsonl", 7, json.dumps(case)), kb)
    line = json.loads(result.line)
    assert line["status"] == "invalid"
    assert [e["field"] for e in line["errors"]] == [field] == ["client_id"]
    assert "Jane" not in result.line


def test_malformed_json_line_is_located_in_its_file_without_its_text(kb):
    text = '{"client_id": "secret-name", oops}'
    result = evaluate_case(CaseInput("in.jsonl:12", "in.jsonl", 12, text), kb)
    (diagnostic,) = result.diagnostics
    assert (diagnostic.path, diagnostic.line, diagnostic.code) == ("in.jsonl", 12, "E203")
    assert "secret" not in diagnostic.render() and "secret" not in result.line


def test_unreadable_file_is_an_invalid_case(kb, tmp_path):
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    results = [evaluate_case(CaseInput(str(p), str(p)), kb)
               for p in (tmp_path / "gone.json", tmp_path / "bin.json")]
    assert [json.loads(r.line)["errors"][0]["message"] for r in results] == [
        "no such file", "not UTF-8 text (invalid start byte)"]


def test_two_forked_workers_write_the_same_lines_as_one_process(kb, tmp_path):
    cases = find_cases([write_jsonl(tmp_path / "in.jsonl", caseload(60, invalid_every=7))])
    one = write_results(tmp_path / "one.jsonl", evaluate_local(cases, kb, 1, chunk_size=8))
    two = write_results(tmp_path / "two.jsonl", evaluate_local(cases, kb, 2, chunk_size=8))
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert (one.cases, one.invalid) == (two.cases, two.invalid) == (60, 8)


def test_interrupted_batch_leaves_no_file(tmp_path):
    def chunks():
        yield []
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_results(tmp_path / "out.jsonl", chunks())
    assert list(tmp_path.iterdir()) == []


# ---- through the command line ----

def test_batch_command_reports_failed_cases_and_exits_1(case_dir, tmp_path):
    out = tmp_path / "results.jsonl"
    run = groundwork("batch", str(case_dir), "--out", str(out), "--workers", "2")
    assert run.returncode == 1, run.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["status"] for line in lines] == ["ok", "ok", "invalid", "invalid", "ok"]
    first = run.stderr.splitlines()[0]
    assert first == f"{case_dir}/d-invalid.json: ratings[3].value: must be between 0 and 3, or null when unknown"
    assert f"{case_dir}/e-not-json.json:1:" in run.stderr and "E203" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout.startswith("5 cases, 2 with errors (2 invalid, 0 failed)")


def test_batch_command_all_valid_exits_0(tmp_path):
    cases = write_jsonl(tmp_path / "in.jsonl", caseload(5))
    run = groundwork("batch", str(cases), "--out", str(tmp_path / "r.jsonl"), "--workers", "1")
    assert (run.returncode, run.stderr) == (0, "")
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 5


@pytest.mark.parametrize("args, message", [
    (["missing.json", "--out", "r.jsonl"], "missing.json: (file): no such file or directory"),
    (["in.jsonl", "--out", "no-such-dir/r.jsonl"],
     "no-such-dir/r.jsonl: (file): the directory for the results does not exist"),
    (["in.jsonl", "--out", "r.jsonl", "--audit", "--db", "no-such-dir/a.sqlite"],
     "no-such-dir/a.sqlite"),
    (["in.jsonl", "--out", "r.jsonl", "--workers", "0"], "--workers: error: E208: --workers must be 1 or more"),
])
def test_batch_command_bad_input_exits_2_and_writes_nothing(tmp_path, args, message):
    write_jsonl(tmp_path / "in.jsonl", caseload(2))
    run = groundwork("batch", *args, cwd=tmp_path)
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_batch_audit_records_every_planned_case_and_the_chain_verifies(tmp_path):
    cases = write_jsonl(tmp_path / "in.jsonl", caseload(6))
    with cases.open("a", encoding="utf-8") as stream:
        stream.write("{not json\n")
    db = tmp_path / "audit.sqlite"
    run = groundwork("batch", str(cases), "--out", str(tmp_path / "r.jsonl"), "--workers", "2",
                     "--audit", "--db", str(db), cwd=tmp_path)
    assert run.returncode == 1  # the malformed line
    assert "audit: 6 records" in run.stdout
    listed = groundwork("audit", "list", "--db", str(db), cwd=tmp_path)
    assert listed.returncode == 0 and len([l for l in listed.stdout.splitlines() if l.strip()]) >= 6
    verified = groundwork("audit", "verify", "--db", str(db), cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    shown = groundwork("audit", "replay", "3", "--db", str(db), cwd=tmp_path)
    assert shown.returncode == 0, shown.stdout + shown.stderr
