"""Loopback servers for the CDS Hooks tests: a small FHIR server (QuestionnaireResponse search,
Patient read, a JWK Set) and the Groundwork app itself under uvicorn, each on 127.0.0.1 in a
thread of the test, stopped when the test ends."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import uvicorn

from groundwork.web.app import create_app
from groundwork.web.screenshots import free_port


class FhirStub:
    """A FHIR server holding one patient's resources; records every request it answers."""

    def __init__(self, token: str | None = "fhir-access-token"):
        self.token = token
        self.responses: list[dict] = []  # QuestionnaireResponses it holds
        self.patients: dict[str, dict] = {}
        self.jwks: dict = {"keys": []}
        self.seen: list[tuple[str, dict, str | None]] = []  # (path, query, Authorization)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self._server.server_port}/fhir"
        self.jwks_url = f"http://127.0.0.1:{self._server.server_port}/.well-known/jwks.json"

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                stub.seen.append((url.path, query, self.headers.get("Authorization")))
                status, body = stub.answer(url.path, query, self.headers.get("Authorization"))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet
                pass

        return Handler

    def answer(self, path: str, query: dict, authorization: str | None) -> tuple[int, dict]:
        if path == "/.well-known/jwks.json":
            return 200, self.jwks
        if self.token and authorization != f"Bearer {self.token}":
            return 401, {"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "login"}]}
        if path == "/fhir/QuestionnaireResponse":
            subject = query.get("subject", "")
            found = [r for r in self.responses if r.get("subject", {}).get("reference") == subject]
            found.sort(key=lambda r: r.get("authored", ""), reverse=True)
            entries = [{"resource": r} for r in found[:int(query.get("_count", "50"))]]
            return 200, {"resourceType": "Bundle", "type": "searchset", "total": len(found)} | (
                {"entry": entries} if entries else {})
        if path.startswith("/fhir/Patient/"):
            patient = self.patients.get(path.rsplit("/", 1)[1])
            return (200, patient) if patient else (404, {"resourceType": "OperationOutcome",
                                                         "issue": [{"severity": "error",
                                                                    "code": "not-found"}]})
        return 404, {"resourceType": "OperationOutcome", "issue": [{"severity": "error",
                                                                    "code": "not-supported"}]}

    def __enter__(self) -> "FhirStub":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def live_server(settings_of):
    """The Groundwork app under uvicorn on a free loopback port; `settings_of(base)` builds its
    Settings from the base URL (the JWT audience is built from it)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(create_app(settings_of(base)), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def get_json(url: str, **options) -> dict:
    return httpx.get(url, timeout=10, **options).json()
