"""`groundwork explain`, `why-not`, `graph` and `assess --trace/--format html|dot|svg`, run as a
user runs them: exit codes, messages, and nothing written on bad input."""

from __future__ import annotations

import json
import os
import shutil
import sys
import xml.etree.ElementTree as ElementTree

import pytest

from explain.models import Explanation, Trace
from tests.helpers import run_cli

ALARM = "tests/fixtures/explain/cases/fx-alarm.json"
KB = ("--kb", "tests/fixtures/explain/kb")
EXAMPLE = "examples/school-age-child.json"
SVG_NS = "{http://www.w3.org/2000/svg}"


def needs_dot():
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("Graphviz `dot` is not installed (apt-get install graphviz); CI requires it")


def test_explain_prints_the_rules_values_and_sequencing():
    result = run_cli("explain", ALARM, "sensory-grounding", *KB)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())  # the text is wrapped for reading
    assert "Rule grounding-when-both 1.0.0" in out
    assert "brainstem.band = severe, required >= moderate: true" in out
    assert "caregivers.dysregulated = 1, required > 0: true" in out
    assert "It starts after co-regulation-coaching" in out
    assert "Ratings: settles-after-startle 3" in out
    assert out.rstrip().endswith("Not affiliated with the Neurosequential Network.")


def test_explain_accepts_a_catalog_name_in_any_case():
    result = run_cli("explain", ALARM, "RHYTHMIC ROCKING", *KB)
    assert result.returncode == 0 and "[rhythmic-rocking]" in result.stdout


def test_explain_of_an_inactive_intervention_answers_why_not():
    result = run_cli("explain", ALARM, "cbt", *KB)
    assert result.returncode == 0
    assert result.stdout.startswith("Why not Cognitive behavioural therapy [cbt]")


@pytest.mark.parametrize("command", ["explain", "why-not"])
def test_unknown_intervention_suggests_the_nearest_and_exits_2(command, tmp_path):
    out = tmp_path / "answer.txt"
    result = run_cli(command, ALARM, "rhythmic-drums", *KB, "--out", str(out))
    assert result.returncode == 2
    first = result.stderr.splitlines()[0]
    assert "E220: 'rhythmic-drums' is not an intervention in the catalog" in first
    assert "nearest catalog ids: rhythmic-drumming" in first
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unknown_intervention_with_nothing_near_still_exits_2():
    result = run_cli("why-not", ALARM, "zzqx", *KB)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].endswith("'zzqx' is not an intervention in the catalog")
    assert "groundwork graph" in result.stderr


def test_bad_case_file_is_reported_before_explaining(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"client_id": ', encoding="utf-8")
    result = run_cli("why-not", str(bad), "cbt", *KB)
    assert result.returncode == 2 and "malformed JSON" in result.stderr.splitlines()[0]


def test_derivation_graph_only_for_a_recommendation(tmp_path):
    out = tmp_path / "g.dot"
    result = run_cli("explain", ALARM, "cbt", *KB, "--format", "dot", "--out", str(out))
    assert result.returncode == 2 and "E221" in result.stderr.splitlines()[0]
    assert "groundwork why-not" in result.stderr and not out.exists()


@pytest.mark.parametrize("command, intervention", [("explain", "rhythmic-rocking"),
                                                   ("why-not", "group-music-making"),
                                                   ("why-not", "mentoring")])
def test_json_answers_validate_against_the_published_model(command, intervention):
    result = run_cli(command, ALARM, intervention, *KB, "--format", "json")
    assert result.returncode == 0, result.stderr
    Explanation.model_validate_json(result.stdout)
    again = run_cli(command, ALARM, intervention, *KB, "--format", "json")
    assert again.stdout == result.stdout


def test_assess_trace_adds_the_canonical_trace_to_json_and_text():
    result = run_cli("assess", ALARM, *KB, "--format", "json", "--trace")
    payload = json.loads(result.stdout)
    trace = Trace.model_validate(payload.pop("trace"))
    assert [f.rule for f in trace.firings] == sorted(f.rule for f in trace.firings)
    assert "phases" in payload and "provenance" in payload
    text = run_cli("assess", ALARM, *KB, "--trace").stdout
    assert "TRACE for client fx-alarm: 8 firings" in text
    assert "matched: brainstem.band = severe" in text
    assert text.rstrip().splitlines()[-1].startswith("Decision support")


def test_assess_html_writes_a_self_contained_report(tmp_path):
    out = tmp_path / "report.html"
    result = run_cli("assess", EXAMPLE, "--format", "html", "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<details>" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_svg_needs_dot_and_says_how_to_install_it(tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "map.svg"
    bare = tmp_path / "bin"  # a PATH with python on it and nothing else
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    result = run_cli("assess", ALARM, *KB, "--format", "svg", "--out", str(out),
                     env={"PATH": str(bare)})
    assert result.returncode == 2
    assert "install Graphviz" in result.stderr and "apt-get install graphviz" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("args", [("assess", ALARM, *KB), ("explain", ALARM, "sensory-grounding", *KB),
                                  ("graph", *KB)])
def test_svg_is_well_formed_xml(args, tmp_path):
    needs_dot()
    out = tmp_path / "out.svg"
    result = run_cli(*args, "--format", "svg", "--out", str(out))
    assert result.returncode == 0, result.stderr
    root = ElementTree.parse(out).getroot()
    assert root.tag == f"{SVG_NS}svg"
    text = " ".join(t for t in root.itertext())
    if args[0] in ("assess", "graph"):
        for region in ("brainstem", "diencephalon", "limbic", "cortex"):
            assert region in text.lower(), region


def test_region_map_dot_prints_band_names_not_only_colours():
    result = run_cli("assess", ALARM, *KB, "--format", "dot")
    assert result.returncode == 0
    for words in ("band: severe", "band: mild", "band: moderate", "phase: regulate", "phase: relate"):
        assert words in result.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "dot"])
def test_graph_formats(fmt):
    result = run_cli("graph", *KB, "--format", fmt)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        graph = json.loads(result.stdout)
        kinds = {e["kind"] for e in graph["edges"]}
        assert kinds == {"order", "target", "prerequisite"}
    elif fmt == "text":
        assert "  - sensory-grounding (after co-regulation-coaching)" in result.stdout
    else:
        assert result.stdout.startswith("digraph dependencies")


def test_drafts_change_what_why_not_says_about_a_draft_rule():
    plain = " ".join(run_cli("why-not", ALARM, "mentoring", *KB).stdout.split())
    assert "mentoring-draft 0.1.0" in plain and "a draft rule: it runs only with --drafts" in plain
    drafts = " ".join(run_cli("why-not", ALARM, "mentoring", *KB, "--drafts").stdout.split())
    assert "It is deferred until brainstem is mild or better" in drafts
    assert "runs only with --drafts" not in drafts


def test_a_prerequisite_gate_names_the_missing_prerequisite_and_why_it_is_missing():
    solo = "tests/fixtures/explain/cases/fx-solo.json"
    out = " ".join(run_cli("why-not", solo, "sensory-grounding", *KB).stdout.split())
    assert "deferred until Caregiver co-regulation coaching is recorded as established" in out
    assert "caregivers.dysregulated = 0, required > 0: false" in out
