"""`python -m bench.program`: the program report over a large audit store, against a plain count.

Fills a store with a synthetic agency (engine/synthetic/agency.py) of about `--assessments` assessments and
`--events` outcome events (full plans and traces, as `groundwork assess` records them), then, in a
fresh process so that its peak memory is the report's own, times in the same run:

- `SELECT count(*)` over the tables the report reads (records and region_bands): the floor;
- `program_report()` over the whole period (SQL in the store);
- `client_progress()` of one client (reads only that client's records).

Targets (issue #17): the report within 20x the count, peak RSS under 300 MB. Figures in
bench/RESULTS.md; `--quick` runs it small as a smoke test (tests/test_bench_program.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import load_average, machine, median, peak_rss_mb

COUNT_SQL = ("SELECT (SELECT count(*) FROM records) + (SELECT count(*) FROM region_bands)")
REPS = 3
# Three ages instead of eleven: the engine then runs once per distinct clinical profile about a
# thousand times instead of several thousand (every other plan is the engine's, reused); the
# store's size and shape, which is what the report's speed depends on, stay the same.
AGES = (8, 12, 15)


def generate(db: Path, assessments: int, events: int, seed: int) -> dict:
    """Write the agency; event rates are scaled from a pilot so the totals land near the targets."""
    import knowledge_base
    from engine.synthetic.agency import Agency, AgencyShape, fill
    from engine.audit.store import AuditStore
    kb = knowledge_base.load(None)
    pilot = Agency(kb, AgencyShape(seed=seed, ages=AGES))
    sample = [pilot.client(i) for i in range(1, 101)]
    per_client = sum(len(a) for a, _, _ in sample) / len(sample)
    events_per_client = sum(sum(e["kind"] == "outcome" for e in ev) for _, _, ev in sample) / len(sample)
    clients = max(1, round(assessments / per_client))
    scale = events / (events_per_client * clients) if events_per_client else 1.0
    started = time.perf_counter()
    with AuditStore.open(db, mode="create") as store:
        store.conn.execute("PRAGMA synchronous = OFF")  # a throwaway store: no fsync per client
        written = fill(store, kb, AgencyShape(clients=clients, seed=seed, event_scale=scale,
                                              ages=AGES))
    return {"clients": clients, "assessments": written.assessments, "events": written.events,
            "exposures": written.exposures, "feedback": written.feedback,
            "seconds": round(time.perf_counter() - started, 1),
            "store_mb": round(db.stat().st_size / 2**20)}


def describe(db: Path) -> dict:
    """What an existing store holds (for `--reuse`)."""
    import sqlite3
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    kinds = dict(conn.execute("SELECT kind, count(*) FROM records GROUP BY kind").fetchall())
    clients = conn.execute("SELECT count(DISTINCT client_id) FROM region_bands").fetchone()[0]
    conn.close()
    return {"clients": clients, "assessments": kinds.get("assessment", 0),
            "events": kinds.get("outcome", 0), "exposures": kinds.get("exposure", 0),
            "feedback": kinds.get("feedback", 0), "seconds": None,
            "store_mb": round(db.stat().st_size / 2**20)}


def _timed(function) -> tuple[float, object]:
    times, result = [], None
    for _ in range(REPS):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return median(times) * 1e3, result


def measure(db: Path) -> dict:
    """Run in a fresh process: the count, the report and one client's progress, timed in turn."""
    from engine.audit.store import AuditStore
    from engine.reports.program import program_report
    from engine.reports.progress import client_progress
    with AuditStore.open(db) as store:
        client = store.conn.execute("SELECT client_id FROM records WHERE kind = 'assessment' "
                                    "ORDER BY id DESC LIMIT 1").fetchone()[0]
        rss_before = peak_rss_mb()
        count_ms, rows = _timed(lambda: store.conn.execute(COUNT_SQL).fetchone()[0])
        report_ms, report = _timed(lambda: program_report(store))
        progress_ms, progress = _timed(lambda: client_progress(store, client))
    return {"rows_counted": rows, "count_ms": round(count_ms, 1), "report_ms": round(report_ms, 1),
            "report_over_count": round(report_ms / count_ms, 2), "progress_ms": round(progress_ms, 1),
            "progress_assessments": len(progress.assessments), "peak_rss_mb": round(peak_rss_mb(), 1),
            "rss_before_queries_mb": round(rss_before, 1),
            "report_events": sum(report.total.events.values()),
            "report_exposure_days": report.total.exposure_days}


def render(results: dict) -> str:
    g, m = results["generated"], results["measured"]
    met_time = m["report_over_count"] <= 20
    met_rss = m["peak_rss_mb"] < 300
    return "\n".join([
        f"Store: {g['assessments']:,} assessments of {g['clients']:,} clients, {g['events']:,} "
        f"outcome events, {g['exposures']:,} exposure periods, {g['feedback']:,} feedback records; "
        f"{g['store_mb']:,} MB" + (f" (generated in {g['seconds']} s)" if g["seconds"] else ""),
        f"`SELECT count(*)` over records and region_bands ({m['rows_counted']:,} rows): "
        f"{m['count_ms']} ms",
        f"program report, whole period: {m['report_ms']} ms = {m['report_over_count']}x the count "
        f"(target <= 20x: {'met' if met_time else 'NOT met'})",
        f"peak RSS of the measuring process: {m['peak_rss_mb']} MB (target < 300 MB: "
        f"{'met' if met_rss else 'NOT met'}; {m['rss_before_queries_mb']} MB before the queries)",
        f"progress of one client ({m['progress_assessments']} assessments): {m['progress_ms']} ms",
        f"medians of {REPS}; load average {results['load']}; {results['machine']}",
    ]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.program", description=__doc__.splitlines()[0])
    parser.add_argument("--assessments", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="600 assessments, 1,200 events")
    parser.add_argument("--db", type=Path, help="keep the store here (default: a temporary file)")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the existing store at --db instead of generating one")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    if args.quick:
        args.assessments, args.events = 600, 1200
    with tempfile.TemporaryDirectory(prefix="groundwork-bench-program-") as scratch:
        db = args.db or Path(scratch) / "agency.sqlite"
        if args.reuse and not db.exists():
            parser.error(f"--reuse: {db} does not exist")
        if db.exists() and not args.reuse:
            parser.error(f"{db} exists; pass a new path, or --reuse to measure it")
        generated = describe(db) if args.reuse else generate(db, args.assessments, args.events,
                                                                args.seed)
        child = subprocess.run([sys.executable, "-m", "bench.program", "--measure", str(db)],
                               capture_output=True, text=True, check=True)
        results = {"generated": generated, "measured": json.loads(child.stdout),
                   "load": " ".join(f"{x:.2f}" for x in load_average()), "machine": machine(),
                   "command": " ".join(["python -m bench.program", *(argv or sys.argv[1:])])}
    print(render(results), end="")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
