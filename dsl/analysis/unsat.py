"""Conditions that can never hold, and recommendations that can never become active.

E401  a rule's `when` can never hold: the rule never fires.
E402  a `defer … until` gate can never open: the intervention would be deferred for ever.
W403  a `defer … until` gate is always open whenever its rule fires: it never defers anything.
W404  part of a condition can never hold (an `or` alternative, or the operand of a `not`).
W405  a recommendation can never become active: every profile on which its rule fires has an
      arousal state that cannot reach the intervention's phase, or a compromised lower region.
"""

from __future__ import annotations

from dsl import ast
from dsl.analysis.context import Analysis, lower_compromised, reaching_states
from dsl.analysis.logic import TooComplex
from dsl.evaluate import describe


def check_unsatisfiable(kb, out: Analysis) -> None:
    logic = out.logic
    for rule in out.rules:
        try:
            reason = logic.why_impossible(rule.when)
        except TooComplex:
            continue
        if reason is not None:
            out.add("E401", f"rule '{rule.id}' can never fire: {reason.text()}",
                    _where(reason, rule.when),
                    hint="fix the comparison, or join the alternatives with 'or'")
            continue
        _check_parts(rule, out)
        gates = set()  # the defers of one catalog set share one gate: check it once
        for action in rule.actions:
            if isinstance(action, ast.Defer) and id(action.until) not in gates:
                gates.add(id(action.until))
                _check_gate(rule, action, out)
        _check_reachable(kb, rule, out)


def _where(reason, condition) -> ast.Pos:
    """The last of the conflicting literals written in this rule, else the condition."""
    own = [s.node.pos for s in reason.sources if not s.via]
    return max(own) if own else condition.pos


def _check_parts(rule: ast.Rule, out: Analysis) -> None:
    for node in ast.walk(rule.when):
        if isinstance(node, ast.Or):
            parts = [(o, "this alternative can never hold") for o in node.operands]
        elif isinstance(node, ast.Not):
            parts = [(node.operand, "this part can never hold, so the 'not' always does")]
        else:
            continue
        for part, message in parts:
            try:
                reason = out.logic.why_impossible(part)
            except TooComplex:
                continue
            if reason is not None:
                out.add("W404", f"in rule '{rule.id}', {message}: {reason.text()}",
                        part.pos, hint="remove it, or fix the comparison")


def _check_gate(rule: ast.Rule, action: ast.Defer, out: Analysis) -> None:
    logic = out.logic
    try:
        reason = logic.why_impossible(action.until)
        always_open = reason is None and logic.satisfiable(
            (rule.when, False), (action.until, True)) is None
    except TooComplex:
        return
    if reason is not None:
        out.add("E402", f"the gate of 'defer {ast.deferred_name(action)}' can never open: "
                f"{reason.text()}", _where(reason, action.until),
                hint="to rule the intervention out, write 'avoid … because \"…\"' instead")
    elif always_open:
        out.add("W403", f"'defer {ast.deferred_name(action)} until {describe(action.until)}' never "
                f"defers: whenever rule '{rule.id}' fires, the gate is already open",
                action.pos, hint="the gate should name what is not yet true when the rule fires")


def _check_reachable(kb, rule: ast.Rule, out: Analysis) -> None:
    for action in rule.actions:
        if not isinstance(action, ast.Recommend) or action.intervention not in kb.interventions:
            continue
        region = kb.interventions[action.intervention].region
        phase = kb.region(region).phase
        reach = reaching_states(kb, phase)
        lower = lower_compromised(kb, phase)
        try:
            by_arousal = out.logic.satisfiable((rule.when, False), (reach, False)) is None
            by_region = lower is not None and \
                out.logic.satisfiable((rule.when, False), (lower, True)) is None
            by_both = out.logic.satisfiable((rule.when, False), (reach, False),
                                            *(((lower, True),) if lower is not None else ())) is None
        except TooComplex:
            continue
        if not by_both:
            continue
        if by_arousal:
            why = f"it fires only in arousal states where {phase} work cannot be reached"
        elif by_region:
            why = f"it fires only while a region below the {phase} phase is compromised"
        else:
            why = (f"whenever it fires, either the arousal state cannot reach {phase} work or "
                   "a lower region is compromised")
        out.add("W405", f"'{action.intervention}' ({phase}) can never become active through "
                f"rule '{rule.id}': {why}, so it is always deferred", action.pos,
                hint="to say 'not yet', write 'defer … until …'; otherwise widen the condition")
