"""Replay a record: its stored input, re-run under its stored knowledge base (or another one).

The stored KB files are written to a temporary directory, checked against their content hash,
loaded with the ordinary loader and run through the ordinary pipeline; the plan produced is
compared with the stored plan (engine/audit/diff.py). Nothing is written to the store.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from dsl.errors import GroundworkError
from dsl.kb import content_hash, load_knowledge_base
from dsl.checked import CheckedKnowledgeBase
from engine import __version__
from engine.audit import chain
from engine.audit.diff import PlanDiff, plan_diff
from engine.audit.store import AuditStore, Record
from engine.audit.trace import trace_of
from engine.intake import validate_assessment
from engine.pipeline import Outcome, assess, plan_json
from knowledge_base import cache


@dataclass
class ReplayResult:
    record: Record
    kb_label: str  # which knowledge base the replay ran under
    diff: PlanDiff | None = None
    failure: str | None = None  # the replay could not run (the reason, for the reviewer)
    notes: list[str] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        return self.failure is None and self.diff is not None and self.diff.identical


def kb_label(name: str, version: str, kb_hash: str) -> str:
    return f"{name} {version} ({kb_hash[:12]})"


class ReplayFailure(Exception):
    """A stored record cannot be re-run; the message says why, for the reviewer."""


def replay(store: AuditStore, record_id: int, kb: CheckedKnowledgeBase | None = None) -> ReplayResult:
    """Re-run record `record_id`; `kb` None means the knowledge base stored with the record."""
    return _replay(store, store.record(record_id, kind="assessment"), kb, {})


def replay_many(store: AuditStore, first: int, last: int,
                kb: CheckedKnowledgeBase | None = None) -> Iterator[ReplayResult]:
    """Re-run every assessment record from `first` to `last` (ids), in id order. Each stored
    knowledge base is loaded once, however many records used it."""
    loaded: dict[str, CheckedKnowledgeBase | ReplayFailure] = {}
    for record in store.iter_records(first, last, kind="assessment"):
        yield _replay(store, record, kb, loaded)


def _replay(store: AuditStore, record: Record, kb: CheckedKnowledgeBase | None,
            loaded: dict[str, CheckedKnowledgeBase | ReplayFailure]) -> ReplayResult:
    if kb is not None:
        label = kb_label(kb.name, kb.version, kb.content_hash) + " from " + kb.root
    else:
        label = kb_label(*_kb_of(record)) + ", as stored"
    result = ReplayResult(record, label)
    try:
        knowledge = kb if kb is not None else _stored_once(store, record, loaded)
        outcome = rerun(record, knowledge)
    except ReplayFailure as failure:
        result.failure = str(failure)
        return result
    try:
        now_plan = json.loads(plan_json(restore_since_previous(store, record, outcome.plan)))
    except ReplayFailure as failure:
        result.failure = str(failure)
        return result
    result.diff = plan_diff(record.plan, now_plan, record.trace, trace_of(outcome))
    if record.engine_version != __version__:
        result.notes.append(f"recorded by engine {record.engine_version}; replayed by engine {__version__}")
    if knowledge.content_hash != record.kb_hash:
        result.notes.append(f"recorded under knowledge base "
                            f"{kb_label(*_kb_of(record))}")
    return result


def restore_since_previous(store: AuditStore, record: Record, plan):
    """A re-run plan gets `since_previous` again when the stored one has it (recorded where the
    store was at hand: `assess`, the API; a batch leaves it out), computed as it was then."""
    if "since_previous" not in record.plan:
        return plan
    from engine.reports.progress import since_previous  # engine.reports.progress reads the store: no cycle at import
    previous = record.input.get("previous_record")
    try:
        return since_previous(store, plan, previous)
    except GroundworkError as error:
        raise ReplayFailure("the previous assessment it names cannot be compared again: "
                            + error.first.message) from None


def _stored_once(store: AuditStore, record: Record,
                 loaded: dict[str, CheckedKnowledgeBase | ReplayFailure]) -> CheckedKnowledgeBase:
    """stored_kb, remembered by hash (a failure too: every record using it fails alike)."""
    key = record.kb_hash or ""
    if key not in loaded:
        try:
            loaded[key] = stored_kb(store, record)
        except ReplayFailure as failure:
            loaded[key] = failure
    found = loaded[key]
    if isinstance(found, ReplayFailure):
        raise found
    return found


def stored_kb(store: AuditStore, record: Record) -> CheckedKnowledgeBase:
    """The knowledge base stored with `record`, loaded by the ordinary loader (or ReplayFailure).
    Its files are checked against the record's hash every time; the loaded knowledge base comes
    from the knowledge-base cache under that hash when a replay loaded it before (a cold
    `groundwork audit replay ID` otherwise parses and checks every rule again)."""
    files = store.kb_files(record.kb_hash)
    if not files:
        raise ReplayFailure("the record's knowledge-base source is missing from the store "
                            "(run `groundwork audit verify`)")
    with tempfile.TemporaryDirectory(prefix="groundwork-replay-") as directory:
        try:
            chain.materialise(files, Path(directory))
        except ValueError:
            raise ReplayFailure("the stored knowledge base has an unsafe file path "
                                "(run `groundwork audit verify`)") from None
        if content_hash(Path(directory)) != record.kb_hash:
            raise ReplayFailure("the stored knowledge-base source does not match its hash "
                                "(run `groundwork audit verify`)")
        try:  # the loader reads every file into memory: the directory may go afterwards
            return cache.load(f"audit-kb:{record.kb_hash}", f"audit-kb-{record.kb_hash[:12]}",
                              record.kb_hash, lambda _, shown: load_knowledge_base(directory, shown))
        except GroundworkError as error:
            raise ReplayFailure("the stored knowledge base no longer loads with this engine:\n"
                                + error.render()) from None


def _kb_of(record: Record) -> tuple[str, str, str]:
    """The name, version and hash of an assessment record's knowledge base."""
    return record.kb_name or "", record.kb_version or "", record.kb_hash or ""


def rerun(record: Record, kb: CheckedKnowledgeBase) -> Outcome:
    """The record's stored input through the ordinary pipeline under `kb` (EngineFailure: exit 3)."""
    raw = json.loads(record.input_json or "null")  # every assessment record has its input
    try:
        assessment = validate_assessment(raw, f"record {record.id} input", kb)
    except GroundworkError as error:  # the messages name fields, never the case's values
        raise ReplayFailure("the stored input is not a valid assessment under this knowledge "
                            "base:\n" + error.render()) from None
    return assess(assessment, raw, kb, drafts=bool(record.drafts), hash_format=record.hash_format)
