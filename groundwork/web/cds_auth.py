"""Who may call the CDS Hooks endpoints: a JWT as CDS Hooks 2.0 describes it.

Accepted only when: the algorithm is asymmetric (a shared secret would let anyone holding it
pose as the EHR); the header names a `kid`; the issuer (iss) is a configured client and the key
with that kid is in the issuer's JWK Set (fetched from its URL with PyJWKClient, or read from a
file, re-read when the file changes; an unknown kid triggers one re-read, so a key rotated in is
found and a key rotated out is refused once the set no longer holds it); the signature verifies;
`aud` is the URL of the endpoint called, built only from the configured public URL; `exp`, `iat`
and `jti` are present, exp - iat is within the client's maximum lifetime, and the jti has not
been used before (kept in the audit store, so across restarts too).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass

import jwt
from fastapi import Request

from groundwork.web import cds_store
from groundwork.web.errors import ApiError
from groundwork.web.security import bearer
from groundwork.web.settings import ALGORITHMS, CdsClient, Settings

JWT_LEEWAY = 30  # seconds of clock skew allowed between the EHR and us
REFRESH_AFTER = 10.0  # an unknown kid re-reads a JWK Set at most this often (seconds)


@dataclass(frozen=True)
class Caller:
    """The calling system, as its verified JWT names it."""

    issuer: str
    subject: str | None


class KeySet:
    """One issuer's JWK Set: keys by kid, refreshed when stale or when a kid is unknown."""

    def __init__(self, client: CdsClient):
        self.client = client
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._read_at = 0.0
        self._stamp: tuple | None = None
        self._fetcher = (jwt.PyJWKClient(client.jwks_url, cache_keys=False, cache_jwk_set=True,
                                         lifespan=client.cache_seconds, timeout=5)
                         if client.jwks_url else None)

    def key(self, kid: str) -> jwt.PyJWK | None:
        with self._lock:
            self._load(force=False)
            if kid not in self._keys and time.monotonic() - self._read_at > REFRESH_AFTER:
                self._load(force=True)
            return self._keys.get(kid)

    def _load(self, force: bool) -> None:
        client = self.client
        if self._fetcher is not None:
            jwk_set = self._fetcher.get_jwk_set(refresh=force)
        elif client.jwks_file is not None:
            stat = os.stat(client.jwks_file)
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if stamp == self._stamp and not force:
                return
            with open(client.jwks_file, encoding="utf-8") as stream:
                jwk_set = jwt.PyJWKSet.from_dict(json.load(stream))
            self._stamp = stamp
        else:
            if self._keys:
                return
            jwk_set = jwt.PyJWKSet.from_dict(json.loads(client.jwks or "{}"))
        # Keys are chosen by kid; `use` is not filtered because the official CDS Hooks sandbox
        # publishes its signing key with "use": "enc".
        self._keys = {k.key_id: k for k in jwk_set.keys if k.key_id}
        if force or client.jwks_file is not None:
            self._read_at = time.monotonic()


class KeySets:
    def __init__(self, clients: dict[str, CdsClient]):
        self._sets = {issuer: KeySet(client) for issuer, client in clients.items()}

    def get(self, issuer: str) -> KeySet | None:
        return self._sets.get(issuer)


def endpoint_url(request: Request, settings: Settings) -> str:
    """The URL the client called, as the JWT's aud must name it: from configuration only."""
    return (settings.public_url or "").rstrip("/") + request.url.path


def require_cds_client(request: Request) -> Caller:
    """Dependency of every /cds-services route: a valid JWT from a configured issuer."""
    settings: Settings = request.app.state.settings
    if not settings.cds_clients or not settings.public_url:
        raise _refused("CDS Hooks are not enabled on this server: configure the CDS clients "
                       "(GROUNDWORK_CDS_CLIENTS) and the public URL (GROUNDWORK_PUBLIC_URL)")
    token, algorithm, kid, issuer, keys = unverified(bearer(request), request.app.state.key_sets)
    key = _key(keys, kid)
    claims = _verified(token, key, algorithm, keys.client, endpoint_url(request, settings))
    if not cds_store.first_use(settings, issuer, str(claims["jti"]), float(claims["exp"]), JWT_LEEWAY):
        raise _refused("the JWT's jti was used before; each request needs a new token")
    return Caller(issuer=issuer, subject=claims.get("sub") if isinstance(claims.get("sub"), str) else None)


def unverified(token: str | None, key_sets: KeySets) -> tuple[str, str, str, str, KeySet]:
    """(token, algorithm, kid, issuer, key set): the checks that need no key, so that they can be
    made before a request's body is read (middleware.AuthGate) and again by the route."""
    if token is None:
        raise _refused("a CDS Hooks request needs `Authorization: Bearer <JWT>`")
    try:
        header = jwt.get_unverified_header(token)
        claimed = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _refused("the bearer token is not a JWT") from None
    algorithm, kid = header.get("alg"), header.get("kid")
    if algorithm not in ALGORITHMS:
        raise _refused("the JWT's algorithm is refused: CDS Hooks needs an asymmetric one "
                       f"({', '.join(ALGORITHMS)}); symmetric (HS*) tokens are never accepted")
    if not isinstance(kid, str) or not kid:
        raise _refused("the JWT header has no kid: CDS Hooks keys are chosen by kid from the "
                       "issuer's JWK Set")
    issuer = claimed.get("iss") if isinstance(claimed, dict) else None
    keys = key_sets.get(issuer) if isinstance(issuer, str) else None
    if keys is None or not isinstance(issuer, str):
        raise _refused("the JWT's issuer (iss) is not a configured CDS client")
    return token, algorithm, kid, issuer, keys


def _key(keys: KeySet, kid: str) -> jwt.PyJWK:
    try:
        key = keys.key(kid)
    except (OSError, ValueError, jwt.PyJWTError):
        raise _refused("the issuer's JWK Set could not be read; try again later") from None
    if key is None:
        raise _refused("the JWT's key (kid) is not in its issuer's JWK Set (rotated out, or "
                       "never published)")
    return key


def _verified(token: str, key: jwt.PyJWK, algorithm: str, client: CdsClient, audience: str) -> dict:
    declared = key.algorithm_name if getattr(key, "algorithm_name", None) in ALGORITHMS else None
    if declared and declared != algorithm:
        raise _refused("the JWT's algorithm is not its key's")
    try:
        claims = jwt.decode(token, key.key, algorithms=[algorithm], issuer=client.issuer,
                            audience=audience, leeway=JWT_LEEWAY,
                            options={"require": ["iss", "aud", "exp", "iat", "jti"]})
    except jwt.PyJWTError as error:
        raise _refused(f"the JWT was refused: {_reason(error)}") from None
    if float(claims["exp"]) - float(claims["iat"]) > client.max_lifetime:
        raise _refused(f"the JWT lives longer than {client.max_lifetime} seconds (exp - iat); "
                       "issue short-lived tokens")
    return claims


def _reason(error: jwt.PyJWTError) -> str:
    reasons = [(jwt.ExpiredSignatureError, "it has expired (exp)"),
               (jwt.InvalidAudienceError, "its audience (aud) is not this endpoint's URL"),
               (jwt.InvalidIssuerError, "its issuer (iss) does not match"),
               (jwt.ImmatureSignatureError, "it is not valid yet (iat or nbf)"),
               (jwt.MissingRequiredClaimError, "a required claim is missing (iss, aud, exp, iat, jti)"),
               (jwt.InvalidSignatureError, "its signature does not verify"),
               (jwt.InvalidAlgorithmError, "its algorithm does not fit its key")]
    for kind, text in reasons:
        if isinstance(error, kind):
            return text
    return "it is malformed or its key does not fit"


def _refused(message: str) -> ApiError:
    return ApiError(401, "E805", message, path="Authorization",
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
