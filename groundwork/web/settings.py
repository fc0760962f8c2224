"""How one server runs: its token, audit store, knowledge base, CDS Hooks clients, OpenID Connect
provider and limits.

Read once at start (`groundwork serve` builds it from its options and the environment); the app
never reads the environment itself, so a test builds a Settings and gets exactly that server.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dsl.errors import Diagnostic, GroundworkError

TOKEN_ENV = "GROUNDWORK_TOKEN"
CDS_CLIENTS_ENV = "GROUNDWORK_CDS_CLIENTS"
CDS_CLIENTS_FILE_ENV = "GROUNDWORK_CDS_CLIENTS_FILE"
PUBLIC_URL_ENV = "GROUNDWORK_PUBLIC_URL"
CORS_ENV = "GROUNDWORK_CORS_ORIGINS"
OIDC_ISSUER_ENV = "GROUNDWORK_OIDC_ISSUER"
OIDC_CLIENT_ID_ENV = "GROUNDWORK_OIDC_CLIENT_ID"
OIDC_CLIENT_SECRET_ENV = "GROUNDWORK_OIDC_CLIENT_SECRET"
OIDC_USER_CLAIM_ENV = "GROUNDWORK_OIDC_USER_CLAIM"
OIDC_ROLE_CLAIM_ENV = "GROUNDWORK_OIDC_ROLE_CLAIM"
OIDC_ENVS = (OIDC_ISSUER_ENV, OIDC_CLIENT_ID_ENV, OIDC_CLIENT_SECRET_ENV, OIDC_USER_CLAIM_ENV,
             OIDC_ROLE_CLAIM_ENV)
# Standard OpenID Connect claims that hold a person's name or contact details: never a user id.
PERSONAL_CLAIMS = frozenset({"name", "given_name", "family_name", "middle_name", "nickname",
                             "email", "phone_number", "address", "birthdate"})
MIN_TOKEN = 16
MAX_BODY = 1_000_000  # bytes; an assessment is a few kilobytes
# Asymmetric algorithms only: CDS Hooks 2.0 requires ES384 and RS384 and forbids shared secrets.
ALGORITHMS = ("ES384", "RS384", "ES256", "RS256", "ES512", "RS512", "PS256", "PS384", "PS512")
MAX_LIFETIME = 300  # seconds from iat to exp; CDS Hooks recommends 5 minutes
JWKS_CACHE = 300  # seconds a fetched JWK Set is trusted before it is fetched again


@dataclass(frozen=True)
class CdsClient:
    """A CDS client (an EHR) allowed to call the CDS Hooks endpoints: its issuer and where its
    JWK Set is (a URL, fetched and cached; a file, re-read when it changes; or the set inline)."""

    issuer: str
    jwks_url: str | None = None
    jwks_file: str | None = None
    jwks: str | None = None  # the JWK Set as JSON text
    max_lifetime: int = MAX_LIFETIME
    cache_seconds: float = JWKS_CACHE


@dataclass(frozen=True)
class OidcProvider:
    """The agency's OpenID Connect provider (sign-in with an agency account; docs/web.md)."""

    issuer: str  # exactly as the provider's ID tokens name it (`iss`)
    client_id: str
    redirect_uri: str  # <public URL>/login/oidc, registered at the provider
    client_secret: str | None = None  # None: a public client, PKCE alone
    user_claim: str = "preferred_username"  # holds the user's pseudonymous id in `groundwork users`
    role_claim: str | None = None  # when set, must name the user's role (docs/web.md)

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class Settings:
    token: str
    db: Path | None = None  # None: the default audit store ($GROUNDWORK_DB, else the data dir)
    kb: Path | None = None  # None: the bundled knowledge base
    cds_clients: dict[str, CdsClient] = field(default_factory=dict)
    public_url: str | None = None  # the base URL clients use, e.g. https://cds.example.org
    cors_origins: tuple[str, ...] = ()  # empty: CORS off
    max_body: int = MAX_BODY
    session_hours: int = 8
    oidc: OidcProvider | None = None  # None: sign-in with the agency's identity provider is off


def settings_error(message: str, where: str, hint: str | None = None) -> GroundworkError:
    return GroundworkError([Diagnostic("E810", message, where, hint=hint)])


def token_from(environ) -> tuple[str, bool]:
    """The API token: $GROUNDWORK_TOKEN, or a new random one (True: generated, print it once)."""
    given = environ.get(TOKEN_ENV)
    if given is None:
        return secrets.token_urlsafe(32), True
    if len(given) < MIN_TOKEN or given != given.strip():
        raise settings_error(f"the token must be at least {MIN_TOKEN} characters, without "
                             "surrounding spaces", TOKEN_ENV,
                             hint="e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`")
    if guessable(given):
        raise settings_error("the token is too easy to guess: it repeats a few characters (a "
                             "random token of 16 characters uses at least 10 different ones)",
                             TOKEN_ENV, hint="e.g. `python -c 'import secrets; "
                                             "print(secrets.token_urlsafe(32))'`")
    return given, False


def guessable(token: str) -> bool:
    """`aaaaaaaaaaaaaaaa`, `abababab…`, `1234123412341234`: too few different characters for the
    length (a random 16-character URL-safe token has 13 on average, rarely under 10)."""
    return len(set(token)) < min(10, len(token) // 2)


def cds_clients_from(environ) -> dict[str, CdsClient]:
    """$GROUNDWORK_CDS_CLIENTS (JSON) or the file named by $GROUNDWORK_CDS_CLIENTS_FILE:
    {"<iss>": {"jwks_url": "https://..." | "jwks_file": "/path" | "jwks": {"keys": [...]},
               "max_lifetime": 300, "cache_seconds": 300}}."""
    if environ.get(CDS_CLIENTS_ENV):
        text, where = environ[CDS_CLIENTS_ENV], CDS_CLIENTS_ENV
    elif environ.get(CDS_CLIENTS_FILE_ENV):
        where = environ[CDS_CLIENTS_FILE_ENV]
        try:
            text = Path(where).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise settings_error(f"cannot read the CDS clients file: {error}", where) from None
    else:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise settings_error(f"malformed JSON at line {error.lineno} column {error.colno}: "
                             f"{error.msg}", where) from None
    if not isinstance(data, dict):
        raise settings_error('expected a JSON object {"<issuer>": {"jwks_url" or "jwks_file" or '
                             '"jwks"}}', where)
    return {issuer: _client(issuer, entry, where) for issuer, entry in data.items()}


def _client(issuer: str, entry, where: str) -> CdsClient:
    if not isinstance(entry, dict):
        raise settings_error(f"issuer '{issuer}': expected an object with jwks_url, jwks_file "
                             "or jwks", where)
    if "secret" in entry or "public_key" in entry or str(entry.get("alg", "")).startswith("HS"):
        raise settings_error(f"issuer '{issuer}': shared secrets and bare public keys are no "
                             "longer accepted; CDS Hooks needs asymmetric keys with a kid, from "
                             "the issuer's JWK Set", where,
                             hint='give {"jwks_url": "https://<ehr>/.well-known/jwks.json"} or '
                                  '{"jwks_file": "/path/jwks.json"}')
    sources = [k for k in ("jwks_url", "jwks_file", "jwks") if entry.get(k)]
    if len(sources) != 1:
        raise settings_error(f"issuer '{issuer}': give exactly one of jwks_url, jwks_file, jwks",
                             where)
    url, file = entry.get("jwks_url"), entry.get("jwks_file")
    if url is not None and (not isinstance(url, str) or not url.startswith(("https://", "http://"))):
        raise settings_error(f"issuer '{issuer}': jwks_url must be an http(s) URL", where)
    if file is not None and not (isinstance(file, str) and Path(file).is_file()):
        raise settings_error(f"issuer '{issuer}': jwks_file is not a readable file", where)
    inline = entry.get("jwks")
    if inline is not None and not (isinstance(inline, dict) and isinstance(inline.get("keys"), list)):
        raise settings_error(f"issuer '{issuer}': jwks must be a JWK Set {{\"keys\": [...]}}", where)
    lifetime, cache = entry.get("max_lifetime", MAX_LIFETIME), entry.get("cache_seconds", JWKS_CACHE)
    if not isinstance(lifetime, int) or not 0 < lifetime <= 3600:
        raise settings_error(f"issuer '{issuer}': max_lifetime is seconds, 1 to 3600", where)
    if not isinstance(cache, (int, float)) or not 0 < cache <= 86400:
        raise settings_error(f"issuer '{issuer}': cache_seconds is seconds, above 0, at most a day",
                             where)
    return CdsClient(issuer, jwks_url=url, jwks_file=file,
                     jwks=json.dumps(inline) if inline is not None else None,
                     max_lifetime=lifetime, cache_seconds=cache)


def oidc_from(environ, public_url: str | None) -> OidcProvider | None:
    """The OpenID Connect provider from $GROUNDWORK_OIDC_*; None when no issuer is set (and no
    other OIDC setting: one given without the issuer is a mistake, said at start)."""
    given = {name: environ.get(name, "").strip() for name in OIDC_ENVS}
    issuer = given[OIDC_ISSUER_ENV]
    if not issuer:
        stray = [name for name, value in given.items() if value]
        if stray:
            raise settings_error(f"{stray[0]} is set but {OIDC_ISSUER_ENV} is not: OpenID Connect "
                                 "sign-in is on only with an issuer", OIDC_ISSUER_ENV,
                                 hint="e.g. GROUNDWORK_OIDC_ISSUER=https://login.example.org/realms/agency")
        return None
    _check_issuer(issuer)
    if not given[OIDC_CLIENT_ID_ENV]:
        raise settings_error("the OpenID Connect issuer is set but the client id is not",
                             OIDC_CLIENT_ID_ENV, hint="the client id registered for Groundwork at "
                                                      "the identity provider")
    if public_url is None:
        raise settings_error("OpenID Connect needs the public URL: the redirect URI registered at "
                             "the provider is <public URL>/login/oidc", PUBLIC_URL_ENV,
                             hint="e.g. GROUNDWORK_PUBLIC_URL=https://cds.example.org")
    user_claim = given[OIDC_USER_CLAIM_ENV] or "preferred_username"
    if user_claim in PERSONAL_CLAIMS:
        raise settings_error(f"the claim '{user_claim}' holds a name or contact details, not a "
                             "pseudonymous user id", OIDC_USER_CLAIM_ENV,
                             hint="a claim that holds the id given to `groundwork users add` "
                                  "(e.g. preferred_username, or sub)")
    return OidcProvider(issuer=issuer, client_id=given[OIDC_CLIENT_ID_ENV],
                        redirect_uri=public_url + "/login/oidc",
                        client_secret=given[OIDC_CLIENT_SECRET_ENV] or None,
                        user_claim=user_claim, role_claim=given[OIDC_ROLE_CLAIM_ENV] or None)


def _check_issuer(issuer: str) -> None:
    """An https URL (http only on this machine, for a test provider), without query or fragment."""
    parts = urlsplit(issuer)
    local = parts.scheme == "http" and _is_loopback(parts.hostname or "")
    if not (parts.scheme == "https" or local) or not parts.hostname or parts.query or parts.fragment:
        raise settings_error("the issuer must be the provider's https URL, without query or "
                             "fragment (http only on this machine)", OIDC_ISSUER_ENV,
                             hint="e.g. https://login.example.org/realms/agency")


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def from_environment(db: Path | None, kb: Path | None, environ=None) -> tuple[Settings, bool]:
    """Settings for `groundwork serve`; True when the token was generated (print it once)."""
    env = os.environ if environ is None else environ
    token, generated = token_from(env)
    origins = tuple(o.strip() for o in env.get(CORS_ENV, "").split(",") if o.strip())
    public_url = env.get(PUBLIC_URL_ENV, "").rstrip("/") or None
    clients = cds_clients_from(env)
    if clients and public_url is None:
        # The JWT's audience is the endpoint's URL; taken from a request's Host header, anyone
        # could choose it, so it comes only from configuration.
        raise settings_error("CDS Hooks clients are configured but the public URL is not: the "
                             "JWT audience is built only from configuration", PUBLIC_URL_ENV,
                             hint="e.g. GROUNDWORK_PUBLIC_URL=https://cds.example.org")
    return Settings(token=token, db=db, kb=kb, cds_clients=clients, public_url=public_url,
                    cors_origins=origins, oidc=oidc_from(env, public_url)), generated
