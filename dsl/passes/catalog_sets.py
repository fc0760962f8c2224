"""Catalog sets: `defer every relate intervention until …` names the catalog entries of a phase,
a region, a modality, a track or a marker (all the words must match), so that a gate for a whole phase
needs no hand-kept list and a new intervention is gated as soon as it is in the catalog.

The set is resolved here, before the other passes: each `defer every …` becomes one `defer` per
member, each remembering the set it came from (`Defer.via`), so that the engine, the analyses and
the explanations see ordinary defers, and an explanation can name the set and the member.

E117  a word of a set is no phase, region, modality or track
E118  a set names two phases (or two regions, modalities, tracks): no intervention has both
W119  a set with no member in the catalog: the defer holds nothing back
"""

from __future__ import annotations

from dataclasses import replace

from dsl import ast
from dsl.errors import Collector, did_you_mean
from dsl.vocabulary import MARKERS, MODALITIES, TRACKS, Phase


def _categories(kb) -> dict[str, tuple[str, ...]]:
    """What a word of a set can name, in the order a word is looked up."""
    return {"phase": tuple(p.value for p in Phase), "region": kb.region_names,
            "modality": MODALITIES, "track": TRACKS, "marker": MARKERS}


def _value(kb, iv: ast.Intervention, category: str) -> str | None:
    if category == "phase":
        return kb.region(iv.region).phase if iv.region in kb.region_names else iv.phase
    return getattr(iv, category, None)


def resolve(kb, members: ast.CatalogSet, out: Collector) -> list[str] | None:
    """The ids of the set's members, in catalog-id order; None if the set is not well formed."""
    categories = _categories(kb)
    wanted: dict[str, str] = {}
    for word in members.words:
        category = next((c for c, values in categories.items() if word in values), None)
        if category is None:
            known = [v for values in categories.values() for v in values]
            hint = did_you_mean(word, known)
            names = list(categories)
            out.add("E117", f"'{word}' in '{members}' is no " + ", ".join(names[:-1])
                    + f" or {names[-1]}" + (f" ({hint})" if hint else ""), members.pos,
                    hint="a set is named by " + "; ".join(
                        f"{c}: {', '.join(v)}" for c, v in categories.items()))
            return None
        if category in wanted:
            out.add("E118", f"'{members}' names two {category}s ('{wanted[category]}' and "
                    f"'{word}'); an intervention has one", members.pos,
                    hint="write one defer for each")
            return None
        wanted[category] = word
    return sorted(i for i, iv in kb.interventions.items()
                  if all(w in iv.marks if c == "marker" else _value(kb, iv, c) == w
                         for c, w in wanted.items()))


def expand(kb, out: Collector):
    """The knowledge base with every `defer every …` replaced by one defer per member."""
    if not any(isinstance(a, ast.DeferEvery) for r in kb.rules for a in r.actions):
        return kb
    rules = []
    for rule in kb.rules:
        actions = []
        for action in rule.actions:
            if not isinstance(action, ast.DeferEvery):
                actions.append(action)
                continue
            ids = resolve(kb, action.members, out)
            if ids == []:
                out.add("W119", f"'{action.members}' has no member in the catalog: the defer "
                        "holds nothing back", action.pos, severity="warning")
            actions += [ast.Defer(i, action.until, action.pos, via=action.members)
                        for i in ids or ()]
        rules.append(replace(rule, actions=tuple(actions)))
    return replace(kb, rules=tuple(rules))
