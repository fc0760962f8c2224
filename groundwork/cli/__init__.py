"""The `groundwork` command. Each command lives in a module of its own, listed in `COMMANDS`.

A command's module is imported only when that command runs: `groundwork --help` lists the commands
from the table below without importing the rule engine, the web server or the explainers, so that
asking for help costs little more than starting Python (see bench/, "CLI start-up").
"""

from __future__ import annotations

import importlib
import sys

import typer
from typer.core import TyperGroup

from dsl.errors import EngineFailure, GroundworkError, ToolFailure
from engine import __version__

# name -> (module that registers it, the one-line help `groundwork --help` shows). A test checks
# that each line equals the first line of the command's own help, so the two cannot drift.
COMMANDS: dict[str, tuple[str, str]] = {
    "assess": ("groundwork.cli.assess", "Assess one client and print the explained, phased plan "
                                        "(recorded in the audit store)."),
    "batch": ("groundwork.cli.batch", "Evaluate a caseload: one result line per case; exit 1 if "
                                      "any case failed."),
    "diff": ("groundwork.cli.diff", "Compare two knowledge bases on cases: work added, removed, "
                                    "moved, deferred, avoided."),
    "explain": ("groundwork.cli.explain", "Why this intervention: the rules, the client's values "
                                          "behind them, and its place in the plan."),
    "why-not": ("groundwork.cli.explain", "Why not this intervention: the gate, rule or missing "
                                          "condition that holds it back."),
    "graph": ("groundwork.cli.graph", "Print the dependency graph: regions lowest first, "
                                      "interventions, prerequisites."),
    "lint": ("groundwork.cli.lint", "Check rule files: syntax, names, types, contradictions, "
                                    "conflicts, gaps, ordering, status."),
    "lsp": ("groundwork.cli.lsp", "Run the language server: diagnostics, completion, hover, go "
                                  "to definition, symbols."),
    "fmt": ("groundwork.cli.fmt", "Lay out rule files in the canonical layout (comments kept, "
                                  "meaning unchanged)."),
    "test": ("groundwork.cli.rule_tests", "Run rule scenarios: each failure shows expected vs "
                                          "actual and why; ends 'N passed, M failed'."),
    "schema": ("groundwork.cli.schema", "Print the JSON Schema of an assessment."),
    "serve": ("groundwork.cli.serve", "Serve the HTTP API, CDS Hooks and the web page (see "
                                      "docs/web.md)."),
    "audit": ("groundwork.cli.audit", "The audit record: list, show, verify, replay, export plans "
                                      "given to clinicians, and record their feedback."),
    "progress": ("groundwork.cli.program", "A client's re-assessments: bands over time, what "
                                           "changed and why, goals, feedback, events."),
    "outcome": ("groundwork.cli.outcome", "Record outcome events (restraint, placement move ...) "
                                          "and exposure time (days in placement, bed-days) in the "
                                          "audit store, for `groundwork program report`."),
    "program": ("groundwork.cli.program", "Program-level figures from the audit store: event rates "
                                          "per 100 bed-days, lower-region improvement, adherence, "
                                          "placement stability (observational, uncontrolled)."),
    "export": ("groundwork.cli.program", "One row per assessment, pseudonymous, for analysts: "
                                         "bands, plan size, feedback, events."),
    "users": ("groundwork.cli.users", "Personal accounts for `groundwork serve`: add, list, "
                                      "disable, and issue a new token (roles: clinician, "
                                      "qa-reviewer, trainer, admin)."),
    "fhir": ("groundwork.cli.fhir", "FHIR R4: the instrument as a Questionnaire; assessments as "
                                    "QuestionnaireResponses."),
}


class LazyCommands(TyperGroup):
    """A command group that imports a command's module when the command is resolved to run (or
    to show its own help), and lists every command from `COMMANDS` without importing any."""

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, name: str):
        if name in self.commands:
            return self.commands[name]
        if name not in COMMANDS:
            return None
        # Listing (help, completion of names) only needs the name and the one-line help.
        return _Listed(name=name, help=COMMANDS[name][1], short_help=COMMANDS[name][1])

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name in COMMANDS and name not in self.commands:
            self.add_command(load_command(name), name)
        return super().resolve_command(ctx, args)


class _Listed(typer.core.TyperCommand):
    """Stands for a command in a listing; never invoked (resolve_command loads the real one)."""


def load_command(name: str):
    """Import the module of command `name` and build its click command from what it registered."""
    importlib.import_module(COMMANDS[name][0])
    markup = app.rich_markup_mode
    for command in app.registered_commands:
        default = command.callback.__name__.replace("_", "-") if command.callback else None
        if (command.name or default) == name:
            return typer.main.get_command_from_info(command, pretty_exceptions_short=True,
                                                    rich_markup_mode=markup)
    for group in app.registered_groups:
        if group.name == name:
            return typer.main.get_group_from_info(group, suggest_commands=True,
                                                  pretty_exceptions_short=True,
                                                  rich_markup_mode=markup)
    raise LookupError(f"{COMMANDS[name][0]} registers no command {name!r}")


app = typer.Typer(
    name="groundwork", no_args_is_help=True, cls=LazyCommands,
    # `groundwork --install-completion` / `--show-completion`: typer's shell completion
    add_completion=True,
    # Plain help text: rich boxes cost a third of a second to import on every `--help`.
    rich_markup_mode=None,
    help="Explainable, bottom-up intervention planning (regulate -> relate -> reason). "
         "Decision support for clinicians; never a substitute for clinical judgement.",
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"groundwork {__version__}")
        raise typer.Exit()


@app.callback()
def root(version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version,
        help="Print the version (the engine version plans record) and exit.")) -> None:
    # A callback makes `app` a group even before any command module is imported; it also holds
    # the options that come before every command.
    pass


def main() -> None:
    """Entry point: every error becomes one clear message and an exit code, never a traceback."""
    try:
        code = app(standalone_mode=False)  # with standalone_mode off, click returns Exit codes
        if isinstance(code, int) and not isinstance(code, bool) and code:
            sys.exit(code)
    except GroundworkError as error:
        print(error.render(), file=sys.stderr)
        sys.exit(2)
    except ToolFailure as error:  # Graphviz, not the engine: the plan was fine
        print(error.diagnostic.render(), file=sys.stderr)
        sys.exit(error.exit_code)
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
