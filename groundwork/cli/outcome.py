"""`groundwork outcome record|exposure`: outcome events and exposure time, appended to the audit chain.

Every value is checked before the store is opened; bad input exits 2 with one message per field
and writes nothing. Values are never echoed back in messages (a name typed by mistake stays out).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from engine import __version__
from engine.audit import outcomes
from engine.audit.store import AuditStore
from groundwork.cli import app
from groundwork.cli.common import DbOption

outcome_app = typer.Typer(no_args_is_help=True, help="Record outcome events (restraint, "
                          "placement move ...) and exposure time (days in placement, bed-days) in "
                          "the audit store, for `groundwork program report`.")
app.add_typer(outcome_app, name="outcome")

EVENTS_HELP = "; ".join(f"{k} ({v})" for k, v in outcomes.EVENTS.items())
ByOption = typer.Option(None, "--by", metavar="PSEUDONYM", help="Pseudonymous id of whoever records it.")


@outcome_app.command("record")
def record(
    client: str = typer.Argument(..., metavar="CLIENT", help="Client pseudonym."),
    event: str = typer.Argument(..., metavar="EVENT", help=EVENTS_HELP),
    date: str = typer.Option(..., "--date", metavar="YYYY-MM-DD", help="The day it happened."),
    setting: str = typer.Option(..., "--setting", help="Where: " + ", ".join(outcomes.v.SETTINGS)),
    code: str = typer.Option(..., "--code", help="The agency's incident reference or "
                             "classification code (an id, no free text)."),
    by: Optional[str] = ByOption,
    db: Optional[Path] = DbOption,
) -> None:
    """Record one outcome event as its own chained audit record."""
    parsed = outcomes.parse(outcomes.OutcomeEventIn, {
        "client_id": client, "event": event, "date": date, "setting": setting, "code": code,
        "recorded_by": by})
    with AuditStore.open(db, mode="append") as store:
        appended = outcomes.record_event(store, parsed, __version__)
    typer.echo(f"audit record {appended.id}: {parsed.event} of client {parsed.client_id} on "
               f"{parsed.date} (head {appended.record_hash[:12]})")


@outcome_app.command("exposure")
def exposure(
    client: str = typer.Argument(..., metavar="CLIENT", help="Client pseudonym."),
    setting: str = typer.Option(..., "--setting", help="The placement's setting: "
                                + ", ".join(outcomes.v.SETTINGS)),
    start: str = typer.Option(..., "--from", metavar="YYYY-MM-DD", help="First day in placement."),
    end: str = typer.Option(..., "--to", metavar="YYYY-MM-DD",
                            help="Last day in placement (inclusive)."),
    by: Optional[str] = ByOption,
    db: Optional[Path] = DbOption,
) -> None:
    """Record days in placement (bed-days): the denominator of every rate in the program report."""
    parsed = outcomes.parse(outcomes.ExposureIn, {
        "client_id": client, "setting": setting, "start": start, "end": end, "recorded_by": by})
    with AuditStore.open(db, mode="append") as store:
        appended = outcomes.record_exposure(store, parsed, __version__)
    typer.echo(f"audit record {appended.id}: {parsed.days} days of client {parsed.client_id} in "
               f"{parsed.setting}, {parsed.start} to {parsed.end} (head {appended.record_hash[:12]})")
