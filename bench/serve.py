"""`groundwork serve` under load (issue #20 deliverable 6): one worker process against two, in the
same run, on loopback, audit on (every assessment is recorded in the store, as always).

8 concurrent clients (threads sharing one HTTP client) each POST assessments to /api/assessments
with a clinician's personal token, a new connection per request (so the kernel hands each to
either worker), until
`requests` are done. Throughput is requests over wall time; latency is each request's round trip.
After the 2-worker run, `groundwork audit verify` must pass on its store: both workers wrote one
intact chain. The parallelism the shared machine offered at that moment (two forked pure-Python
loops against one) is measured beside each pair of runs.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.cases import caseload
from bench.measure import median, parallel_ceiling, percentile

REPO = Path(__file__).resolve().parent.parent
CLIENTS = 8
_OPERATOR = secrets.token_urlsafe(32)  # unused by the clients; serve needs one
WARMUP = 8  # requests per worker count before timing: each worker's first plan fills its caches


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env() -> dict:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GROUNDWORK_")}
    return {**clean, "PYTHONPATH": path, "GROUNDWORK_TOKEN": _OPERATOR}


def _clinician(db: Path) -> str:
    from engine.audit import accounts
    from engine.audit.store import AuditStore

    with AuditStore.open(db, mode="create") as store:
        return accounts.add_user(store.conn, "bench-clin", "clinician")


def _start(db: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-c", "from groundwork.cli import main; main()",
                                "serve", "--port", str(port), "--db", str(db), "--workers",
                                str(workers)], cwd=REPO, env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("groundwork serve stopped: " + process.stderr.read()[-1000:])
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("groundwork serve did not answer within 180 s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def _load(base: str, token: str, bodies: list[str]) -> tuple[float, list[float]]:
    """(wall seconds, each request's seconds) for POSTing every body, CLIENTS at a time."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    # One client shared by the threads (making an httpx client costs ~25 ms of CPU, which the
    # clients would take from the server's two cores), keeping no connection alive: each request
    # opens its own, which the kernel hands to either worker.
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=0)
    with httpx.Client(base_url=base, headers=headers, limits=limits, timeout=300) as http:

        def one(body: str) -> float:
            started = time.perf_counter()
            answer = http.post("/api/assessments", content=body)
            if answer.status_code != 201:
                raise RuntimeError(f"POST /api/assessments: {answer.status_code} {answer.text[:300]}")
            return time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            latencies = list(pool.map(one, bodies))
        return time.perf_counter() - started, latencies


def _run(scratch: Path, name: str, workers: int, bodies: list[str]) -> dict:
    db = scratch / f"serve-{name}.sqlite"
    token = _clinician(db)
    process, base = _start(db, workers)
    try:
        _load(base, token, bodies[:WARMUP])
        wall, latencies = _load(base, token, bodies[WARMUP:])
    finally:
        _stop(process)
    ordered = sorted(latencies)
    p50, p99 = percentile(ordered, 0.50), percentile(ordered, 0.99)
    return {"db": db, "per_second": len(latencies) / wall, "p50_ms": p50 * 1000,
            "p99_ms": p99 * 1000, "p99_over_p50": p99 / p50}


def _verify(db: Path) -> bool:
    done = subprocess.run([sys.executable, "-c", "from groundwork.cli import main; main()", "audit",
                           "verify", "--db", str(db)], cwd=REPO, env=_env(), capture_output=True,
                          text=True)
    return done.returncode == 0


def serving(scratch: Path, requests: int, reps: int) -> dict:
    cases = [case for case, broken in caseload(requests + WARMUP, seed=23) if broken is None]
    bodies = [json.dumps(case | {"client_id": f"S-{n:05d}"}) for n, case in enumerate(cases)]
    runs: dict[int, list[dict]] = {1: [], 2: []}
    speedups, tails, ceilings, intact = [], [], [], []
    for repetition in range(reps):
        one = _run(scratch, f"{repetition}-1", 1, bodies)
        two = _run(scratch, f"{repetition}-2", 2, bodies)
        ceilings.append(parallel_ceiling())
        intact.append(_verify(two["db"]))
        runs[1].append(one)
        runs[2].append(two)
        speedups.append(two["per_second"] / one["per_second"])
        tails.append(two["p99_over_p50"])

    def summary(items: list[dict]) -> dict:
        return {key: median(item[key] for item in items)
                for key in ("per_second", "p50_ms", "p99_ms", "p99_over_p50")}

    return {"requests": len(bodies) - WARMUP, "clients": CLIENTS, "workers_1": summary(runs[1]),
            "workers_2": summary(runs[2]), "speedup_2_over_1": median(speedups),
            "speedups": speedups, "p99_over_p50_2": median(tails), "ceilings": ceilings,
            "chain_intact": all(intact)}
