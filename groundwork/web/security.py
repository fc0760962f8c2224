"""Who may call what: the API token, the page's session cookie, CDS Hooks JWTs, and the headers
and limits every response and request gets.

- /api/*: `Authorization: Bearer <token>` (a user's personal token, or the operator's shared
  token), or the session cookie the login form sets (state-changing calls with the cookie also
  carry the session's CSRF token in `X-CSRF-Token`). A change also needs a role that may write
  (a clinician, or the operator token); a qa-reviewer, trainer or admin gets 403 E855.
- /cds-services*: a CDS Hooks JWT (cds_auth.py).
- /healthz: open. The token never travels in a URL.
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from dsl.errors import GroundworkError
from engine.audit import accounts
from engine.audit.store import AuditStore, default_db_path
from groundwork.web.errors import ApiError, from_groundwork
from groundwork.web.settings import Settings

SESSION_COOKIE = "groundwork_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Identity:
    """Who is calling: a user (personal token or their session) or the operator (shared token)."""

    user_id: str | None  # None: the operator token ($GROUNDWORK_TOKEN); records keep their own ids
    role: str

    @property
    def may_write(self) -> bool:
        return self.role == accounts.OPERATOR or self.role in accounts.WRITERS


OPERATOR = Identity(None, accounts.OPERATOR)


class Sessions:
    """Server-side sessions in the audit store's `sessions` table (engine/audit/accounts.py): they
    survive a restart and every worker process of `groundwork serve --workers N` sees them."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._ttl = settings.session_hours * 3600
        self.verified = accounts.VerifiedTokens()

    def _store(self, mode: str = "read") -> AuditStore:
        try:
            return AuditStore.open(self._settings.db, mode=mode)
        except GroundworkError as error:
            raise from_groundwork(error, 503, "(audit store)") from None

    def create(self, identity: Identity) -> tuple[str, accounts.Session]:
        with self._store("create") as store, store.operational() as conn:
            return accounts.create_session(conn, identity.user_id, identity.role, self._ttl)

    def get(self, key: str | None) -> accounts.Session | None:
        if not key or not self._exists():
            return None
        with self._store() as store:
            return accounts.session(store.conn, key)

    def drop(self, key: str | None) -> None:
        if key and self._exists():
            with self._store("append") as store, store.operational() as conn:
                accounts.drop_session(conn, key)

    def identify(self, token: str) -> Identity:
        """The user a personal token belongs to (401 E803 wrong, 401 E854 disabled)."""
        if not self._exists():
            raise ApiError(401, "E803", "the token is not a valid token of a user of this server",
                           path="Authorization")
        with self._store() as store:
            try:
                found = accounts.identify(store.conn, token, self.verified)
            except GroundworkError as error:
                raise from_groundwork(error, path="Authorization") from None
        return Identity(found.id, found.role)

    def _exists(self) -> bool:
        """Whether the store is there (no store: nobody has an account or a session yet)."""
        return Path(self._settings.db or default_db_path()).exists()


class Throttle:
    """Failed sign-ins counted per client address and per account, in a sliding window: past
    the limit, every attempt is refused (429 with Retry-After) until the window has moved on,
    even one with the right credentials, so guessing costs the window, not a round trip."""

    def __init__(self, per_address: int = 10, per_account: int = 50, window: float = 300.0):
        self.per_address, self.per_account, self.window = per_address, per_account, window
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str, account: str | None = "token") -> int:
        """Seconds until `address` (or `account`) may try again; 0 when it may now. No account
        (None): the address alone, for a sign-in that has not yet named one (OpenID Connect)."""
        now = time.time()
        with self._lock:
            waits = [self._wait(("address", address), self.per_address, now)]
            if account is not None:
                waits.append(self._wait(("account", account), self.per_account, now))
        return max(waits)

    def failed(self, address: str, account: str | None = "token") -> None:
        now = time.time()
        with self._lock:
            keys = [("address", address)] + ([("account", account)] if account is not None else [])
            for key in keys:
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


def page_session(request: Request) -> accounts.Session | None:
    """The request's session (looked up once per request: it is a read of the store)."""
    if not hasattr(request.state, "session"):
        request.state.session = request.app.state.sessions.get(request.cookies.get(SESSION_COOKIE))
    return request.state.session


def identity_of(session: accounts.Session) -> Identity:
    return Identity(session.user_id, session.role)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def bearer_identity(app, token: str, address: str) -> Identity:
    """Who a bearer token is: the operator token, or a user's personal token. 401 otherwise
    (E803 wrong, E854 disabled), counted against the address and the account by the sign-in
    throttle; 429 E811 with Retry-After once either has failed too often, even for a right token."""
    settings: Settings = app.state.settings
    personal = accounts.TOKEN.fullmatch(token)
    account = personal.group(1) if personal else "token"
    wait = app.state.throttle.retry_after(address, account)
    if wait:
        raise ApiError(429, "E811", f"too many failed sign-ins from this address or for this "
                                    f"account: try again in {wait} s", path="Authorization",
                       headers={"Retry-After": str(wait)})
    if same(settings.token, token):
        return OPERATOR
    if accounts.is_personal(token):
        try:
            return app.state.sessions.identify(token)
        except ApiError as error:
            if error.status == 401:
                app.state.throttle.failed(address, account)
                error.headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
            raise
    app.state.throttle.failed(address)
    raise ApiError(401, "E803", "the bearer token is neither this server's API token nor a user's "
                                "token", path="Authorization",
                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def forbidden(identity: Identity) -> ApiError:
    return ApiError(403, "E855", f"a {identity.role} may read but not assess or record anything "
                                 f"(only a clinician may)", path="(role)",
                    hint="sign in as a clinician, or ask an admin about your role")


def require_api(request: Request) -> Identity:
    """Dependency of every /api route: the bearer token, or a session cookie (+ CSRF to change);
    a change also needs a role that may write. The identity is kept in request.state.identity."""
    token = bearer(request)
    if token is not None:
        identity = bearer_identity(request.app, token, client_address(request))
    else:
        session = page_session(request)
        if session is None:
            raise ApiError(401, "E803", "authentication required: send `Authorization: Bearer "
                                        "<token>` or sign in on the web page", path="Authorization",
                           headers={"WWW-Authenticate": "Bearer"})
        if request.method not in SAFE_METHODS and not same(session.csrf,
                                                           request.headers.get(CSRF_HEADER)):
            raise ApiError(403, "E804", f"a request made with the session cookie needs the page's "
                                        f"{CSRF_HEADER} header", path=CSRF_HEADER)
        identity = identity_of(session)
    if request.method not in SAFE_METHODS and not identity.may_write:
        raise forbidden(identity)
    request.state.identity = identity
    return identity


def acting_user(request: Request) -> str | None:
    """The signed-in user's id, for the records this request writes (None: the operator token)."""
    identity = getattr(request.state, "identity", None)
    if identity is None:
        session = page_session(request)
        identity = identity_of(session) if session else None
    return identity.user_id if identity else None
