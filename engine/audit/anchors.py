"""Anchors: the chain head written somewhere the store's owner cannot rewrite (issue #18).

The hash chain shows that records were changed, removed or reordered, unless whoever changed
them also recomputed every later hash: a consistent rewritten chain verifies. An anchor is the
head (record id and hash) at a moment, kept outside the store: appended to a file elsewhere (a
write-once share, another machine, a printed log) and, with a key, signed with Ed25519 (the
`cryptography` package) so that a forged anchor file needs the private key too. `audit verify
--anchors FILE` then checks that every anchored record is still in the chain with its hash: a
rewrite of anything at or before an anchored record fails.

One anchor is one JSON line: {"record", "head", "at"} and, when signed, {"key", "signature"}
(the key's SHA-256 fingerprint; the signature over `groundwork-anchor-v1\\n{record}\\n{head}\\n{at}`,
base64).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.audit import chain
from engine.audit.errors import audit_error

DOMAIN = "groundwork-anchor-v1"


@dataclass(frozen=True)
class Anchor:
    record: int
    head: str
    at: str
    key: str | None = None
    signature: str | None = None

    def message(self) -> bytes:
        return f"{DOMAIN}\n{self.record}\n{self.head}\n{self.at}".encode("utf-8")

    def line(self) -> str:
        data = {"record": self.record, "head": self.head, "at": self.at}
        if self.signature is not None:
            data |= {"key": self.key, "signature": self.signature}
        return json.dumps(data, sort_keys=True)


# ---- keys ----

def new_key(path: Path) -> tuple[Path, str]:
    """Write a new Ed25519 private key (PEM, readable by its owner only) and its public half
    beside it (PATH.pub); returns the public key's path and fingerprint."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise audit_error("E744", "a file is there already; a key is never overwritten", str(path),
                          hint="give another path, or move the old key away first") from None
    except OSError as error:
        raise audit_error("E744", f"cannot write the key: {error.strerror}", str(path)) from None
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    public = Path(f"{path}.pub")
    public.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return public, fingerprint(private.public_key())


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def load_private(path: Path) -> Ed25519PrivateKey:
    key = _load(path, private=True)
    if not isinstance(key, Ed25519PrivateKey):
        raise audit_error("E744", "not an Ed25519 private key", str(path),
                          hint="make one with `groundwork audit anchor --new-key FILE`")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    key = _load(path, private=False)
    if isinstance(key, Ed25519PrivateKey):  # the private key given: its public half is meant
        return key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise audit_error("E744", "not an Ed25519 public key", str(path),
                          hint="give the FILE.pub that `audit anchor --new-key FILE` wrote")
    return key


def _load(path: Path, private: bool):
    try:
        data = path.read_bytes()
    except OSError as error:
        raise audit_error("E744", f"cannot read the key: {error.strerror}", str(path)) from None
    try:
        if private or b"PRIVATE KEY" in data:
            return serialization.load_pem_private_key(data, password=None)
        return serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise audit_error("E744", "not a PEM key without a password", str(path),
                          hint="make one with `groundwork audit anchor --new-key FILE`") from None


# ---- writing and checking ----

def make(record: int, head: str, at: str, key: Ed25519PrivateKey | None) -> Anchor:
    anchor = Anchor(record, head, at)
    if key is None:
        return anchor
    signature = base64.b64encode(key.sign(anchor.message())).decode("ascii")
    return Anchor(record, head, at, fingerprint(key.public_key()), signature)


def append(path: Path, anchor: Anchor) -> None:
    """One line at the end of the anchor file (created if missing), flushed to disk."""
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(anchor.line() + "\n")
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:
        raise audit_error("E743", f"cannot write the anchor: {error.strerror}", str(path)) from None


def read(path: Path) -> tuple[list[tuple[int, Anchor]], list[str]]:
    """The anchors of a file with their line numbers, and a problem for each line that is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise audit_error("E743", f"cannot read the anchor file: {reason}", str(path)) from None
    anchors, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchor = Anchor(int(data["record"]), str(data["head"]), str(data["at"]),
                            data.get("key"), data.get("signature"))
            if anchor.record < 1 or not chain.is_hash(anchor.head):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            problems.append(f"{path.name}:{number}: not an anchor line")
            continue
        anchors.append((number, anchor))
    return anchors, problems


def check(path: Path, hashes: dict[int, str], public: Ed25519PublicKey | None) -> list[str]:
    """A problem for every anchor whose record is missing or changed, or whose signature fails."""
    anchors, problems = read(path)
    if not anchors and not problems:
        problems.append(f"{path.name}: no anchors in the file")
    for number, anchor in anchors:
        where = f"{path.name}:{number}: anchor of record {anchor.record} ({anchor.at})"
        if public is not None:
            problems += _signature_problems(anchor, public, where)
        elif anchor.signature is not None:
            problems.append(f"{where}: it is signed; give --public-key to check the signature")
        found = hashes.get(anchor.record)
        if found is None:
            problems.append(f"{where}: the record is not in the chain: records were cut off")
        elif found != anchor.head:
            problems.append(f"{where}: the record's hash is {found[:12]}…, the anchor says "
                            f"{anchor.head[:12]}…: history was rewritten at or before it")
    return problems


def _signature_problems(anchor: Anchor, public: Ed25519PublicKey, where: str) -> list[str]:
    if anchor.signature is None:
        return [f"{where}: not signed, but a public key was given"]
    if anchor.key != fingerprint(public):
        return [f"{where}: signed with another key ({anchor.key})"]
    try:
        public.verify(base64.b64decode(anchor.signature, validate=True), anchor.message())
    except (InvalidSignature, ValueError):
        return [f"{where}: the signature does not match: the anchor was changed"]
    return []
