"""Graphviz is optional: without it SVG output says so and what to install (E230, exit 2); when it
fails, that is a Graphviz failure (E231, exit 3), never an engine failure."""

from __future__ import annotations

import shutil

import graphviz
import pytest

from dsl.errors import GroundworkError, ToolFailure
from explain.svg import render_svg
from tests.helpers import EXAMPLES, run_cli


def test_missing_graphviz_names_what_to_install(monkeypatch):
    def missing(*args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot"])
    monkeypatch.setattr(graphviz.Source, "pipe", missing)
    with pytest.raises(GroundworkError) as caught:
        render_svg("digraph { a -> b }")
    diagnostic = caught.value.first
    assert diagnostic.code == "E230" and "not installed" in diagnostic.message
    assert "apt-get install graphviz" in diagnostic.hint and "--format dot" in diagnostic.hint


def test_missing_graphviz_on_the_command_line_is_exit_2_and_writes_nothing(tmp_path):
    out = tmp_path / "map.svg"
    done = run_cli("assess", str(EXAMPLES / "adult.json"), "--no-audit", "-f", "svg",
                   "-o", str(out), env={"PATH": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == ("--format svg: error: E230: SVG output needs Graphviz, "
                                           "which is not installed on this machine")
    assert "Traceback" not in done.stderr and "engine" not in done.stderr
    assert not out.exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_a_graphviz_failure_is_not_an_engine_failure():
    with pytest.raises(ToolFailure) as caught:
        render_svg("digraph { a -> }")
    assert caught.value.diagnostic.code == "E231" and caught.value.exit_code == 3
    assert "Graphviz could not draw the graph" in caught.value.diagnostic.message
