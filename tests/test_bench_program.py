"""`python -m bench.program --quick` runs end to end and reports every figure; nothing is timed here."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.scale_helpers import REPO


def test_quick_program_benchmark_reports_every_figure(tmp_path):
    out = tmp_path / "program.json"
    run = subprocess.run([sys.executable, "-m", "bench.program", "--quick", "--out", str(out)],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(out.read_text())
    generated, measured = results["generated"], results["measured"]
    assert generated["assessments"] > 500 and generated["events"] > 500
    assert {"count_ms", "report_ms", "report_over_count", "peak_rss_mb", "progress_ms"} <= set(measured)
    assert measured["report_events"] == generated["events"]
    assert "program report, whole period" in run.stdout and "peak RSS" in run.stdout
