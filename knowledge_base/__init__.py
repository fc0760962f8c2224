"""The bundled knowledge base (data) and the loader that every interface uses."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dsl.kb import content_hash, load_knowledge_base
from dsl.checked import CheckedKnowledgeBase
from knowledge_base import cache

BUNDLED = Path(__file__).parent / "core"


def load(path: str | Path | None = None) -> CheckedKnowledgeBase:
    """Load a knowledge base directory (default: the bundled one), cached by content hash."""
    root = Path(path) if path is not None else BUNDLED
    display = str(path) if path is not None else "knowledge_base/core"
    if not root.is_dir():
        return load_knowledge_base(root, display)
    return _load_cached(str(root.resolve()), display, content_hash(root))


@lru_cache(maxsize=8)
def _load_cached(root: str, display: str, digest: str) -> CheckedKnowledgeBase:
    # In memory for this process; on disk (knowledge_base/cache.py) for the next one.
    return cache.load(root, display, digest, load_knowledge_base)
