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

from dsl.errors import GroundworkError
from dsl.kb import KnowledgeBase, load_knowledge_base
from engine import __version__
from engine.audit import chain
from engine.audit.diff import PlanDiff, plan_diff
from engine.audit.store import AuditStore, Record
from engine.audit.trace import trace_of
from engine.intake import validate_assessment
from engine.pipeline import assess, plan_json


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


def replay(store: AuditStore, record_id: int, kb: KnowledgeBase | None = None) -> ReplayResult:
    """Re-run record `record_id`; `kb` None means the knowledge base stored with the record."""
    record = store.record(record_id, kind="assessment")
    if kb is not None:
        return _run(record, kb, kb_label(kb.name, kb.version, kb.content_hash) + " from " + kb.root)
    label = kb_label(record.kb_name, record.kb_version, record.kb_hash) + ", as stored"
    files = store.kb_files(record.kb_hash)
    if not files:
        return ReplayResult(record, label, failure="the record's knowledge-base source is missing "
                                                   "from the store (run `groundwork audit verify`)")
    with tempfile.TemporaryDirectory(prefix="groundwork-replay-") as directory:
        try:
            chain.materialise(files, Path(directory))
        except ValueError:
            return ReplayResult(record, label, failure="the stored knowledge base has an unsafe "
                                                       "file path (run `groundwork audit verify`)")
        if chain.files_hash(files) != record.kb_hash:
            return ReplayResult(record, label, failure="the stored knowledge-base source does not "
                                                       "match its hash (run `groundwork audit verify`)")
        try:
            stored = load_knowledge_base(directory, f"audit-kb-{record.kb_hash[:12]}")
        except GroundworkError as error:
            return ReplayResult(record, label, failure="the stored knowledge base no longer loads "
                                                       "with this engine:\n" + error.render())
        return _run(record, stored, label)


def _run(record: Record, kb: KnowledgeBase, label: str) -> ReplayResult:
    result = ReplayResult(record, label)
    raw = json.loads(record.input_json)
    try:
        assessment = validate_assessment(raw, f"record {record.id} input", kb)
    except GroundworkError as error:  # the messages name fields, never the case's values
        result.failure = "the stored input is not a valid assessment under this knowledge base:\n" \
            + error.render()
        return result
    outcome = assess(assessment, raw, kb, drafts=bool(record.drafts))  # EngineFailure: exit 3
    now_plan = json.loads(plan_json(outcome.plan))
    result.diff = plan_diff(record.plan, now_plan, record.trace, trace_of(outcome))
    if record.engine_version != __version__:
        result.notes.append(f"recorded by engine {record.engine_version}; replayed by engine {__version__}")
    if kb.content_hash != record.kb_hash:
        result.notes.append(f"recorded under knowledge base "
                            f"{kb_label(record.kb_name, record.kb_version, record.kb_hash)}")
    return result
