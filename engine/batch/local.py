"""Evaluate a caseload: one result line per case, in input order, never stopped by one bad case.

Cases come from `.json` files, directories of them, and JSON-lines files (one case per line).
Each case becomes one JSON line: `{"source", "status": "ok", "plan"}` or
`{"source", "status": "invalid" | "failed", "errors": [{"code", "field", "message", …}]}`.
Error messages name field paths and never repeat what a case says.

Parallelism: durable-rules never releases the GIL, so threads do not help; the knowledge base is
compiled once in this process, then worker processes are *forked* so that each inherits the
compiled rule sets (engine/runtime.py's process-wide host) instead of rebuilding them. Output is
written to a temporary file beside the target and renamed only when every case is done.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import signal
import tempfile
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from dsl.errors import Diagnostic, EngineFailure, GroundworkError
from dsl.checked import CheckedKnowledgeBase
from engine.audit.store import assessment_fields
from engine import strict_json
from engine.intake import parse_assessment
from engine.pipeline import assess
from engine.runtime import runner_for

CASE_SUFFIXES = (".json",)
LINES_SUFFIXES = (".jsonl", ".ndjson")
CHUNK_SIZE = 50
MAX_REPORTED = 20  # failing cases kept for the closing report; all of them are in the output


@dataclass(frozen=True)
class CaseInput:
    """Where one case comes from: a file to read, or a line already read from a JSON-lines file."""

    source: str  # shown in results and messages: `path` or `path:LINE`
    path: str
    line: int | None = None
    text: str | None = None
    read_error: Diagnostic | None = None  # the file could not be read (see load_case)


@dataclass(frozen=True)
class CaseResult:
    source: str
    status: str  # ok | invalid | failed
    line: str  # the JSON line written for this case (no newline)
    diagnostics: tuple[Diagnostic, ...] = ()
    audit_fields: dict | None = None  # the audit record's fields, when auditing is on


@dataclass
class BatchSummary:
    cases: int = 0
    invalid: int = 0
    failed: int = 0
    seconds: float = 0.0
    reported: list[CaseResult] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.invalid + self.failed

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds > 0 else 0.0

    def add(self, result: CaseResult) -> None:
        self.cases += 1
        if result.status == "invalid":
            self.invalid += 1
        elif result.status == "failed":
            self.failed += 1
        if result.status != "ok" and len(self.reported) < MAX_REPORTED:
            self.reported.append(result)


class ChunkAudit(Protocol):
    """Hook for the audit store (engine/audit): record one chunk of results in ONE transaction.

    Called in this (the parent) process, in input order, after the chunk's lines are written,
    so that a single writer appends to the store. Batch auditing is off unless asked for.
    """

    def record_chunk(self, results: Sequence[CaseResult]) -> None: ...


# ---- finding cases ----

def find_cases(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> list[CaseInput]:
    """Every case under `paths`, in the order given (directories in sorted path order)."""
    skip = {Path(p).resolve() for p in exclude}
    cases: list[CaseInput] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted((p for p in path.rglob("*") if _is_case_file(p, path) and
                            p.resolve() not in skip), key=lambda p: p.relative_to(path).as_posix())
            cases.extend(c for p in found for c in _cases_in_file(p))
        elif path.is_file():
            cases.extend(_cases_in_file(path))
        else:
            raise GroundworkError([Diagnostic("E201", "no such file or directory", str(given),
                                              field_path="(file)")])
    if not cases:
        raise GroundworkError([Diagnostic(
            "E204", "no cases found: give .json files, directories of them, or .jsonl files",
            ", ".join(str(p) for p in paths) or "(no paths)", field_path="(file)")])
    return cases


def _is_case_file(path: Path, root: Path) -> bool:
    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
    return path.is_file() and not hidden and path.suffix in CASE_SUFFIXES + LINES_SUFFIXES


def _cases_in_file(path: Path) -> list[CaseInput]:
    if path.suffix not in LINES_SUFFIXES:
        return [CaseInput(str(path), str(path))]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else "cannot be read"
        raise GroundworkError([Diagnostic("E201", reason, str(path), field_path="(file)")]) from None
    return [CaseInput(f"{path}:{number}", str(path), number, line)
            for number, line in enumerate(text.splitlines(), 1) if line.strip()]


# ---- one case ----

def load_case(case: CaseInput) -> CaseInput:
    """The case with its text read (or the reason it cannot be): done where the file is, so that
    a case sent to another machine carries its text."""
    if case.text is not None or case.read_error is not None:
        return case
    try:
        return replace(case, text=strict_json.read_text(case.path, case.source))
    except GroundworkError as error:
        return replace(case, read_error=error.first)
    except FileNotFoundError:
        reason = "no such file"
    except IsADirectoryError:
        reason = "is a directory, not an assessment file"
    except UnicodeDecodeError:
        reason = "not UTF-8 text"
    except OSError as error:
        reason = f"cannot be read ({type(error).__name__})"
    return replace(case, read_error=Diagnostic("E201", reason, case.source, field_path="(file)"))


def evaluate_case(case: CaseInput, kb: CheckedKnowledgeBase, drafts: bool = False,
                  audit: bool = False) -> CaseResult:
    """One case → its result line. Every failure becomes a structured error; nothing escapes."""
    case = load_case(case)
    if case.read_error is not None:
        return _error_result(case, "invalid", [case.read_error])
    try:
        assert case.text is not None  # load_case reads the text or records why it could not
        assessment, raw = parse_assessment(case.text, case.source, kb)
        outcome = assess(assessment, raw, kb, drafts=drafts)
        plan = outcome.plan
        fields = assessment_fields(outcome, raw) if audit else None
    except GroundworkError as error:
        return _error_result(case, "invalid", [_located(d, case) for d in error.diagnostics])
    except EngineFailure as error:
        return _error_result(case, "failed", [Diagnostic(
            "E300", f"the rule engine failed; no plan was produced: {error}", case.source)])
    except Exception as error:  # noqa: BLE001 - one bad case never stops the batch
        return _error_result(case, "failed", [Diagnostic(
            "E399", f"internal error ({type(error).__name__}); please report it", case.source)])
    # pydantic's own JSON writer: the same bytes as json.dumps(plan.model_dump(mode="json")),
    # several times faster (tests/test_batch.py checks the two agree).
    line = f'{{"source":{_quote(case.source)},"status":"ok","plan":{plan.model_dump_json()}}}'
    return CaseResult(case.source, "ok", line, audit_fields=fields)


def _located(diagnostic: Diagnostic, case: CaseInput) -> Diagnostic:
    """No source text (it is the client's data); a JSON-lines position is given in that file."""
    diagnostic = replace(diagnostic, source_line=None)
    if case.line is not None and diagnostic.line is not None:
        return replace(diagnostic, path=case.path, line=case.line)
    return diagnostic


def _error_result(case: CaseInput, status: str, diagnostics: list[Diagnostic]) -> CaseResult:
    errors = []
    for d in diagnostics:
        entry: dict[str, object] = {"code": d.code, "field": d.field_path, "message": d.message}
        if d.line is not None:
            entry.update(line=d.line, column=d.column)
        errors.append(entry)
    line = json.dumps({"source": case.source, "status": status, "errors": errors},
                      ensure_ascii=False, separators=(",", ":"))
    return CaseResult(case.source, status, line, tuple(diagnostics))


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# ---- many cases ----

# Set in this process before workers are forked; each worker inherits it with the compiled rules.
_worker_kb: tuple[CheckedKnowledgeBase, bool, bool] | None = None


def _evaluate_chunk(chunk: list[CaseInput]) -> list[CaseResult]:
    assert _worker_kb is not None, "set before the workers are forked"
    kb, drafts, audit = _worker_kb
    return [evaluate_case(case, kb, drafts, audit) for case in chunk]


def _ignore_interrupt() -> None:
    """In a worker: Ctrl-C is for the main process, which stops the batch and cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def chunked(cases: Sequence[CaseInput], size: int) -> Iterator[list[CaseInput]]:
    for start in range(0, len(cases), size):
        yield list(cases[start:start + size])


def evaluate_local(cases: Sequence[CaseInput], kb: CheckedKnowledgeBase, workers: int = 1,
                   drafts: bool = False, chunk_size: int = CHUNK_SIZE,
                   audit: bool = False) -> Iterator[list[CaseResult]]:
    """Chunks of results in input order, from this process or from `workers` forked processes."""
    global _worker_kb
    runner_for(kb, drafts)  # compile and register before forking, so that workers inherit it
    _worker_kb = (kb, drafts, audit)
    if workers <= 1 or not cases:
        for chunk in chunked(cases, chunk_size):
            yield _evaluate_chunk(chunk)
        return
    try:
        yield from map_forked(_evaluate_chunk, chunked(cases, chunk_size), workers)
    except BrokenProcessPool:
        raise EngineFailure("a batch worker process died; no results were written") from None


def map_forked(function: Callable[[list], list], chunks: Iterator[list],
               workers: int) -> Iterator[list]:
    """`function` of each chunk, in order, on `workers` forked processes, which inherit what this
    process holds (set what `function` reads before calling). At most two chunks a worker are
    queued, so a huge caseload is never all pickled at once; Ctrl-C is left to this process."""
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_ignore_interrupt) as pool:
        pending: deque = deque()
        first = next(chunks, None)
        if first is None:
            return
        pending.append(_fork_and_submit(pool, function, first))
        for chunk in chunks:
            pending.append(pool.submit(function, chunk))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _fork_and_submit(pool: ProcessPoolExecutor, function: Callable[[list], list], chunk: list):
    """The first submit forks every worker. Objects frozen meanwhile (the knowledge base, the
    compiled rules, the modules) are never visited by the workers' garbage collector, so their
    memory pages stay shared with this process instead of being copied."""
    gc.freeze()
    try:
        return pool.submit(function, chunk)
    finally:
        gc.unfreeze()


def write_results(out: Path, chunks: Iterable[list[CaseResult]],
                  progress: Callable[[int], None] | None = None,
                  audit: ChunkAudit | None = None) -> BatchSummary:
    """Write every result line to `out`, which appears only once all are written."""
    out = Path(out)
    summary = BatchSummary()
    started = time.perf_counter()
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial",
                                         dir=out.parent if str(out.parent) else ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            for chunk in chunks:
                stream.write("".join(result.line + "\n" for result in chunk))
                for result in chunk:
                    summary.add(result)
                if audit is not None:
                    audit.record_chunk(chunk)
                if progress is not None:
                    progress(len(chunk))
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    summary.seconds = time.perf_counter() - started
    return summary
