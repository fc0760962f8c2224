"""The QA audit: an append-only, hash-chained record of every plan, replayable under its own KB.

Modules: schema (tables and migrations), chain (record hashes), store (SQLite, one transaction per
record), trace (firings as JSON), verify, diff (plan against plan), replay, history, export,
feedback (the override-reason vocabulary). docs/audit.md describes the store and the commands.
"""
