"""Personal accounts and web sessions (issue #18 part 4), in operational tables of the audit store.

Users and sessions are not audit records: they live beside the hash chain (a token is replaced,
a user disabled, a session ends), never in it. What the chain keeps is who acted: a record made by
a signed-in user carries that user's id in its hashed `assessor_id` (docs/audit.md).

- A user has a pseudonymous id (the pattern client ids use) and one role (ROLES).
- A token is `gw_<user-id>_<64 hex digits>`: the id in it lets the server find the one row to check
  without scanning every hash. It is shown once; only its scrypt hash (a per-user random salt,
  parameters kept with the hash so that they can be raised later) is stored, and it is compared in
  constant time. scrypt is in the standard library (hashlib): no new dependency for a standard,
  memory-hard password hash.
- `VerifiedTokens` remembers tokens already verified (by a SHA-256 of token and stored hash), so
  that scrypt runs once per token and process, not on every request; a new token or a disabled
  user is still seen at once, since the user's row is read on every request.
- Sessions are stored by the SHA-256 of their key (a copy of the store does not hand out live
  sessions), with their CSRF token, so they survive a restart and are shared by every worker.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from engine.audit.errors import audit_error
from engine.audit.transaction import immediate
from engine.models import PSEUDONYM

# role -> what it may do; the server allows writes (assess, feedback, outcomes) to WRITERS only
ROLES: dict[str, str] = {
    "clinician": "assesses clients, records feedback on plans and outcome events",
    "qa-reviewer": "reads plans and their explanations, verifies and replays the audit; never writes",
    "trainer": "reads plans and the knowledge base; writes rules with the CLI (lint, test, diff)",
    "admin": "manages users (`groundwork users`); reads",
}
WRITERS = frozenset({"clinician"})
OPERATOR = "operator"  # the server's shared token ($GROUNDWORK_TOKEN): every right, no user id
TOKEN = re.compile(r"gw_([A-Za-z0-9][A-Za-z0-9_-]{0,63})_([0-9a-f]{64})")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # OWASP's minimum for scrypt; ~50 ms a verification
HINT_ROLES = "roles: " + ", ".join(ROLES)

_ROLE_LIST = ", ".join(f"'{r}'" for r in ROLES)
MIGRATION = (
    f"""CREATE TABLE users (
        id          TEXT PRIMARY KEY,
        role        TEXT NOT NULL CHECK (role IN ({_ROLE_LIST})),
        token_hash  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        disabled_at TEXT
    ) WITHOUT ROWID""",
    """CREATE TABLE sessions (
        key_hash TEXT PRIMARY KEY,
        user_id  TEXT REFERENCES users (id),
        role     TEXT NOT NULL,
        csrf     TEXT NOT NULL,
        expires  REAL NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX sessions_by_expiry ON sessions (expires)",
)


@dataclass(frozen=True)
class User:
    id: str
    role: str
    created_at: str
    disabled_at: str | None = None

    @property
    def may_write(self) -> bool:
        return self.disabled_at is None and self.role in WRITERS


@dataclass(frozen=True)
class Session:
    user_id: str | None  # None: signed in with the operator token
    role: str
    csrf: str


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def check_id(user_id: str) -> str:
    if re.fullmatch(PSEUDONYM, user_id) is None:
        raise audit_error("E851", "the user id must be pseudonymous: letters, digits, '-' or '_', "
                                  "at most 64, starting with a letter or digit (no names)", "ID",
                          hint="e.g. clin-07 or qa-02")
    return user_id


def check_role(role: str) -> str:
    if role not in ROLES:
        raise audit_error("E850", "unknown role", "--role", hint=HINT_ROLES)
    return role


def _hash(secret: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=2**26, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def _matches(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, _ = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _hash(secret, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed.encode(), stored.encode())


def _new_token(user_id: str) -> tuple[str, str]:
    """A new token for `user_id` and the hash to store."""
    secret = secrets.token_hex(32)
    return f"gw_{user_id}_{secret}", _hash(secret, secrets.token_bytes(16))


def user(conn: sqlite3.Connection, user_id: str) -> User | None:
    row = conn.execute("SELECT id, role, created_at, disabled_at FROM users WHERE id = ?",
                       (user_id,)).fetchone()
    return User(*row) if row else None


def users(conn: sqlite3.Connection) -> list[User]:
    return [User(*row) for row in conn.execute(
        "SELECT id, role, created_at, disabled_at FROM users ORDER BY id")]


def _existing(conn: sqlite3.Connection, user_id: str) -> User:
    found = user(conn, check_id(user_id))
    if found is None:
        raise audit_error("E853", f"no user '{user_id}'", "ID",
                          hint="`groundwork users list` shows every user")
    return found


def add_user(conn: sqlite3.Connection, user_id: str, role: str) -> str:
    """Create the user; returns its token (shown once, never stored)."""
    check_id(user_id)
    check_role(role)
    token, stored = _new_token(user_id)
    try:
        conn.execute("INSERT INTO users VALUES (?, ?, ?, ?, NULL)", (user_id, role, stored, _now()))
    except sqlite3.IntegrityError:
        raise audit_error("E852", f"user '{user_id}' exists already", "ID",
                          hint="`groundwork users token ID` gives an existing user a new token") from None
    return token


def new_token(conn: sqlite3.Connection, user_id: str) -> str:
    """Replace the user's token (the old one stops working at once) and end their sessions."""
    found = _existing(conn, user_id)
    if found.disabled_at is not None:
        raise audit_error("E854", f"user '{user_id}' is disabled", "ID",
                          hint="a disabled account stays disabled; add a new user id")
    token, stored = _new_token(user_id)
    with immediate(conn):
        conn.execute("UPDATE users SET token_hash = ? WHERE id = ?", (stored, user_id))
        conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
    return token


def disable_user(conn: sqlite3.Connection, user_id: str) -> bool:
    """Disable the user and end their sessions; False if they were disabled already."""
    found = _existing(conn, user_id)
    if found.disabled_at is not None:
        return False
    with immediate(conn):
        conn.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (_now(), user_id))
        conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
    return True


class VerifiedTokens:
    """Tokens this process has verified, keyed by a SHA-256 of the token and the hash it matched
    (a replaced token misses), at most `size` of them, least recently used first out."""

    def __init__(self, size: int = 256):
        self._items: OrderedDict[bytes, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    @staticmethod
    def key(token: str, stored: str) -> bytes:
        return hashlib.sha256(f"{token}\x00{stored}".encode()).digest()

    def seen(self, key: bytes) -> bool:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return True
            return False

    def add(self, key: bytes) -> None:
        with self._lock:
            self._items[key] = None
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def is_personal(token: str) -> bool:
    return token.startswith("gw_")


def identify(conn: sqlite3.Connection, token: str, cache: VerifiedTokens) -> User:
    """The enabled user whose token this is; E803 for a token that is not one, E854 disabled."""
    match = TOKEN.fullmatch(token)
    row = conn.execute("SELECT id, role, created_at, disabled_at, token_hash FROM users "
                       "WHERE id = ?", (match.group(1),)).fetchone() if match else None
    wrong = audit_error("E803", "the token is not a valid token of a user of this server",
                        "Authorization", hint="ask an admin for a new one (`groundwork users token ID`)")
    if match is None or row is None:
        _matches(secrets.token_hex(32), _dummy())  # the same time as a wrong token of a real user
        raise wrong
    found, stored = User(*row[:4]), row[4]
    key = VerifiedTokens.key(token, stored)
    if not cache.seen(key):
        if not _matches(match.group(2), stored):
            raise wrong
        cache.add(key)
    if found.disabled_at is not None:
        raise audit_error("E854", f"user '{found.id}' is disabled", "Authorization",
                          hint="ask an admin; a disabled account cannot sign in")
    return found


@functools.cache
def _dummy() -> str:
    """A stored hash to check an unknown user's token against, made on first use: scrypt costs
    about 50 ms, which every command would otherwise pay at import."""
    return _hash("0" * 64, b"\x00" * 16)


# ---- sessions ----
def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_session(conn: sqlite3.Connection, user_id: str | None, role: str,
                   seconds: float) -> tuple[str, Session]:
    key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = time.time()
    with immediate(conn):
        conn.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
        conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                     (_key_hash(key), user_id, role, csrf, now + seconds))
    return key, Session(user_id, role, csrf)


def session(conn: sqlite3.Connection, key: str) -> Session | None:
    """The live session with this key (None: none, expired, or its user has been disabled)."""
    row = conn.execute(
        "SELECT s.user_id, s.role, s.csrf FROM sessions AS s LEFT JOIN users AS u "
        "ON u.id = s.user_id WHERE s.key_hash = ? AND s.expires > ? "
        "AND (s.user_id IS NULL OR (u.id IS NOT NULL AND u.disabled_at IS NULL))",
        (_key_hash(key), time.time())).fetchone()
    return Session(*row) if row else None


def drop_session(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("DELETE FROM sessions WHERE key_hash = ?", (_key_hash(key),))
