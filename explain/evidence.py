"""Rules, derived facts and scores as evidence: each traced back to the client's ratings."""

from __future__ import annotations

import math
from typing import Literal

from dsl import ast
from dsl.evaluate import describe, show_value
from explain.conditions import check_of, first_failing, tests
from explain.context import Context
from explain.models import (Check, DerivedFact, FactValue, ItemRating, RuleEvidence, RuleMiss,
                            ScoreEvidence)

def says(action: ast.Action) -> str:
    """An action as the rule writes it."""
    if isinstance(action, ast.Recommend):
        extra = f" priority {action.priority}" if action.priority is not None else ""
        extra += f" in {', '.join(action.settings)}" if action.settings else ""
        return f"recommend {action.intervention}{extra}"
    if isinstance(action, ast.Avoid):
        return f'avoid {action.intervention} because "{action.reason}"'
    if isinstance(action, (ast.Defer, ast.DeferEvery)):
        return f"defer {ast.deferred_name(action)} until {describe(action.until)}"
    if isinstance(action, ast.Flag):
        return f'flag {action.severity} {action.code} "{action.message}"'
    if isinstance(action, ast.Derive):
        return f"derive {action.fact}"
    if isinstance(action, ast.NoAction):
        return f'no action needed because "{action.reason}"'
    if isinstance(action, ast.Guide):
        return f'guide {action.state} {action.kind} "{action.text}"'
    return (f"scale dose of {action.phase} work: minutes x{action.minutes_factor:g}, "
            f"frequency x{action.frequency_factor:g}")


def _says_of_member(action: ast.Action, intervention: str | None) -> str:
    """What the rule says; for a defer of a catalog set, also which member this is."""
    if intervention is not None and isinstance(action, ast.Defer) and action.via is not None:
        return f"{says(action)} ({intervention} is one of them)"
    return says(action)


def _about(action: ast.Action, intervention: str | None) -> bool:
    return intervention is None or getattr(action, "intervention", None) == intervention


def location(rule: ast.Rule) -> str:
    return f"{rule.pos.file}:{rule.pos.line}"


def rule_evidence(ctx: Context, rule: ast.Rule, intervention: str | None = None,
                  seen: frozenset[str] = frozenset()) -> RuleEvidence:
    """A rule with its conditions evaluated and the chain behind every derived fact it uses."""
    names = list(dict.fromkeys(name for name, _ in ast.fact_refs(rule.when)))
    chain = seen | {rule.id}
    return RuleEvidence(
        rule=rule.id, version=rule.version or "", title=rule.title or "", status=rule.status or "",
        evidence=rule.evidence or "", rationale=rule.rationale or "", source=rule.source or "",
        location=location(rule), conditions=check_of(ctx.evaluate(rule.when)),
        says=tuple(_says_of_member(a, intervention) for a in rule.actions
                   if _about(a, intervention)),
        derived_facts=tuple(derived_fact(ctx, name, chain) for name in names))


def derived_fact(ctx: Context, name: str, seen: frozenset[str]) -> DerivedFact:
    declared = ctx.kb.facts.get(name)
    description = declared.description if declared else name
    if name in ctx.derived:
        # Stratified rules make this chain acyclic; `seen` only guards against a bad KB.
        rules = [ctx.kb.rule(r) for r in ctx.outcome.derived[name] if r not in seen]
        return DerivedFact(fact=name, description=description, derived=True,
                           derived_by=tuple(rule_evidence(ctx, r, None, seen) for r in rules if r))
    could = [r for r in ctx.kb.rules if r.id not in seen
             and any(isinstance(a, ast.Derive) and a.fact == name for a in r.actions)]
    return DerivedFact(fact=name, description=description, derived=False,
                       could_derive=tuple(rule_miss(ctx, r, seen) for r in could))


def rule_miss(ctx: Context, rule: ast.Rule, seen: frozenset[str] = frozenset()) -> RuleMiss:
    check = check_of(ctx.evaluate(rule.when))
    notes = {"draft": "a draft rule: it runs only with --drafts",
             "retired": "a retired rule: it never runs"}
    note = notes.get(rule.status or "")
    if rule.status == "draft" and ctx.plan.provenance.drafts:
        note = None  # drafts ran: a draft that did not fire failed a condition like any rule
    if check.holds:
        note = f"{note}; its conditions hold now" if note else "its conditions hold now"
    failing = first_failing(check)
    chain = None
    if failing is not None and failing.fact in ctx.kb.facts:
        chain = derived_fact(ctx, failing.fact, seen | {rule.id})
    return RuleMiss(rule=rule.id, version=rule.version or "", title=rule.title or "",
                    status=rule.status or "", location=location(rule),
                    first_failing=failing, note=note, derived_fact=chain)


# ---- back to the assessment ----

def all_checks(rules: tuple[RuleEvidence, ...], extra: tuple[Check, ...] = ()):
    """Every single test in the rules, their derived-fact chains and `extra`."""
    for check in extra:
        yield from tests(check)
    for rule in rules:
        yield from tests(rule.conditions)
        for fact in rule.derived_facts:
            yield from all_checks(fact.derived_by)
            yield from miss_checks(fact.could_derive)


def miss_checks(misses):
    for miss in misses:
        if miss.first_failing is not None:
            yield from tests(miss.first_failing)
        if miss.derived_fact is not None:
            yield from all_checks(miss.derived_fact.derived_by)
            yield from miss_checks(miss.derived_fact.could_derive)


def scores_and_facts(ctx: Context, checks, regions: tuple[str, ...] = ()) \
        -> tuple[tuple[ScoreEvidence, ...], tuple[FactValue, ...]]:
    """Score evidence for every band or score tested (plus `regions`), and the other values."""
    scored = set(ctx.kb.region_names) | set(ctx.kb.domain_names)
    names, paths = list(regions), []
    for check in checks:
        path = check.fact or ""
        if path in ctx.derived or path in ctx.kb.facts:
            continue
        head, _, tail = path.partition(".")
        if head in scored and tail in ("band", "score"):
            names.append(head)
        elif path in ctx.types:
            paths.append(path)
    order = {n: i for i, n in enumerate(ctx.kb.region_names + ctx.kb.domain_names)}
    scores = tuple(score_evidence(ctx, n) for n in sorted(set(names), key=order.__getitem__))
    facts = tuple(FactValue(fact=p, value=show_value(ctx.values.get(p)), origin=ctx.types[p].origin)
                  for p in sorted(set(paths)))
    return scores, facts


def score_evidence(ctx: Context, name: str) -> ScoreEvidence:
    facts = ctx.outcome.facts
    score = next(s for s in facts.regions + facts.domains if s.name == name)
    kind: Literal["region", "domain"] = "region" if name in ctx.kb.region_names else "domain"
    labels = {p.value: p.label for p in ctx.kb.instrument.scale}
    ratings = []
    for resolved in facts.ratings:  # the values the engine used (engine/ratings.py)
        item = resolved.item
        if getattr(item, kind) != name:
            continue
        informants = ", ".join(dict.fromkeys(who for who, _ in resolved.given)) or None
        if not resolved.due:
            meaning = "not due at the client's age: not counted"
        elif resolved.set_aside:
            meaning = "a self-report alone, below the self-report age: counted as unknown"
        elif resolved.value is not None:
            meaning = labels.get(resolved.value, "unknown")
        else:
            meaning = "unknown" if resolved.given else "not rated"
        ratings.append(ItemRating(item=item.id, function=item.text, value=resolved.value,
                                  informant=informants, meaning=meaning))
    return ScoreEvidence(name=name, kind=kind, score=score.score, band=score.band,
                         band_rule=band_rule(ctx, score), known_ratings=score.known,
                         items=score.items, ratings=tuple(ratings))


def band_rule(ctx: Context, score) -> str:
    thresholds = ctx.kb.thresholds
    if score.score is None:
        instrument = ctx.kb.instrument
        needed = max(instrument.min_known_items,
                     math.ceil(instrument.min_known_fraction * score.items))
        return (f"only {score.known} of {score.items} due items are rated; "
                f"a band needs at least {needed}")
    for index, threshold in enumerate(thresholds):
        if threshold.band == score.band:
            upper = thresholds[index + 1].from_score if index + 1 < len(thresholds) else None
            bound = f" to under {show_value(float(upper))}" if upper is not None else " or more"
            return (f"the mean of {score.known} known ratings; {score.band} is "
                    f"{show_value(float(threshold.from_score))}{bound}")
    return f"the mean of {score.known} known ratings"
