"""Editor support files: the TextMate grammar highlights every keyword of the rule language, and
the VS Code extension's manifest points at files that exist and starts `groundwork lsp`."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import ROOT

VSCODE = ROOT / "editors" / "vscode"
KEYWORDS = sorted(set(re.findall(r'"([a-z_]+)"', (ROOT / "dsl" / "grammar.lark")
                                 .read_text(encoding="utf-8"))))


def _patterns(node):
    if isinstance(node, dict):
        for key in ("match", "begin", "end"):
            if key in node:
                yield node.get("name", ""), node[key]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


GRAMMAR = json.loads((VSCODE / "syntaxes" / "groundwork.tmLanguage.json").read_text("utf-8"))


def test_every_pattern_compiles():
    for _, pattern in _patterns(GRAMMAR):
        re.compile(pattern)


@pytest.mark.parametrize("keyword", KEYWORDS)
def test_every_keyword_of_the_grammar_is_highlighted(keyword):
    """A keyword added to grammar.lark must be added to the TextMate grammar too."""
    assert any(re.fullmatch(pattern, keyword) for name, pattern in _patterns(GRAMMAR)
               if name.startswith(("keyword", "constant.language"))), keyword


def test_the_extension_manifest():
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert (VSCODE / manifest["main"]).is_file()
    language = manifest["contributes"]["languages"][0]
    assert language["extensions"] == [".gw"]
    assert (VSCODE / language["configuration"]).is_file()
    assert (VSCODE / manifest["contributes"]["grammars"][0]["path"]).is_file()
    assert 'args: ["lsp"]' in (VSCODE / "extension.js").read_text(encoding="utf-8")
