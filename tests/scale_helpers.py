"""Helpers for the batch tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def groundwork(*args, cwd=None) -> subprocess.CompletedProcess:
    """The command in a subprocess (exit codes are main()'s), importable from any directory."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, "-c", "from groundwork.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd, env=env)
