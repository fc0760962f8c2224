"""The `groundwork` command. Each command lives in a module of its own and registers itself here."""

from __future__ import annotations

import sys

import typer

from dsl.errors import EngineFailure, GroundworkError

app = typer.Typer(
    name="groundwork", no_args_is_help=True, add_completion=False,
    help="Explainable, bottom-up intervention planning (regulate -> relate -> reason). "
         "Decision support for clinicians; never a substitute for clinical judgement.",
    pretty_exceptions_enable=False,
)

from groundwork.cli import (  # noqa: E402,F401 - registers the commands
    assess, audit, batch, diff, explain, fhir, graph, lint, rule_tests, schema, serve)


def main() -> None:
    """Entry point: every error becomes one clear message and an exit code, never a traceback."""
    try:
        code = app(standalone_mode=False)  # with standalone_mode off, click returns Exit codes
        if isinstance(code, int) and not isinstance(code, bool) and code:
            sys.exit(code)
    except GroundworkError as error:
        print(error.render(), file=sys.stderr)
        sys.exit(2)
    except EngineFailure as error:
        print(f"error: E300: the rule engine failed; the assessment was aborted and no plan was "
              f"produced: {error}", file=sys.stderr)
        sys.exit(3)
    except (typer.Exit, SystemExit) as done:
        code = getattr(done, "exit_code", getattr(done, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(2)
    except Exception as error:  # click usage errors and anything unexpected
        import click
        # typer >= 0.20 vendors its own click: its usage errors are not click.ClickException
        vendored = getattr(typer, "TyperException", ())
        if isinstance(error, click.ClickException) or (isinstance(error, vendored)
                                                        and hasattr(error, "show")):
            error.show()
            sys.exit(2)
        print(f"error: E399: internal error ({type(error).__name__}); please report it with the "
              "command you ran", file=sys.stderr)
        sys.exit(3)
