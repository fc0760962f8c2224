"""docs/api.md runs: each python block prints exactly the text block after it (from the repo root)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```python\n(.*?)```\s*\n(?:prints\s*\n)?```text\n(.*?)```", re.S)


def _examples() -> list[tuple[str, str]]:
    return BLOCK.findall((ROOT / "docs" / "api.md").read_text(encoding="utf-8"))


def test_the_page_has_examples():
    assert len(_examples()) >= 2


@pytest.mark.parametrize("code, expected", _examples(), ids=lambda v: v.splitlines()[0][:30])
def test_each_example_prints_what_the_page_says(code, expected, monkeypatch):
    monkeypatch.chdir(ROOT)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "docs/api.md", "exec"), {"__name__": "docs_api"})
    assert printed.getvalue() == expected
