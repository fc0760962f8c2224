"""DOT source → SVG by running Graphviz's `dot` (Debian package `graphviz`)."""

from __future__ import annotations

import shutil
import subprocess

from dsl.errors import Diagnostic, GroundworkError, EngineFailure

DOT_TIMEOUT_SECONDS = 120


def render_svg(source: str) -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise GroundworkError([Diagnostic(
            "E230", "SVG output needs Graphviz's `dot` program, which is not installed",
            path="--format svg",
            hint="install Graphviz (Debian: apt-get install graphviz), or use --format dot")])
    result = subprocess.run([dot, "-Tsvg"], input=source.encode("utf-8"), capture_output=True,
                            timeout=DOT_TIMEOUT_SECONDS, check=False)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise EngineFailure(f"Graphviz dot failed: {detail[0] if detail else result.returncode}")
    return result.stdout.decode("utf-8")
