"""Who may call what: the API token, the page's session cookie, CDS Hooks JWTs, and the headers
and limits every response and request gets.

- /api/*: `Authorization: Bearer <token>`, or the session cookie the login form sets (state-changing
  calls with the cookie also carry the session's CSRF token in `X-CSRF-Token`).
- /cds-services*: a JWT signed by a configured CDS client (iss), aud = the endpoint's URL,
  with exp and a jti never seen before.
- /healthz: open. The token never travels in a URL.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass

import jwt
from fastapi import Request

from groundwork.web.errors import ApiError
from groundwork.web.settings import Settings

SESSION_COOKIE = "groundwork_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
JWT_LEEWAY = 30  # seconds of clock skew allowed between the EHR and us


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


class SeenTokens:
    """jti values already accepted, kept until their token expires: a JWT is good for one call."""

    def __init__(self):
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def first_use(self, issuer: str, jti: str, expires: float) -> bool:
        now = time.time()
        with self._lock:
            self._seen = {k: e for k, e in self._seen.items() if e + JWT_LEEWAY > now}
            if (issuer, jti) in self._seen:
                return False
            self._seen[(issuer, jti)] = expires
            return True


def endpoint_url(request: Request, settings: Settings) -> str:
    """The URL the client called, as the JWT's aud must name it (behind a proxy: the public URL)."""
    base = settings.public_url or str(request.base_url).rstrip("/")
    return base + request.url.path


def require_cds_client(request: Request) -> str:
    """Dependency of every /cds-services route: a valid JWT from a configured issuer; its iss."""
    settings: Settings = request.app.state.settings
    token = bearer(request)
    if token is None:
        raise _refused("a CDS Hooks request needs `Authorization: Bearer <JWT>`")
    try:
        claimed = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _refused("the bearer token is not a JWT") from None
    issuer = claimed.get("iss") if isinstance(claimed, dict) else None
    client = settings.cds_clients.get(issuer) if isinstance(issuer, str) else None
    if client is None:
        raise _refused("the JWT's issuer (iss) is not a configured CDS client")
    try:
        claims = jwt.decode(token, client.key, algorithms=[client.algorithm], issuer=client.issuer,
                            audience=endpoint_url(request, settings), leeway=JWT_LEEWAY,
                            options={"require": ["iss", "aud", "exp", "iat", "jti"]})
    except jwt.PyJWTError as error:
        raise _refused(f"the JWT was refused: {_reason(error)}") from None
    if not request.app.state.seen_tokens.first_use(client.issuer, str(claims["jti"]), float(claims["exp"])):
        raise _refused("the JWT's jti was used before; each request needs a new token")
    return client.issuer


def _reason(error: jwt.PyJWTError) -> str:
    reasons = [(jwt.ExpiredSignatureError, "it has expired (exp)"),
               (jwt.InvalidAudienceError, "its audience (aud) is not this endpoint's URL"),
               (jwt.InvalidIssuerError, "its issuer (iss) does not match"),
               (jwt.ImmatureSignatureError, "it is not valid yet (iat or nbf)"),
               (jwt.MissingRequiredClaimError, "a required claim is missing (iss, aud, exp, iat, jti)"),
               (jwt.InvalidSignatureError, "its signature does not verify"),
               (jwt.InvalidAlgorithmError, "its algorithm is not the one configured for its issuer")]
    for kind, text in reasons:
        if isinstance(error, kind):
            return text
    return "it is malformed or its key does not fit"


def _refused(message: str) -> ApiError:
    return ApiError(401, "E805", message, path="Authorization",
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
