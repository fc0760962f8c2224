"""Who may call what: the API token, the page's session cookie, CDS Hooks JWTs, and the headers
and limits every response and request gets.

- /api/*: `Authorization: Bearer <token>`, or the session cookie the login form sets (state-changing
  calls with the cookie also carry the session's CSRF token in `X-CSRF-Token`).
- /cds-services*: a CDS Hooks JWT (cds_auth.py).
- /healthz: open. The token never travels in a URL.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass

from fastapi import Request

from engine.audit.users import User
from groundwork.web.errors import ApiError

SESSION_COOKIE = "groundwork_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class Session:
    csrf: str
    expires: float
    user: User | None = None  # the signed-in user; None for the server's own token


class Sessions:
    """Server-side sessions in the audit store (table `sessions`): every worker of `groundwork
    serve --workers N` sees the same ones. Only the SHA-256 of a cookie's key is stored, so a
    copied store signs nobody in; a disabled user's sessions end with their account."""

    def __init__(self, settings):
        self._settings = settings
        self._ttl = settings.session_hours * 3600

    def create(self, user: User | None = None) -> tuple[str, Session]:
        from engine.audit.store import AuditStore
        key = secrets.token_urlsafe(32)
        session = Session(secrets.token_urlsafe(24), time.time() + self._ttl, user)

        def insert(conn):
            conn.execute("DELETE FROM sessions WHERE expires <= ?", (time.time(),))
            conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                         (_digest(key), session.csrf, session.expires, user.id if user else None))
        with AuditStore.open(self._settings.db, mode="create") as store:
            store.transaction(insert)
        return key, session

    def get(self, key: str | None) -> Session | None:
        from dsl.errors import GroundworkError
        from engine.audit.store import AuditStore
        from engine.audit.users import enabled
        if not key:
            return None
        try:
            with AuditStore.open(self._settings.db) as store:
                row = store.conn.execute("SELECT csrf, expires, user_id FROM sessions WHERE "
                                         "key_hash = ?", (_digest(key),)).fetchone()
                if row is None or row[1] <= time.time():
                    return None
                user = enabled(store.conn, row[2]) if row[2] is not None else None
        except (GroundworkError, sqlite3.Error):  # no store yet, or not readable: no session
            return None
        if row[2] is not None and user is None:
            return None  # the account was disabled
        return Session(row[0], row[1], user)

    def drop(self, key: str | None) -> None:
        from engine.audit.store import AuditStore
        if key:
            with AuditStore.open(self._settings.db, mode="create") as store:
                store.transaction(lambda conn: conn.execute(
                    "DELETE FROM sessions WHERE key_hash = ?", (_digest(key),)))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Throttle:
    """Failed sign-ins counted per client address and per account, in a sliding window: past
    the limit, every attempt is refused (429 with Retry-After) until the window has moved on,
    even one with the right credentials, so guessing costs the window, not a round trip."""

    def __init__(self, per_address: int = 10, per_account: int = 50, window: float = 300.0):
        self.per_address, self.per_account, self.window = per_address, per_account, window
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str, account: str = "token") -> int:
        """Seconds until `address` (or `account`) may try again; 0 when it may now."""
        now = time.time()
        with self._lock:
            waits = [self._wait(("address", address), self.per_address, now),
                     self._wait(("account", account), self.per_account, now)]
        return max(waits)

    def failed(self, address: str, account: str = "token") -> None:
        now = time.time()
        with self._lock:
            for key in (("address", address), ("account", account)):
                self._failures.setdefault(key, []).append(now)
            if len(self._failures) > 10_000:  # bounded: forget the oldest keys first
                for key in sorted(self._failures, key=lambda k: self._failures[k][-1])[:5_000]:
                    del self._failures[key]

    def _wait(self, key, limit: int, now: float) -> int:
        times = [t for t in self._failures.get(key, []) if t > now - self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return 0 if len(times) < limit else int(times[-limit] + self.window - now) + 1


def same(secret: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(secret.encode(), given.encode())


def bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def acting_user(request: Request):
    """The signed-in user (engine/audit/users.User), or None for this server's own token."""
    return request.scope.get("state", {}).get("user")


def page_session(request: Request) -> Session | None:
    return request.app.state.sessions.get(request.cookies.get(SESSION_COOKIE))


def require_api(request: Request) -> None:
    """Dependency of every /api route: the bearer token, or a session cookie (+ CSRF to change)."""
    token = bearer(request)
    if token is not None:
        from groundwork.web.middleware import bearer_refusal
        refused = bearer_refusal(request.app, token, client_address(request), request.scope.setdefault(
            "state", {}), changes=request.method not in SAFE_METHODS)
        if refused is None:
            return
        status, code, message = refused
        headers = {"Retry-After": message.split(" ")[-2]} if status == 429 else \
            {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise ApiError(status, code, message, path="Authorization", headers=headers)
    session = page_session(request)
    if session is not None and session.user is not None:
        request.scope.setdefault("state", {})["user"] = session.user
    if session is None:
        raise ApiError(401, "E803", "authentication required: send `Authorization: Bearer <token>` "
                                    "or sign in on the web page", path="Authorization",
                       headers={"WWW-Authenticate": "Bearer"})
    if request.method not in SAFE_METHODS and not same(session.csrf, request.headers.get(CSRF_HEADER)):
        raise ApiError(403, "E804", f"a request made with the session cookie needs the page's "
                                    f"{CSRF_HEADER} header", path=CSRF_HEADER)


