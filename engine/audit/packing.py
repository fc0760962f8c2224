"""How an assessment record's large fields are stored: packed, and read back through one accessor.

An assessment record's input, plan and trace are about 70 KB of JSON text together; since schema
version 6 each is stored as one zstandard frame, compressed with a dictionary trained on
synthetic assessments (scripts/audit_dictionary.py), about 3 KB for all three (issue #20). Other
records (feedback, outcome events, exposure) have no large field and keep their text, and so do
the records written before version 6: a value that is `str` is the text itself; `bytes` is a
frame. `unpack` gives the text either way; in SQL, on every connection the store opens
(engine/audit/store.py), the same function is `audit_text(column)`.

The record hash covers the text (engine/audit/chain.py), never the packed bytes: packing changes
no record hash, and `audit verify` unpacks every field before it hashes it. Packing is
deterministic: the same text gives the same bytes (one level, one dictionary, no time stamp in a
frame; each frame names its dictionary, carries its text's size and a checksum).

The dictionary is part of the format: its file (engine/audit/dictionaries/) is never changed once
a release wrote records with it; a better one gets the next id. Every store holds a copy of each
dictionary in `compression_dictionaries`, so that a store can be read without Groundwork
(docs/audit.md, "Reading a packed field").
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

import zstandard

DICTIONARY_ID = 0x4757_0001  # "GW" 1, in the header of every frame packed with it
DICTIONARY_SIZE = 128 * 1024
LEVEL = 5  # measured: smaller and faster than 6 with this dictionary (docs/audit.md)
PACKED_SINCE = 6  # the schema version whose writers pack (engine/audit/schema.py)
PACKED_KINDS = frozenset({"assessment"})
MAX_TEXT = 64 * 1024 * 1024  # a frame that says its text is larger is damaged, not read
MAGIC = b"\x28\xb5\x2f\xfd"  # every zstandard frame starts with it; no JSON text can
_local = threading.local()  # compressors and decompressors are not shared between threads


class PackingError(ValueError):
    """A stored value that cannot be unpacked: damaged bytes, or a dictionary we do not have."""


def dictionary_path(dict_id: int) -> Path:
    return Path(__file__).resolve().parent / "dictionaries" / f"{dict_id:08x}.zdict"


@lru_cache(maxsize=None)
def dictionary(dict_id: int) -> bytes:
    """The bytes of a dictionary this Groundwork knows (PackingError for any other)."""
    try:
        return dictionary_path(dict_id).read_bytes()
    except OSError:
        raise PackingError(f"packed with compression dictionary {dict_id:#010x}, which this "
                           "Groundwork does not have") from None


def dictionary_sha256(dict_id: int) -> str:
    return hashlib.sha256(dictionary(dict_id)).hexdigest()


def _dict_data(dict_id: int) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(dictionary(dict_id), dict_type=zstandard.DICT_TYPE_FULLDICT)


def _compressor() -> zstandard.ZstdCompressor:
    found = getattr(_local, "compressor", None)
    if found is None:
        found = _local.compressor = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=_dict_data(DICTIONARY_ID), write_checksum=True,
            write_content_size=True, write_dict_id=True)
    return found


def _decompressor(dict_id: int) -> zstandard.ZstdDecompressor:
    found = getattr(_local, "decompressors", None)
    if found is None:
        found = _local.decompressors = {}
    if dict_id not in found:
        found[dict_id] = zstandard.ZstdDecompressor(dict_data=_dict_data(dict_id))
    return found[dict_id]


def pack(text: str) -> bytes:
    """One field's text as a frame."""
    return _compressor().compress(text.encode("utf-8"))


def packs(kind: str | None) -> bool:
    """Whether a record of this kind has its input, plan and trace packed (from schema 6)."""
    return kind in PACKED_KINDS


def unpack_bytes(value: str | bytes | None) -> bytes | None:
    """The field's text as UTF-8 bytes (what the record hash covers), packed or not."""
    if value is None or isinstance(value, str):
        return None if value is None else value.encode("utf-8")
    if not isinstance(value, bytes) or not value.startswith(MAGIC):
        raise PackingError("it is neither text nor a packed frame")
    try:
        frame = zstandard.get_frame_parameters(value)
        if not 0 <= frame.content_size <= MAX_TEXT or not frame.has_checksum:
            raise PackingError("its packed frame is damaged (no size or checksum)")
        return _decompressor(frame.dict_id).decompress(value, allow_extra_data=False)
    except zstandard.ZstdError as error:
        raise PackingError(f"its packed frame is damaged ({error})") from None


def unpack(value: str | bytes | None) -> str | None:
    """The field's text, packed or not: the one way every reader gets it."""
    if value is None or isinstance(value, str):
        return value
    text = unpack_bytes(value)
    try:
        return None if text is None else text.decode("utf-8")
    except UnicodeDecodeError:
        raise PackingError("its packed text is not UTF-8") from None


def register(conn: sqlite3.Connection) -> None:
    """`audit_text(column)` in SQL: the triggers that derive rows from a plan use it, so do
    reports that read a plan with SQLite's JSON functions."""
    conn.create_function("audit_text", 1, unpack, deterministic=True)


def dictionary_problems(conn: sqlite3.Connection) -> list[str]:
    """The store's copies of the dictionaries that differ from Groundwork's own (or are missing):
    a reader without Groundwork would unpack with them. None in a store older than packing."""
    if conn.execute("PRAGMA user_version").fetchone()[0] < PACKED_SINCE:
        return []
    stored = {dict_id: (data, sha256) for dict_id, data, sha256 in conn.execute(
        "SELECT dict_id, data, sha256 FROM compression_dictionaries")}
    problems = []
    for dict_id in sorted(stored.keys() | {DICTIONARY_ID}):
        data, sha256 = stored.get(dict_id, (None, None))
        try:
            intact = data == dictionary(dict_id) and sha256 == dictionary_sha256(dict_id)
        except PackingError:
            intact = isinstance(data, bytes) and hashlib.sha256(data).hexdigest() == sha256
        if data is None:
            problems.append(f"compression dictionary {dict_id:#010x} is missing from the store")
        elif not intact:
            problems.append(f"the store's copy of compression dictionary {dict_id:#010x} does "
                            "not match its hash: it was changed")
    return problems


def store_dictionaries(conn: sqlite3.Connection) -> None:
    """Schema 6: the store's own copy of the dictionary (readable without Groundwork)."""
    conn.execute("INSERT OR IGNORE INTO compression_dictionaries VALUES (?, ?, ?)",
                 (DICTIONARY_ID, dictionary(DICTIONARY_ID), dictionary_sha256(DICTIONARY_ID)))
