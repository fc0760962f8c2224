"""`groundwork progress`, `groundwork program report|generate` and `groundwork export --csv`:
a client's progress over re-assessments, an agency's program figures, and its caseload table.

Arguments are checked before the store is opened; these commands only read the store, except
`program generate`, which fills a new, empty store with a synthetic agency.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from dsl.errors import GroundworkError
from dsl.vocabulary import SETTINGS
from engine.audit.errors import audit_error
from engine.audit.store import AuditStore
from groundwork.cli import app
from groundwork.cli.audit import pseudonym
from groundwork.cli.common import DbOption, KbOption, load_kb, write_output

program_app = typer.Typer(no_args_is_help=True, help="Program-level figures from the audit store: "
                          "event rates per 100 bed-days, lower-region improvement, adherence, "
                          "placement stability (observational, uncontrolled).")
app.add_typer(program_app, name="program")
OutOption = typer.Option(None, "--out", "-o", metavar="FILE", help="Write to this file instead.")


class ProgressFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    html = "html"


def day(text: str | None, option: str) -> str | None:
    """An ISO date, or exit 2 naming the option."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise audit_error("E737", f"{option}: not a date YYYY-MM-DD") from None


def period(start: str | None, end: str | None, setting: str | None) -> tuple:
    """--from, --to and --setting checked (messages name the options), before the store opens."""
    from engine.reports.program import check_period
    try:
        return check_period(start, end, setting)
    except GroundworkError as error:
        first = error.first
        raise audit_error(first.code, "--" + first.message, "program", hint=first.hint) from None


@app.command()
def progress(
    client: str = typer.Argument(..., metavar="CLIENT", help="Client pseudonym."),
    format: ProgressFormat = typer.Option(ProgressFormat.text, "--format", "-f"),
    out: Optional[Path] = OutOption,
    db: Optional[Path] = DbOption,
) -> None:
    """A client's re-assessments: bands over time, what changed and why, goals, feedback, events."""
    from engine.reports.progress import client_progress
    from explain import progress as render
    client = pseudonym(client, "CLIENT")
    with AuditStore.open(db) as store:
        result = client_progress(store, client)
    text = (result.model_dump_json(indent=2) + "\n" if format is ProgressFormat.json
            else render.render_html(result) if format is ProgressFormat.html
            else render.render_text(result))
    write_output(text, out)


@program_app.command()
def report(
    start: Optional[str] = typer.Option(None, "--from", metavar="YYYY-MM-DD",
                                        help="First day (default: the earliest date in the store)."),
    end: Optional[str] = typer.Option(None, "--to", metavar="YYYY-MM-DD",
                                      help="Last day (default: the latest date in the store)."),
    setting: Optional[str] = typer.Option(None, "--setting", help="Only this setting: "
                                          + ", ".join(SETTINGS)),
    format: ReportFormat = typer.Option(ReportFormat.text, "--format", "-f"),
    out: Optional[Path] = OutOption,
    db: Optional[Path] = DbOption,
) -> None:
    """Counts and rates per 100 bed-days by month and setting, improvement, adherence, stability."""
    from engine.reports.program import program_report
    from explain import program as render
    start, end, setting = period(start, end, setting)
    with AuditStore.open(db) as store:
        result = program_report(store, start, end, setting)
    text = {ReportFormat.json: lambda: result.model_dump_json(indent=2) + "\n",
            ReportFormat.csv: lambda: render.render_csv(result),
            ReportFormat.html: lambda: render.render_html(result),
            ReportFormat.text: lambda: render.render_text(result)}[format]()
    write_output(text, out)


@program_app.command()
def generate(
    clients: int = typer.Option(40, "--clients", min=1, max=100_000, help="How many clients."),
    seed: int = typer.Option(7, "--seed", help="Same seed, same agency."),
    start: str = typer.Option("2024-01-01", "--start", metavar="YYYY-MM-DD",
                              help="First month of the two years."),
    kb: Optional[Path] = KbOption,
    db: Optional[Path] = DbOption,
) -> None:
    """Fill a NEW audit store with a synthetic agency (for demos and tests; never a real store)."""
    from engine.synthetic.agency import AgencyShape, fill
    first = day(start, "--start") or AgencyShape.start
    if db is None:
        raise audit_error("E738", "--db PATH is required: a synthetic agency goes into a new store "
                                  "of its own, never the default one")
    if Path(db).exists() and Path(db).stat().st_size > 0:
        raise audit_error("E738", "the store already exists; a synthetic agency is written only "
                                  "into a new store", str(db), hint="pass --db with a new file name")
    knowledge = load_kb(kb)
    with AuditStore.open(db, mode="create") as store:
        written = fill(store, knowledge, AgencyShape(clients=clients, start=first, seed=seed))
    typer.echo(f"{db}: {clients} clients, {written.assessments} assessments, {written.feedback} "
               f"feedback, {written.events} outcome events, {written.exposures} exposure periods")


@app.command("export")
def export_caseload(
    csv: bool = typer.Option(..., "--csv", help="A caseload table as CSV (the only format)."),
    start: Optional[str] = typer.Option(None, "--from", metavar="YYYY-MM-DD",
                                        help="Only assessments on or after this day."),
    end: Optional[str] = typer.Option(None, "--to", metavar="YYYY-MM-DD",
                                      help="Only assessments on or before this day."),
    out: Optional[Path] = OutOption,
    db: Optional[Path] = DbOption,
) -> None:
    """One row per assessment, pseudonymous, for analysts: bands, plan size, feedback, events."""
    from engine.reports.caseload import caseload_csv
    start, end, _ = period(start, end, None)
    with AuditStore.open(db) as store:
        text = caseload_csv(store, start, end)
    write_output(text, out)
