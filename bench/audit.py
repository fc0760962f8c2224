"""The audit store at work: bytes a record on the bundled examples' mix (and what the packed
input, plan and trace take of it against their text), `audit verify` and `audit replay --all` in
records a second, each against reading the same records back (the floor of the same run).

The store is written the way an agency writes one: `groundwork batch --audit` over a JSON-lines
caseload of the five bundled examples in turn, each line with its own client id.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from time import perf_counter

from bench.measure import median
from bench.process import REPO, MAIN, _env

EXAMPLES = ("adult", "adolescent", "child-in-crisis", "school-age-child", "young-child")
FIELDS = ("input_json", "plan_json", "trace_json")


def write_mix(path: Path, count: int) -> Path:
    """`count` assessments: the bundled examples in turn, each with its own pseudonymous client."""
    examples = [json.loads((REPO / "examples" / f"{name}.json").read_text(encoding="utf-8"))
                for name in EXAMPLES]
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            case = dict(examples[i % len(examples)])
            case["client_id"] = f"B{i:06d}"
            out.write(json.dumps(case, ensure_ascii=False) + "\n")
    return path


def audit_store(workdir: Path, count: int, repetitions: int) -> dict:
    from engine.audit.replay import replay_many
    from engine.audit.store import AuditStore
    from engine.audit.verify import verify

    cases = write_mix(workdir / "audit-mix.jsonl", count)
    db = workdir / "audit-bench.sqlite"
    done = subprocess.run([sys.executable, "-c", MAIN, "batch", str(cases), "--audit", "--db",
                           str(db), "--out", str(workdir / "audit-mix.out.jsonl")],
                          capture_output=True, text=True, env=_env(), cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"batch --audit failed: {done.stderr[-2000:]}")
    with sqlite3.connect(db) as conn:  # fold the write-ahead log in, so the file is the store
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db.stat().st_size
    with AuditStore.open(db) as store:  # what the three JSON fields take, packed and as text
        packed, text = store.conn.execute(
            "SELECT " + " + ".join(f"sum(length(CAST({c} AS BLOB)))" for c in FIELDS) + ", "
            + " + ".join(f"sum(length(CAST(audit_text({c}) AS BLOB)))" for c in FIELDS)
            + " FROM records").fetchone()
    floors, verifies, replays = [], [], []
    for _ in range(repetitions):
        with AuditStore.open(db) as store:
            started = perf_counter()
            read = sum(1 for _ in store.iter_records())
            floors.append(perf_counter() - started)
            started = perf_counter()
            report = verify(store)
            verifies.append(perf_counter() - started)
            if not report.intact or report.records != read:
                raise RuntimeError("the benchmark store does not verify")
            started = perf_counter()
            replayed = list(replay_many(store, 1, read))
            replays.append(perf_counter() - started)
            if not all(r.reproduced for r in replayed):
                raise RuntimeError("a benchmark record did not replay")
    records = read
    return {"records": records, "store_bytes": size, "kb_per_record": size / records / 1024,
            "packed_kb_per_record": packed / records / 1024,
            "text_kb_per_record": text / records / 1024,
            "read_s": median(floors), "verify_s": median(verifies), "replay_s": median(replays),
            "read_rate": records / median(floors), "verify_rate": records / median(verifies),
            "replay_rate": records / median(replays),
            "verify_over_read": median(v / f for v, f in zip(verifies, floors)),
            "replay_over_read": median(r / f for r, f in zip(replays, floors))}
