"""docs/audit.md documents the one feedback vocabulary and every audit error code."""

from __future__ import annotations

import re

from engine.audit.feedback import OVERRIDE_REASONS
from tests.helpers import ROOT

DOC = (ROOT / "docs" / "audit.md").read_text()


def test_every_override_reason_is_documented_with_its_meaning():
    for code, meaning in OVERRIDE_REASONS.items():
        assert f"| `{code}` | {meaning} |" in DOC


def test_every_audit_error_code_is_documented():
    sources = [*(ROOT / "engine" / "audit").glob("*.py"), ROOT / "groundwork" / "cli" / "audit.py"]
    used = {code for path in sources for code in re.findall(r'"(E7\d\d)"', path.read_text())}
    documented = set(re.findall(r"^\| (E7\d\d) \|", DOC, re.M))
    documented |= {f"E72{i}" for i in range(5)}  # one row for the feedback codes E720–E724
    assert used and used <= documented, used - documented
