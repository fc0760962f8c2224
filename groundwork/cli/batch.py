"""`groundwork batch CASES… --out results.jsonl`: evaluate a caseload, one result line per case."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer

from dsl.errors import Diagnostic, GroundworkError
from engine.batch.local import BatchSummary, evaluate_local, find_cases, write_results
from groundwork.cli import app
from engine.audit.batch import ChunkRecorder
from engine.audit.store import AuditStore
from groundwork.cli.common import DbOption, KbOption, load_kb


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@app.command()
def batch(
    cases: List[Path] = typer.Argument(..., help="Assessment .json files, directories of them, "
                                       "or .jsonl files with one assessment per line.",
                                       metavar="CASES…"),
    out: Path = typer.Option(..., "--out", "-o", help="Results file (JSON lines, one per case); "
                             "written only when every case is done.", metavar="RESULTS.jsonl"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", metavar="N",
                                          help="Worker processes (default: one per CPU)."),
    kb: Optional[Path] = KbOption,
    drafts: bool = typer.Option(False, "--drafts", help="Also fire draft rules."),
    dask: Optional[str] = typer.Option(None, "--dask", metavar="ADDRESS",
                                       help="Evaluate on the existing Dask cluster whose "
                                            "scheduler is at ADDRESS (needs the optional "
                                            "extra 'dask'; see docs/scale.md)."),
    audit: bool = typer.Option(False, "--audit/--no-audit",
                               help="Record every case in the audit store (default: off)."),
    db: Optional[Path] = DbOption,
) -> None:
    """Evaluate a caseload: one result line per case; exit 1 if any case failed."""
    if workers is not None and workers < 1:
        raise GroundworkError([Diagnostic("E208", "--workers must be 1 or more", "--workers")])
    if not out.parent.is_dir():
        raise GroundworkError([Diagnostic("E206", "the directory for the results does not exist",
                                          str(out), field_path="(file)")])
    knowledge = load_kb(kb)
    store = AuditStore.open(db, mode="create") if audit else None
    recorder = ChunkRecorder(store, knowledge) if store is not None else None
    found = find_cases(cases, exclude=[out])
    try:
        with _progress(len(found)) as advance:
            if dask:
                summary = _on_cluster(dask, knowledge, str(kb) if kb else "knowledge_base/core",
                                      drafts, found, out, advance, recorder)
            else:
                chunks = evaluate_local(found, knowledge, workers or _default_workers(), drafts,
                                        audit=recorder is not None)
                summary = write_results(out, chunks, advance, recorder)
    except KeyboardInterrupt:  # handled here: click would turn it into a silent exit code
        print("aborted: the batch was interrupted; no results were written", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        if store is not None:
            store.close()
    _report(summary, out)
    if recorder is not None:
        typer.echo(f"audit: {recorder.recorded} records, one transaction per chunk")
    # SystemExit, not typer.Exit: main() runs click with standalone_mode=False, where click
    # returns typer.Exit's code instead of raising it, and the code would be lost.
    raise SystemExit(1 if summary.errors else 0)


def _on_cluster(address, knowledge, display, drafts, found, out, advance, recorder) -> BatchSummary:
    from engine.batch.cluster import bundle_knowledge_base, connect, evaluate_on_cluster

    bundle = bundle_knowledge_base(knowledge, display, drafts, audit=recorder is not None)
    with connect(address) as client:
        return write_results(out, evaluate_on_cluster(client, found, bundle), advance, recorder)


@contextmanager
def _progress(total: int):
    """A progress bar on a terminal; nothing when stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(TextColumn("assessing"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task("cases", total=total)
    started = False

    def advance(count: int) -> None:
        nonlocal started
        if not started:  # only after the first chunk: workers are forked before any thread starts
            progress.start()
            started = True
        progress.advance(task, count)

    try:
        yield advance
    finally:
        if started:
            progress.stop()


def _report(summary: BatchSummary, out: Path) -> None:
    for result in summary.reported:
        for diagnostic in result.diagnostics:
            typer.echo(diagnostic.render(), err=True)
    hidden = summary.errors - len(summary.reported)
    if hidden > 0:
        typer.echo(f"… and {hidden} more failed case{'s' if hidden != 1 else ''}; see {out}",
                   err=True)
    typer.echo(f"{summary.cases} cases, {summary.errors} with errors "
               f"({summary.invalid} invalid, {summary.failed} failed), {summary.seconds:.1f} s, "
               f"{summary.rate:.1f} cases/s -> {out}")
