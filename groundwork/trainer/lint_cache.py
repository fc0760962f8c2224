"""A disk cache of what the expensive lint analyses found, so that they run only when their
inputs changed.

The logic analyses (contradictions, conflicts, subsumption, ordering, lifecycle) and the coverage
gaps (which run the engine on every profile) depend only on the checked knowledge base — its rule
files and instrument, i.e. its content hash — and on the code that analyses it. Scenario files are
not part of that hash: editing a scenario re-checks the scenarios, never these. The entry is JSON
(findings as plain fields, never code), kept beside the knowledge-base cache
(knowledge_base/cache.py: same directory, same ownership checks, same GROUNDWORK_NO_CACHE switch).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

from dsl.ast import Pos
from dsl.checked import CheckedKnowledgeBase
from dsl.errors import Diagnostic
from knowledge_base import cache

FORMAT = 1
MAX_ENTRIES = 16

# diagnostics, related positions (by index into the diagnostics), and a count (scenarios read)
Found = tuple[list[Diagnostic], dict[int, tuple[Pos, ...]], int]


def cached_findings(kb: CheckedKnowledgeBase, drafts: bool, run: Callable[[], Found],
                    also: str = "") -> Found:
    """`run()`'s findings for this knowledge base, from the cache or computed and stored. `also`
    names further inputs of `run` (a digest of the scenario files, for their checks)."""
    directory = cache.cache_dir()
    if directory is None:
        return run()
    key = _key(kb, drafts) + "|" + also
    path = directory / f"lint-{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"
    found = _read(path, key)
    if found is None:
        found = run()
        _write(directory, path, key, found)
    return found


def _key(kb: CheckedKnowledgeBase, drafts: bool) -> str:
    return f"{FORMAT}|{kb.content_hash}|{kb.root}|{kb.shown_root}|{drafts}|{_code()}"


@lru_cache(maxsize=1)
def _code() -> str:
    """SHA-256 over the source of the packages whose code decides the findings."""
    import engine

    digest = hashlib.sha256(cache.code_fingerprint().encode())
    # the engine (coverage gaps run it) and the trainer's tools (they word the findings)
    for root in (Path(engine.__file__).parent, Path(__file__).parent):
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _read(path: Path, key: str) -> Found | None:
    if not (cache._trusted(path.parent, True) and cache._trusted(path, False)):
        return None
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("key") != key:
            return None
        diagnostics = [Diagnostic(**{**d, "suggestions": tuple(d["suggestions"])})
                       for d in entry["diagnostics"]]
        related = {int(i): tuple(Pos(**p) for p in positions)
                   for i, positions in entry["related"].items()}
    except Exception:  # noqa: BLE001 - a damaged entry is a miss, never an error
        return None
    return diagnostics, related, int(entry["count"])


def files_digest(paths: list[Path]) -> str:
    """SHA-256 over the paths and bytes of `paths` (scenario files)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _write(directory: Path, path: Path, key: str, found: Found) -> None:
    diagnostics, related, count = found
    entry = {"key": key, "count": count, "diagnostics": [dataclasses.asdict(d) for d in diagnostics],
             "related": {str(i): [dataclasses.asdict(p) for p in positions]
                         for i, positions in related.items()}}
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not cache._trusted(directory, True):
            return
        handle, temporary = tempfile.mkstemp(prefix=".lint-", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(entry, stream)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        entries = sorted(directory.glob("lint-*.json"), key=lambda p: p.stat().st_mtime,
                         reverse=True)
        for old in entries[MAX_ENTRIES:]:
            old.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError):
        return
