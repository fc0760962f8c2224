"""Sign-in with the agency's identity provider: OpenID Connect, authorization code with PKCE.

Off unless GROUNDWORK_OIDC_ISSUER is set (settings.OidcProvider); then the login page offers
"Sign in with your agency account" and two routes exist (neither does otherwise: 404):

- GET /login/oidc/start: a new state, nonce and PKCE verifier (S256) are kept in the audit store
  (oidc_store), bound to this browser by a short-lived cookie, and the browser is sent to the
  provider's authorization endpoint, found in its discovery document;
- GET /login/oidc, the redirect URI: the state is taken (good once, in any worker), the code is
  exchanged with the verifier, and Authlib checks the ID token: its signature against the
  provider's JWK Set (asymmetric algorithms only: never `none` or the client secret), issuer,
  audience (our client id), nonce and expiry, with LEEWAY seconds of clock skew. Then
  Groundwork decides who it is: the user claim must be a pseudonymous id (accounts.check_id) of
  an enabled user of `groundwork users`, whose role is the one in our table (a role claim, when
  configured, must name that role too). The session is made in the `sessions` table and its
  cookie set exactly as for a token sign-in.

Authlib's Starlette client would keep the state in a signed cookie session (SessionMiddleware):
here it is in the store instead, so that it is used once across workers, and only the protocol
steps are Authlib's (`create_authorization_url`, `fetch_access_token`, `parse_id_token`).

Every refusal is the error page with its code and a 4xx status (502 when the provider cannot be
reached or answers wrongly), counted by the sign-in throttle against the address and, once it is
known, the user id. The log names the code and at most that pseudonymous id: never a claim.
"""

from __future__ import annotations

import logging
import re
import secrets

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from dsl.errors import GroundworkError
from engine.audit import accounts
from groundwork.web import oidc_store, plans
from groundwork.web.errors import ApiError
from groundwork.web.pages import _page, with_session
from groundwork.web.security import Identity, client_address
from groundwork.web.settings import ALGORITHMS, OidcProvider, Settings

BINDING_COOKIE = "groundwork_oidc"  # binds a sign-in begun here to the browser that comes back
LEEWAY = 30  # seconds of clock skew allowed on the ID token's exp and iat (as for CDS Hooks JWTs)
TIMEOUT = 10  # seconds for each request to the provider
# `profile` is asked for because preferred_username is one of its claims; nothing else of it is read
SCOPE = "openid profile"
PROVIDER_ERROR = re.compile(r"[a-z_]{1,64}")  # OAuth error codes; anything else is not repeated
log = logging.getLogger("groundwork.web")
router = APIRouter(include_in_schema=False)


class Provider:
    """Authlib's client for the configured provider. The discovery document and the JWK Set are
    fetched on first use and kept by this process; an ID token signed with a key id the kept set
    lacks makes Authlib fetch the set again (key rotation)."""

    def __init__(self, config: OidcProvider):
        self.config = config
        self.client = OAuth().register(
            "agency", client_id=config.client_id, client_secret=config.client_secret,
            server_metadata_url=config.discovery_url,
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": TIMEOUT,
                           # no secret: a public client, proven by PKCE alone
                           "token_endpoint_auth_method": ("client_secret_basic" if config.client_secret
                                                          else "none")})


def _unreachable(error: Exception) -> ApiError:
    return ApiError(502, "E862", f"the identity provider cannot be reached or answered wrongly "
                                 f"({type(error).__name__})", path="(identity provider)",
                    hint="try again later; if it persists, ask the operator to check "
                         "GROUNDWORK_OIDC_ISSUER")


def _refused(request: Request, error: ApiError) -> Response:
    response = _page(request, "error.html", error.status, problems=error.entries,
                     heading="Sign-in refused")
    response.headers.update(error.headers)
    response.delete_cookie(BINDING_COOKIE, path="/login/oidc")
    return response


def _throttled(wait: int) -> ApiError:
    return ApiError(429, "E811", f"too many failed sign-ins from this address or for this account: "
                                 f"try again in {wait} s", path="(sign-in)",
                    headers={"Retry-After": str(wait)})


@router.get("/login/oidc/start")
async def start(request: Request):
    """Send the browser to the provider, with a new state, nonce and PKCE challenge."""
    server = request.app.state  # the app's state; `state` below is OAuth's
    wait = server.throttle.retry_after(client_address(request), None)
    if wait:
        return _refused(request, _throttled(wait))
    provider: Provider = server.oidc
    try:
        begun = await provider.client.create_authorization_url(provider.config.redirect_uri)
    except (httpx2.HTTPError, ValueError, RuntimeError) as error:  # discovery failed
        log.warning("OpenID Connect sign-in not begun: E862 (%s)", type(error).__name__)
        return _refused(request, _unreachable(error))
    binding = secrets.token_urlsafe(32)
    await run_in_threadpool(oidc_store.begin, server.settings, begun["state"], binding,
                            begun["nonce"], begun["code_verifier"])
    response = RedirectResponse(begun["url"], status_code=303)
    # SameSite=Lax, not Strict: the browser comes back from the provider's site, a cross-site
    # navigation, and must bring it along; it holds no authority, only the binding.
    response.set_cookie(BINDING_COOKIE, binding, max_age=oidc_store.PENDING_SECONDS,
                        path="/login/oidc", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@router.get("/login/oidc")
async def finish(request: Request):
    """The redirect URI: check everything, then sign the user in (or say why not)."""
    server, address = request.app.state, client_address(request)
    wait = server.throttle.retry_after(address, None)
    if wait:
        return _refused(request, _throttled(wait))
    user_id: str | None = None
    try:
        pending = await _pending(request)
        claims = await _claims(server.oidc, request, pending)
        user_id = user_id_of(claims, server.oidc.config)
        wait = server.throttle.retry_after(address, user_id)
        if wait:
            return _refused(request, _throttled(wait))
        identity = await run_in_threadpool(_account, server.settings, user_id, claims)
    except ApiError as error:
        if error.status < 500:  # the provider or the store failing is no failed sign-in
            server.throttle.failed(address, user_id)
        code = error.entries[0].code
        log.warning("OpenID Connect sign-in refused: %s%s", code, f" ({user_id})" if user_id else "")
        return _refused(request, error)
    log.info("OpenID Connect sign-in: %s (%s)", identity.user_id, identity.role)
    response = _page(request, "signed_in.html", who=f"{identity.user_id} ({identity.role})")
    response.delete_cookie(BINDING_COOKIE, path="/login/oidc")
    return await run_in_threadpool(with_session, request, identity, response)


async def _pending(request: Request) -> oidc_store.Pending:
    """The sign-in this callback finishes: taken (used up) whatever happens next."""
    params = request.query_params
    state = params.get("state")
    pending = (await run_in_threadpool(oidc_store.take, request.app.state.settings, state)
               if state else None)
    error = params.get("error")
    if error is not None:  # the provider's own refusal; its description is not repeated or logged
        said = error if PROVIDER_ERROR.fullmatch(error) else "an error"
        raise ApiError(401, "E857", f"the identity provider refused the sign-in ({said})",
                       path="error", hint="try again; if it persists, ask your agency's IT")
    if pending is None:
        raise ApiError(400, "E856", "this sign-in is unknown or was used already", path="state",
                       hint="start again from the sign-in page")
    if pending.expired:
        raise ApiError(400, "E856", f"this sign-in took longer than "
                                    f"{oidc_store.PENDING_SECONDS // 60} minutes", path="state",
                       hint="start again from the sign-in page")
    if not pending.from_browser(request.cookies.get(BINDING_COOKIE)):
        raise ApiError(400, "E856", "this sign-in was begun in another browser", path="state",
                       hint="start again from the sign-in page, in this browser")
    if not params.get("code"):
        raise ApiError(401, "E857", "the identity provider sent no authorization code",
                       path="code")
    return pending


async def _claims(provider: Provider, request: Request, pending: oidc_store.Pending) -> dict:
    """The code exchanged (with the PKCE verifier), the ID token checked by Authlib."""
    config = provider.config
    try:
        token = await provider.client.fetch_access_token(
            redirect_uri=config.redirect_uri, code=request.query_params["code"],
            code_verifier=pending.verifier)
    except OAuthError as error:
        said = error.error if PROVIDER_ERROR.fullmatch(str(error.error)) else "an error"
        raise ApiError(401, "E857", f"the identity provider did not accept the sign-in ({said})",
                       path="code", hint="start again from the sign-in page") from None
    except (httpx2.HTTPError, ValueError, RuntimeError) as error:
        raise _unreachable(error) from None
    if not isinstance(token, dict) or "id_token" not in token:
        raise ApiError(401, "E858", "the identity provider sent no ID token", path="id_token")
    _signed_with_a_public_key(token["id_token"])
    options = {"iss": {"essential": True, "values": [config.issuer]},
               "aud": {"essential": True, "values": [config.client_id]}}
    try:
        claims = await provider.client.parse_id_token(token, nonce=pending.nonce,
                                                      claims_options=options, leeway=LEEWAY)
    except JoseError as error:  # the library's words name the check, never a claim's value
        said = f"{error.error}: {error.description}" if error.description else error.error
        raise ApiError(401, "E858", f"the ID token does not check ({said})",
                       path="id_token") from None
    except (httpx2.HTTPError, ValueError, RuntimeError) as error:  # the JWK Set could not be read
        raise _unreachable(error) from None
    return dict(claims)


def _signed_with_a_public_key(id_token) -> None:
    """Authlib accepts the algorithms the provider's discovery document lists, which may include
    `none` (unsigned) or HS256 (the client secret as the key): only a signature by one of the
    provider's published keys proves the token is the provider's, so only asymmetric algorithms
    (those CDS Hooks JWTs may use) get as far as Authlib's checks."""
    try:
        algorithm = extract_compact(str(id_token).encode()).protected.get("alg")
    except JoseError:
        algorithm = None
    if algorithm not in ALGORITHMS:
        raise ApiError(401, "E858", "the ID token does not check (it is not signed with an "
                                    "asymmetric algorithm, so not by the provider's published key)",
                       path="id_token")


def user_id_of(claims: dict, config: OidcProvider) -> str:
    """The user claim, when it is a pseudonymous id; refused, never kept or logged, otherwise."""
    value = claims.get(config.user_claim)
    if not isinstance(value, str) or not value:
        raise ApiError(403, "E859", f"the ID token has no '{config.user_claim}' claim",
                       path=f"id_token.{config.user_claim}",
                       hint="ask the operator to check GROUNDWORK_OIDC_USER_CLAIM")
    try:
        return accounts.check_id(value)
    except GroundworkError:
        raise ApiError(403, "E859", f"the '{config.user_claim}' claim is not a pseudonymous user "
                                    "id (letters, digits, '-' or '_', at most 64; no names or "
                                    "e-mail addresses): it was not kept",
                       path=f"id_token.{config.user_claim}",
                       hint="the provider must send the id given to `groundwork users add`") from None


def _account(settings: Settings, user_id: str, claims: dict) -> Identity:
    """The enabled user of this server with that id, in the role our table gives them."""
    with plans.open_store(settings) as store:
        found = accounts.user(store.conn, user_id)
    if found is None:
        raise ApiError(403, "E860", f"'{user_id}' is not a user of this server", path="(user)",
                       hint=f"an admin adds it: `groundwork users add {user_id} --role ROLE`")
    if found.disabled_at is not None:
        raise ApiError(401, "E854", f"user '{user_id}' is disabled", path="(user)",
                       hint="ask an admin; a disabled account cannot sign in")
    config = settings.oidc
    if config is not None and config.role_claim is not None:
        named = claims.get(config.role_claim)
        values = [named] if isinstance(named, str) else named if isinstance(named, list) else []
        if found.role not in values:
            raise ApiError(403, "E861", f"the '{config.role_claim}' claim does not name this "
                                        f"user's role ({found.role})",
                           path=f"id_token.{config.role_claim}",
                           hint="the role is set with `groundwork users`; the provider must "
                                "agree with it (ask an admin)")
    return Identity(found.id, found.role)
