"""A self-contained JSON bundle of records a reviewer can archive and check without the store.

The bundle holds each record field for field (so every record hash can be recomputed with
chain.record_hash), the feedback given on it, and the source of every knowledge base they used.
Clinicians' comments are left out unless asked for; their SHA-256 stays, so hashes still check.
"""

from __future__ import annotations

import base64

from engine.audit import chain
from engine.audit.errors import audit_error
from engine.audit.store import AuditStore, Record, utc_now

BUNDLE_FORMAT = "groundwork-audit-bundle"
BUNDLE_VERSION = 1
HASHING = ("record_hash = SHA-256 of the UTF-8 canonical JSON (sorted keys, separators ',' and ':', "
           "no ASCII escaping) of the record's fields without record_hash, with comment replaced "
           "by comment_sha256; prev_hash links each record to the one before it (64 zeros for "
           "the first); kb_hash is the knowledge base's content hash over its files. "
           "See docs/audit.md.")


def record_data(record: Record, include_comments: bool) -> dict:
    data = record.fields()
    data["comment_sha256"] = chain.comment_sha256(record.comment)
    data["comment_omitted"] = not include_comments and record.comment is not None
    if data["comment_omitted"]:
        data["comment"] = None
    return data


def _file_data(path: str, data: bytes) -> dict:
    try:
        return {"path": path, "text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"path": path, "base64": base64.b64encode(data).decode("ascii")}


def file_bytes(entry: dict) -> bytes:
    return entry["text"].encode("utf-8") if "text" in entry else base64.b64decode(entry["base64"])


def export_bundle(store: AuditStore, ids: list[int], include_comments: bool = False) -> dict:
    """The bundle for these records (each id must exist) plus the feedback given on them."""
    chosen = {record_id: store.record(record_id) for record_id in sorted(set(ids))}
    for record in list(chosen.values()):
        for feedback in store.feedback_for(record.id):
            chosen.setdefault(feedback.id, feedback)
    records = [chosen[i] for i in sorted(chosen)]
    kb_hashes = sorted({r.kb_hash for r in records if r.kb_hash})
    sources = {h: (n, v) for h, n, v in store.kb_sources()}
    knowledge_bases = []
    for kb_hash in kb_hashes:
        if kb_hash not in sources:
            raise audit_error("E716", f"the source of knowledge base {kb_hash[:12]}… is missing",
                              store.display, hint="run `groundwork audit verify`")
        name, version = sources[kb_hash]
        knowledge_bases.append({"kb_hash": kb_hash, "kb_name": name, "kb_version": version,
                                "files": [_file_data(p, d) for p, d in store.kb_files(kb_hash).items()]})
    head_id, head_hash = store.head()
    return {
        "format": BUNDLE_FORMAT, "format_version": BUNDLE_VERSION, "exported_at": utc_now(),
        "store_head": {"id": head_id, "record_hash": head_hash}, "hashing": HASHING,
        "comments_included": include_comments,
        "records": [record_data(r, include_comments) for r in records],
        "knowledge_bases": knowledge_bases,
    }


def check_bundle(bundle: dict) -> list[str]:
    """Problems found re-checking a bundle on its own: record hashes and KB content hashes."""
    problems = []
    for data in bundle.get("records", []):
        if chain.record_hash(data) != data.get("record_hash"):
            problems.append(f"record {data.get('id')}: its contents do not match its hash")
        elif data.get("comment") is not None and \
                chain.comment_sha256(data["comment"]) != data.get("comment_sha256"):
            problems.append(f"record {data.get('id')}: its comment does not match its hash")
    for kb in bundle.get("knowledge_bases", []):
        files = {entry["path"]: file_bytes(entry) for entry in kb.get("files", [])}
        if chain.files_hash(files) != kb.get("kb_hash"):
            problems.append(f"knowledge base {str(kb.get('kb_hash'))[:12]}…: files do not match its hash")
    return problems
