"""Reading JSON a user gave us, strictly and within bounds: one home for the input limits.

`json.loads` alone lets the last of two duplicate keys win silently (a second `arousal` block
would drop the first), turns 1,000 nested brackets into a RecursionError and a 4,300-digit
integer into a ValueError, and accepts NaN. Here every such document is bad input (exit 2, HTTP
4xx) with the place named: a line and column for the text, a field path for the value.

Every interface reads case JSON through `loads` (CLI files and standard input, batch lines, the
HTTP API, CDS Hooks prefetch, scenario files' assessments), so the limits below hold everywhere.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from dsl.errors import Diagnostic, GroundworkError, decode_utf8, read_utf8


@dataclass(frozen=True)
class Limits:
    """Far above any real assessment or FHIR response, far below what costs memory or time."""

    max_bytes: int = 1_000_000  # an assessment is a few kilobytes; the HTTP body limit is the same
    max_depth: int = 32  # a QuestionnaireResponse nests groups a few levels deep
    max_string: int = 10_000  # characters; ids are at most 64, FHIR item texts a few hundred
    max_list: int = 2_000  # items; an instrument has tens of items, each rated by a few informants
    max_digits: int = 18  # characters of a number (the integer bound below comes first)
    max_integer: int = 2**53 - 1  # JSON numbers are exact only this far (RFC 8785 hashes them)


LIMITS = Limits()

LIMIT_CODE = "E240"  # beyond a limit: file size, depth, string length, list length, number size
DUPLICATE_CODE = "E241"  # a key given twice in one object


class _Object(dict):
    """A decoded JSON object that remembers the keys it was given more than once."""

    duplicates: tuple[str, ...] = ()


class _TooLarge:
    """Stands for a number beyond the limit until the walk reports it with its path."""

    def __init__(self, text: str):
        self.digits = len(text)


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    out = _Object(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        twice = []
        for key, _ in pairs:
            if key in seen:
                twice.append(key)
            seen.add(key)
        out.duplicates = tuple(twice)
    return out


def _int(text: str) -> int | _TooLarge:
    if len(text.lstrip("-")) > LIMITS.max_digits:
        return _TooLarge(text)
    value = int(text)
    return value if abs(value) <= LIMITS.max_integer else _TooLarge(text)


def _float(text: str) -> float | _TooLarge:
    value = float(text)
    return value if math.isfinite(value) and len(text) <= 64 else _TooLarge(text)


def _constant(name: str):
    raise ValueError(f"{name} is not JSON")


def too_large(display: str, size: int, limits: Limits = LIMITS) -> GroundworkError:
    return GroundworkError([Diagnostic(
        LIMIT_CODE, f"the input is {size:,} bytes; at most {limits.max_bytes:,} are read",
        display, field_path="(file)",
        hint="one assessment is a few kilobytes; give a caseload to `groundwork batch` as a "
             "directory or a .jsonl file, one assessment per line")])


def read_text(path: str | Path, display: str | None = None, limits: Limits = LIMITS) -> str:
    """A file's UTF-8 text, refused before reading when it is larger than the limit; bytes that
    are not UTF-8 are an E201 at their line and column."""
    display = display or str(path)
    size = Path(path).stat().st_size
    if size > limits.max_bytes:
        raise too_large(display, size, limits)
    return read_utf8(path, display, "E201")


def read_stream(stream: BinaryIO, display: str, limits: Limits = LIMITS) -> str:
    """A stream's UTF-8 text (standard input), refused once it passes the limit: never more
    than the limit is held in memory."""
    data = stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise GroundworkError([Diagnostic(
            LIMIT_CODE, f"the input is more than {limits.max_bytes:,} bytes", display,
            field_path="(file)", hint="one assessment is a few kilobytes; give a caseload to "
                                      "`groundwork batch` as a directory or a .jsonl file")])
    return decode_utf8(data, display, "E201")


def loads(text: str, display: str, limits: Limits = LIMITS) -> Any:
    """The JSON value of `text`; every problem a GroundworkError naming where it is."""
    if len(text) > limits.max_bytes:
        raise too_large(display, len(text.encode("utf-8", "surrogatepass")), limits)
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float,
                           parse_constant=_constant)
    except json.JSONDecodeError as error:
        raise GroundworkError([_at(text, display, "E203", f"malformed JSON: {error.msg}",
                                   error.lineno, error.colno)]) from None
    except RecursionError:
        raise GroundworkError([_too_deep(text, display, limits)]) from None
    except ValueError as error:  # NaN, Infinity
        raise GroundworkError([Diagnostic("E203", f"malformed JSON: {error}", display,
                                          field_path="(file)")]) from None
    if _within(value, limits):  # the usual case, checked without building any path
        return value
    problems: list[Diagnostic] = []
    _walk(value, (), 0, display, limits, problems)
    if problems:
        raise GroundworkError(problems)
    return value


def _within(value: Any, limits: Limits) -> bool:
    """Whether `_walk` would find nothing: the same checks, level by level, without the paths
    the messages need (every case of a batch passes here; only a bad one is walked again). The
    value is what `loads` decoded, so its types are exactly these: compared by identity."""
    level, depth = [value], 0
    max_string, max_list = limits.max_string, limits.max_list
    while level:
        if depth > limits.max_depth:
            return False
        below: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is str:
                if len(item) > max_string:
                    return False
            elif kind is _Object:
                if item.duplicates:
                    return False
                for key in item:
                    if len(key) > max_string:
                        return False
                below.extend(item.values())
            elif kind is list:
                if len(item) > max_list:
                    return False
                below.extend(item)
            elif kind is _TooLarge:
                return False
        level, depth = below, depth + 1
    return True


def _walk(value: Any, where: tuple, depth: int, display: str, limits: Limits,
          problems: list[Diagnostic]) -> None:
    from engine.intake import field_path

    def problem(code: str, message: str, at: tuple = where) -> None:
        problems.append(Diagnostic(code, message, display, field_path=field_path(at)))

    if depth > limits.max_depth:
        problem(LIMIT_CODE, f"nested more than {limits.max_depth} levels deep")
        return
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", ()):
            problem(DUPLICATE_CODE, "this key is given twice in one object; keep one (JSON "
                                    "readers differ on which one wins)", where + (key,))
        for key, item in value.items():
            if len(key) > limits.max_string:
                problem(LIMIT_CODE, f"a key longer than {limits.max_string:,} characters")
                continue
            _walk(item, where + (key,), depth + 1, display, limits, problems)
    elif isinstance(value, list):
        if len(value) > limits.max_list:
            problem(LIMIT_CODE, f"a list of {len(value):,} items; at most {limits.max_list:,} are accepted")
            return
        for index, item in enumerate(value):
            _walk(item, where + (index,), depth + 1, display, limits, problems)
    elif isinstance(value, str):
        if len(value) > limits.max_string:
            problem(LIMIT_CODE, f"a text of {len(value):,} characters; at most "
                                f"{limits.max_string:,} are accepted")
    elif isinstance(value, _TooLarge):
        problem(LIMIT_CODE, f"a number of {value.digits:,} characters; numbers here are at most "
                            f"{limits.max_integer:,} (2^53 - 1, the largest JSON keeps exact)")


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _too_deep(text: str, display: str, limits: Limits) -> Diagnostic:
    """Where the nesting first goes deeper than the limit (only scanned when the parser gave up)."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limits.max_depth:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
                return _at(text, display, LIMIT_CODE,
                           f"nested more than {limits.max_depth} levels deep", line, column)
        elif token in "]}":
            depth -= 1
    return Diagnostic(LIMIT_CODE, f"nested more than {limits.max_depth} levels deep", display,
                      field_path="(file)")


def _at(text: str, display: str, code: str, message: str, line: int, column: int) -> Diagnostic:
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
    end = text.find("\n", start)
    source = text[start:end if end >= 0 else len(text)]
    if len(source) > 200:  # a one-line document: show the part around the column
        left = max(0, column - 100)
        source, column = source[left:left + 200], column - left
    return Diagnostic(code, message, display, line, column, source_line=source)
