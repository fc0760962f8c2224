"""One write transaction on the store's connection: `BEGIN IMMEDIATE … COMMIT`, rolled back on any
exception. The connection is in autocommit mode (isolation_level=None), so transactions are
explicit; IMMEDIATE takes the write lock at the start, so writers queue instead of failing midway."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
