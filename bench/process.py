"""Measurements of whole commands in fresh processes: a cold `groundwork assess` against the import
floor, and `groundwork batch` on a generated caseload with one and two workers (and on a local
Dask cluster when dask is installed)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from time import perf_counter

from bench.cases import caseload, write_jsonl
from bench.measure import median, parallel_ceiling

REPO = Path(__file__).resolve().parent.parent
FLOOR = "import durable.lang, lark, networkx, pydantic"
MAIN = "from groundwork.cli import main; main()"
SUMMARY = re.compile(r"^(\d+) cases, (\d+) with errors .* ([\d.]+) s, ([\d.]+) cases/s")


def _env(**extra) -> dict:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def _timed(args: list[str], env: dict, cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd)
    return perf_counter() - started, done


def cold_start(workdir: Path, repetitions: int) -> dict:
    """Wall time of commands in a new process against importing the four libraries: `groundwork
    --help`; `groundwork assess CASE` with an empty knowledge-base cache (first run after a
    change) and with a filled one; `groundwork lint` of the bundled knowledge base."""
    case = workdir / "cold-case.json"
    case.write_text(json.dumps(caseload(1)[0][0]), encoding="utf-8")
    floor, miss, hit, helps, lints = [], [], [], [], []
    for repetition in range(repetitions):
        cache = workdir / f"cold-cache-{repetition}"
        # its own audit store, not the user's: the second assess appends to the one the first made
        env = _env(GROUNDWORK_CACHE_DIR=str(cache),
                   GROUNDWORK_DB=str(workdir / f"cold-store-{repetition}.sqlite"))
        floor.append(_timed([sys.executable, "-c", FLOOR], env)[0])
        helps.append(_command(["--help"], env, "Commands:"))
        for runs in (miss, hit):  # the first run fills the cache, the second reads it
            runs.append(_command(["assess", str(case)], env, "Groundwork plan"))
        lints.append(_command(["lint"], env, "0 errors"))
    result = {"floor_s": median(floor), "cold_cached_s": median(hit),
              "cold_uncached_s": median(miss), "help_s": median(helps), "lint_s": median(lints)}
    result["ratio_cached"] = median(h / f for h, f in zip(hit, floor))
    result["ratio_uncached"] = median(m / f for m, f in zip(miss, floor))
    result["ratio_help"] = median(h / f for h, f in zip(helps, floor))
    result["ratio_lint"] = median(h / f for h, f in zip(lints, floor))
    return result


def _command(args: list[str], env: dict, expect: str) -> float:
    """Seconds of one `groundwork ARGS` in a new process; it must print `expect`."""
    seconds, done = _timed([sys.executable, "-c", MAIN, *args], env)
    if done.returncode != 0 or expect not in done.stdout:
        raise RuntimeError(f"groundwork {' '.join(args)} failed: {done.stderr[:500]}")
    return seconds


def make_caseload(workdir: Path, count: int, invalid_every: int) -> tuple[Path, dict[int, str]]:
    """A JSON-lines caseload and, for each deliberately invalid line, the field path expected."""
    cases = caseload(count, invalid_every=invalid_every)
    path = write_jsonl(workdir / f"caseload-{count}.jsonl", cases)
    return path, {number: field for number, (_, field) in enumerate(cases, 1) if field}


def run_batch(caseload_path: Path, out: Path, extra: list[str]) -> dict:
    """One `groundwork batch` run: its own summary figures, and its stderr."""
    seconds, done = _timed([sys.executable, "-c", MAIN, "batch", str(caseload_path), "--out",
                            str(out), *extra], _env())
    match = SUMMARY.match(done.stdout)
    if done.returncode not in (0, 1) or not match:
        raise RuntimeError(f"groundwork batch failed ({done.returncode}): {done.stderr[:500]}")
    return {"cases": int(match[1]), "errors": int(match[2]), "seconds": float(match[3]),
            "rate": float(match[4]), "wall_s": seconds, "exit": done.returncode,
            "stderr": done.stderr}


def check_results(out: Path, caseload_path: Path, expected: dict[int, str], run: dict) -> dict:
    """Every case has its line, and every invalid case names the expected field path."""
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    invalid = {int(line["source"].rsplit(":", 1)[1]): [e["field"] for e in line["errors"]]
               for line in lines if line["status"] != "ok"}
    wrong = {n: fields for n, fields in invalid.items() if fields != [expected.get(n)]}
    first = run["stderr"].splitlines()[0] if run["stderr"] else ""
    number, field = min(expected.items())
    return {"lines": len(lines), "invalid": len(invalid), "expected_invalid": len(expected),
            "all_invalid_with_expected_field": not wrong and set(invalid) == set(expected),
            "exit": run["exit"],
            "first_stderr_line_names_field": first.startswith(f"{caseload_path}:{number}: {field}:"),
            "first_stderr_line": first}


def batch_scaling(workdir: Path, count: int, invalid_every: int, repetitions: int) -> dict:
    """One worker, then two, in every repetition, each pair next to a measurement of how much
    parallelism the (shared) machine offered at that moment."""
    path, expected = make_caseload(workdir, count, invalid_every)
    runs: dict[int, list[dict]] = {1: [], 2: []}
    ceilings = []
    for _ in range(repetitions):
        ceilings.append(parallel_ceiling())
        for workers in (1, 2):
            runs[workers].append(run_batch(path, workdir / f"results-{workers}.jsonl",
                                           ["--workers", str(workers)]))
    same = (workdir / "results-1.jsonl").read_bytes() == (workdir / "results-2.jsonl").read_bytes()
    speedups = [b["rate"] / a["rate"] for a, b in zip(runs[1], runs[2])]
    return {"cases": count, "rate_1": median(r["rate"] for r in runs[1]),
            "rate_2": median(r["rate"] for r in runs[2]),
            "speedup_2_over_1": median(speedups), "speedups": speedups,
            "ceilings": ceilings, "identical_results": same,
            "check": check_results(workdir / "results-2.jsonl", path, expected, runs[2][-1])}


def dask_scaling(workdir: Path, count: int, invalid_every: int) -> dict:
    """The same caseload on a loopback LocalCluster of one, then two, single-threaded workers."""
    try:
        from distributed import LocalCluster
    except ImportError:
        return {"skipped": "dask.distributed is not installed (groundwork-cds[dask])"}
    path, expected = make_caseload(workdir, count, invalid_every)
    local = workdir / "results-1.jsonl"
    result: dict = {"cases": count}
    os.environ["PYTHONPATH"] = _env()["PYTHONPATH"]  # spawned workers import the package
    result["ceiling"] = parallel_ceiling()
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster:
            out = workdir / f"results-dask-{workers}.jsonl"
            run = run_batch(path, out, ["--dask", cluster.scheduler_address])
        result[f"rate_{workers}"] = run["rate"]
        result[f"identical_to_local_{workers}"] = (not local.exists()
                                                   or out.read_bytes() == local.read_bytes())
    result["speedup_2_over_1"] = result["rate_2"] / result["rate_1"]
    return result


DIFF_SUMMARY = re.compile(r"^(\d+) of (\d+) cases? assessed again", re.MULTILINE)


def impact_diff(workdir: Path, count: int, full_count: int) -> dict:
    """`groundwork diff` of one changed threshold in one rule over a JSON-lines caseload of
    `count` cases on 2 workers, screened; and the full re-evaluation (`--full`) of `full_count`
    of them beside it, as cases per second (the full run over every case would take hours)."""
    head = workdir / "diff-head"
    if not head.exists():
        import shutil
        shutil.copytree(REPO / "knowledge_base" / "core", head)
        reason = head / "30-reason.gw"
        reason.write_text(reason.read_text(encoding="utf-8").replace(
            "cortex.band >= mild", "cortex.band >= moderate", 1), encoding="utf-8")
    cases = caseload(count)
    path = write_jsonl(workdir / f"diff-{count}.jsonl", cases)
    sample = write_jsonl(workdir / f"diff-full-{full_count}.jsonl", cases[:full_count])
    base = ["diff", "--base", str(REPO / "knowledge_base" / "core"), "--head", str(head),
            "--workers", "2"]
    screened_s, done = _timed([sys.executable, "-c", MAIN, *base, str(path)], _env())
    match = DIFF_SUMMARY.search(done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"groundwork diff failed: {done.stderr[:500]}")
    full_s, done = _timed([sys.executable, "-c", MAIN, *base, "--full", str(sample)], _env())
    if done.returncode != 0:
        raise RuntimeError(f"groundwork diff --full failed: {done.stderr[:500]}")
    return {"cases": count, "assessed": int(match[1]), "screened_s": screened_s,
            "screened_rate": count / screened_s, "full_cases": full_count, "full_s": full_s,
            "full_rate": full_count / full_s, "speedup": (count / screened_s) / (full_count / full_s)}
