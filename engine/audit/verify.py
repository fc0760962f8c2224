"""Walk the chain: every record's hash, its link to the record before, and the stored KB sources.

A problem names the record it was found in. Records are checked in id order and every problem is
reported; the first one is where the chain first breaks. Given the head hash a reviewer noted
earlier, `verify` also finds records cut off or rewritten at the end, which a chain alone cannot.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from dsl.errors import GroundworkError
from engine.audit import anchors, chain, integrity, outcomes
from engine.audit.store import AuditStore, Record
from engine.pipeline import input_hash


@dataclass(frozen=True)
class Problem:
    record_id: int | None  # None: not one record (a knowledge-base source, the head)
    message: str

    def render(self) -> str:
        return f"record {self.record_id}: {self.message}" if self.record_id is not None else self.message


@dataclass
class VerifyReport:
    records: int = 0
    head_id: int = 0
    head_hash: str = chain.GENESIS
    knowledge_bases: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(store: AuditStore, expect_head: str | None = None, anchor_file: Path | None = None,
           public_key=None) -> VerifyReport:
    """Every problem in the store. A damaged file (SQLite cannot read part of it) is a problem
    like any other, named with what SQLite says and how far the records could be read. With an
    anchor file, every anchored record must still be in the chain with its anchored hash (and
    each anchor's signature must check out under `public_key`)."""
    report = VerifyReport()
    by_id: dict[int, str] = {}
    seen_hashes: dict[str, int] = {chain.GENESIS: 0}
    kinds: dict[int, str] = {}
    kb_users: dict[str, list[int]] = {}
    prev_id, prev_hash = 0, chain.GENESIS
    report.problems += _structure_problems(store)
    try:
        for record in store.iter_records():
            try:
                found = _record_problems(record, prev_id, prev_hash, kinds)
            except (TypeError, ValueError, AttributeError) as error:  # a field of the wrong type
                found = [f"cannot be checked: a field has a value no record can hold "
                         f"({type(error).__name__})"]
            report.problems += [Problem(record.id, m) for m in found]
            if record.kind == "assessment" and record.kb_hash:
                kb_users.setdefault(record.kb_hash, []).append(record.id)
            kinds[record.id] = record.kind
            seen_hashes[record.record_hash] = record.id
            by_id[record.id] = record.record_hash
            prev_id, prev_hash = record.id, record.record_hash
            report.records += 1
    except GroundworkError as error:
        report.problems.append(Problem(None, f"the store is damaged: records after {prev_id} "
                                             f"cannot be read ({error.first.message})"))
    report.head_id, report.head_hash = prev_id, prev_hash
    for check in (lambda: _kb_problems(store, kb_users, report),
                  lambda: _derived_problems(store, kinds)):
        try:
            report.problems += check()
        except GroundworkError as error:
            report.problems.append(Problem(None, f"the store is damaged: {error.first.message}"))
    if expect_head is not None and expect_head not in seen_hashes:
        report.problems.append(Problem(None, (
            f"the head noted earlier ({expect_head[:12]}…) is not in the chain: records were cut "
            f"off or rewritten at the end (the chain now ends at record {prev_id}, head "
            f"{prev_hash[:12]}…)")))
    report.problems += _head_file_problems(store, seen_hashes, prev_id)
    if anchor_file is not None:
        report.problems += [Problem(None, p) for p in anchors.check(anchor_file, by_id, public_key)]
    report.problems.sort(key=lambda p: (p.record_id is None, p.record_id or 0))  # stable
    try:
        missing = store.missing_guards()
    except GroundworkError:
        missing = []  # reported above as damage
    if missing:
        report.warnings.append("the append-only triggers were removed (" + ", ".join(missing) +
                               "): someone changed the store outside Groundwork")
    return report


def _structure_problems(store: AuditStore) -> list[Problem]:
    """SQLite's own full check of the file (pages, b-trees, indexes against their tables)."""
    try:
        found = [row[0] for row in store.conn.execute("PRAGMA integrity_check(20)")]
    except sqlite3.Error as error:
        return [Problem(None, f"the store is damaged: SQLite cannot check it ({error})")]
    if found == ["ok"]:
        return []
    return [Problem(None, f"the store is damaged (SQLite: {line})") for line in found]


def _head_file_problems(store: AuditStore, seen: dict[str, int], last_id: int) -> list[Problem]:
    """The head a writer on this machine last wrote (FILE-head) must be in the chain, at its id."""
    try:
        head = integrity.read_head(store.display)
    except GroundworkError as error:
        return [Problem(None, error.first.message)]
    if head is None or head.id == 0 or seen.get(head.record_hash) == head.id:
        return []
    return [Problem(None, f"the head last written here (record {head.id}, {head.record_hash[:12]}…, "
                          f"in {integrity.head_path(store.display).name}) is not in the chain: "
                          f"records were cut off, replaced or rewritten (the chain now ends at "
                          f"record {last_id})")]


def _record_problems(record: Record, prev_id: int, prev_hash: str, kinds: dict[int, str]) -> list[str]:
    problems = []
    if record.id != prev_id + 1:
        problems.append(f"expected record {prev_id + 1} next: ids must run without gaps "
                        "(a record is missing or was renumbered)")
    if record.hash_format not in chain.FORMATS:
        problems.append(f"unknown hash format {record.hash_format!r}")
    elif chain.record_hash(record.fields()) != record.record_hash:
        problems.append("its contents do not match its hash: it was changed after it was written")
    if record.prev_hash != prev_hash:
        before = f"record {prev_id}" if prev_id else "the start of the chain"
        problems.append(f"does not link to {before}: a record before it was removed, inserted, "
                        "reordered or rewritten")
    if record.kind == "assessment":
        problems += _assessment_problems(record)
    elif record.kind in outcomes.KINDS:
        problems += outcomes.record_problems(record)
    elif record.target_id is None or kinds.get(record.target_id) != "assessment":
        problems.append(f"is feedback on record {record.target_id}, which is not an earlier assessment")
    return problems


def _assessment_problems(record: Record) -> list[str]:
    try:
        raw, plan = json.loads(record.input_json or ""), json.loads(record.plan_json or "")
        json.loads(record.trace_json or "")
    except (TypeError, ValueError):
        return ["its input, plan or trace is not valid JSON"]
    problems = []
    if input_hash(raw, record.hash_format) != record.input_hash:
        problems.append("its input does not match its input hash")
    provenance = plan.get("provenance", {}) if isinstance(plan, dict) else {}
    if provenance.get("input_hash") != record.input_hash or provenance.get("kb_hash") != record.kb_hash:
        problems.append("its plan's provenance does not match the record's input or knowledge base")
    return problems


def _derived_problems(store: AuditStore, kinds: dict[int, str]) -> list[Problem]:
    """region_bands and outcome_events (derived for the program report) must match the records."""
    problems = [Problem(i, "its region bands (region_bands, derived for the program report) do "
                           "not match its plan") if kinds.get(i) == "assessment"
                else Problem(None, f"region_bands holds bands of record {i}, which is not an "
                                   "assessment in the chain")
                for i in store.region_band_mismatches()]
    problems += [Problem(i, "its row in outcome_events (derived for the program report) is "
                            "missing or does not match it") if kinds.get(i) in outcomes.KINDS
                 else Problem(None, f"outcome_events holds record {i}, which is not an outcome "
                                    "or exposure record in the chain")
                 for i in store.outcome_event_mismatches()]
    problems += [Problem(i if kinds.get(i) == "exposure" else None,
                         f"the month split of exposure record {i} (exposure_months) does not add "
                         "up to its period") for i in store.exposure_month_mismatches()]
    problems += [Problem(None, f"the program report's totals in {table} do not match the records "
                               "they total: the store was changed outside Groundwork")
                 for table in store.summary_mismatches()]
    return problems


def _kb_problems(store: AuditStore, kb_users: dict[str, list[int]], report: VerifyReport) -> list[Problem]:
    problems = []
    stored = {kb_hash for kb_hash, _, _ in store.kb_sources()}
    report.knowledge_bases = len(stored)
    for kb_hash in sorted(stored | set(kb_users)):
        users = kb_users.get(kb_hash, [])
        used_by = f" (used by record{'s' if len(users) != 1 else ''} " \
                  f"{', '.join(map(str, users))})" if users else ""
        files = store.kb_files(kb_hash)
        if kb_hash not in stored or not files:
            problems.append(Problem(users[0] if users else None,
                                    f"knowledge base {kb_hash[:12]}…: its source is missing{used_by}"))
            continue
        try:
            intact = chain.files_hash(files) == kb_hash
        except ValueError:
            intact = False
        if not intact:
            problems.append(Problem(users[0] if users else None,
                                    f"knowledge base {kb_hash[:12]}…: its stored source does not "
                                    f"match its hash: a file was changed, added or removed{used_by}"))
    return problems
