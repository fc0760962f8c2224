"""Beyond one machine: the same batch, its partitions evaluated on an existing Dask cluster.

Needs the optional extra `groundwork-cds[dask]` here and on every worker. The knowledge base
travels as its files' bytes (scattered to every worker once); each worker process rebuilds it,
checks that its content hash matches, and compiles it once (cached per process, like the local
runner), so a worker that joins late compiles it on its first partition. Case files are read
here, so that workers need no shared filesystem. Every case is evaluated by the same function as
a local batch, so the result lines are identical.
"""

from __future__ import annotations

import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, Sequence

from dsl.errors import Diagnostic, EngineFailure, GroundworkError
from dsl.kb import INSTRUMENT_FILE, content_hash, load_knowledge_base, rule_files
from dsl.checked import CheckedKnowledgeBase
from engine.batch.local import CaseInput, CaseResult, chunked, evaluate_case, load_case
from engine.runtime import runner_for

PARTITION_SIZE = 250
INSTALL_HINT = "install the optional extra: pip install 'groundwork-cds[dask]'"


@dataclass(frozen=True)
class KnowledgeBaseBundle:
    """A knowledge base as bytes, so that a worker without the directory can rebuild it."""

    files: tuple[tuple[str, bytes], ...]  # (path relative to the knowledge base, bytes)
    content_hash: str
    display: str  # the name the knowledge base is shown under in messages
    drafts: bool
    audit: bool = False  # workers also return each plan's audit record fields


def bundle_knowledge_base(kb: CheckedKnowledgeBase, display: str, drafts: bool = False,
                          audit: bool = False) -> KnowledgeBaseBundle:
    root = Path(kb.root)
    paths = [p for p in rule_files(root) + [root / INSTRUMENT_FILE] if p.exists()]
    files = tuple((p.relative_to(root).as_posix(), p.read_bytes()) for p in paths)
    if content_hash(root) != kb.content_hash:
        raise GroundworkError([Diagnostic("E100", "the knowledge base changed on disk after it was "
                                          "loaded; run the batch again", display)])
    return KnowledgeBaseBundle(files, kb.content_hash, display, drafts, audit)


# ---- on a worker ----

_rebuilt: dict[tuple[str, bool], CheckedKnowledgeBase] = {}
_rebuilt_lock = threading.Lock()  # a Dask worker may run several partitions on threads


def worker_knowledge_base(bundle: KnowledgeBaseBundle) -> CheckedKnowledgeBase:
    """The bundle's knowledge base, rebuilt, checked and compiled once per worker process."""
    key = (bundle.content_hash, bundle.drafts)
    with _rebuilt_lock:
        if key not in _rebuilt:
            kb = _rebuild(bundle)
            runner_for(kb, bundle.drafts)
            _rebuilt[key] = kb
        return _rebuilt[key]


def _rebuild(bundle: KnowledgeBaseBundle) -> CheckedKnowledgeBase:
    with tempfile.TemporaryDirectory(prefix="groundwork-kb-") as directory:
        root = Path(directory)
        for relative, data in bundle.files:
            parts = PurePosixPath(relative).parts
            if PurePosixPath(relative).is_absolute() or ".." in parts:
                raise EngineFailure(f"refusing a knowledge base file outside its directory: {relative}")
            target = root.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if content_hash(root) != bundle.content_hash:
            raise EngineFailure("the knowledge base arrived damaged on a worker (content hash differs)")
        return load_knowledge_base(root, bundle.display)


def evaluate_partition(cases: list[CaseInput], bundle: KnowledgeBaseBundle) -> list[CaseResult]:
    """Runs on a Dask worker: one partition of cases, in order."""
    kb = worker_knowledge_base(bundle)
    return [evaluate_case(case, kb, bundle.drafts, bundle.audit) for case in cases]


# ---- here ----

def connect(address: str):
    """A client of the Dask scheduler at `address`, or a clear error."""
    try:
        from distributed import Client
    except ImportError:
        raise GroundworkError([Diagnostic("E205", "--dask needs dask.distributed, which is not "
                                          "installed", address, hint=INSTALL_HINT)]) from None
    try:  # how long to try: Dask's own setting, distributed.comm.timeouts.connect (default 30 s)
        return Client(address)
    except (OSError, TimeoutError, ValueError) as error:
        raise GroundworkError([Diagnostic(
            "E205", f"cannot reach the Dask scheduler ({type(error).__name__})", address,
            hint="give the scheduler's address, e.g. tcp://scheduler.example.org:8786")]) from None


def evaluate_on_cluster(client, cases: Sequence[CaseInput], bundle: KnowledgeBaseBundle,
                        partition_size: int = PARTITION_SIZE) -> Iterator[list[CaseResult]]:
    """Chunks of results in input order, evaluated by the cluster's workers."""
    shipped = client.scatter(bundle, broadcast=True)
    return run_partitions(client, cases, evaluate_partition, shipped, load_case, partition_size)


def run_partitions(client, items: Sequence, function: Callable, shipped, prepare: Callable,
                   partition_size: int = PARTITION_SIZE) -> Iterator[list]:
    """`function(partition, shipped)` on the cluster for each partition of `items` (each item
    `prepare`d here first: read where the files are), results in input order.

    Each partition is scattered as data (not embedded in the task graph) and at most a few
    partitions per worker thread are in flight, so a long caseload never sits whole in memory.
    """
    window = max(2, 2 * sum(client.nthreads().values()))
    pending: deque = deque()
    try:
        for part in chunked(items, partition_size):
            [data] = client.scatter([[prepare(item) for item in part]], hash=False)
            pending.append(client.submit(function, data, shipped, pure=False))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except (EngineFailure, GroundworkError):
        raise
    except Exception as error:  # noqa: BLE001 - a worker lost or a partition that raised
        raise EngineFailure(f"a Dask partition failed ({type(error).__name__}: {error})") from None
    finally:
        client.cancel(list(pending))
