"""`groundwork serve --workers 2` (issues #18 part 4, #20 deliverable 6): two processes on loopback
share sessions and accounts through the audit store, and assessments from both land in one intact
hash chain. Which process served a request is read from the access log (it names the pid)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx

from engine.audit import accounts
from engine.audit.store import AuditStore
from groundwork.web.screenshots import free_port
from tests.helpers import ROOT, run_cli
from tests.test_web_serve import _wait
from tests.web_support import example

TOKEN = secrets.token_urlsafe(32)
SERVED = re.compile(r"\[(\d+)\] access: (\w+) (\S+) (\d+)$")


def _served(stderr: str) -> list[tuple[int, str, str, int]]:
    return [(int(m[1]), m[2], m[3], int(m[4])) for m in map(SERVED.search, stderr.splitlines()) if m]


def test_two_workers_share_sessions_and_write_one_intact_chain(tmp_path):
    db = tmp_path / "audit.sqlite"
    with AuditStore.open(db, mode="create") as store:
        clinician = accounts.add_user(store.conn, "clin-07", "clinician")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GROUNDWORK_")}
    environment |= {"PYTHONPATH": str(ROOT), "GROUNDWORK_TOKEN": TOKEN}
    process = subprocess.Popen([sys.executable, "-c", "from groundwork.cli import main; main()",
                                "serve", "--workers", "2", "--port", str(port), "--db", str(db)],
                               cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        _wait(base, process)
        signed_in = httpx.post(base + "/login", data={"user": "clin-07", "token": clinician})
        assert signed_in.status_code == 303, signed_in.text
        cookie = {"groundwork_session": signed_in.cookies["groundwork_session"]}

        def page(_):  # a new connection each time: the kernel hands it to either worker
            return httpx.get(base + "/assess", cookies=cookie, follow_redirects=False)

        def assess(number):
            case = example() | {"client_id": f"W-{number:03d}"}
            return httpx.post(base + "/api/assessments", content=json.dumps(case), timeout=120,
                              headers={"Authorization": f"Bearer {clinician}",
                                       "Content-Type": "application/json"})

        with ThreadPoolExecutor(8) as pool:
            pages = list(pool.map(page, range(24)))
            made = list(pool.map(assess, range(16)))
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    assert all(p.status_code == 200 and "clin-07" in p.text for p in pages)  # the session, everywhere
    assert [m.status_code for m in made] == [201] * 16, [m.json()["errors"][0]["message"] for m in made if m.status_code != 201]
    served = _served(stderr)
    assert len({pid for pid, *_ in served}) == 2, stderr[-2000:]
    login = {pid for pid, method, path, _ in served if (method, path) == ("POST", "/login")}
    recognised = {pid for pid, method, path, status in served if (method, path, status) == ("GET", "/assess", 200)}
    writers = {pid for pid, method, path, status in served if (method, path, status) == ("POST", "/api/assessments", 201)}
    assert len(login) == 1 and len(recognised | writers) == 2  # signed in on one, known to both
    verified = run_cli("audit", "verify", "--db", str(db))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with AuditStore.open(db) as store:
        records = store.records()
    assert sorted(m.json()["audit_id"] for m in made) == [r.id for r in records] == list(range(1, 17))
    assert {r.assessor_id for r in records} == {"clin-07"}
