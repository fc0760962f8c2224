"""The benchmark runs end to end (small sizes) and reports every figure; nothing here is timed."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.scale_helpers import REPO


def test_quick_benchmark_reports_every_figure(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path),
                          "--only", "throughput,stages,frontend,memory,cold,batch,diff,audit,serve"],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    for name in ("shipped", "generated-40", "generated-240"):
        figures = results["throughput"][name]
        assert {"raw", "reference", "pipeline", "pipeline_over_raw", "raw_over_reference"} <= set(figures)
        assert figures["pipeline"]["p99_ms"] >= figures["pipeline"]["p50_ms"] > 0
    assert set(results["stages"]["us_per_case"]) == {
        "validate", "facts", "match", "hash", "sequence", "explain", "serialise"}
    assert set(results["memory"]) == {"shipped", "generated-40"}
    assert results["batch"]["identical_results"]
    check = results["batch"]["check"]
    assert check["lines"] == 200 and check["all_invalid_with_expected_field"]
    assert check["first_stderr_line_names_field"] and check["exit"] == 1
    from bench.report import TARGETS
    assert [t["target"] for t in results["targets"]] == [name for name, *_ in TARGETS]
    assert results["diff"]["assessed"] < results["diff"]["cases"]
    audit = results["audit"]
    assert audit["records"] == 50 and audit["kb_per_record"] > 0 and audit["verify_rate"] > 0
    serve = results["serve"]
    assert serve["requests"] > 0 and serve["chain_intact"]
    assert serve["workers_1"]["per_second"] > 0 and serve["workers_2"]["p99_ms"] >= serve["workers_2"]["p50_ms"]
    assert (tmp_path / "report.md").read_text().startswith("# Groundwork benchmark")
