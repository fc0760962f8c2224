"""Personal accounts (issue #18 part 4): who may do what on the server, and the token each signs in
with, kept in the audit store beside the records they act on.

A user is a pseudonymous id (like an assessor's) with one role:

- clinician: assesses, gives feedback, records outcomes; reads and verifies;
- qa-reviewer: reads and verifies; never assesses or records;
- trainer: reads (plans and explanations), for writing and testing rules;
- admin: everything a clinician may do.

A token is `ID.SECRET`, SECRET 32 random bytes (URL-safe). Only an scrypt hash of SECRET (with
its own salt; RFC 7914 parameters N=2^14, r=8, p=1, from Python's hashlib) is stored: a copied
store does not give anyone a way in. The token is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass

from engine.audit.errors import audit_error

ROLES = ("clinician", "qa-reviewer", "trainer", "admin")
MAY_RECORD = frozenset({"clinician", "admin"})  # assess, feedback, outcomes
USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}

TABLE = """CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('clinician', 'qa-reviewer', 'trainer', 'admin')),
    created_at  TEXT NOT NULL,
    disabled_at TEXT,
    token_salt  BLOB NOT NULL,
    token_hash  BLOB NOT NULL
)"""


@dataclass(frozen=True)
class User:
    id: str
    role: str
    created_at: str
    disabled_at: str | None

    @property
    def may_record(self) -> bool:
        return self.role in MAY_RECORD


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **SCRYPT)


def _new_secret() -> tuple[str, bytes, bytes]:
    secret, salt = secrets.token_urlsafe(32), secrets.token_bytes(16)
    return secret, salt, _hash(secret, salt)


def add(conn: sqlite3.Connection, user_id: str, role: str, now: str, where: str) -> str:
    """Create the user; returns its token (shown once)."""
    if not USER_ID.fullmatch(user_id):
        raise audit_error("E718", "a user id is a pseudonym: letters, digits, '-' or '_' (at most "
                                  "64), never a name", where)
    if role not in ROLES:
        raise audit_error("E745", f"unknown role '{role[:20]}'", where, hint="roles: " + ", ".join(ROLES))
    secret, salt, digest = _new_secret()
    try:
        conn.execute("INSERT INTO users VALUES (?, ?, ?, NULL, ?, ?)", (user_id, role, now, salt, digest))
    except sqlite3.IntegrityError:
        raise audit_error("E746", f"user {user_id} exists already", where,
                          hint="`groundwork users token ID` gives them a new token") from None
    return f"{user_id}.{secret}"


def new_token(conn: sqlite3.Connection, user_id: str, where: str) -> str:
    """Replace the user's token (the old one stops working); returns the new one (shown once)."""
    secret, salt, digest = _new_secret()
    if conn.execute("UPDATE users SET token_salt = ?, token_hash = ? WHERE id = ?",
                    (salt, digest, user_id)).rowcount != 1:
        raise audit_error("E747", f"no user {user_id}", where)
    return f"{user_id}.{secret}"


def disable(conn: sqlite3.Connection, user_id: str, now: str, where: str) -> None:
    if conn.execute("UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?",
                    (now, user_id)).rowcount != 1:
        raise audit_error("E747", f"no user {user_id}", where)


def listed(conn: sqlite3.Connection) -> list[User]:
    return [User(*row) for row in conn.execute(
        "SELECT id, role, created_at, disabled_at FROM users ORDER BY id")]


def enabled(conn: sqlite3.Connection, user_id: str) -> User | None:
    row = conn.execute("SELECT id, role, created_at, disabled_at FROM users WHERE id = ? AND "
                       "disabled_at IS NULL", (user_id,)).fetchone()
    return User(*row) if row else None


SESSIONS = """CREATE TABLE sessions (
    key_hash TEXT PRIMARY KEY,
    csrf     TEXT NOT NULL,
    expires  REAL NOT NULL,
    user_id  TEXT REFERENCES users (id)
)"""


def signed_in(conn: sqlite3.Connection, token: str) -> User | None:
    """The enabled user whose token this is, or None."""
    user_id, dot, secret = token.partition(".")
    if not dot or not USER_ID.fullmatch(user_id) or not secret:
        return None
    row = conn.execute("SELECT id, role, created_at, disabled_at, token_salt, token_hash FROM users "
                       "WHERE id = ?", (user_id,)).fetchone()
    if row is None or row[3] is not None:
        return None
    if not hmac.compare_digest(_hash(secret, row[4]), row[5]):
        return None
    return User(*row[:4])
