"""`groundwork audit …`: the QA reviewer's view of the append-only decision record.

Every sub-command takes `--db PATH` (default: $GROUNDWORK_DB, else the user's data directory).
Arguments are checked before the store is opened; reading commands never write to it.
Exit codes: 0 fine, 1 `verify`/`replay` found a problem, 2 bad input (nothing written).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from dsl.errors import GroundworkError, did_you_mean
from engine import __version__
from engine.audit import anchors, chain, feedback as vocabulary, integrity
from engine.audit.errors import audit_error
from engine.audit.export import export_bundle
from engine.audit.history import client_history
from engine.audit.replay import replay as replay_record, replay_many
from engine.audit.schema import CURRENT_VERSION
from engine.audit.store import AuditStore, utc_now
from engine.audit.verify import verify as verify_chain
from engine.models import PSEUDONYM
from explain import audit as render
from groundwork.cli import app
from groundwork.cli.common import DbOption, load_kb, write_output

audit_app = typer.Typer(no_args_is_help=True, help="The audit record: list, show, verify, replay, "
                        "export plans given to clinicians, and record their feedback.")
app.add_typer(audit_app, name="audit")



class ShowFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"


class ListFormat(str, Enum):
    text = "text"
    json = "json"


def pseudonym(value: str, what: str) -> str:
    """A pseudonymous id, or exit 2 without echoing it (it may be a name typed by mistake)."""
    if not re.fullmatch(PSEUDONYM, value):
        raise audit_error("E718", f"{what} must be a pseudonymous id: letters, digits, '-' or '_' "
                                  "(at most 64); names are never stored")
    return value


def parse_since(text: str) -> str:
    """--since as the UTC time stamp it compares with: a date (midnight UTC) or an ISO 8601 time."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise audit_error("E713", f"--since: '{text[:40]}' is not a date (YYYY-MM-DD) or an ISO 8601 "
                                  "time (YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z])") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    utc = value.astimezone(dt.timezone.utc)
    return utc.isoformat(timespec="microseconds").replace("+00:00", "Z")


@audit_app.command("list")
def list_records(
    client: Optional[str] = typer.Option(None, "--client", help="Only this client's records."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE",
                                        help="Only records written on or after DATE (UTC)."),
    format: ListFormat = typer.Option(ListFormat.text, "--format", "-f"),
    db: Optional[Path] = DbOption,
) -> None:
    """List records, oldest first: assessments and feedback."""
    client = pseudonym(client, "--client") if client is not None else None
    cutoff = parse_since(since) if since is not None else None
    with AuditStore.open(db) as store:
        if client is not None and client not in store.clients():
            raise audit_error("E714", f"no records of client '{client}'", store.display,
                              hint=did_you_mean(client, store.clients()))
        records = store.records(client=client, since=cutoff)
    if format is ListFormat.json:
        rows = [{k: v for k, v in r.fields().items()
                 if k not in ("input_json", "plan_json", "trace_json", "comment")} for r in records]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for record in records:
        typer.echo(render.list_line(record))
    if not records:
        typer.echo("no records")


@audit_app.command()
def show(
    record_id: int = typer.Argument(..., metavar="ID", help="Record id (see `audit list`)."),
    format: ShowFormat = typer.Option(ShowFormat.text, "--format", "-f"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", metavar="FILE", help="Write to this file instead."),
    db: Optional[Path] = DbOption,
) -> None:
    """A stored plan with everything that explains it: input hash, KB, engine, every firing, feedback."""
    with AuditStore.open(db) as store:
        record = store.record(record_id)
        feedback = store.feedback_for(record.id) if record.kind == "assessment" else []
        target = store.get(record.target_id) if record.kind == "feedback" else None
    if format is ShowFormat.json:
        text = render.record_json(record, feedback)
    elif format is ShowFormat.html:
        text = render.record_html(record, feedback, target)
    else:
        text = render.record_text(record, feedback, target)
    write_output(text, out)


@audit_app.command()
def head(db: Optional[Path] = DbOption) -> None:
    """Print the hash of the newest record: note it, and later `verify --expect-head` it."""
    with AuditStore.open(db) as store:
        _, record_hash = store.head()
    typer.echo(record_hash)


@audit_app.command()
def anchor(
    to: Optional[Path] = typer.Option(None, "--to", metavar="FILE", help="Append the head to this "
                                      "anchor file; keep it away from the store (another machine, "
                                      "a write-once share)."),
    key: Optional[Path] = typer.Option(None, "--key", metavar="KEY", help="Sign the anchor with "
                                       "this Ed25519 private key (from --new-key)."),
    new_key: Optional[Path] = typer.Option(None, "--new-key", metavar="KEY", help="Make a new "
                                           "Ed25519 key pair, KEY and KEY.pub, and stop."),
    db: Optional[Path] = DbOption,
) -> None:
    """Anchor the chain head outside the store (signed with --key): `verify --anchors` then
    catches a rewrite of history that recomputed every hash."""
    if new_key is not None:
        public, print_ = anchors.new_key(new_key)
        typer.echo(f"private key: {new_key} (keep it off the machine that holds the store)")
        typer.echo(f"public key: {public} ({print_}); give it to `audit verify --public-key`")
        return
    if to is None:
        raise audit_error("E743", "give --to FILE: the anchor file the head is appended to",
                          hint="e.g. `groundwork audit anchor --to /mnt/worm/anchors.jsonl --key "
                               "anchor.key`")
    private = anchors.load_private(key) if key is not None else None
    with AuditStore.open(db) as store:
        report = verify_chain(store)
    if not report.intact:
        raise audit_error("E740", f"the chain is broken ({report.problems[0].render()}): an anchor "
                                  "would vouch for it", db and str(db) or "audit",
                          hint="run `groundwork audit verify` and restore the store first")
    if report.head_id == 0:
        raise audit_error("E743", "the store has no records yet: there is no head to anchor",
                          db and str(db) or "audit")
    made = anchors.make(report.head_id, report.head_hash, utc_now(), private)
    anchors.append(to, made)
    typer.echo(made.line())


@audit_app.command()
def verify(
    expect_head: Optional[str] = typer.Option(None, "--expect-head", metavar="HASH",
                                              help="A head hash noted earlier from `audit head`."),
    anchor_file: Optional[Path] = typer.Option(None, "--anchors", metavar="FILE", help="Check "
                                               "every anchor in FILE (from `audit anchor`)."),
    public_key: Optional[Path] = typer.Option(None, "--public-key", metavar="KEY", help="Check "
                                              "each anchor's signature with this public key."),
    db: Optional[Path] = DbOption,
) -> None:
    """Walk the hash chain; report the first broken record (exit 1)."""
    if expect_head is not None:
        expect_head = expect_head.strip().lower()
        if not chain.is_hash(expect_head):
            raise audit_error("E715", "--expect-head must be a 64-character hex hash from `audit head`")
    public = anchors.load_public(public_key) if public_key is not None else None
    if public is not None and anchor_file is None:
        raise audit_error("E743", "--public-key checks anchors: give --anchors FILE too")
    if anchor_file is not None:
        anchors.read(anchor_file)  # an anchor file that cannot be read at all: exit 2, now
    try:
        with AuditStore.open(db) as store:
            report = verify_chain(store, expect_head, anchor_file, public)
    except GroundworkError as error:
        if not integrity.is_damage(error):
            raise  # a wrong path or a usage error: exit 2
        # a file SQLite cannot open as a store is the worst damage verify can find: exit 1
        damage = error.first
        typer.echo(f"store damaged: {damage.path}: {damage.code}: {damage.message}")
        typer.echo(f"  hint: {damage.hint or integrity.RECOVER}")
        raise typer.Exit(1) from None
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if report.intact:
        typer.echo(f"chain intact: {report.records} record{'s' if report.records != 1 else ''}, "
                   f"{report.knowledge_bases} knowledge "
                   f"base{'s' if report.knowledge_bases != 1 else ''}; head {report.head_hash} "
                   f"(record {report.head_id})")
        return
    first = report.problems[0]
    where = f"at record {first.record_id}" if first.record_id is not None else "at the end"
    typer.echo(f"chain broken {where}: {len(report.problems)} problem"
               f"{'s' if len(report.problems) != 1 else ''}")
    for problem in report.problems:
        typer.echo("  " + problem.render())
    raise typer.Exit(1)


@audit_app.command()
def replay(
    records: Optional[str] = typer.Argument(None, metavar="ID|FROM-TO", help="An assessment "
                                            "record id, or a range of ids (both included)."),
    every: bool = typer.Option(False, "--all", help="Replay every assessment record."),
    kb: Optional[Path] = typer.Option(None, "--kb", metavar="DIR", help="Replay under this "
                                      "knowledge base instead of the one stored with the record."),
    db: Optional[Path] = DbOption,
) -> None:
    """Re-run a record's input under its stored knowledge base; show differences (exit 1)."""
    span = _replay_span(records, every)
    knowledge = load_kb(kb) if kb is not None else None
    with AuditStore.open(db) as store:
        if isinstance(span, int):
            _show_replay(replay_record(store, span, knowledge), alone=True)
            return
        first, last = span
        counts = {"reproduced": 0, "different": 0, "failed": 0}
        for result in replay_many(store, first, last, knowledge):
            counts[_show_replay(result, alone=False)] += 1
        replayed = sum(counts.values())
        if not replayed:
            raise audit_error("E710", "no assessment records " + (
                f"from {first} to {last}" if records else "in the store"), store.display)
    typer.echo(f"replayed {replayed} assessment record{'s' if replayed != 1 else ''}: "
               f"{counts['reproduced']} reproduced, {counts['different']} different, "
               f"{counts['failed']} could not be replayed")
    if counts["reproduced"] != replayed:
        raise typer.Exit(1)


def _replay_span(records: str | None, every: bool) -> int | tuple[int, int]:
    """One id, or (first, last) of a range or of --all (exit 2 for anything else)."""
    if every:
        if records is not None:
            raise audit_error("E719", "give a record id or a range, or --all, not both", "ID")
        return (1, 2**62)
    match = re.fullmatch(r"(\d{1,15})(?:-(\d{1,15}))?", records or "")
    if match is None:
        raise audit_error("E719", "give one record id (12), a range of ids (10-20) or --all", "ID")
    first = int(match.group(1))
    if match.group(2) is None:
        return first
    last = int(match.group(2))
    if last < first:
        raise audit_error("E719", f"the range {first}-{last} ends before it starts", "ID")
    return (first, last)


def _show_replay(result, alone: bool) -> str:
    """Print one replay: in full when it is the only one, else one line (and what differs).
    Returns how it went: reproduced, different or failed."""
    record_id = result.record.id
    if alone:
        typer.echo(f"record {record_id} replayed under knowledge base {result.kb_label}")
        for note in result.notes:
            typer.echo(f"  note: {note}")
    head = "" if alone else f"record {record_id}: "
    if result.failure is not None:
        typer.echo(f"{head}could not replay: {result.failure}")
        if alone:
            raise typer.Exit(1)
        return "failed"
    diff = result.diff
    assert diff is not None  # a replay that did not fail has its diff
    if diff.identical:
        firings = len(result.record.trace.get("firings", []))
        typer.echo(f"{head}reproduced: the same plan and the same {firings} firing"
                   f"{'s' if firings != 1 else ''}")
        return "reproduced"
    typer.echo(f"{head}DIFFERENT: the plan or its firings differ from the stored record")
    if not alone:
        typer.echo(f"  replayed under knowledge base {result.kb_label}")
        for note in result.notes:
            typer.echo(f"  note: {note}")
    for line in [c.render() for c in diff.changes] + diff.flags + diff.fields:
        typer.echo(f"  {line}")
    for line in diff.fired_then_only:
        typer.echo(f"  fired then, not now: {line}")
    for line in diff.fired_now_only:
        typer.echo(f"  fired now, not then: {line}")
    typer.echo(f"  rules responsible: {', '.join(diff.responsible_rules()) or 'none (engine)'}"
               if not alone else
               f"rules responsible: {', '.join(diff.responsible_rules()) or 'none (engine)'}")
    if alone:
        raise typer.Exit(1)
    return "different"


@audit_app.command()
def export(
    record_ids: List[int] = typer.Argument(..., metavar="ID...", help="Record ids to export."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", metavar="FILE", help="Write to this file instead."),
    include_comments: bool = typer.Option(False, "--include-comments", help="Include clinicians' "
                                          "free-text comments (left out by default: they may "
                                          "identify people)."),
    db: Optional[Path] = DbOption,
) -> None:
    """A self-contained JSON bundle of records, their feedback and their knowledge-base source."""
    with AuditStore.open(db) as store:
        bundle = export_bundle(store, list(record_ids), include_comments)
    write_output(json.dumps(bundle, indent=2, ensure_ascii=False, sort_keys=True) + "\n", out)


REASONS_HELP = "Override reason: " + "; ".join(f"{k} ({v})" for k, v in vocabulary.OVERRIDE_REASONS.items())


@audit_app.command()
def feedback(
    record_id: int = typer.Argument(..., metavar="ID", help="Assessment record id."),
    intervention: str = typer.Argument(..., metavar="INTERVENTION", help="Catalog id in that plan."),
    outcome: str = typer.Argument(..., metavar="accepted|overridden"),
    reason: Optional[str] = typer.Option(None, "--reason", metavar="CODE", help=REASONS_HELP),
    comment: Optional[str] = typer.Option(None, "--comment", help="Free text; never logged, left "
                                          "out of exports unless --include-comments."),
    by: Optional[str] = typer.Option(None, "--by", metavar="PSEUDONYM",
                                     help="Pseudonymous id of the clinician giving the feedback."),
    db: Optional[Path] = DbOption,
) -> None:
    """Record a clinician's response to one recommendation, as its own chained record."""
    vocabulary.check_feedback(outcome, reason, comment)  # before the store is opened
    by = pseudonym(by, "--by") if by is not None else None
    with AuditStore.open(db, mode="append") as store:
        appended = vocabulary.record_feedback(store, record_id, intervention, outcome, reason,
                                              comment, by, __version__)
    typer.echo(f"audit record {appended.id}: {intervention} {outcome} on record {record_id} "
               f"(head {appended.record_hash[:12]})")


@audit_app.command()
def history(
    client: str = typer.Argument(..., metavar="CLIENT", help="Client pseudonym."),
    format: ListFormat = typer.Option(ListFormat.text, "--format", "-f"),
    db: Optional[Path] = DbOption,
) -> None:
    """A client's plans in time, with the change in each region's band between assessments."""
    client = pseudonym(client, "CLIENT")
    with AuditStore.open(db) as store:
        entries = client_history(store, client)
    text = render.history_json(client, entries) if format is ListFormat.json \
        else render.history_text(client, entries)
    typer.echo(text, nl=False)


@audit_app.command()
def migrate(db: Optional[Path] = DbOption) -> None:
    """Bring an existing store to this Groundwork's schema version (every record is kept)."""
    with AuditStore.open(db, mode="append") as store:
        display = store.display
    typer.echo(f"{display}: schema version {CURRENT_VERSION}")
