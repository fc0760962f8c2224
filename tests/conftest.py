import os

import pytest


@pytest.fixture(autouse=True)
def _audit_db_in_tmp(tmp_path, monkeypatch):
    """Never write to the user's audit store from a test."""
    monkeypatch.setenv("GROUNDWORK_DB", str(tmp_path / "audit.sqlite"))
    yield
