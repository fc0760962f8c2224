"""A scenario's names checked against the knowledge base: interventions, rules, flags, items.

A name that cannot exist is an error (an expectation about it could never be met, or never
fail); naming a retired rule is a warning (W342): retired rules never fire.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl import ast
from dsl.errors import did_you_mean
from dsl.checked import CheckedKnowledgeBase
from groundwork.trainer import scenario_format as fmt


@dataclass(frozen=True)
class Problem:
    path: str
    code: str
    message: str
    severity: str = "error"


def flag_codes(kb: CheckedKnowledgeBase) -> set[str]:
    """Every flag code a plan can carry: those rules raise, and the engine's own."""
    codes = {a.code for r in kb.rules for a in r.actions if isinstance(a, ast.Flag)}
    return codes | {f"INSUFFICIENT_RATINGS_{name.upper()}" for name in kb.region_names}


def _unknown(kind: str, name: str, choices) -> str:
    hint = did_you_mean(name, choices)
    return f"unknown {kind} '{name}'" + (f" ({hint})" if hint else "")


def check_references(spec: fmt.ScenarioSpec, where: str, kb: CheckedKnowledgeBase,
                     expectations: bool = True) -> list[Problem]:
    problems: list[Problem] = []
    if spec.profile is not None and spec.assessment is not None:
        problems.append(Problem(where, "E502", "give either 'profile' or 'assessment', not both"))
    if spec.profile is not None:
        _check_profile(spec.profile, f"{where}.profile", kb, problems)
    if not expectations:
        return problems
    if spec.expect.count() == 0:
        problems.append(Problem(f"{where}.expect", "E502", "a scenario needs at least one "
                                "expectation, or it can never fail"))
    _check_expect(spec.expect, f"{where}.expect", kb, problems)
    return problems


def _check_profile(profile: fmt.ProfileSpec, where: str, kb, problems) -> None:
    for region in profile.bands:
        if region not in kb.region_names:
            problems.append(Problem(f"{where}.bands.{region}", "E502",
                                    _unknown("region", region, kb.region_names)))
    items = {i.id for i in kb.instrument.items}
    for item, value in profile.ratings.items():
        if item not in items:
            problems.append(Problem(f"{where}.ratings.{item}", "E502",
                                    _unknown("instrument item", item, items)))
        elif value is not None and not 0 <= value <= kb.instrument.max_value:
            problems.append(Problem(f"{where}.ratings.{item}", "E502",
                                    f"must be between 0 and {kb.instrument.max_value}, or omitted"))


def _check_expect(expect: fmt.Expect, where: str, kb: CheckedKnowledgeBase, problems) -> None:
    def intervention(name: str, at: str) -> None:
        if name not in kb.interventions:
            problems.append(Problem(at, "E502", _unknown("intervention", name, kb.interventions)))

    for index, item in enumerate(expect.recommended):
        at = f"{where}.recommended[{index}]"
        intervention(item.intervention, f"{at}.intervention")
        if item.before is not None:
            intervention(item.before, f"{at}.before")
        iv = kb.interventions.get(item.intervention)
        if iv is not None and item.phase and kb.region(iv.region).phase != item.phase:
            problems.append(Problem(f"{at}.phase", "E502", f"'{iv.id}' targets {iv.region}, "
                                    f"so it is always in phase {kb.region(iv.region).phase}"))
    for key in ("not_recommended", "on_menu", "avoided", "deferred", "explanations"):
        for index, item in enumerate(getattr(expect, key)):
            intervention(item.intervention, f"{where}.{key}[{index}].intervention")
    codes = flag_codes(kb)
    for key in ("flags", "not_flags"):
        for index, item in enumerate(getattr(expect, key)):
            if item.code not in codes:
                problems.append(Problem(f"{where}.{key}[{index}].code", "E502",
                                        _unknown("flag", item.code, codes)))
    rules = {r.id: r for r in kb.rules}
    for key in ("fired", "not_fired"):
        for index, item in enumerate(getattr(expect, key)):
            at = f"{where}.{key}[{index}].rule"
            if item.rule not in rules:
                problems.append(Problem(at, "E502", _unknown("rule", item.rule, rules)))
            elif rules[item.rule].status == "retired":
                problems.append(Problem(at, "W342", f"rule '{item.rule}' is retired and never "
                                        "fires; the scenario still names it", "warning"))
