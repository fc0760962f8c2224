"""A stand-in identity provider on 127.0.0.1, for the OpenID Connect tests: discovery, a JWK Set
(an RSA key made here), an authorization endpoint that signs the person in at once, and a token
endpoint that checks the client, the redirect URI and the PKCE verifier (S256) before it answers
with a signed ID token. Knobs on `Provider` make it misbehave the ways the tests need."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.routing import Route

from groundwork.web.screenshots import free_port

CLIENT_ID = "groundwork"
CLIENT_SECRET = "stub-client-secret-8d7f6a5e-c4b3a291f0e8"
KID = "idp-key-1"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class Provider:
    def __init__(self, issuer: str):
        self.issuer = issuer
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = KID
        self.reset()

    def rotate_key(self) -> None:
        """A new signing key under a new key id; the JWK Set publishes only the new one."""
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = f"idp-key-{int(self.kid.rsplit('-', 1)[1]) + 1}"

    def reset(self) -> None:
        # what the person who signs in is, as the provider says it (names and e-mail included:
        # Groundwork must never keep or log them)
        self.claims: dict = {"preferred_username": "clin-07", "name": "Jane Example",
                             "email": "jane.example@agency.example"}
        self.tamper: dict = {}  # claims of the ID token replaced (nonce, aud, exp, ...)
        # how the ID token is signed: "key" (the published key), "other-key" (another RSA key under
        # the same kid), "client-secret" (HS256 with the secret both sides know), "none" (unsigned)
        self.signing = "key"
        self.interactive = False
        self.algorithms = ["RS256"]  # what discovery says the ID token may be signed with
        self.authorizations: list[dict] = []  # the query of each authorization request
        self.token_requests: list[dict] = []  # the form of each token request
        self._codes: dict[str, dict] = {}

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/approve", self.approve),
            Route("/token", self.token, methods=["POST"]),
        ])

    async def discovery(self, request: Request):
        return JSONResponse({
            "issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token", "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": self.algorithms,
            "code_challenge_methods_supported": ["S256"]})

    async def jwks(self, request: Request):
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return JSONResponse({"keys": [public | {"kid": self.kid, "use": "sig", "alg": "RS256"}]})

    async def authorize(self, request: Request):
        """Signs the person in at once and sends the browser back with a code; or, when
        `interactive`, shows a page on which they press "Sign in" first, as at a real provider
        (the navigation back is then the provider's, from another site)."""
        if self.interactive:
            fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                             for k, v in request.query_params.items())
            return HTMLResponse(f'<form action="/approve">{fields}<button id="sign-in">Sign in'
                                f'</button></form>')
        return await self.approve(request)

    async def approve(self, request: Request):
        query = dict(request.query_params)
        self.authorizations.append(query)
        code = secrets.token_urlsafe(16)
        self._codes[code] = query
        back = {"code": code, "state": query["state"]}
        return RedirectResponse(query["redirect_uri"] + "?" + urlencode(back), status_code=302)

    async def token(self, request: Request):
        form = dict(await request.form())
        self.token_requests.append(form)
        asked = self._codes.pop(str(form.get("code")), None)
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if (asked is None or form.get("redirect_uri") != asked["redirect_uri"]
                or asked.get("code_challenge_method") != "S256"
                or s256(str(form.get("code_verifier", ""))) != asked.get("code_challenge")):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "f1c3a2b0-subject", "aud": CLIENT_ID, "iat": now,
                  "exp": now + 300, "nonce": asked["nonce"], **self.claims, **self.tamper}
        key, algorithm = {"key": (self.key, "RS256"), "other-key": (self.other_key, "RS256"),
                          "client-secret": (CLIENT_SECRET, "HS256"), "none": ("", "none")}[self.signing]
        id_token = jwt.encode(claims, key, algorithm=algorithm, headers={"kid": self.kid})
        return JSONResponse({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                             "expires_in": 300, "id_token": id_token})


@contextmanager
def serving(app, port: int):
    """`app` served by uvicorn in a thread of this process, on 127.0.0.1:`port`."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server in the thread did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running_provider(host: str = "127.0.0.1"):
    """The stand-in provider on a free loopback port; `host` is the name its issuer uses
    (`localhost` makes it another site than 127.0.0.1, as a real provider is, for a browser)."""
    port = free_port()
    provider = Provider(f"http://{host}:{port}")
    with serving(provider.app(), port):
        yield provider
