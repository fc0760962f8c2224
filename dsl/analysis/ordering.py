"""Bottom-up order: relational or reasoning work must be gated on the regions below it.

W350  a rule can recommend relate or reason work on a profile where a region of an earlier phase
      is compromised, and neither its condition nor a `defer … until` gate excludes that. The
      sequencer still defers such work at run time (no plan ever breaks the order), but the rule
      does not say so: state the gate in the rule, so that what it means is visible where it is
      written and in every explanation.

A gate counts when, on every profile where the rule fires and the lower region is compromised,
the recommendation is deferred by a `defer X until C` (of this or any rule that fires) whose C is
false there. Work for the adults around the client (`track support`) is not ordered bottom-up
(CLINICAL.md section 1): it is never checked here.
"""

from __future__ import annotations

from dsl import ast
from dsl.analysis.context import Analysis, example_text, region_compromised
from dsl.analysis.logic import TooComplex
from dsl.facts import band_path
from dsl.vocabulary import PHASE_ORDER, Phase


def _defers(rules) -> dict[str, list[tuple[ast.Rule, ast.Defer]]]:
    out: dict[str, list] = {}
    for rule in rules:
        for action in rule.actions:
            if isinstance(action, ast.Defer):
                out.setdefault(action.intervention, []).append((rule, action))
    return out


def _not_deferred(rule_defers, pos) -> list[tuple[ast.Condition, bool]]:
    """Conditions under which no `defer` of the intervention holds it back."""
    out: list[tuple[ast.Condition, bool]] = []
    for rule, action in rule_defers:
        # Not deferred by this rule: the rule does not fire, or its gate is open.
        out.append((ast.Or((ast.Not(rule.when, pos), action.until), pos), False))
    return out


def check_ordering(kb, out: Analysis) -> None:
    defers = _defers(out.rules)
    for rule in out.rules:
        ungated: dict[str, tuple[object, list[str]]] = {}  # region → (first example, interventions)
        first_pos = None
        for action in rule.actions:
            if not isinstance(action, ast.Recommend) or action.intervention not in kb.interventions \
                    or kb.interventions[action.intervention].track == "support":
                continue
            for region, branch in _ungated(kb, out, rule, action, defers):
                example, names = ungated.setdefault(region, (branch, []))
                names.append(action.intervention)
                first_pos = first_pos or action.pos
        if ungated:
            regions = list(ungated)
            interventions = list(dict.fromkeys(n for _, names in ungated.values() for n in names))
            gate = " and ".join(f"{band_path(name)} <= {_healthy(kb)}" for name in regions)
            shown = ", ".join(f"'{n}'" for n in interventions)
            out.add("W350", f"rule '{rule.id}' recommends {_phases(kb, interventions)} work "
                    f"{shown} with no gate on a compromised {' or '.join(regions)}, e.g. "
                    f"{example_text(out.logic, ungated[regions[0]][0])}", first_pos,
                    hint=f"add 'and {gate}' to the condition, or a 'defer … until {gate}' "
                         "(the sequencer defers the work anyway; the rule should say so)")


def _ungated(kb, out, rule, action, defers):
    """(region, example alternative) for each lower region the recommendation is not gated on."""
    phase = Phase(kb.region(kb.interventions[action.intervention].region).phase)
    open_gates = _not_deferred(defers.get(action.intervention, ()), action.pos)
    for region in kb.regions:
        if PHASE_ORDER[Phase(region.phase)] >= PHASE_ORDER[phase]:
            continue
        try:
            branch = out.logic.satisfiable((rule.when, False),
                                           (region_compromised(kb, region.name), False),
                                           *open_gates)
        except TooComplex:
            continue
        if branch is not None:
            yield region.name, branch


def _phases(kb, interventions) -> str:
    phases = dict.fromkeys(kb.region(kb.interventions[i].region).phase for i in interventions)
    return " and ".join(phases)


def _healthy(kb) -> str:
    from dsl.vocabulary import BANDS
    healthy = [b for b in BANDS if b not in kb.compromised]
    return healthy[-1] if healthy else BANDS[0]
