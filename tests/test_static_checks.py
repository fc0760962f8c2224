"""ruff and mypy pass over the product's packages (configured in pyproject.toml).

`make test` runs both before pytest and sets GROUNDWORK_STATIC_CHECKED, so that they are not run
twice; run on its own (`python -m pytest`), the suite checks them here."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.skipif(os.environ.get("GROUNDWORK_STATIC_CHECKED") == "1",
                                reason="make test ran ruff and mypy already")


@pytest.mark.parametrize("tool", [["ruff", "check"], ["mypy"]], ids=["ruff", "mypy"])
def test_static_checks_pass(tool):
    done = subprocess.run([sys.executable, "-m", *tool], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
