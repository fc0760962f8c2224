"""Example-driven syntax error messages.

Each entry pairs a message (and hint) with short broken texts that produce it; lark's
`match_examples` finds the entry whose examples fail in the same parser state as the user's text.
docs/dsl.md lists the same table, and tests/test_dsl_errors.py loops over it.
"""

from __future__ import annotations

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from dsl.facts import AROUSAL_CURRENT

# (message, hint, examples). Keep examples minimal: each must fail where the message says.
SYNTAX_ERRORS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("a rule needs 'when <condition>' after its header",
     "write the header fields, then 'when', then the condition, then 'then' and the actions",
     ('rule r1 { version "1.0.0" then recommend x }',)),
    ("a rule needs 'then' followed by at least one action",
     "after the condition write 'then' and actions such as 'recommend <intervention>'",
     ('rule r1 { when brainstem.band = severe }',
      'rule r1 { when brainstem.band = severe recommend x }')),
    ("a comparison needs a value after the operator",
     "compare with a band (typical, mild, moderate, severe), a state, a number, true or false",
     ('rule r1 { when brainstem.band >= then recommend x }',)),
    ("a condition needs a fact and a comparison here",
     f"for example 'brainstem.band >= moderate' or '{AROUSAL_CURRENT} in {{alarm, fear}}'",
     ('rule r1 { when then recommend x }',
      'rule r1 { when brainstem.band = severe and then recommend x }',
      'rule r1 { when brainstem.band = severe or then recommend x }')),
    ("a string is not closed",
     'close it with a double quote on the same line ("...")',
     ('rule r1 { title "open\n when a then derive b }',)),
    ("this is not a declaration",
     "a file holds declarations that start with knowledge_base, region, domain, bands, "
     "compromised, arousal, fact, review, intervention or rule",
     ('hello world', 'recommend x', 'when a then b')),
    ("unexpected end of file: a block is not closed",
     "close the rule or intervention with '}'",
     ('rule r1 { when a then derive b', 'intervention x { name "X"')),
)


_UNCLOSED = next(i for i, (message, _, _) in enumerate(SYNTAX_ERRORS)
                 if message.startswith("unexpected end of file"))


def explain_syntax_error(error: UnexpectedInput, text: str) -> tuple[str, str | None]:
    """A message and a hint for a syntax error, from the example table where one matches."""
    from dsl.parser import _parser  # circular at import time only

    label = None
    try:
        label = error.match_examples(_parser().parse, {
            index: list(examples) for index, (_, _, examples) in enumerate(SYNTAX_ERRORS)
        }, use_accepts=True)
    except Exception:  # a failed lookup must never hide the real syntax error
        label = None
    found = _what_was_found(error)
    escape = _bad_escape(error, text)
    if escape is not None:
        return (f"a string has an unknown escape '\\{escape}' (found {found})",
                'inside "…" write \\" for a double quote, \\\\ for a backslash and \\n for a new line')
    if label is None and found == "end of file" and "RBRACE" in (getattr(error, "expected", None) or ()):
        label = _UNCLOSED  # the file ends where a '}' could still come: whatever the last action
    if label is not None:
        message, hint, _ = SYNTAX_ERRORS[label]
        return f"{message} (found {found})", hint
    return f"unexpected {found}", _expected_hint(error)


def _bad_escape(error: UnexpectedInput, text: str) -> str | None:
    """The letter after a backslash that made a string on this line unreadable, if that is why."""
    if not isinstance(error, UnexpectedCharacters) or error.char != '"':
        return None
    lines = text.splitlines()
    if not 0 < error.line <= len(lines):
        return None
    rest, index = lines[error.line - 1][error.column:], 0
    while index < len(rest) and rest[index] != '"':
        if rest[index] == "\\":
            following = rest[index + 1:index + 2]
            if following not in ('"', "\\", "n"):
                return following or None  # a backslash at the end of the line: not closed
            index += 1
        index += 1
    return None


def _what_was_found(error: UnexpectedInput) -> str:
    if isinstance(error, UnexpectedEOF):
        return "end of file"
    if isinstance(error, UnexpectedToken):
        if error.token.type == "$END":
            return "end of file"
        return f"'{error.token}'"
    if isinstance(error, UnexpectedCharacters):
        return f"character '{error.char}'"
    return "input"


_FRIENDLY = {
    "ID": "a name", "NUMBER": "a number", "STRING": 'a "quoted text"', "COMPARATOR": "a comparison",
    "LBRACE": "'{'", "RBRACE": "'}'", "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "DOT": "'.'",
    "TRUE": "true", "FALSE": "false",
}


def _expected_hint(error: UnexpectedInput) -> str | None:
    expected = getattr(error, "expected", None) or getattr(error, "allowed", None)
    if not expected:
        return None
    names = sorted({_FRIENDLY.get(name, name.strip('"').lower()) for name in expected})
    if len(names) > 8:
        return None
    return "expected " + ", ".join(names)
