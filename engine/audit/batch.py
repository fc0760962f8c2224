"""Audit records for a batch: one transaction per chunk of results (engine/batch.ChunkAudit)."""

from __future__ import annotations

from dsl.checked import CheckedKnowledgeBase
from typing import Sequence

from engine.audit.store import AuditStore


class ChunkRecorder:
    """Appends every planned case of a chunk to the store in one transaction, in input order.

    Invalid or failed cases have no plan and so no record; the batch's result file lists them.
    """

    def __init__(self, store: AuditStore, kb: CheckedKnowledgeBase):
        self.store = store
        self.kb = kb
        self.recorded = 0

    def record_chunk(self, results: Sequence) -> None:
        entries = [r.audit_fields for r in results if r.audit_fields is not None]
        if entries:
            self.recorded += len(self.store.append_assessments(entries, self.kb))
