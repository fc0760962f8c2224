"""`python -m bench` (or `make bench`): every figure of the speed-and-scale benchmark, in one run.

Prints a Markdown report and writes bench/out/results.json and bench/out/report.md. In-process
suites run first, in one process (throughput, stages, front end, memory); then whole commands in
fresh processes (cold start, batch, Dask). `--quick` runs everything small, as a smoke test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import sys
import tempfile
from pathlib import Path

from bench import audit, frontend as fe, memory, process, report, serve, throughput as tp
from bench.generate import LARGE, SMALL, Shape, write_knowledge_base
from bench.measure import load_average, machine, peak_rss_mb
from dsl.kb import load_knowledge_base
import knowledge_base

SUITES = ("throughput", "stages", "frontend", "memory", "cold", "batch", "dask", "diff", "audit",
          "serve")
FULL = {"cases": {"shipped": 2000, "small": 1000, "large": 200},
        "shapes": {"small": SMALL, "large": LARGE}, "frontend": LARGE,
        "memory": 100_000, "memory_generated": 20_000, "batch": 10_000, "invalid_every": 50, "cold_reps": 5, "batch_reps": 5,
        "diff": 100_000, "diff_full": 2_000, "audit": 5_000, "serve": 400}
QUICK = {"cases": {"shipped": 60, "small": 30, "large": 10},
         "shapes": {"small": Shape(40, 12), "large": Shape(240, 40)},
         "frontend": Shape(240, 40), "memory": 500, "memory_generated": 200, "batch": 200, "invalid_every": 10,
         "cold_reps": 1, "batch_reps": 1, "diff": 400, "diff_full": 100, "audit": 50, "serve": 40}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3; quick 1)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out",
                        help="where results.json and report.md go (default: bench/out)")
    parser.add_argument("--only", default=",".join(SUITES), help="comma-separated suites: "
                        + ", ".join(SUITES))
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    reps = args.reps or (1 if args.quick else 3)
    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - set(SUITES)
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(sorted(unknown))}")
    results = {"meta": {"date": dt.date.today().isoformat(), "machine": machine(),
                        "command": shlex.join(["python", "-m", "bench", *(argv or sys.argv[1:])]),
                        "repetitions": reps, "quick": args.quick,
                        "load_start": _load()}}
    with tempfile.TemporaryDirectory(prefix="groundwork-bench-") as scratch:
        run_suites(results, only, sizes, reps, Path(scratch))
    results["meta"]["load_end"] = _load()
    results["meta"]["peak_rss_mb"] = peak_rss_mb()
    results["targets"] = report.targets(results)
    text = report.render(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (args.out / "report.md").write_text(text, encoding="utf-8")
    return 0


def run_suites(results: dict, only: list[str], sizes: dict, reps: int, scratch: Path) -> None:
    shipped = load_knowledge_base(knowledge_base.BUNDLED, "knowledge_base/core")
    if "throughput" in only:
        results["throughput"] = {"shipped": tp.throughput(shipped, sizes["cases"]["shipped"], reps)}
        for size, shape in sizes["shapes"].items():
            name = f"generated-{shape.rules}"
            kb = load_knowledge_base(write_knowledge_base(scratch / name, shape), name)
            results["throughput"][name] = tp.throughput(kb, sizes["cases"][size], reps)
            results["meta"].setdefault("small_generated", name)  # the target's knowledge base
            _progress(f"throughput {name}")
    if "stages" in only:
        results["stages"] = tp.stages(shipped, sizes["cases"]["shipped"], reps)
    if "frontend" in only:
        results["frontend"] = fe.frontend(sizes["frontend"], scratch, reps)
        _progress("front end")
    if "memory" in only:
        results["memory"] = {"shipped": memory.rss_growth(shipped, sizes["memory"])}
        name = results["meta"].get("small_generated")
        if name:  # the same on 200 rules, where each durable-rules session holds far more
            kb = load_knowledge_base(scratch / name, name)
            results["memory"][name] = memory.rss_growth(kb, sizes["memory_generated"])
        _progress("memory")
    if "cold" in only:
        results["cold"] = process.cold_start(scratch, max(reps, sizes["cold_reps"]))
    if "batch" in only:
        results["batch"] = process.batch_scaling(scratch, sizes["batch"], sizes["invalid_every"],
                                                 max(reps, sizes["batch_reps"]))
        _progress("batch")
    if "dask" in only:
        results["dask"] = process.dask_scaling(scratch, sizes["batch"], sizes["invalid_every"])
    if "diff" in only:
        results["diff"] = process.impact_diff(scratch, sizes["diff"], sizes["diff_full"])
        _progress("diff")
    if "audit" in only:
        results["audit"] = audit.audit_store(scratch, sizes["audit"], reps)
        _progress("audit")
    if "serve" in only:
        results["serve"] = serve.serving(scratch, sizes["serve"], reps)
        _progress("serve")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in load_average())


def _progress(what: str) -> None:
    print(f"[bench] {what} done", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
