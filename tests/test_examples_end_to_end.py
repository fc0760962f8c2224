"""`groundwork assess` on every example, through the CLI as a user runs it."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ROOT, example_paths, run_cli

EXAMPLES = example_paths()
IDS = [p.stem for p in EXAMPLES]


def _assess_json(case, **env):
    result = run_cli("assess", str(case.relative_to(ROOT)), "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_there_are_examples_of_every_age_group():
    ages = sorted(json.loads(p.read_text())["age"]["years"] for p in EXAMPLES)
    assert len(EXAMPLES) >= 4
    assert ages[0] < 6 and any(6 <= a < 12 for a in ages) and any(12 <= a < 18 for a in ages)
    assert ages[-1] >= 18


@pytest.mark.parametrize("case", EXAMPLES, ids=IDS)
def test_json_output_follows_the_contract(case):
    plan = json.loads(_assess_json(case))
    for phase in plan["phases"]:
        assert phase["name"] in ("regulate", "relate", "reason")
        for rec in phase["recommendations"]:
            assert {"intervention", "target_region", "dose", "settings", "rules"} <= rec.keys()
            assert {"frequency", "minutes", "delivered_by"} <= rec["dose"].keys()
            assert rec["rules"]
    for item in plan["deferred"]:
        assert {"intervention", "gate", "rules"} <= item.keys()
    for item in plan["avoided"]:
        assert {"intervention", "rules", "reason"} <= item.keys()
    for flag in plan["flags"]:
        assert {"code", "severity", "message", "rules"} <= flag.keys()
        assert flag["severity"] in ("info", "warning", "critical")
    assert [r["region"] for r in plan["regions"]] == ["brainstem", "diencephalon", "limbic", "cortex"]
    assert all({"score", "band"} <= r.keys() for r in plan["regions"] + plan["domains"])
    assert all("domain" in d for d in plan["domains"])
    assert isinstance(plan["developmental_age_months"], int)
    assert set(plan["arousal"]) == {"current", "baseline", "dissociative"}
    assert {"kb_name", "kb_version", "kb_hash", "engine_version", "input_hash"} <= plan["provenance"].keys()


@pytest.mark.parametrize("case", EXAMPLES, ids=IDS)
def test_output_is_byte_identical_across_runs_and_hash_seeds(case):
    assert _assess_json(case, PYTHONHASHSEED="1") == _assess_json(case, PYTHONHASHSEED="4242")


@pytest.mark.parametrize("case", EXAMPLES, ids=IDS)
def test_no_reasoning_work_while_a_lower_region_is_compromised(case):
    plan = json.loads(_assess_json(case))
    bands = {r["region"]: r["band"] for r in plan["regions"]}
    client = [p["name"] for p in plan["phases"]
              if any(r["track"] == "client" for r in p["recommendations"])]
    if bands["brainstem"] in ("moderate", "severe") or bands["diencephalon"] in ("moderate", "severe"):
        assert "reason" not in client
        assert "relate" not in client


def test_a_client_with_severe_lower_regions_gets_regulate_work_only():
    """Only the client's own work is held to the regulate phase: the adults' work starts now."""
    plan = json.loads(_assess_json(ROOT / "examples" / "school-age-child.json"))
    client = [p["name"] for p in plan["phases"]
              if any(r["track"] == "client" for r in p["recommendations"])]
    assert client == ["regulate"]
    support = {r["intervention"] for p in plan["phases"] for r in p["recommendations"]
               if r["track"] == "support"}
    assert "caregiver-attunement-coaching" in support
    relate = [d for d in plan["deferred"] if d["phase"] == "relate"]
    assert all(d["track"] == "client" for d in relate)
    assert relate and all(
        d["gate"].startswith("until brainstem is mild or better and diencephalon is mild or better")
        and "brainstem.band = severe, diencephalon.band = severe" in d["holding_value"]
        for d in relate)


def test_the_readme_demo_prints_an_explained_plan():
    result = run_cli("assess", "examples/school-age-child.json")
    assert result.returncode == 0, result.stderr
    assert "PHASE 1: REGULATE" in result.stdout
    assert "because" in result.stdout
    assert "not affiliated with the Neurosequential Network".lower() in result.stdout.lower()
