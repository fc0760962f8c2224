"""`groundwork serve` as a user runs it: loopback by default, a generated token printed once, the
audit store created before the first request, bad settings refused with exit 2 and one message."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from groundwork.cli.serve import is_loopback
from groundwork.web.screenshots import free_port
from tests.web_support import TOKEN
from tests.helpers import ROOT, run_cli


def _start(tmp_path, *args, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GROUNDWORK_")}
    environment |= {"PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen([sys.executable, "-c", "from groundwork.cli import main; main()", "serve",
                             "--db", str(tmp_path / "audit.sqlite"), *args],
                            cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait(base: str, process) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("the server stopped: " + process.stderr.read())
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer")


def test_serve_prints_a_generated_token_once_and_requires_it(tmp_path):
    port = free_port()
    process = _start(tmp_path, "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, process)
        assert (tmp_path / "audit.sqlite").exists()
        assert httpx.get(base + "/api/knowledge-base").status_code == 401
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    token_lines = [line for line in stderr.splitlines() if line.startswith("API token")]
    assert len(token_lines) == 1
    token = token_lines[0].rsplit(" ", 1)[1]
    assert len(token) >= 32 and stderr.count(token) == 1
    assert "GET /healthz 200" in stderr and "GET /api/knowledge-base 401" in stderr


def test_serve_with_the_token_from_the_environment_never_prints_it(tmp_path):
    port = free_port()
    token = "env-token-Hq4Vz8Lm2Tx6Rk9Wp3Nc"
    process = _start(tmp_path, "--port", str(port), env={"GROUNDWORK_TOKEN": token})
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, process)
        response = httpx.get(base + "/api/knowledge-base", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        case = (ROOT / "examples" / "school-age-child.json").read_text()
        assert httpx.post(base + "/api/assessments", content=case,
                          headers={"Authorization": f"Bearer {token}"}).status_code == 201
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    assert token not in stderr and "EX-SA-01" not in stderr  # no token, no case text in the logs
    assert "POST /api/assessments 201" in stderr


def test_bad_settings_exit_2_with_one_message(tmp_path):
    short = run_cli("serve", "--db", str(tmp_path / "a.sqlite"), env={"GROUNDWORK_TOKEN": "short"})
    assert short.returncode == 2 and "E810" in short.stderr and "at least 16" in short.stderr
    clients = run_cli("serve", "--db", str(tmp_path / "a.sqlite"),
                      env={"GROUNDWORK_TOKEN": TOKEN, "GROUNDWORK_CDS_CLIENTS": "{"})
    assert clients.returncode == 2 and "GROUNDWORK_CDS_CLIENTS" in clients.stderr
    kb = run_cli("serve", "--kb", str(tmp_path / "missing"), env={"GROUNDWORK_TOKEN": TOKEN})
    assert kb.returncode == 2 and "Traceback" not in kb.stderr
    port = run_cli("serve", "--port", "0")
    assert port.returncode == 2
    assert not (tmp_path / "a.sqlite").exists()


def test_loopback_hosts():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")
