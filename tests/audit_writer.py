"""A process that writes audit records until it is killed (used by tests/test_audit_kill.py).

    python -m tests.audit_writer DB loop             append records forever, printing each id
    python -m tests.audit_writer DB hang KB_DIR      write one record under KB_DIR, then stop
                                                     before COMMIT and wait to be killed
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from engine.audit.store import AuditStore
from engine.models import Assessment
from engine.pipeline import assess
from tests.audit_support import FIXTURES, assessed


class StoreThatHangsBeforeCommit(AuditStore):
    @contextmanager
    def _transaction(self):
        self.conn.execute("BEGIN IMMEDIATE")
        yield self.conn
        print("mid-write", flush=True)
        sys.stdin.read()  # the test kills this process here: everything written, nothing committed


def main(db: str, mode: str, kb_dir: str | None = None) -> None:
    outcome, raw, kb = assessed(FIXTURES / "client-a-first.json", Path(kb_dir) if kb_dir else None)
    if mode == "hang":
        store = StoreThatHangsBeforeCommit.open(db, mode="create")
        store.append_assessment(outcome, raw, kb)
        return
    store = AuditStore.open(db, mode="create")
    print("ready", flush=True)
    for number in range(100_000):
        # each record another client's: the same assessment twice is one record (issue #18)
        case = dict(raw, client_id=f"KILL-{os.getpid()}-{number}")
        outcome = assess(Assessment.model_validate(case), case, kb)
        print(store.append_assessment(outcome, case, kb).id, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
