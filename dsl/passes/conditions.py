"""Names and types in conditions and actions, resolved against the declared vocabulary."""

from __future__ import annotations

from dsl import ast
from dsl.errors import Collector, did_you_mean
from dsl.passes.catalog import check_dose
from dsl.facts import FactType
from dsl.vocabulary import INSUFFICIENT, SEVERITY_OF_FLAG, Kind, Phase

ORDERED = (Kind.BAND, Kind.AROUSAL, Kind.SEVERITY, Kind.LEVEL, Kind.NUMBER)


def _suggest(name, choices) -> str:
    hint = did_you_mean(name, choices)
    return f" ({hint})" if hint else ""


def check_conditions(kb, out: Collector) -> None:
    types = kb.fact_types()
    for rule in kb.rules:
        for condition in ast.rule_conditions(rule):
            for node in ast.walk(condition):
                if isinstance(node, ast.FactRef):
                    if node.name not in kb.facts:
                        out.add("E112", f"unknown fact '{node.name}'"
                                + _suggest(node.name, kb.facts), node.pos,
                                hint="declare it with: fact NAME \"what it means\"")
                elif isinstance(node, (ast.Comparison, ast.Membership, ast.Between, ast.Has)):
                    fact_type = resolve_path(kb, node.path, node.pos, types, out)
                    if fact_type is not None:
                        check_literal_type(node, fact_type, out)


def resolve_path(kb, path: str, pos, types, out: Collector) -> FactType | None:
    if path in types:
        return types[path]
    head, _, rest = path.partition(".")
    known_heads = {p.split(".")[0] for p in types}
    if rest in ("band", "score") and head not in known_heads:
        names = kb.region_names + kb.domain_names
        kind = "region" if not did_you_mean(head, kb.domain_names) else "domain"
        if did_you_mean(head, kb.region_names):
            kind = "region"
        hint = "regions: " + ", ".join(kb.region_names)
        if kind == "domain":
            hint += "; domains: " + ", ".join(kb.domain_names)
        out.add("E110", f"unknown {kind} '{head}'" + _suggest(head, names), pos, hint=hint)
    else:
        out.add("E111", f"unknown fact '{path}'" + _suggest(path, types), pos,
                hint="see docs/dsl.md for every fact a rule can use")
    return None


def check_literal_type(node, fact_type: FactType, out: Collector) -> None:
    kind = fact_type.kind
    if isinstance(node, ast.Has):
        if kind is not Kind.SET:
            out.add("E115", f"'has' needs a set, but {node.path} is a {kind.value}", node.pos)
        elif node.member not in fact_type.members:
            out.add("E114", f"'{node.member}' is not one of {node.path}"
                    + _suggest(node.member, fact_type.members), node.member_pos,
                    hint="members: " + ", ".join(fact_type.members))
        return
    if kind is Kind.SET:
        out.add("E115", f"{node.path} is a set; use '{node.path} has NAME'", node.pos)
        return
    if isinstance(node, ast.Between):
        if kind is not Kind.NUMBER:
            out.add("E115", f"'between' needs a number, but {node.path} is a {kind.value}", node.pos)
        elif node.low > node.high:
            out.add("E116", f"between {node.low:g} and {node.high:g} is empty", node.pos)
        return
    values = (node.value,) if isinstance(node, ast.Comparison) else node.values
    for value in values:
        _check_value(node, value, fact_type, out)
    if isinstance(node, ast.Comparison) and node.op in ("<", "<=", ">", ">=") and kind not in ORDERED:
        out.add("E115", f"{node.path} is a {kind.value} and has no order; use = or !=", node.pos)
    if isinstance(node, ast.Comparison) and node.value == INSUFFICIENT and node.op not in ("=", "!="):
        out.add("E115", "'insufficient' is not on the band scale; use = or !=", node.pos)


def _check_value(node, value, fact_type: FactType, out: Collector) -> None:
    kind = fact_type.kind
    pos = getattr(node, "value_pos", node.pos)
    if kind is Kind.NUMBER:
        if not isinstance(value, float) or isinstance(value, bool):
            out.add("E115", f"{node.path} is a number, not '{_show(value)}'", pos)
    elif kind is Kind.BOOL:
        if not isinstance(value, bool):
            out.add("E115", f"{node.path} is a yes/no value; compare with true or false", pos)
    else:
        scale = fact_type.scale + ((INSUFFICIENT,) if kind is Kind.BAND else ())
        if not isinstance(value, str) or isinstance(value, bool):
            out.add("E115", f"{node.path} is a {kind.value}, not '{_show(value)}'", pos,
                    hint="values: " + ", ".join(scale))
        elif value not in scale:
            out.add("E114", f"'{value}' is not a {kind.value}" + _suggest(value, scale), pos,
                    hint="values: " + ", ".join(scale))


def _show(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def check_actions(kb, out: Collector) -> None:
    phases = {p.value for p in Phase}
    for rule in kb.rules:
        for action in rule.actions:
            target = getattr(action, "intervention", None)
            if target is not None and target not in kb.interventions:
                out.add("E113", f"unknown intervention '{target}'"
                        + _suggest(target, kb.interventions), action.pos)
            if isinstance(action, ast.Recommend):
                if action.dose:
                    check_dose(action.dose, out)
                for setting in action.settings:
                    from dsl.vocabulary import SETTINGS
                    if setting not in SETTINGS:
                        out.add("E151", f"unknown setting '{setting}'"
                                + _suggest(setting, SETTINGS), action.pos)
            elif isinstance(action, ast.Flag):
                if action.severity not in SEVERITY_OF_FLAG:
                    out.add("E160", f"unknown flag severity '{action.severity}'"
                            + _suggest(action.severity, SEVERITY_OF_FLAG), action.pos,
                            hint="severities: info, warning, critical")
                for brought in action.actions:
                    if brought not in kb.interventions:
                        out.add("E113", f"unknown intervention '{brought}'"
                                + _suggest(brought, kb.interventions), action.pos)
                if action.severity == "critical" and not action.actions:
                    out.add("E161", f"critical flag {action.code} brings no action", action.pos,
                            hint="a critical flag always comes with action: add `brings ID` "
                                 "(for example safety-plan, earlier-review)")
            elif isinstance(action, ast.Derive):
                if action.fact not in kb.facts:
                    out.add("E112", f"unknown fact '{action.fact}'"
                            + _suggest(action.fact, kb.facts), action.pos,
                            hint="declare it with: fact NAME \"what it means\"")
            elif isinstance(action, ast.Guide):
                from dsl.vocabulary import GUIDANCE_STATES
                if action.state not in GUIDANCE_STATES:
                    out.add("E151", f"unknown state '{action.state}'"
                            + _suggest(action.state, GUIDANCE_STATES), action.pos,
                            hint="state guidance is for: " + ", ".join(GUIDANCE_STATES))
            elif isinstance(action, ast.ScaleDose):
                if action.phase not in phases:
                    out.add("E150", f"unknown phase '{action.phase}'"
                            + _suggest(action.phase, phases), action.pos)
                if action.minutes_factor <= 0 or action.frequency_factor <= 0:
                    out.add("E150", "dose factors must be above 0", action.pos)
