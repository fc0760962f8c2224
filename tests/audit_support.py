"""Helpers for the audit tests: stores built through the engine API (fast), tampering, hashing files."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import knowledge_base
from engine.audit import chain, packing
from engine.audit.schema import GUARD_TRIGGERS
from engine.audit.store import AuditStore
from engine.intake import read_assessment_file
from engine.pipeline import assess
from tests.helpers import ROOT, example_paths

FIXTURES = ROOT / "tests" / "fixtures" / "audit"


def cases() -> list[Path]:
    """Every example client, plus the audit fixtures (two assessments of one client over time)."""
    return example_paths() + sorted(FIXTURES.glob("*.json"))


def assessed(case: Path, kb_dir: Path | None = None):
    kb = knowledge_base.load(kb_dir)
    assessment, raw = read_assessment_file(case, kb)
    return assess(assessment, raw, kb), raw, kb


def record_case(store: AuditStore, case: Path, kb_dir: Path | None = None):
    outcome, raw, kb = assessed(case, kb_dir)
    return store.append_assessment(outcome, raw, kb)


def small_store(path: Path) -> Path:
    """Three records: two assessments (first, middle) and one feedback with a comment (last)."""
    with AuditStore.open(path, mode="create") as store:
        first = record_case(store, FIXTURES / "client-a-first.json")
        record_case(store, FIXTURES / "client-a-review.json")
        target = store.record(first.id)
        intervention = target.plan["phases"][0]["recommendations"][0]["intervention"]
        store.append_feedback(target, intervention, "overridden", "client_declined",
                              "a comment that could name someone", "clin-07", "0.1.0")
    return path


def file_digest(path: Path) -> str:
    """The store file's bytes (after every connection closed, the WAL is folded into it)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unpacked(fields: dict) -> dict:
    """A record's fields read with a raw connection, its input, plan and trace as text: the
    record hash covers the text, not the packed bytes (engine/audit/packing.py)."""
    return fields | {name: packing.unpack(fields[name]) for name in chain.TEXT_COLUMNS}


def unguarded(path: Path) -> sqlite3.Connection:
    """A raw connection with the append-only triggers dropped, as a tamperer would do it."""
    conn = sqlite3.connect(path, isolation_level=None)
    for trigger in GUARD_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    return conn
