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
from typing import Any

from dsl.errors import GroundworkError
from engine.audit import anchors, chain, integrity, outcomes, packing
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
    walk = _Walk()
    report.problems += _structure_problems(store)
    complete = False
    try:
        store.stage_plan_regions([])
        for fields in store.iter_stored():
            report.problems += [Problem(fields["id"], m) for m in walk.step(fields)]
            report.records += 1
            if len(walk.regions) >= _STAGED:
                store.stage_plan_regions(walk.regions)
                walk.regions = []
        store.stage_plan_regions(walk.regions)
        complete = True
    except GroundworkError as error:
        report.problems.append(Problem(None, f"the store is damaged: records after {walk.prev_id} "
                                             f"cannot be read ({error.first.message})"))
    report.head_id, report.head_hash = walk.prev_id, walk.prev_hash
    for check in (lambda: _kb_problems(store, walk.kb_users, report),
                  lambda: [Problem(None, p) for p in store.dictionary_problems()],
                  lambda: _derived_problems(store, walk.kinds, None if complete else walk.prev_id)):
        try:
            report.problems += check()
        except GroundworkError as error:
            report.problems.append(Problem(None, f"the store is damaged: {error.first.message}"))
    if expect_head is not None and expect_head not in walk.seen_hashes:
        report.problems.append(Problem(None, (
            f"the head noted earlier ({expect_head[:12]}…) is not in the chain: records were cut "
            f"off or rewritten at the end (the chain now ends at record {walk.prev_id}, head "
            f"{walk.prev_hash[:12]}…)")))
    report.problems += _head_file_problems(store, walk.seen_hashes, walk.prev_id)
    if anchor_file is not None:
        report.problems += [Problem(None, p) for p in anchors.check(anchor_file, walk.by_id, public_key)]
    report.problems.sort(key=lambda p: (p.record_id is None, p.record_id or 0))  # stable
    try:
        missing = store.missing_guards()
    except GroundworkError:
        missing = []  # reported above as damage
    if missing:
        report.warnings.append("the append-only triggers were removed (" + ", ".join(missing) +
                               "): someone changed the store outside Groundwork")
    return report


_STAGED = 4096  # plan regions handed to the store at a time (memory stays flat on a large store)


@dataclass
class _Walk:
    """What the walk over the chain carries from one record to the next."""

    prev_id: int = 0
    prev_hash: str = chain.GENESIS
    kinds: dict[int, str] = field(default_factory=dict)
    seen_hashes: dict[str, int] = field(default_factory=lambda: {chain.GENESIS: 0})
    by_id: dict[int, str] = field(default_factory=dict)
    kb_users: dict[str, list[int]] = field(default_factory=dict)
    regions: list[tuple] = field(default_factory=list)  # read from plans, for region_bands

    def step(self, fields: dict) -> list[str]:
        """The problems of one stored record (its fields as stored), then remember it."""
        try:
            found = _record_problems(fields, self)
        except (TypeError, ValueError, AttributeError) as error:  # a field of the wrong type
            found = [f"cannot be checked: a field has a value no record can hold "
                     f"({type(error).__name__})"]
        record_id, record_hash = fields["id"], fields["record_hash"]
        if fields["kind"] == "assessment" and fields["kb_hash"]:
            self.kb_users.setdefault(fields["kb_hash"], []).append(record_id)
        self.kinds[record_id] = fields["kind"]
        self.seen_hashes[record_hash] = record_id
        self.by_id[record_id] = record_hash
        self.prev_id, self.prev_hash = record_id, record_hash
        return found


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


def _record_problems(stored: dict, walk: _Walk) -> list[str]:
    problems = []
    if stored["id"] != walk.prev_id + 1:
        problems.append(f"expected record {walk.prev_id + 1} next: ids must run without gaps "
                        "(a record is missing or was renumbered)")
    fields, unreadable = _unpacked(stored)
    problems += unreadable
    if fields["hash_format"] not in chain.FORMATS:
        problems.append(f"unknown hash format {fields['hash_format']!r}")
    elif not unreadable and chain.record_hash(fields) != fields["record_hash"]:
        problems.append("its contents do not match its hash: it was changed after it was written")
    if fields["prev_hash"] != walk.prev_hash:
        before = f"record {walk.prev_id}" if walk.prev_id else "the start of the chain"
        problems.append(f"does not link to {before}: a record before it was removed, inserted, "
                        "reordered or rewritten")
    if unreadable:
        return problems
    if fields["kind"] == "assessment":
        problems += _assessment_problems(fields, walk.regions)
    elif fields["kind"] in outcomes.KINDS:
        problems += outcomes.record_problems(_as_record(fields))
    elif fields["target_id"] is None or walk.kinds.get(fields["target_id"]) != "assessment":
        problems.append(f"is feedback on record {fields['target_id']}, which is not an earlier "
                        "assessment")
    return problems


def _unpacked(stored: dict) -> tuple[dict, list[str]]:
    """The record's fields with its input, plan and trace as UTF-8 text bytes (what the hash
    covers), and what could not be unpacked."""
    fields, unreadable = dict(stored), []
    for column in chain.TEXT_COLUMNS:
        try:
            fields[column] = packing.unpack_bytes(stored[column])
        except packing.PackingError as error:
            unreadable.append(f"its {column.removesuffix('_json')} is damaged: {error}")
    return fields, unreadable


def _as_record(fields: dict) -> Record:
    values: list[Any] = [value.decode("utf-8") if isinstance(value, bytes) else value
                         for value in (fields[name] for name in chain.FIELDS)]
    return Record(*values)


def _assessment_problems(fields: dict, regions: list[tuple]) -> list[str]:
    """The input against its hash, the plan's provenance against the record; the plan's regions
    go to `regions` (checked against region_bands for the whole store at once)."""
    input_text, plan_text = fields["input_json"], fields["plan_json"]
    if input_text is None or plan_text is None or fields["trace_json"] is None:
        return ["its input, plan or trace is not valid JSON"]
    problems = []
    # stored as the very text its hash is made of (RFC 8785, or json1 for hash format 1)
    if chain.sha256_text(input_text) != fields["input_hash"]:
        try:
            raw = json.loads(input_text)
        except ValueError:
            return ["its input, plan or trace is not valid JSON"]
        if input_hash(raw, fields["hash_format"]) != fields["input_hash"]:
            problems.append("its input does not match its input hash")
    try:
        provenance = plan_provenance(plan_text)
    except ValueError:
        return problems + ["its input, plan or trace is not valid JSON"]
    if not isinstance(provenance, dict):
        provenance = {}
    if provenance.get("input_hash") != fields["input_hash"] or \
            provenance.get("kb_hash") != fields["kb_hash"]:
        problems.append("its plan's provenance does not match the record's input or knowledge base")
    regions.append((fields["id"], fields["client_id"], fields["assessment_date"],
                    *plan_regions(plan_text)))
    return problems


# A plan is stored as `plan_json` writes it: indented by two spaces, and no JSON string holds a
# newline, so a line that starts with two spaces and `"provenance": ` is that top-level key. Read
# so, the two parts verify needs come without parsing all 50 KB of the plan; a text laid out
# otherwise is read whole.


def plan_provenance(text: bytes):
    """The plan's `provenance` (the last one, as json.loads reads a key given twice; ValueError
    if the plan is not JSON)."""
    at = text.rfind(b'\n  "provenance": ')
    value = _top_level_value(text, at + 17) if at >= 0 else None
    if value is None:
        plan = json.loads(text)
        return plan.get("provenance") if isinstance(plan, dict) else None
    return json.loads(value)


def plan_regions(text: bytes) -> tuple[str, str]:
    """The JSON text of the plan's `regions` and "$", or the whole plan and "$.regions": for
    SQLite's json_each, as the trigger that derived region_bands read it."""
    at = text.find(b'\n  "regions": ')
    value = _top_level_value(text, at + 14) if at >= 0 else None
    if value is None:
        return text.decode("utf-8"), "$.regions"
    return value.decode("utf-8"), "$"


def _top_level_value(text: bytes, begin: int) -> bytes | None:
    """The text of the top-level value that starts at `begin` (None: not laid out as expected)."""
    opener = text[begin:begin + 1]
    if opener in (b"{", b"[") and text[begin + 1:begin + 2] == b"\n":
        end = text.find(b"\n  " + (b"}" if opener == b"{" else b"]"), begin) + 4
    else:  # a scalar, or `{}` / `[]`, on the key's line
        end = text.find(b"\n", begin)
    if end < begin:
        return None
    value = text[begin:end]
    return value[:-1] if value.endswith(b",") else value


def _derived_problems(store: AuditStore, kinds: dict[int, str], upto: int | None) -> list[Problem]:
    """region_bands and outcome_events (derived for the program report) must match the records
    (`upto`: the last record the walk could read, when it could not read them all)."""
    problems = [Problem(i, "its region bands (region_bands, derived for the program report) do "
                           "not match its plan") if kinds.get(i) == "assessment"
                else Problem(None, f"region_bands holds bands of record {i}, which is not an "
                                   "assessment in the chain")
                for i in store.region_band_mismatches(upto)]
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
