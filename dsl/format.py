"""`groundwork fmt`: one canonical layout for rule files, driven by the grammar, keeping comments.

The layout is derived from the parse tree (with every token kept) and the grammar's block
structure, not from a printer per construct, so that a construct added to grammar.lark is laid
out without a change here:

- a top-level declaration is one line, unless it has a `{ … }` block;
- a block's fields (its sub-trees) stand one per line, indented by two spaces; a bare keyword in
  a block joins the one item that follows it (`when CONDITION`), and the block's last keyword
  stands alone above its items, indented once more (`then` and the actions);
- within a line, tokens are separated by one space, except around `.`, before `,` and `)`, after
  `(`, and inside a `{ … }` set;
- consecutive one-line declarations of the kinds in ALIGNED are aligned in columns;
- comments stay where they were: a comment on a line of its own stays above what followed it (so a
  `# lint: allow` comment keeps its meaning), a comment after code stays at the end of that line;
- blank lines: at most one in a row, as the author left them; one after every multi-line block.

The result parses to the same declarations (tests/editor/test_format.py checks it over generated
files), and formatting it again changes nothing.
"""

from __future__ import annotations

from typing import cast

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from dsl.errors import GroundworkError
from dsl.parser import _syntax_diagnostic, parse_text

INDENT = "  "
WIDTH = 100  # a line longer than this is wrapped before an `and` or `or` of its condition
CONDITIONS = frozenset({"and_cond", "or_cond"})  # the grammar's boolean operators
# One-line declarations laid out as a table when they follow each other.
ALIGNED = frozenset({"region_decl", "domain_decl", "reach_decl", "band_threshold"})
_COMMENT = re.compile(r"#[^\n]*")


@lru_cache(maxsize=1)
def _full_parser() -> Lark:
    # The same grammar, keeping every keyword and punctuation token in the tree.
    return Lark.open("grammar.lark", rel_to=__file__, parser="lalr", lexer="basic",
                     propagate_positions=True, keep_all_tokens=True, maybe_placeholders=False)


@dataclass
class _Line:
    indent: int
    parts: list[str]
    first: int  # source line of the first token
    last: int  # source line of the last token
    start: int  # source offset of the first token (comments before it go above the line)
    kind: str = ""  # the grammar rule of a one-line statement, for alignment
    comments: list[str] = field(default_factory=list)  # trailing comments
    block_end: bool = False  # the closing '}' of a top-level block
    block_start: bool = False  # the opening line of a top-level block

    def text(self, widths: list[int] | None = None) -> str:
        parts = self.parts
        if widths:
            parts = [p.ljust(widths[i]) if i < len(parts) - 1 else p for i, p in enumerate(parts)]
        body = INDENT * self.indent + " ".join(parts)
        if len(body) > WIDTH:
            body = _wrap(self.indent, parts)
        return body + "".join(f"  {c}" for c in self.comments)


def _wrap(indent: int, parts: list[str]) -> str:
    """Fill lines up to WIDTH, breaking only before the operators of a condition. Parentheses
    stay whole: only operators outside them break."""
    column = len(INDENT * indent)
    start = None
    segments: list[list[str]] = [[]]
    depth = 0
    for part in parts:
        if isinstance(part, _Start) and start is None and depth == 0:
            start = column + sum(len(p) + 1 for s in segments for p in s)
        if isinstance(part, _Break) and depth == 0 and start is not None:
            segments.append([])
        segments[-1].append(part)
        depth += part.count("(") - part.count(")")
    if start is None or len(segments) == 1:
        return INDENT * indent + " ".join(parts)
    lines = [INDENT * indent + " ".join(segments[0])]
    for segment in segments[1:]:
        text = " ".join(segment)
        if len(lines[-1]) + 1 + len(text) <= WIDTH:
            lines[-1] += " " + text
        else:
            lines.append(" " * start + text)
    return "\n".join(lines)


def format_text(text: str, path: str = "<text>") -> str:
    """The canonical layout of a rule file. Raises GroundworkError (E001) if it does not parse."""
    parse_text(text, path)  # the same syntax errors, with the same messages, as everywhere else
    try:
        tree = _full_parser().parse(text)
    except UnexpectedInput as error:  # pragma: no cover - parse_text has already refused it
        raise GroundworkError([_syntax_diagnostic(error, text, path)]) from None
    lines: list[_Line] = []
    for item in tree.children:
        _statement(item, 0, lines, top=True)
    tokens = sorted(_tokens(tree), key=lambda t: t.start_pos)
    comments = _comments(text, tokens)
    return _render(lines, comments, text.split("\n"))  # lark counts only \n


class _Break(str):
    """An `and`/`or` joining the operands of a condition: a line may be wrapped before it."""


class _Start(str):
    """The first word of a condition: wrapped lines are indented to line up with it."""


def _tokens(node):
    if isinstance(node, Token):
        yield node
    else:
        for child in node.children:
            yield from _tokens(child)


def _pieces(node, in_condition: bool = False):
    """The words of a node, with the operators where a long line may be wrapped marked."""
    if isinstance(node, Token):
        yield str(node)
        return
    starts = node.data in CONDITIONS and not in_condition
    for index, child in enumerate(node.children):
        if isinstance(child, Token) and node.data in CONDITIONS and child in ("and", "or"):
            yield _Break(child)
            continue
        for number, piece in enumerate(_pieces(child, in_condition or node.data in CONDITIONS)):
            yield _Start(piece) if starts and index == 0 and number == 0 else piece


def _is_brace(node, value: str) -> bool:
    return isinstance(node, Token) and node == value


def _statement(node, indent: int, lines: list[_Line], top: bool = False) -> None:
    """A line-level node: one line, or a block of lines if it opens `{`."""
    children = node.children if isinstance(node, Tree) else [node]
    opening = next((i for i, c in enumerate(children) if _is_brace(c, "{")), None)
    if opening is None or not isinstance(node, Tree):
        lines.append(_line(indent, _inline(node), list(_tokens(node)),
                           kind=node.data if isinstance(node, Tree) else ""))
        return
    head = children[:opening + 1]
    head_tokens = [t for c in head for t in _tokens(c)]
    lines.append(_line(indent, _join([t for c in head for t in _inline(c)]), head_tokens))
    lines[-1].block_start = top
    closing = max(i for i, c in enumerate(children) if _is_brace(c, "}"))
    _block_body(children[opening + 1:closing], indent + 1, lines)
    end = cast(Token, children[closing])  # a brace is a token (_is_brace)
    lines.append(_line(indent, ["}"], [end], block_end=top))


def _line(indent: int, parts: list[str], tokens: list[Token], kind: str = "",
          block_end: bool = False) -> _Line:
    # Tokens from the parser always carry positions (propagate_positions); lark types them optional.
    first, last = tokens[0], tokens[-1]
    return _Line(indent, parts, first.line or 0, last.end_line or 0, first.start_pos or 0, kind,
                 block_end=block_end)


def _block_body(children: list, indent: int, lines: list[_Line]) -> None:
    keywords = [i for i, c in enumerate(children) if isinstance(c, Token)]
    last_keyword = keywords[-1] if keywords else None
    index = 0
    while index < len(children):
        child = children[index]
        if isinstance(child, Tree):
            _statement(child, indent, lines)
            index += 1
            continue
        if index == last_keyword and index + 1 < len(children):
            lines.append(_line(indent, [str(child)], [child]))
            for item in children[index + 1:]:
                _statement(item, indent + 1, lines)
            return
        # a keyword and the one item after it, on one line (`when CONDITION`)
        following = children[index + 1] if index + 1 < len(children) else None
        group = [child] + ([following] if isinstance(following, Tree) else [])
        tokens = [t for g in group for t in _tokens(g)]
        lines.append(_line(indent, _join([p for g in group for p in _inline(g)]), tokens))
        index += len(group)


def _inline(node) -> list[str]:
    """The parts of a node laid out on one line (before column alignment and wrapping)."""
    return _join(list(_pieces(node)))


def _join(pieces: list[str]) -> list[str]:
    """Words separated by spaces become parts; punctuation sticks to its neighbours."""
    parts: list[str] = []
    glue_next = False
    depth = 0  # inside a `{ … }` set on one line
    for piece in pieces:
        if piece == "{" and parts:
            parts.append(piece)
            glue_next, depth = True, depth + 1
            continue
        stick = glue_next or piece in (",", ".", ")") or (piece == "}" and depth > 0)
        if parts and stick:
            parts[-1] = type(parts[-1])(parts[-1] + piece)
        else:
            parts.append(piece)
        if piece == "}" and depth > 0:
            depth -= 1
        glue_next = piece in (".", "(")
    return parts


def _comments(text: str, tokens: list[Token]) -> list[tuple[int, int, str, bool]]:
    """(offset, source line, comment, on a line of its own?) for every comment, in order."""
    out = []
    previous_end, previous_line = 0, 0
    boundaries = [(t.start_pos or 0, t.end_pos or 0, t.end_line or 0) for t in tokens] \
        + [(len(text), len(text), 0)]
    for start, end, end_line in boundaries:
        for match in _COMMENT.finditer(text, previous_end, start):
            line = text.count("\n", 0, match.start()) + 1
            out.append((match.start(), line, match.group(0).rstrip(), line != previous_line))
        previous_end, previous_line = end, end_line
    return out


def _render(lines: list[_Line], comments, source: list[str]) -> str:
    """Place the comments, the blank lines and the column alignment; join."""
    out: list[str] = []
    previous_last = 0  # the source line the previous output line ended on
    after_block = before_block = False

    def blank_between(a: int, b: int) -> bool:
        return any(not source[i - 1].strip() for i in range(a + 1, b) if 0 < i <= len(source))

    def space(wanted_by_source: bool, closing: bool = False) -> None:
        nonlocal before_block
        opens = bool(out) and out[-1].endswith("{")
        _blank(out, after_block or before_block or (wanted_by_source and not opens and not closing))
        before_block = False

    # a comment after code belongs to the line holding the code before it
    starts = [line.start for line in lines]
    trailing: dict[int, list[str]] = {}
    own: dict[int, list[tuple[int, str]]] = {}  # comments above line i (len(lines): at the end)
    for offset, line_number, comment, alone in comments:
        if alone:
            index = next((i for i, start in enumerate(starts) if start > offset), len(lines))
            own.setdefault(index, []).append((line_number, comment))
        else:
            index = max((i for i, start in enumerate(starts) if start < offset), default=0)
            trailing.setdefault(index, []).append(comment)
    for index, mine in list(trailing.items()):  # several lines joined into one: all but the
        if len(mine) > 1:                         # last comment go above it
            own.setdefault(index, []).extend((lines[index].first, c) for c in mine[:-1])
            trailing[index] = mine[-1:]
    widths = _alignment(lines, own, blank_between)
    for number, line in enumerate(lines + [None]):
        indent = 0 if line is None else line.indent + (1 if line.parts == ["}"] else 0)
        before_block = line is not None and line.block_start  # with the comments above it
        for comment_line, comment in own.get(number, ()):
            space(bool(previous_last) and blank_between(previous_last, comment_line))
            after_block = False
            out.append(INDENT * indent + comment)
            previous_last = comment_line
        if line is None:
            break
        space(bool(previous_last) and blank_between(previous_last, line.first),
              closing=line.parts == ["}"])
        after_block = False
        line.comments = trailing.get(number, [])
        out.append(line.text(widths.get(number)))
        previous_last = line.last
        after_block = line.block_end and number + 1 < len(lines)
    return "\n".join(out).rstrip("\n") + "\n" if out else ""


def _blank(out: list[str], wanted) -> None:
    if wanted and out and out[-1] != "":
        out.append("")


def _alignment(lines: list[_Line], own, blank_between) -> dict[int, list[int]]:
    """Column widths for runs of consecutive aligned one-line statements of the same kind."""
    widths: dict[int, list[int]] = {}
    run: list[int] = []

    def close() -> None:
        if len(run) > 1:
            columns = max(len(lines[i].parts) for i in run)
            sizes = [max((len(lines[i].parts[c]) for i in run if c < len(lines[i].parts) - 1),
                         default=0) for c in range(columns)]
            for i in run:
                widths[i] = sizes
        run.clear()

    for number, line in enumerate(lines):
        previous = lines[number - 1] if number else None
        joined = (previous is not None and line.kind in ALIGNED and previous.kind == line.kind
                  and line.indent == previous.indent and number not in own
                  and not blank_between(previous.last, line.first))
        if not joined:
            close()
        if line.kind in ALIGNED:
            run.append(number)
    close()
    return widths
