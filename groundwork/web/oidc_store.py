"""Sign-ins begun with the identity provider and not yet finished, in the audit store beside the
sessions (an operational table, never a record; created on first use, as cds_store's tables are).

A row lives from the redirect to the provider until the browser comes back, at most
PENDING_SECONDS, and is taken (read and deleted in one transaction) by the first callback that
names its state: a state is good once, in whichever worker of `groundwork serve --workers N`
the callback lands. The state and the browser's binding cookie are kept only as SHA-256 hashes;
the nonce and the PKCE verifier are kept as they are, since both must be sent again, and only
for those few minutes.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from engine.audit.transaction import immediate
from groundwork.web import plans
from groundwork.web.settings import Settings

PENDING_SECONDS = 600  # from the redirect to the provider to the callback: time to sign in there

SCHEMA = """CREATE TABLE IF NOT EXISTS oidc_pending (
    state_hash   TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    expires      REAL NOT NULL
) WITHOUT ROWID"""


@dataclass(frozen=True)
class Pending:
    """A sign-in begun here: what the callback needs to finish it."""

    browser_hash: str
    nonce: str
    verifier: str
    expires: float

    def from_browser(self, binding: str | None) -> bool:
        return binding is not None and _hash(binding) == self.browser_hash

    @property
    def expired(self) -> bool:
        return self.expires <= time.time()


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def begin(settings: Settings, state: str, binding: str, nonce: str, verifier: str) -> None:
    """Keep a new sign-in's state (forgetting every expired one)."""
    now = time.time()
    with plans.open_store(settings, mode="create") as store, store.operational() as conn:
        conn.execute(SCHEMA)
        with immediate(conn):
            conn.execute("DELETE FROM oidc_pending WHERE expires <= ?", (now,))
            conn.execute("INSERT INTO oidc_pending VALUES (?, ?, ?, ?, ?)",
                         (_hash(state), _hash(binding), nonce, verifier, now + PENDING_SECONDS))


def take(settings: Settings, state: str) -> Pending | None:
    """The sign-in with this state, removed as it is read: None when there is none (never begun
    here, or taken already). An expired one is returned too, for the caller to say so."""
    with plans.open_store(settings, mode="create") as store, store.operational() as conn:
        conn.execute(SCHEMA)
        with immediate(conn):
            row = conn.execute("SELECT browser_hash, nonce, verifier, expires FROM oidc_pending "
                               "WHERE state_hash = ?", (_hash(state),)).fetchone()
            conn.execute("DELETE FROM oidc_pending WHERE state_hash = ?", (_hash(state),))
    return Pending(*row) if row else None
