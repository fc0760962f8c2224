"""Shared test set-up."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _audit_db_in_tmp(tmp_path, monkeypatch):
    """Never write to the user's audit store from a test."""
    monkeypatch.setenv("GROUNDWORK_DB", str(tmp_path / "audit.sqlite"))
    yield


@pytest.fixture(autouse=True, scope="session")
def _private_knowledge_base_cache(tmp_path_factory):
    """The knowledge-base disk cache (knowledge_base/cache.py) goes to a temporary directory, never
    the user's: CLI subprocesses inherit the variable."""
    previous = os.environ.get("GROUNDWORK_CACHE_DIR")
    os.environ["GROUNDWORK_CACHE_DIR"] = str(tmp_path_factory.mktemp("kb-cache"))
    yield
    if previous is None:
        os.environ.pop("GROUNDWORK_CACHE_DIR", None)
    else:
        os.environ["GROUNDWORK_CACHE_DIR"] = previous
