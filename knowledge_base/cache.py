"""A disk cache of checked knowledge bases, so that a cold `groundwork …` skips parsing and checks.

The key is everything the checked knowledge base holds or depends on: its content hash, its
directory and the name it is shown under (positions in messages carry it), the engine version,
the Python version, and a fingerprint of the `dsl` package's own source, so that a changed
grammar, parser or checker never meets an AST it did not build. Only knowledge bases without
errors are cached.

A pickle runs code when it is loaded, so a cache file is trusted only as far as this user's own
files are: it is loaded only from a directory owned by this user and writable by no one else, only
if the file is a regular file owned by this user, and only if its header repeats the full key.
Anything else (another key, a truncated or corrupt file, an unreadable directory) is a miss, and
the knowledge base is built from source as if there were no cache.

Where: $GROUNDWORK_CACHE_DIR, else $XDG_CACHE_HOME/groundwork, else ~/.cache/groundwork.
GROUNDWORK_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

from dsl import kb as dsl_kb
from dsl.checked import CheckedKnowledgeBase

MAGIC = b"groundwork-kb-cache 1\n"
MAX_ENTRIES = 16  # each edit of a knowledge base makes a new entry; the oldest go


def cache_dir() -> Path | None:
    if os.environ.get("GROUNDWORK_NO_CACHE"):
        return None
    if os.environ.get("GROUNDWORK_CACHE_DIR"):
        return Path(os.environ["GROUNDWORK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "groundwork"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the dsl package's source files (the code that builds a checked AST)."""
    from engine import __version__

    root = Path(dsl_kb.__file__).parent
    digest = hashlib.sha256(f"{__version__}|{sys.version}".encode())
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".lark")):
        relative = path.relative_to(root).as_posix().encode()
        data = path.read_bytes()
        digest.update(len(relative).to_bytes(8, "big") + relative)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def cache_key(content_hash: str, root: str, display: str, variant: str = "") -> bytes:
    return f"{content_hash}|{root}|{display}|{code_fingerprint()}{variant}".encode("utf-8")


def load(root: str, display: str, content_hash: str,
         build: Callable[[str, str], CheckedKnowledgeBase],
         variant: str = "") -> CheckedKnowledgeBase:
    """The checked knowledge base from the cache, or built by `build(root, display)` and stored.
    `variant` tells apart entries built by different builders from the same files."""
    directory = cache_dir()
    if directory is None:
        return build(root, display)
    key = cache_key(content_hash, root, display, variant)
    path = directory / (hashlib.sha256(key).hexdigest()[:40] + ".pickle")
    cached = _read(path, key, content_hash)
    if cached is not None:
        return cached
    kb = build(root, display)
    _precompile(kb)
    _write(directory, path, key, kb)
    return kb


def _precompile(kb: CheckedKnowledgeBase) -> None:
    """Compile the approved rules now, so the cache entry holds them: a later cold process then
    skips compiling (and importing networkx for it). A knowledge base that does not compile is
    cached without; the error is met where the rules are run, as without a cache."""
    from dsl.errors import GroundworkError

    try:
        kb.compiled(drafts=False)
    except GroundworkError:
        pass


def _trusted(path: Path, is_directory: bool) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    right_kind = stat.S_ISDIR(info.st_mode) if is_directory else stat.S_ISREG(info.st_mode)
    others_can_write = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return right_kind and info.st_uid == os.getuid() and not others_can_write


def _read(path: Path, key: bytes, content_hash: str) -> CheckedKnowledgeBase | None:
    if not (_trusted(path.parent, True) and _trusted(path, False)):
        return None
    try:
        with path.open("rb") as stream:
            if stream.readline() != MAGIC or stream.readline() != key + b"\n":
                return None  # written for another knowledge base or another version of the code
            kb = pickle.load(stream)
    except Exception:  # noqa: BLE001 - a damaged cache file is a miss, never an error
        return None
    if not isinstance(kb, CheckedKnowledgeBase) or kb.content_hash != content_hash:
        return None
    return kb


def _write(directory: Path, path: Path, key: bytes, kb: CheckedKnowledgeBase) -> None:
    """Store atomically (write aside, rename); a cache that cannot be written is simply skipped."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(directory, True):
            return
        handle, temporary = tempfile.mkstemp(prefix=".kb-", dir=directory)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(MAGIC + key + b"\n")
                pickle.dump(kb, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _evict(directory)
    except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return


def _evict(directory: Path) -> None:
    entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        old.unlink(missing_ok=True)
