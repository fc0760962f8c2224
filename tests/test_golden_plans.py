"""The example clients' plans match their reviewed golden files (regenerate: `make golden`)."""

from __future__ import annotations

import pytest

from tests.golden import expected_files
from tests.helpers import ROOT


@pytest.mark.parametrize("golden, case, produce", expected_files(),
                         ids=[p.name for p, _, _ in expected_files()])
def test_example_output_matches_its_golden_file(golden, case, produce, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert golden.exists(), f"missing {golden.name}: run `make golden` and review it"
    assert produce(case) == golden.read_text(encoding="utf-8"), (
        f"{golden.name} differs: if the change is intended, run `make golden` and review the diff")
