"""`groundwork lsp` driven over stdio with protocol messages, as an editor drives it."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.kbfactory import make_kb, rule

TIMEOUT = 120  # seconds; the first full check of a knowledge base takes a few on a busy machine


class Client:
    """A minimal language client: JSON-RPC with Content-Length framing over a pipe."""

    def __init__(self, cwd: Path):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from groundwork.cli import main; main()", "lsp", "--stdio"],
            cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.messages: queue.Queue = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                header = stream.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict):
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        found = self.wait(lambda m: m.get("id") == ident and "method" not in m)
        assert "error" not in found, found
        return found["result"]

    def wait(self, matches, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        skipped = []
        try:
            while time.monotonic() < deadline:
                try:
                    message = self.messages.get(timeout=deadline - time.monotonic())
                except queue.Empty:
                    break
                if matches(message):
                    return message
                skipped.append(message)
            raise AssertionError(f"no such message; got {skipped}")
        finally:
            for message in skipped:
                self.messages.put(message)

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()
            self.process.stdin.close()
            self.process.stderr.close()


def diagnostics_for(client: Client, uri: str, wanted) -> list[dict]:
    message = client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                          and m["params"]["uri"] == uri and wanted(m["params"]["diagnostics"]))
    return message["params"]["diagnostics"]


@pytest.fixture
def session(tmp_path):
    kb = make_kb(tmp_path / "kb", rule("walk", "brainstem.band >= moderate",
                                       "recommend walk-and-talk"))
    client = Client(tmp_path)
    client.request("initialize", {"processId": None, "rootUri": kb.as_uri(),
                                  "capabilities": {}})
    client.notify("initialized", {})
    yield client, kb
    client.close()


def _open(client: Client, path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "groundwork", "version": 1, "text": text}})
    return uri


def test_a_rule_file_with_an_unknown_region_gets_a_located_diagnostic(session):
    client, kb = session
    text = rule("bad", "brainstm.band >= moderate", "recommend walk-and-talk")
    uri = _open(client, kb / "20-new.gw", text)
    found = diagnostics_for(client, uri, lambda ds: ds)
    unknown = [d for d in found if d["code"] == "E110"]
    assert len(unknown) == 1, found
    assert unknown[0]["severity"] == 1
    assert "unknown region 'brainstm'" in unknown[0]["message"]
    assert "did you mean 'brainstem'?" in unknown[0]["message"]
    assert unknown[0]["range"] == {"start": {"line": 8, "character": 7},
                                   "end": {"line": 8, "character": 20}}
    # the trainer fixes it: the problem goes away (debounced quick checks on the unsaved text)
    fixed = text.replace("brainstm", "brainstem")
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]})
    assert not [d for d in diagnostics_for(client, uri, lambda ds: not any(
        d["code"] == "E110" for d in ds)) if d["severity"] == 1]


def test_completion_after_recommend_offers_the_intervention_ids(session):
    client, kb = session
    text = rule("new", "brainstem.band >= moderate", "recommend ")
    uri = _open(client, kb / "20-new.gw", text)
    line = text.split("\n").index("    recommend ")
    result = client.request("textDocument/completion", {
        "textDocument": {"uri": uri}, "position": {"line": line, "character": 14}})
    labels = {item["label"] for item in result["items"]}
    assert labels == {"walk-and-talk", "dyadic-play", "talking-therapy"}


def test_completion_of_a_band_after_a_comparison(session):
    client, kb = session
    text = rule("new", "limbic.band >= ", "recommend dyadic-play")
    uri = _open(client, kb / "20-new.gw", text)
    line = text.split("\n").index("  when limbic.band >= ")
    result = client.request("textDocument/completion", {
        "textDocument": {"uri": uri}, "position": {"line": line, "character": 22}})
    assert [item["label"] for item in result["items"]] == [
        "typical", "mild", "moderate", "severe", "insufficient"]


def test_hover_on_a_fact_shows_its_description_and_scale(session):
    client, kb = session
    uri = (kb / "10-test.gw").as_uri()
    text = (kb / "10-test.gw").read_text(encoding="utf-8")
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "groundwork", "version": 1, "text": text}})
    line = next(i for i, l in enumerate(text.split("\n")) if "when brainstem.band" in l)
    result = client.request("textDocument/hover", {
        "textDocument": {"uri": uri}, "position": {"line": line, "character": 12}})
    value = result["contents"]["value"]
    assert "brainstem.band" in value and "band of brainstem" in value
    assert "typical, mild, moderate, severe, insufficient" in value
    # an intervention's catalog entry, and go to its definition
    action = next(i for i, l in enumerate(text.split("\n")) if "recommend walk-and-talk" in l)
    card = client.request("textDocument/hover", {
        "textDocument": {"uri": uri}, "position": {"line": action, "character": 16}})
    assert "Walking side by side" in card["contents"]["value"]
    assert "Perry & Dobson (2013)" in card["contents"]["value"]
    target = client.request("textDocument/definition", {
        "textDocument": {"uri": uri}, "position": {"line": action, "character": 16}})
    declared = next(i for i, l in enumerate(text.split("\n")) if "intervention walk-and-talk" in l)
    assert target["uri"] == uri and target["range"]["start"]["line"] == declared


def test_document_symbols_list_the_declarations(session):
    client, kb = session
    uri = (kb / "10-test.gw").as_uri()
    text = (kb / "10-test.gw").read_text(encoding="utf-8")
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "groundwork", "version": 1, "text": text}})
    result = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [(s["name"], s["kind"]) for s in result] == [
        ("walk-and-talk", 5), ("dyadic-play", 5), ("talking-therapy", 5), ("walk", 12)]


def test_formatting_gives_the_canonical_layout(session):
    client, kb = session
    text = rule("messy", "brainstem.band >= moderate", "recommend walk-and-talk").replace(
        "  when brainstem.band", "when   brainstem . band")
    uri = _open(client, kb / "20-messy.gw", text)
    edits = client.request("textDocument/formatting", {
        "textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}})
    assert len(edits) == 1 and "  when brainstem.band >= moderate\n" in edits[0]["newText"]
