"""ASGI middleware: a size limit on request bodies, security headers on every response, and a
guard that turns any unexpected exception into a plain 500 without logging anything a request
carried (no body, no exception message: only its type and the path)."""

from __future__ import annotations

import json
import logging

from starlette.concurrency import run_in_threadpool

from groundwork.web.errors import TITLES, ApiError

log = logging.getLogger("groundwork.web")

# No inline script or style anywhere: the page's JavaScript and CSS are static files.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
    b"content-security-policy": CSP.encode(),
}


def _error_body(status: int, code: str, message: str, path: str = "(request)") -> bytes:
    return json.dumps({"status": status, "title": TITLES.get(status, "error"),
                       "errors": [{"code": code, "path": path, "message": message,
                                   "hint": None, "suggestions": []}]}).encode()


async def _send_error(send, status: int, code: str, message: str, path: str = "(request)",
                      headers: tuple = ()) -> None:
    body = _error_body(status, code, message, path)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """413 for a body over `limit` bytes: by its Content-Length, or, when it has none (chunked),
    by reading it first (at most `limit` bytes are ever held) and handing the app what was read."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        message = f"the request body is larger than {self.limit} bytes"
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.limit:
                return await _send_error(send, 413, "E802", message)
            return await self.app(scope, receive, send)
        events, size = [], 0
        while True:
            event = await receive()
            events.append(event)
            size += len(event.get("body", b""))
            if size > self.limit:
                return await _send_error(send, 413, "E802", message)
            if event["type"] != "http.request" or not event.get("more_body"):
                break

        async def replay():
            return events.pop(0) if events else await receive()

        await self.app(scope, replay, send)


class SecurityHeaders:
    """Headers every response gets, unless a route set its own (the printable report's CSP)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")

        async def with_headers(event):
            if event["type"] == "http.response.start":
                present = {name.lower() for name, _ in event.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS.items() if k not in present]
                if not static and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))  # plans are health data
                event = {**event, "headers": list(event.get("headers", [])) + extra}
            await send(event)

        await self.app(scope, receive, with_headers)


class Guard:
    """The outermost layer: an unexpected exception becomes a 500 naming only its type."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watched(event):
            nonlocal started
            started = started or event["type"] == "http.response.start"
            await send(event)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:  # noqa: BLE001 - the last line of defence
            log.error("internal error (%s) on %s %s", type(error).__name__, scope.get("method"),
                      scope.get("path"))
            if not started:
                await _send_error(send, 500, "E399", "internal error; please report it with the "
                                                     "time of the request")


class StrictJson:
    """Every JSON request body is read as the CLI reads a file (engine/strict_json.py) before
    any route sees it: duplicate keys, deep nesting, huge numbers, long texts and lists are a
    4xx naming the place, never a 500 from the parser or a silently dropped key. The body is
    already bounded by BodyLimit, which wraps this layer."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if not (kind == b"application/json" or kind.endswith(b"+json")):
            return await self.app(scope, receive, send)
        events, body = [], b""
        while True:
            event = await receive()
            events.append(event)
            body += event.get("body", b"")
            if event["type"] != "http.request" or not event.get("more_body"):
                break
        cds = scope["path"].startswith("/cds-services")
        problem = _json_problem(body, cds)
        if problem is not None:
            return await problem(scope, receive, send)

        async def replay():
            return events.pop(0) if events else await receive()

        await self.app(scope, replay, send)


def _json_problem(body: bytes, cds: bool):
    """The error response for a body that is not strictly valid JSON, or None."""
    from dsl.errors import GroundworkError
    from engine import strict_json
    from groundwork.web.errors import ErrorEntry, from_groundwork, respond

    if not body.strip():
        return None  # the route says what it needs
    try:
        strict_json.loads(body.decode("utf-8"), "request body")
    except UnicodeDecodeError:
        return respond(400 if cds else 422, [ErrorEntry(code="E201", path="(body)",
                                                        message="the body is not UTF-8 text")])
    except GroundworkError as error:
        found = from_groundwork(error, status=400 if cds else None)
        return respond(found.status, found.entries, cds=cds)
    return None


LOGIN_BODY_LIMIT = 8_192  # the sign-in form: a token and a CSRF field


class AuthGate:
    """Who may send a body is decided before any of it is read (issue #18): a request that would
    change something must show its credentials in its headers first, and an unauthenticated
    upload costs the server its headers only, never its body.

    - /api/*: this server's bearer token, a user's personal token (checked against the store)
      or a live session cookie, of a role that may write (403 E855 otherwise; the route checks
      CSRF);
    - /cds-services/*: a bearer JWT whose header names an allowed algorithm and a key, and whose
      issuer is a configured client (the route verifies its signature, audience and jti);
    - /login: no credentials, but at most LOGIN_BODY_LIMIT bytes;
    - every other form: a live session cookie.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH", "DELETE"):
            return await self.app(scope, receive, send)
        try:  # off the event loop: sessions and personal tokens are read from the audit store
            refused = await run_in_threadpool(_refusal, scope)
        except ApiError as error:  # the CDS Hooks JWT's own precise refusal
            refused = (error.status, error.entries[0].code, error.entries[0].message)
        if refused is not None:
            status, code, message = refused
            if status == 429:
                return await _send_error(send, 429, code, message, "Authorization",
                                         ((b"retry-after", message.split(" ")[-2].encode()),))
            challenge = b'Bearer error="invalid_token"' if b"authorization" in dict(scope["headers"]) \
                else b"Bearer"
            return await _send_error(send, status, code, message, "Authorization",
                                     ((b"www-authenticate", challenge),) if status == 401 else ())
        if scope["path"] == "/login":
            return await BodyLimit(self.app, LOGIN_BODY_LIMIT)(scope, receive, send)
        await self.app(scope, receive, send)


def _refusal(scope) -> tuple[int, str, str] | None:
    from http.cookies import SimpleCookie

    from groundwork.web.security import SESSION_COOKIE, bearer_identity, forbidden, identity_of

    app = scope["app"]
    headers = dict(scope["headers"])
    path: str = scope["path"]
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # noqa: BLE001 - a malformed cookie header is no session
        pass
    session = cookie.get(SESSION_COOKIE)
    found = app.state.sessions.get(session.value) if session is not None else None
    scope.setdefault("state", {})["session"] = found  # the route's page_session reads it, once
    signed_in = found is not None
    if path.startswith("/cds-services"):
        from groundwork.web.cds_auth import unverified
        settings = app.state.settings
        if settings.cds_clients and settings.public_url:  # else the route says it is not enabled
            unverified(token or None, app.state.key_sets)
        return None
    if path == "/login":
        return None
    if path.startswith("/api/"):
        if token:
            who = bearer_identity(app, token, (scope.get("client") or ("unknown",))[0])
            if not who.may_write:  # a qa-reviewer's upload is refused before it is read too
                raise forbidden(who)
            return None
        if found is not None and not identity_of(found).may_write:
            raise forbidden(identity_of(found))
        return None if signed_in else (401, "E803", "authentication required: send "
                                                    "`Authorization: Bearer <token>` or sign in")
    return None if signed_in else (401, "E803", "sign in first (the session has ended)")
