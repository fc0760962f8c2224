"""Stored plans for the web interfaces: find a record, rebuild its explanation context (cached),
find the intervention a person meant, and assess + record a new case. Errors become ApiErrors."""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from dsl.errors import GroundworkError
from dsl.checked import CheckedKnowledgeBase
from engine.audit.store import Appended, AuditStore, Record, default_db_path
from explain.catalog import resolve
from explain.context import Context
from groundwork import service
from engine.audit import integrity
from groundwork.web.errors import ApiError, from_groundwork
from groundwork.web.settings import Settings

CACHED_CONTEXTS = 32


class Contexts:
    """Rebuilt contexts by record id. Records never change (the store is append-only), so a
    context rebuilt once explains its record for as long as the server runs."""

    def __init__(self, size: int = CACHED_CONTEXTS):
        self._items: OrderedDict[tuple[int, str], Context] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[int, str]) -> Context | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[int, str], ctx: Context) -> None:
        with self._lock:
            self._items[key] = ctx
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def hold_open(state) -> None:
    """Keep one idle connection to the store for as long as the server runs (once it exists).

    SQLite checkpoints the write-ahead log into the main file, and deletes it, when the LAST
    connection to a store closes; a server opens and closes one per request, so without this
    every quiet moment rewrote the file, and the next append, finding the file changed since a
    writer left it, re-verified the whole chain (engine/audit/integrity.py). The idle connection
    holds no lock and no transaction."""
    if getattr(state, "keeper", None) is not None:
        return
    path = Path(state.settings.db or default_db_path())
    if not path.exists():
        return
    try:  # any thread may close it (the server's shutdown runs on another than the first request)
        keeper = sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True,
                                 isolation_level=None, check_same_thread=False)
    except sqlite3.Error:
        return  # requests say what is wrong themselves
    try:
        keeper.execute("SELECT count(*) FROM sqlite_master").fetchone()  # joins the WAL
    except sqlite3.Error:
        keeper.close()  # a damaged store: requests say so themselves
        return
    state.keeper = keeper


def release(state) -> None:
    keeper = getattr(state, "keeper", None)
    if keeper is not None:
        state.keeper = None
        keeper.close()


def open_store(settings: Settings, mode: str = "read") -> AuditStore:
    try:
        return AuditStore.open(settings.db, mode=mode)
    except GroundworkError as error:
        raise from_groundwork(error, store_status(error), "(audit store)") from None


def store_status(error: GroundworkError) -> int:
    """503 for a damaged or busy store (it needs an operator, not another request); else 500."""
    return 503 if integrity.is_damage(error) else 500


def assessment_record(store: AuditStore, record_id: int) -> Record:
    """The assessment record `record_id`, or 404 saying what the id is instead."""
    record = store.get(record_id) if 0 < record_id < 2**63 else None
    if record is None:
        last, _ = store.head()
        known = f"plans have ids 1 to {last}" if last else "no plan has been recorded yet"
        raise ApiError(404, "E710", f"no plan {record_id} ({known})", path="id")
    if record.kind != "assessment":
        raise ApiError(404, "E711", f"record {record_id} is feedback on plan {record.target_id}, "
                                    "not a plan", path="id")
    return record


def context_of(state, record: Record) -> Context:
    """The explanation context of a stored plan (409 when it cannot be rebuilt exactly)."""
    key = (record.id, record.record_hash)
    found = state.contexts.get(key)
    if found is None:
        with open_store(state.settings) as store:
            try:
                found = service.stored_context(store, record, state.kb)
            except service.NotReproduced as error:
                raise from_groundwork(error, 409, "id") from None
        state.contexts.put(key, found)
    return found


def intervention_id(kb: CheckedKnowledgeBase, typed: str) -> str:
    """The catalog id meant by `typed` (an id or a name), or 404 with the nearest ids."""
    try:
        return resolve(kb, typed)  # the same look-up, and the same message, as the CLI's
    except GroundworkError as error:
        near = error.first.suggestions
        raise from_groundwork(error, path="intervention", hint=(
            "did you mean " + " or ".join(near) + "?") if near else
            "GET /api/knowledge-base lists every intervention") from None


# This process's requests append one at a time, waking in turn as each finishes: left to
# SQLite's busy handler, threads waiting for the write lock sleep and retry with pauses that grow
# to 100 ms, the tail of the server's latency (workers in other processes still queue that way).
_APPENDING = threading.Lock()


def assess_and_record(state, text: str, display: str,
                      actor: str | None = None) -> tuple[Context, Appended]:
    """Validate, assess and record one case given as JSON text (422 naming the field if bad).
    `actor`: the signed-in user, named by the record (None: the operator token; the record then
    keeps the assessment's own assessor_id)."""
    ctx, raw = service.assess_text(text, display, state.kb)
    try:
        ctx = service.with_previous(ctx, state.settings.db)
    except GroundworkError as error:  # the named previous record, not the store itself
        raise from_groundwork(error, 422, "previous_record") from None
    try:
        with _APPENDING:
            appended = service.record_plan(ctx, raw, state.settings.db, actor)
    except GroundworkError as error:  # the store, not the case: no plan is given unrecorded
        raise from_groundwork(error, store_status(error), "(audit store)") from None
    state.contexts.put((appended.id, appended.record_hash), ctx)
    hold_open(state)  # the first assessment may have created the store
    return ctx, appended
