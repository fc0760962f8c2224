"""Who may call what: the API token, the page's session cookie, CDS Hooks JWTs, and the headers
and limits every response and request gets.

- /api/*: `Authorization: Bearer <token>`, or the session cookie the login form sets (state-changing
  calls with the cookie also carry the session's CSRF token in `X-CSRF-Token`).
- /cds-services*: a CDS Hooks JWT (cds_auth.py).
- /healthz: open. The token never travels in a URL.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import Request

from groundwork.web.errors import ApiError
from groundwork.web.settings import Settings

SESSION_COOKIE = "groundwork_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class Session:
    csrf: str
    expires: float


class Sessions:
    """Server-side sessions, in memory: a restart logs everyone out, which is the safe default."""

    def __init__(self, hours: int):
        self._ttl = hours * 3600
        self._items: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self) -> tuple[str, Session]:
        key, session = secrets.token_urlsafe(32), Session(secrets.token_urlsafe(24), time.time() + self._ttl)
        with self._lock:
            self._items = {k: s for k, s in self._items.items() if s.expires > time.time()}
            self._items[key] = session
        return key, session

    def get(self, key: str | None) -> Session | None:
        if not key:
            return None
        with self._lock:
            session = self._items.get(key)
            if session is not None and session.expires <= time.time():
                del self._items[key]
                session = None
        return session

    def drop(self, key: str | None) -> None:
        with self._lock:
            self._items.pop(key or "", None)


def same(secret: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(secret.encode(), given.encode())


def bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def page_session(request: Request) -> Session | None:
    return request.app.state.sessions.get(request.cookies.get(SESSION_COOKIE))


def require_api(request: Request) -> None:
    """Dependency of every /api route: the bearer token, or a session cookie (+ CSRF to change)."""
    settings: Settings = request.app.state.settings
    token = bearer(request)
    if token is not None:
        if same(settings.token, token):
            return
        raise ApiError(401, "E803", "the bearer token is not this server's API token",
                       path="Authorization", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    session = page_session(request)
    if session is None:
        raise ApiError(401, "E803", "authentication required: send `Authorization: Bearer <token>` "
                                    "or sign in on the web page", path="Authorization",
                       headers={"WWW-Authenticate": "Bearer"})
    if request.method not in SAFE_METHODS and not same(session.csrf, request.headers.get(CSRF_HEADER)):
        raise ApiError(403, "E804", f"a request made with the session cookie needs the page's "
                                    f"{CSRF_HEADER} header", path=CSRF_HEADER)


