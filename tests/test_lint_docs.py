"""docs/dsl.md section 15 runs: each lint example gives its documented first line, and every
finding the analyses can report has an example (so a new check cannot go undocumented)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from groundwork.trainer.lint import lint_path
from tests.test_dsl_docs import BLOCKS, DISPLAY, make_kb

ROOT = Path(__file__).resolve().parent.parent
FILE_MARK = re.compile(r"^# file: (\S+)\n", re.M)


def lint_examples():
    out = []
    for block, following in zip(BLOCKS, BLOCKS[1:] + [None]):
        if "lint" in block.options:
            assert following is not None and following.lang == "text" and not following.options
            out.append((block, following.text.rstrip("\n").split("\n")))
    return out


EXAMPLES = lint_examples()


def files_of(block) -> dict[str, bytes]:
    """The files of an example: one `zz-example.gw`, or several after `# file: NAME` lines."""
    parts = FILE_MARK.split(block.text)
    if len(parts) == 1:
        return {block.options.get("file", "zz-example.gw"): block.text.encode()}
    return {name: body.encode() for name, body in zip(parts[1::2], parts[2::2])}


def first_line(tmp_path, monkeypatch, block, code: str) -> str:
    root = make_kb(tmp_path, block.options.get("base", "core"), {})
    for name, data in files_of(block).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    report = lint_path(Path(DISPLAY))
    found = [d for d in report.diagnostics if d.code == code]
    assert found, f"{code} not reported; got {[d.code for d in report.diagnostics]}"
    return found[0].render().split("\n")[0]


@pytest.mark.parametrize("block, expected", EXAMPLES,
                         ids=lambda v: f"dsl.md:{v.line}-{v.options['lint']}" if hasattr(v, "line") else "")
def test_lint_example_gives_the_documented_finding(block, expected, tmp_path, monkeypatch):
    assert first_line(tmp_path, monkeypatch, block, block.options["lint"]) == expected[0]


def reported_codes() -> set[str]:
    """Every finding code the lint analyses and the trainer tools can report."""
    codes = set()
    for folder in ("dsl/analysis", "groundwork/trainer"):
        for path in (ROOT / folder).glob("*.py"):
            codes |= set(re.findall(r"\"(W\d{3}|E4\d{2})\"", path.read_text(encoding="utf-8")))
    return codes


def test_every_lint_finding_is_documented_with_an_example():
    documented = {block.options["lint"] for block, _ in EXAMPLES}
    assert reported_codes() >= {"E401", "W310", "W330", "W350", "W360"}
    assert reported_codes() <= documented, sorted(reported_codes() - documented)


def regenerate() -> None:
    """Rewrite the printed line of every lint example in docs/dsl.md from what lint prints now:
    `python -m tests.test_lint_docs --regenerate` (then review the diff)."""
    import os
    import tempfile

    class _Chdir:
        def chdir(self, path):
            os.chdir(path)

    doc = ROOT / "docs" / "dsl.md"
    lines = doc.read_text(encoding="utf-8").split("\n")
    here = os.getcwd()
    for block, _ in EXAMPLES:
        actual = first_line(Path(tempfile.mkdtemp()), _Chdir(), block, block.options["lint"])
        os.chdir(here)
        index = block.line
        while not lines[index].startswith("```text"):
            index += 1
        lines[index + 1] = actual
    doc.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--regenerate"]:
        regenerate()
