"""The trace: every firing in canonical order, with the facts it matched decoded back to the words
a rule uses (the profile fact durable-rules sees holds ranks and 0/1 fields; dsl/encoding.py)."""

from __future__ import annotations

from dsl.encoding import field_name
from dsl.evaluate import show_value
from dsl.facts import FactType
from dsl.vocabulary import Kind
from explain.context import Context
from explain.evidence import says
from explain.models import MatchedFact, Trace, TraceFiring

ORDER = ("canonical: by negation stratum, then rule id, then the facts matched; "
         "never the engine's thread timing")


def field_decoder(types: dict[str, FactType]) -> dict[str, tuple[str, str | None, FactType]]:
    """Encoded profile field → (fact path, set member or None, fact type)."""
    decoder: dict[str, tuple[str, str | None, FactType]] = {}
    for path, fact_type in types.items():
        if fact_type.kind is Kind.SET:
            for member in fact_type.members:
                decoder[field_name(path, member)] = (path, member, fact_type)
        else:
            decoder[field_name(path)] = (path, None, fact_type)
    return decoder


def decode(field: str, value, decoder) -> MatchedFact:
    if field not in decoder:
        return MatchedFact(fact=field, value=show_value(value))
    path, member, fact_type = decoder[field]
    if member is not None:
        return MatchedFact(fact=f"{path} has {member}", value="yes" if value else "no")
    if value is None:
        return MatchedFact(fact=path, value="unknown")
    if fact_type.scale:
        return MatchedFact(fact=path, value=fact_type.scale[int(value)])
    if fact_type.kind is Kind.BOOL:
        return MatchedFact(fact=path, value="true" if value else "false")
    return MatchedFact(fact=path, value=show_value(float(value)))


def _by(rules: str | tuple[str, ...]) -> str:
    names = rules.split("+") if isinstance(rules, str) else list(rules)
    return "derived by " + ", ".join(names)


def build_trace(ctx: Context) -> Trace:
    decoder = field_decoder(ctx.types)
    firings = []
    for index, firing in enumerate(ctx.outcome.firings, 1):
        rule = ctx.kb.rule(firing.rule_id)
        firings.append(TraceFiring(
            index=index, rule=firing.rule_id, version=firing.rule_version,
            stratum=firing.stratum, ruleset=firing.ruleset,
            matched=tuple(decode(f, v, decoder) for f, v in firing.matched),
            joined=tuple(MatchedFact(fact=fact, value=_by(by)) for fact, by in firing.derived_from),
            asserted=firing.asserted,
            # the defers of one catalog set read as the one line the rule wrote
            actions=tuple(dict.fromkeys(says(a) for a in rule.actions)) if rule else ()))
    derived = tuple(MatchedFact(fact=fact, value=_by(rules))
                    for fact, rules in sorted(ctx.outcome.derived.items()))
    return Trace(client_id=ctx.plan.client_id, order=ORDER, firings=tuple(firings),
                 derived=derived, provenance=ctx.plan.provenance)
