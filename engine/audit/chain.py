"""The hash chain: how a record's hash is computed, and how a stored knowledge base is checked.

A record's hash is SHA-256 over the canonical JSON of every stored field except the hash itself,
including `prev_hash`, the hash of the record before it (GENESIS for the first). Changing any field
of any record, or removing, inserting or reordering records, breaks the chain at that record.

Each record names its scheme in `hash_format`, so a store keeps every record it ever held
verifiable:
- 1 (before RFC 8785): Python's sorted-key JSON of every field, the stored JSON texts included.
- 2: RFC 8785 (JCS) of the fields, with the three stored JSON texts (input, plan, trace) entering
  as the SHA-256 of their text as stored (`input_json_sha256` …). Those texts are written
  canonically (the input in RFC 8785 itself) and never rewritten, so hashing them as they are
  says the same; and the pure-Python canonicaliser run over 50 KB texts would make `audit
  verify` five times slower (2.1 ms a record against 0.13 ms: docs/audit.md).

A clinician's free-text comment enters the hash only as its own SHA-256 (`comment_sha256`): an
exported bundle can leave the comment out and still let anyone recompute every record hash.

The hash covers the JSON texts themselves, however they are stored: an assessment record's texts
are stored packed since schema 6 (engine/audit/packing.py) and are unpacked before hashing. The
walks over the whole chain (`audit verify`, the check before an append) pass them here as UTF-8
bytes, which spares decoding 70 KB a record to text and encoding it back; a packed frame passed
by mistake is refused (ValueError), never hashed as if it were the text.
"""

from __future__ import annotations

import hashlib
import tempfile

from pathlib import Path, PurePosixPath

from dsl.kb import content_hash
from engine.audit.packing import MAGIC as PACKED_MAGIC
from engine.pipeline import HASH_FORMAT as INPUT_HASH_FORMAT, canonical_json, canonical_json_v1

GENESIS = "0" * 64
HASH_FORMAT = INPUT_HASH_FORMAT  # new records (their input hash too); FORMATS: those verify reads
FORMATS = (1, 2)
TEXT_COLUMNS = ("input_json", "plan_json", "trace_json")  # enter format 2 by their SHA-256

# Every column of `records`; the hash covers all of them but record_hash (comment via its hash).
FIELDS = (
    "id", "hash_format", "kind", "recorded_at", "client_id", "assessor_id", "assessment_date",
    "input_hash", "input_json", "kb_hash", "kb_name", "kb_version", "engine_version", "drafts",
    "plan_json", "trace_json", "target_id", "intervention", "outcome", "reason", "comment",
    "prev_hash", "record_hash",
)


def sha256_text(text: str | bytes) -> str:
    """SHA-256 of a text (str, or its UTF-8 bytes)."""
    if isinstance(text, bytes):
        if text.startswith(PACKED_MAGIC):
            raise ValueError("a packed field: unpack it first (engine/audit/packing.py)")
        return hashlib.sha256(text).hexdigest()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def comment_sha256(comment: str | None) -> str | None:
    return None if comment is None else sha256_text(comment)


def preimage(fields: dict) -> dict:
    """What the hash covers: the record without its own hash, the comment replaced by its hash."""
    out = {name: fields.get(name) for name in FIELDS if name not in ("record_hash", "comment")}
    out["comment_sha256"] = fields.get("comment_sha256", comment_sha256(fields.get("comment")))
    return out


def record_hash(fields: dict) -> str:
    """The hash of a record under its own `hash_format` (HASH_FORMAT for a new record). The JSON
    texts are str or UTF-8 bytes, never packed."""
    if fields.get("hash_format", HASH_FORMAT) == 1:
        image = preimage(fields)
        for column in TEXT_COLUMNS:
            if isinstance(image[column], bytes):
                sha256_text(image[column])  # refuses a packed frame
                image[column] = image[column].decode("utf-8")
        return sha256_text(canonical_json_v1(image))
    image = preimage(fields)
    for column in TEXT_COLUMNS:
        text = image.pop(column)
        image[f"{column}_sha256"] = None if text is None else sha256_text(text)
    return sha256_text(canonical_json(image))


def hash_matches(fields: dict) -> bool:
    """Whether a stored record's hash is the hash of its fields, under its own hash format."""
    return fields.get("hash_format") in FORMATS and record_hash(fields) == fields.get("record_hash")


def is_hash(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def safe_relative(path: str) -> PurePosixPath | None:
    """A stored KB path as a relative path that stays inside its directory, or None."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or "\\" in path or any(p in ("", ".", "..") for p in pure.parts):
        return None
    return pure


def materialise(files: dict[str, bytes], root: Path) -> None:
    """Write a stored knowledge base's files below `root`."""
    for path, data in files.items():
        relative = safe_relative(path)
        if relative is None:
            raise ValueError(f"unsafe path in a stored knowledge base: {path!r}")
        target = root.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def files_hash(files: dict[str, bytes]) -> str:
    """The knowledge-base content hash of a set of files: exactly dsl.kb.content_hash on disk."""
    with tempfile.TemporaryDirectory(prefix="groundwork-kb-") as directory:
        materialise(files, Path(directory))
        return content_hash(Path(directory))
