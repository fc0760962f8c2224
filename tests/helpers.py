"""Small helpers shared by the tests: run the CLI as a user would, build assessments."""

from __future__ import annotations

import os
import subprocess
import tempfile
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CORE_KB = ROOT / "knowledge_base" / "core"


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess:
    """`groundwork ARGS` in a fresh process, exactly as a user runs it (exit codes included)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    # Never the user's audit store: a throwaway one unless the test names its own.
    if "GROUNDWORK_DB" not in full_env:
        full_env["GROUNDWORK_DB"] = os.path.join(tempfile.mkdtemp(prefix="gw-test-"), "audit.sqlite")
    return subprocess.run(
        [sys.executable, "-c", "from groundwork.cli import main; main()", *args],
        cwd=cwd or ROOT, env=full_env, capture_output=True, text=True, input=stdin, timeout=300)


def run_here(*args: str) -> tuple[int, str, str]:
    """`groundwork ARGS` in this process, through the CLI's own entry point and error boundary:
    (exit code, stdout, stderr). For tests that run the CLI hundreds of times."""
    import contextlib
    import io
    from groundwork.cli import main
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["groundwork", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.json"))


def base_assessment(**overrides) -> dict:
    """A valid assessment of a typically developing 8-year-old, calm; override any field."""
    from dsl.kb import load_knowledge_base  # noqa: F401 - keep imports lazy for collection speed
    import knowledge_base
    items = knowledge_base.load().instrument.items
    data = {
        "client_id": "TEST-01", "assessor_id": "CLIN-01", "assessment_date": "2026-11-01",
        "age": {"years": 8, "months": 0},
        "ratings": [{"item": i.id, "value": 0, "informant": "caregiver"} for i in items],
        "arousal": {"baseline": "calm", "current": "calm", "dissociative": False},
        "history": [],
        "relational_health": {"family": "adequate", "community": "adequate", "cultural": "adequate"},
        "caregivers": [{"id": "CG-1", "role": "parent", "settings": ["home"],
                        "regulation": "well_regulated"}],
        "safeguarding": [], "sensitivities": [], "settings": ["home", "school"],
    }
    data.update(overrides)
    return data


def ratings_for_bands(bands: dict[str, str]) -> list[dict]:
    """Ratings that give each named region the wanted band (others typical)."""
    import knowledge_base
    value_for = {"typical": 0, "mild": 1, "moderate": 2, "severe": 3}
    return [{"item": i.id, "value": value_for[bands.get(i.region, "typical")],
             "informant": "caregiver"} for i in knowledge_base.load().instrument.items]


CHROMIUM = "/usr/bin/chromium"


def browser_or_skip() -> None:
    """Skip a browser test, saying why, when Playwright or Debian's chromium is missing; in CI, fail."""
    import pytest
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
    if not os.path.exists(CHROMIUM):
        missing.append("Debian chromium (apt-get install chromium)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests; missing " + " and ".join(missing))
        pytest.skip("missing " + " and ".join(missing) + "; never `playwright install`")
