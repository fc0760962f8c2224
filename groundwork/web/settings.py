"""How one server runs: its token, audit store, knowledge base, CDS Hooks clients and limits.

Read once at start (`groundwork serve` builds it from its options and the environment); the app
never reads the environment itself, so a test builds a Settings and gets exactly that server.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dsl.errors import Diagnostic, GroundworkError

TOKEN_ENV = "GROUNDWORK_TOKEN"
CDS_CLIENTS_ENV = "GROUNDWORK_CDS_CLIENTS"
CDS_CLIENTS_FILE_ENV = "GROUNDWORK_CDS_CLIENTS_FILE"
PUBLIC_URL_ENV = "GROUNDWORK_PUBLIC_URL"
CORS_ENV = "GROUNDWORK_CORS_ORIGINS"
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
class Settings:
    token: str
    db: Path | None = None  # None: the default audit store ($GROUNDWORK_DB, else the data dir)
    kb: Path | None = None  # None: the bundled knowledge base
    cds_clients: dict[str, CdsClient] = field(default_factory=dict)
    public_url: str | None = None  # the base URL clients use, e.g. https://cds.example.org
    cors_origins: tuple[str, ...] = ()  # empty: CORS off
    max_body: int = MAX_BODY
    session_hours: int = 8


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
    return Settings(token=token, db=db, kb=kb, cds_clients=clients,
                    public_url=public_url, cors_origins=origins), generated
