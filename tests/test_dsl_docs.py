"""docs/dsl.md runs: every construct example loads clean, every error example gives its message.

The conventions (which code blocks are run, and how) are described in section 1 of docs/dsl.md.
A further test reads the error messages out of the dsl/ source and checks that each one has a
documented example, so that a new message cannot be added without documenting it.
"""

from __future__ import annotations

import ast as pyast
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dsl.compile import compile_knowledge_base
from dsl.errors import GroundworkError
from dsl.kb import load_knowledge_base
from dsl.syntax_messages import SYNTAX_ERRORS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "dsl.md"
CORE = ROOT / "knowledge_base" / "core"
DISPLAY = "KB"
EXAMPLE_FILE = "zz-example.gw"
CONSTRUCT_KINDS = ("", "catalog", "model", "condition", "actions")

RULE_HEADER = """  version "1.0.0" title "Doc example" status approved evidence practice
  source "docs/dsl.md" author "docs" rationale "An example from the documentation."
"""


@dataclass(frozen=True)
class Block:
    """One fenced code block of the documentation."""

    lang: str
    words: tuple[str, ...]
    options: dict = field(hash=False)
    text: str
    line: int  # where the block opens in docs/dsl.md

    @property
    def kind(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class ErrorExample:
    block: Block
    expected: tuple[str, ...]

    @property
    def code(self) -> str:
        return self.block.options["error"]


def read_blocks(path: Path = DOC) -> list[Block]:
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = lines[index]
        if not opening.startswith("```"):
            index += 1
            continue
        info = opening[3:].split()
        end = lines.index("```", index + 1)
        words = tuple(w for w in info[1:] if "=" not in w)
        options = dict(w.split("=", 1) for w in info[1:] if "=" in w)
        blocks.append(Block(info[0] if info else "", words, options,
                            "\n".join(lines[index + 1:end]) + "\n", index + 1))
        index = end + 1
    return blocks


BLOCKS = read_blocks()


def error_examples() -> list[ErrorExample]:
    examples = []
    for block, following in zip(BLOCKS, BLOCKS[1:] + [None]):
        if "error" in block.options:
            assert following is not None and following.lang == "text" and not following.options, \
                f"docs/dsl.md:{block.line}: an error example needs a ```text block after it"
            examples.append(ErrorExample(block, tuple(following.text.rstrip("\n").split("\n"))))
    return examples


ERRORS = error_examples()
CONSTRUCTS = [b for b in BLOCKS if b.lang == "gw" and not b.options and b.kind in CONSTRUCT_KINDS
              and b.kind != "catalog"]
CATALOG = "".join(b.text + "\n" for b in BLOCKS if b.lang == "gw" and b.kind == "catalog")


def _id(block: Block) -> str:
    return f"dsl.md:{block.line}"


# ---- building knowledge bases from examples ----

def make_kb(tmp_path: Path, base: str, files: dict[str, bytes]) -> Path:
    """A knowledge base directory called KB: the base named by the example, then its files."""
    root = tmp_path / DISPLAY
    if base == "missing":
        return root
    root.mkdir()
    if base in ("core", "instrument"):
        shutil.copy(CORE / "instrument.toml", root / "instrument.toml")
    if base in ("core", "model"):
        shutil.copy(CORE / "00-model.gw", root / "00-model.gw")
        (root / "10-catalog.gw").write_text(CATALOG, encoding="utf-8")
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


def load_and_compile(root: Path):
    kb = load_knowledge_base(root, DISPLAY)
    compile_knowledge_base(kb, drafts=True)
    return kb


def construct_source(block: Block) -> str:
    """The rule file a construct example stands for."""
    if block.kind == "condition":
        return (f"rule doc-condition {{\n{RULE_HEADER}  when {block.text.strip()}\n"
                '  then flag info DOC_EXAMPLE "Example."\n}\n')
    if block.kind == "actions":
        return (f"rule doc-actions {{\n{RULE_HEADER}  when brainstem.band >= moderate\n"
                f"  then\n    {block.text.strip()}\n}}\n")
    return block.text


# ---- the documentation is well formed ----

def test_the_documentation_has_examples_of_both_kinds():
    assert len(ERRORS) >= 80
    assert len(CONSTRUCTS) >= 30
    assert len(re.findall(r"^intervention ", CATALOG, re.M)) == 4


def test_the_catalog_of_the_examples_loads_with_the_core_model(tmp_path):
    kb = load_and_compile(make_kb(tmp_path, "core", {}))
    assert {"dyadic-play", "rhythmic-walk", "talking-therapy"} <= set(kb.interventions)


# ---- construct examples ----

@pytest.mark.parametrize("block", CONSTRUCTS, ids=_id)
def test_construct_example_loads_clean(block, tmp_path):
    source = construct_source(block).encode("utf-8")
    if block.kind == "model":
        root = make_kb(tmp_path, "instrument", {EXAMPLE_FILE: source})
    else:
        root = make_kb(tmp_path, "core", {EXAMPLE_FILE: source})
    kb = load_and_compile(root)
    assert not [w for w in kb.warnings if w.path.endswith(EXAMPLE_FILE)]


# ---- error examples ----

@pytest.mark.parametrize("example", ERRORS, ids=lambda e: f"{_id(e.block)}-{e.code}")
def test_error_example_gives_the_documented_message(example, tmp_path):
    options = example.block.options
    data = example.block.text.encode(options.get("encoding", "utf-8"))
    root = make_kb(tmp_path, options.get("base", "core"),
                   {options.get("file", EXAMPLE_FILE): data})
    with pytest.raises(GroundworkError) as raised:
        load_and_compile(root)
    first = raised.value.first
    assert first.code == example.code
    head = example.expected[0]
    position = re.match(r"^[^:]+:(\d+):(\d+): ", head)
    if position:
        assert (first.line, first.column) == (int(position[1]), int(position[2]))
    else:
        assert first.line is None
    shown = first.render().split("\n")
    assert shown[:len(example.expected)] == list(example.expected)
    # What a user sees begins with the same message.
    assert raised.value.render().split("\n")[0] == head


# ---- every message in the code has a documented example ----

def _pieces(node) -> list[str]:
    """The constant text pieces of a message expression, in order."""
    if isinstance(node, pyast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, pyast.JoinedStr):
        return [p.value for p in node.values if isinstance(p, pyast.Constant)]
    if isinstance(node, pyast.BinOp):  # f"unknown region '{x}'" + _suggest(...)
        return _pieces(node.left)
    return []


def source_messages() -> list[tuple[str, str, list[str]]]:
    """(file, code, constant pieces) of every error message the parser and checker can give."""
    found = []
    for path in sorted((ROOT / "dsl").rglob("*.py")):
        if "analysis" in path.relative_to(ROOT).parts:
            continue  # lint findings: section 15, checked by tests/test_lint_docs.py
        tree = pyast.parse(path.read_text(encoding="utf-8"))
        for call in (n for n in pyast.walk(tree) if isinstance(n, pyast.Call)):
            name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
            args = call.args
            if name in ("add", "Diagnostic") and len(args) >= 2 and \
                    isinstance(args[0], pyast.Constant) and re.fullmatch(r"E\d{3}", str(args[0].value)):
                found.append((path.name, args[0].value, _pieces(args[1])))
            elif name == "_field" and len(args) == 4:  # instrument problems, always E170
                found.append((path.name, "E170", _pieces(args[3])))
        if path.name == "syntax_messages.py":  # (message, hint) pairs returned for E001
            for node in pyast.walk(tree):
                if isinstance(node, pyast.Return) and isinstance(node.value, pyast.Tuple):
                    found.append((path.name, "E001", _pieces(node.value.elts[0])))
    return found


def _message(line: str) -> str:
    """The message part of a rendered first line."""
    match = re.match(r"^.*?: (?:error|warning): E\d{3}: (.*)$", line)
    if match:
        return match[1]
    return line.split(": ", 2)[-1]  # `path: field.path: message`


def _documented(code: str, pieces: list[str]) -> bool:
    for example in ERRORS:
        if example.code != code:
            continue
        message, at = _message(example.expected[0]), 0
        for piece in pieces:
            at = message.find(piece, at)
            if at < 0:
                break
            at += len(piece)
        else:
            return True
    return False


def test_the_source_scan_finds_the_messages():
    codes = {code for _, code, _ in source_messages()}
    assert {"E001", "E100", "E110", "E140", "E150", "E170", "E180", "E181"} <= codes
    assert len(source_messages()) >= 60


@pytest.mark.parametrize("file, code, pieces", source_messages(),
                         ids=lambda value: value if isinstance(value, str) else None)
def test_every_message_in_the_code_is_documented(file, code, pieces):
    assert _documented(code, pieces), (
        f"dsl/{file}: {code} {''.join(p + '…' for p in pieces)!r} has no example in docs/dsl.md")


@pytest.mark.parametrize("message", [m for m, _, _ in SYNTAX_ERRORS])
def test_every_syntax_message_is_documented(message):
    assert any(e.code == "E001" and f": E001: {message} (found " in e.expected[0] for e in ERRORS)
