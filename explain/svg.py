"""DOT source → SVG through the `graphviz` package, which runs Graphviz's `dot` program.

Graphviz is an optional system package (Debian: `graphviz`). Without it, SVG output is refused
as what it is (E230, exit 2: install Graphviz, or ask for DOT); if `dot` itself fails, that is
reported as a Graphviz failure (E231, exit 3), never as a failure of the rule engine.
"""

from __future__ import annotations

import graphviz

from dsl.errors import Diagnostic, GroundworkError, ToolFailure

INSTALL = ("install Graphviz (Debian and Ubuntu: apt-get install graphviz; macOS: brew install "
           "graphviz), or use --format dot and draw the graph elsewhere")


def render_svg(source: str) -> str:
    try:
        # quiet: Graphviz's own complaints come back in the error, not on our stderr
        return graphviz.Source(source).pipe(format="svg", encoding="utf-8", quiet=True)
    except graphviz.ExecutableNotFound:
        raise GroundworkError([Diagnostic(
            "E230", "SVG output needs Graphviz, which is not installed on this machine",
            path="--format svg", hint=INSTALL)]) from None
    except (graphviz.CalledProcessError, OSError) as error:
        detail = getattr(error, "stderr", None) or ""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        first = detail.strip().splitlines()[:1]
        raise ToolFailure(Diagnostic(
            "E231", "Graphviz could not draw the graph: " + (first[0] if first else type(error).__name__),
            path="--format svg",
            hint="the plan itself is fine; --format dot prints the graph's source")) from None
