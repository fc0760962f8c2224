"""`groundwork batch --dask`: a LocalCluster of two worker processes on loopback gives the same
result lines as one local process. Needs the optional extra groundwork-cds[dask]."""

from __future__ import annotations

import os

import pytest

import knowledge_base
from bench.cases import caseload, write_jsonl
from engine.batch.local import evaluate_local, find_cases, write_results
from tests.scale_helpers import REPO, groundwork

distributed = pytest.importorskip("distributed", reason="needs the optional extra groundwork-cds[dask]")


@pytest.fixture(scope="module")
def cluster():
    # Worker processes are spawned: they must be able to import the package from here.
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), previous) if p)
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None) as local:
            yield local
    finally:
        if previous is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = previous


def test_cluster_results_equal_local_results(cluster, tmp_path):
    cases = write_jsonl(tmp_path / "caseload.jsonl", caseload(300, invalid_every=9))
    local = write_results(tmp_path / "local.jsonl",
                          evaluate_local(find_cases([cases]), knowledge_base.load(), workers=1))

    run = groundwork("batch", str(cases), "--out", str(tmp_path / "dask.jsonl"),
                     "--dask", cluster.scheduler_address)

    assert run.returncode == 1, run.stderr  # the deliberately invalid cases
    assert run.stdout.startswith(f"300 cases, {local.errors} with errors")
    assert run.stderr.splitlines()[0].startswith(f"{cases}:9: ")  # a diagnostic, not a warning
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    with distributed.Client(cluster.scheduler_address) as client:
        compiled = client.run(lambda: len(__import__("engine.batch.cluster").batch.cluster._rebuilt))
    assert sorted(compiled.values()) == [1, 1]  # each worker compiled the knowledge base once


def test_unreachable_scheduler_is_bad_input(tmp_path, monkeypatch):
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "1s")
    cases = write_jsonl(tmp_path / "caseload.jsonl", caseload(2))
    run = groundwork("batch", str(cases), "--out", str(tmp_path / "r.jsonl"),
                     "--dask", "tcp://127.0.0.1:9")
    assert run.returncode == 2
    assert run.stderr.startswith("tcp://127.0.0.1:9: error: E205: cannot reach the Dask scheduler")
    assert not (tmp_path / "r.jsonl").exists()


def test_diff_on_the_cluster_equals_diff_here(cluster, tmp_path):
    """`groundwork diff --dask`: both knowledge bases travel as files, case files with their text;
    the report is the one a local diff gives."""
    import json
    import shutil
    head = tmp_path / "head"
    shutil.copytree(REPO / "knowledge_base" / "core", head)
    reason = head / "30-reason.gw"
    reason.write_text(reason.read_text().replace("cortex.band >= mild", "cortex.band >= moderate", 1),
                      encoding="utf-8")
    cases = write_jsonl(tmp_path / "caseload.jsonl", caseload(300))
    files = [str(REPO / "examples" / f"{name}.json") for name in ("adolescent", "school-age-child")]
    args = ("diff", "--base", str(REPO / "knowledge_base" / "core"), "--head", str(head),
            str(cases), *files, "--format", "json")
    here = groundwork(*args)
    there = groundwork(*args, "--dask", cluster.scheduler_address)
    assert here.returncode == there.returncode == 0, there.stderr
    assert json.loads(there.stdout) == json.loads(here.stdout)
    assert json.loads(here.stdout)["screen"]["cases"] == 302
