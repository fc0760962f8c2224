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
# The algorithms CDS Hooks 2.0 requires a service to accept, plus HMAC for issuers that share a secret.
ALGORITHMS = ("ES384", "RS384", "ES256", "RS256", "HS256", "HS384", "HS512")


@dataclass(frozen=True)
class CdsClient:
    """A CDS client (an EHR) allowed to call the CDS Hooks endpoints: its issuer and its key."""

    issuer: str
    key: str  # the shared secret (HS*) or the PEM public key (ES*, RS*)
    algorithm: str


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
    return given, False


def cds_clients_from(environ) -> dict[str, CdsClient]:
    """$GROUNDWORK_CDS_CLIENTS (JSON) or the file named by $GROUNDWORK_CDS_CLIENTS_FILE:
    {"<iss>": {"secret": "..." | "public_key": "-----BEGIN PUBLIC KEY-----...", "alg": "ES384"}}."""
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
        raise settings_error('expected a JSON object {"<issuer>": {"secret" or "public_key", '
                             '"alg"}}', where)
    return {issuer: _client(issuer, entry, where) for issuer, entry in data.items()}


def _client(issuer: str, entry, where: str) -> CdsClient:
    if not isinstance(entry, dict):
        raise settings_error(f"issuer '{issuer}': expected an object with secret or public_key "
                             "and alg", where)
    algorithm = entry.get("alg")
    if algorithm not in ALGORITHMS:
        raise settings_error(f"issuer '{issuer}': alg must be one of {', '.join(ALGORITHMS)}", where)
    wanted = "secret" if algorithm.startswith("HS") else "public_key"
    key = entry.get(wanted)
    if not isinstance(key, str) or not key.strip():
        raise settings_error(f"issuer '{issuer}': alg {algorithm} needs \"{wanted}\"", where)
    if wanted == "secret" and len(key) < 32:
        raise settings_error(f"issuer '{issuer}': an HMAC secret must be at least 32 characters",
                             where)
    return CdsClient(issuer, key, algorithm)


def from_environment(db: Path | None, kb: Path | None, environ=None) -> tuple[Settings, bool]:
    """Settings for `groundwork serve`; True when the token was generated (print it once)."""
    env = os.environ if environ is None else environ
    token, generated = token_from(env)
    origins = tuple(o.strip() for o in env.get(CORS_ENV, "").split(",") if o.strip())
    public_url = env.get(PUBLIC_URL_ENV, "").rstrip("/") or None
    return Settings(token=token, db=db, kb=kb, cds_clients=cds_clients_from(env),
                    public_url=public_url, cors_origins=origins), generated
