"""canonical_json (engine/pipeline.py) is RFC 8785 on every JSON value: the fast path through the
standard library's encoder writes exactly the bytes the `rfc8785` package writes."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings, strategies as st

from engine.pipeline import _plain_json, canonical_json

SAFE = 2**53 - 1
keys = st.text(min_size=0, max_size=8)  # any text: non-ASCII keys take the rfc8785 path
leaves = (st.none() | st.booleans() | st.integers(-SAFE, SAFE)
          | st.text(max_size=30)  # control characters, quotes, backslashes, non-ASCII
          | st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3)  # lone surrogates
          | st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(keys, inner, max_size=5), max_leaves=30)


def _rfc8785(value) -> str | None:
    try:
        return rfc8785.dumps(value).decode("utf-8")
    except Exception:  # noqa: BLE001 - what rfc8785 refuses, canonical_json must refuse too
        return None


@settings(max_examples=2000, deadline=None)
@given(values)
def test_canonical_json_is_rfc8785(value):
    expected = _rfc8785(value)
    if expected is None:
        try:
            canonical_json(value)
        except Exception:  # noqa: BLE001
            return
        raise AssertionError("canonical_json accepted what RFC 8785 refuses")
    assert canonical_json(value) == expected


def test_an_assessment_takes_the_fast_path():
    import json
    from pathlib import Path
    for case in sorted((Path(__file__).parents[1] / "examples").glob("*.json")):
        raw = json.loads(case.read_text(encoding="utf-8"))
        assert _plain_json(raw), case.name
        assert canonical_json(raw) == rfc8785.dumps(raw).decode("utf-8")
    assert not _plain_json({"x": 1.5}) and not _plain_json({"é": 1}) and not _plain_json(2**60)
