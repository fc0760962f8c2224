"""Small measuring tools: repeated timings, percentiles, memory, and what machine this is."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
from importlib import metadata


def median(values) -> float:
    return statistics.median(values)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


def timed_each(function, inputs) -> tuple[float, list[float]]:
    """(total seconds, seconds per input) for calling `function` on every input in turn."""
    clock = time.perf_counter
    each = []
    started = clock()
    for item in inputs:
        before = clock()
        function(item)
        each.append(clock() - before)
    return clock() - started, each


def rate_and_latency(total: float, each: list[float]) -> dict:
    ordered = sorted(each)
    return {"per_second": len(each) / total, "p50_ms": percentile(ordered, 0.50) * 1e3,
            "p99_ms": percentile(ordered, 0.99) * 1e3}


def rss_mb() -> float:
    """Resident set size now, from /proc (Linux); 0 elsewhere."""
    try:
        with open("/proc/self/statm") as stream:
            pages = int(stream.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as stream:
            cpu = next((line.split(":", 1)[1].strip() for line in stream
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    versions = {}
    for package in ("durable_rules", "lark", "pydantic", "networkx", "dask", "distributed"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpu": cpu, "cores": cores, "platform": platform.platform(),
            "python": sys.version.split()[0], "packages": versions}


def _spin(count: int) -> int:
    total = 0
    for number in range(count):
        total += number * number
    return total


def parallel_ceiling(count: int = 3_000_000) -> float:
    """How much faster two forked processes finish two equal pure-Python loops than one process
    running both, right now: the best a 2-worker run can do on this (shared) machine."""
    import multiprocessing

    started = time.perf_counter()
    _spin(count)
    _spin(count)
    serial = time.perf_counter() - started
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    workers = [context.Process(target=_spin, args=(count,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return serial / (time.perf_counter() - started)
