"""Who is calling: this server's token (the operator), or a user's personal token
(engine/audit/users.py), checked against the audit store, with a short cache so that the scrypt
hash is not recomputed on every request."""

from __future__ import annotations

import hashlib
import threading
import time

from dsl.errors import GroundworkError
from engine.audit.store import AuditStore
from engine.audit.users import User

CACHE_SECONDS = 60.0  # a disabled user's token stops working within a minute on a running server
_cache: dict[tuple[str, str], tuple[User | None, float]] = {}
_lock = threading.Lock()


def user_for(settings, token: str) -> User | None:
    """The enabled user whose token this is, or None (unknown, disabled, or no store yet)."""
    key = (str(settings.db), hashlib.sha256(token.encode("utf-8")).hexdigest())
    now = time.monotonic()
    with _lock:
        found = _cache.get(key)
        if found is not None and found[1] > now:
            return found[0]
    try:
        with AuditStore.open(settings.db) as store:
            user = store.signed_in(token)
    except GroundworkError:
        user = None
    with _lock:
        if len(_cache) > 1000:
            _cache.clear()
        _cache[key] = (user, now + CACHE_SECONDS)
    return user


def forget() -> None:
    """Drop the cache (tests; a server restart does the same)."""
    with _lock:
        _cache.clear()
