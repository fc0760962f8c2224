"""The published explanation schema matches the model; the trace decodes what the engine saw."""

from __future__ import annotations

from pathlib import Path

from dsl.encoding import encode_profile
from dsl.evaluate import show_value
from explain.models import Explanation, schema_json
from explain.trace import build_trace, decode, field_decoder
from tests.explain_cases import all_cases, answers, context
from tests.helpers import ROOT

SCHEMA = ROOT / "docs" / "explanation.schema.json"


def test_published_schema_matches_the_model():
    assert SCHEMA.read_text(encoding="utf-8") == schema_json(), (
        "docs/explanation.schema.json is stale: run "
        "`python -m explain.models > docs/explanation.schema.json` and review the diff")


def test_every_answer_round_trips_through_the_schema_model():
    for case in all_cases():
        ctx = context(*case)
        for _, answer in answers(ctx):
            dumped = answer.model_dump_json()
            assert Explanation.model_validate_json(dumped).root == answer


def test_decoding_inverts_the_profile_encoding():
    ctx = context(*all_cases()[-1])
    decoder = field_decoder(ctx.types)
    profile = encode_profile(ctx.values, ctx.types, "s1")
    for field, encoded in profile.items():
        if field in ("t", "sid"):
            continue
        fact = decode(field, encoded, decoder)
        path, member, _ = decoder[field]
        if member is not None:
            assert fact.value == ("yes" if member in ctx.values[path] else "no")
        else:
            assert fact.value == show_value(ctx.values[path]), field


def test_trace_lists_every_firing_in_canonical_order_with_values():
    for case in all_cases():
        ctx = context(*case)
        trace = build_trace(ctx)
        assert [f.rule for f in trace.firings] == [f.rule_id for f in ctx.outcome.firings]
        assert [f.index for f in trace.firings] == list(range(1, len(trace.firings) + 1))
        for firing in trace.firings:
            for matched in firing.matched:
                path = matched.fact.split(" has ")[0]
                if " has " not in matched.fact:
                    expected = ctx.values.get(path)
                    assert matched.value == ("unknown" if expected in (None, "insufficient")
                                             else show_value(expected)), (firing.rule, matched)
        assert {m.fact for m in trace.derived} == set(ctx.outcome.derived)
        assert build_trace(ctx) == trace
