"""One registry of error and warning codes (dsl/codes.py): complete, documented, and the source of
docs/errors.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsl import codes
from dsl.codes import CODES

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dsl", "engine", "explain", "groundwork", "knowledge_base")
CODE = re.compile(r"""["']([EW]\d{3})["']""")


def _used() -> dict[str, list[str]]:
    """Every code written as a string literal in the product's source, with where."""
    found: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "codes.py":
                continue
            for code in CODE.findall(path.read_text(encoding="utf-8")):
                found.setdefault(code, []).append(path.relative_to(ROOT).as_posix())
    return found


def test_docs_errors_md_is_generated_from_the_registry():
    written = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert written == codes.render() + "\n", "run: python -m dsl.codes > docs/errors.md"


def test_every_code_in_the_source_is_declared_once():
    declared = [c.code for c in CODES]
    assert len(declared) == len(set(declared))
    missing = {code: where for code, where in _used().items() if code not in codes.BY_CODE}
    assert missing == {}, "declare these codes in dsl/codes.py (then regenerate docs/errors.md)"


def test_every_declared_code_is_used():
    assert sorted(set(codes.BY_CODE) - set(_used())) == []


def _slugs(document: Path) -> set[str]:
    text = document.read_text(encoding="utf-8")
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {codes.section("", h).lstrip("#") for h in headings} | set(re.findall(r'id="([^"]+)"', text))


def _mentions(text: str, code: str) -> bool:
    """The code itself, or a range such as E720–E724 that holds it."""
    ranges = re.findall(rf"{code[0]}(\d{{3}})[–-]{code[0]}(\d{{3}})", text)
    return code in text or any(int(low) <= int(code[1:]) <= int(high) for low, high in ranges)


@pytest.mark.parametrize("code", CODES, ids=lambda c: c.code)
def test_every_code_is_documented_where_it_says(code):
    document, _, anchor = code.doc.partition("#")
    path = ROOT / document
    assert path.is_file(), code.doc
    if anchor:
        assert anchor in _slugs(path), f"{code.code}: no heading for #{anchor} in {document}"
        assert _mentions(path.read_text(encoding="utf-8"), code.code), f"{document} never names {code.code}"
    else:
        assert f"### {code.code}" in codes.render(), f"{code.code} needs a text in codes.EXPLAINED"
    assert code.title and code.exit_code in (1, 2, 3)
    assert (code.severity == "warning") == code.code.startswith("W")


def test_no_reference_to_a_missing_document():
    for path in [*ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md"),
                 *(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))]:
        for name in re.findall(r"docs/([\w.-]+\.md)", path.read_text(encoding="utf-8")):
            assert (ROOT / "docs" / name).is_file(), f"{path.relative_to(ROOT)} names docs/{name}"
