"""Rules that can fire together and say opposite things about the same client.

W310  one rule recommends X and another avoids X on some profile. The design states the
      precedence — avoid wins (safety first) — so the plan is well defined: X is listed as avoided
      and both rules are named. It is still reported, with an example profile, because it is
      often not what the author of the recommending rule expected. When the avoid is meant as an
      override (a safety rule), say so: `# lint: allow W310` on the avoid (covers every rule it
      overrides) or on the recommend line.
W311  a rule says "no action needed" for a region while another rule recommends the client's own
      work for it (work for the adults around the client, `track support`, does not count).
W312  two rules recommend X with different explicit doses; the plan takes the dose of the rule
      with the better priority, then the lower rule id, which is seldom a stated intention.
"""

from __future__ import annotations

from dsl import ast
from dsl.analysis.context import Analysis, example_text
from dsl.analysis.logic import TooComplex


def _actions(rules, kind):
    for rule in rules:
        for action in rule.actions:
            if isinstance(action, kind):
                yield rule, action


def _together(out: Analysis, first: ast.Rule, second: ast.Rule):
    """A profile on which both rules fire, as an alternative of the logic, or None."""
    try:
        return out.logic.satisfiable((first.when, False), (second.when, False))
    except TooComplex:
        return None


def check_recommend_avoid(kb, out: Analysis) -> None:
    avoids: dict[str, list] = {}
    for rule, action in _actions(out.rules, ast.Avoid):
        avoids.setdefault(action.intervention, []).append((rule, action))
    for rule, action in _actions(out.rules, ast.Recommend):
        for other, avoid in avoids.get(action.intervention, ()):
            branch = _together(out, rule, other)
            if branch is None:
                continue
            where = "itself" if other.id == rule.id else f"rule '{other.id}' ({avoid.pos})"
            out.add("W310", f"rule '{rule.id}' recommends '{action.intervention}' but {where} "
                    f"avoids it on the same client, e.g. {example_text(out.logic, branch)}",
                    action.pos, related=(avoid.pos,),
                    hint="avoid wins: the plan lists it as avoided. If the avoid is a deliberate "
                         "override, mark it with '# lint: allow W310'; otherwise narrow one "
                         "of the conditions")


def _regions_named(rule: ast.Rule, kb) -> set[str]:
    names = set()
    for node in ast.walk(rule.when):
        path = getattr(node, "path", "")
        head = path.split(".")[0]
        if head in kb.region_names:
            names.add(head)
    return names


def check_no_action_conflicts(kb, out: Analysis) -> None:
    for rule, action in _actions(out.rules, ast.NoAction):
        regions = _regions_named(rule, kb)
        clashes = []  # (other rule, interventions it recommends for those regions, example)
        for other in out.rules:
            targets = [a.intervention for a in other.actions
                       if isinstance(a, ast.Recommend) and a.intervention in kb.interventions
                       and kb.interventions[a.intervention].region in regions
                       # work for the adults around the client is not the client's own work
                       # for the region (CLINICAL.md section 1)
                       and kb.interventions[a.intervention].track == "client"]
            if targets and other.id != rule.id:
                branch = _together(out, rule, other)
                if branch is not None:
                    clashes.append((other, targets, branch))
        if not clashes:
            continue
        listed = "; ".join(f"'{other.id}' recommends " + ", ".join(f"'{t}'" for t in targets)
                           for other, targets, _ in clashes)
        first = clashes[0]
        out.add("W311", f"rule '{rule.id}' says no action is needed for "
                f"{' and '.join(sorted(regions, key=kb.region_names.index))}, but on the same "
                f"client {listed} (e.g. with '{first[0].id}': "
                f"{example_text(out.logic, first[2])})", action.pos,
                related=tuple(other.pos for other, _, _ in clashes),
                hint="narrow the 'no action needed' rule so that it cannot fire together with "
                     "these rules, or narrow them")


def _dose_text(dose: ast.Dose) -> str:
    return (f"{dose.frequency} per {dose.period}, {dose.minutes} minutes, by "
            + " or ".join(dose.delivered_by))


def _dose_key(dose: ast.Dose) -> tuple:
    return (dose.frequency, dose.period, dose.minutes, dose.delivered_by)


def check_dose_conflicts(kb, out: Analysis) -> None:
    seen: dict[str, list] = {}
    for rule, action in _actions(out.rules, ast.Recommend):
        if action.dose is None:
            continue
        for other, earlier in seen.get(action.intervention, ()):
            if _dose_key(earlier.dose) == _dose_key(action.dose) or \
                    (earlier.priority or 5) != (action.priority or 5) or other.id == rule.id:
                continue
            branch = _together(out, rule, other)
            if branch is None:
                continue
            winner = min((rule.id, other.id))
            out.add("W312", f"rules '{other.id}' and '{rule.id}' both recommend "
                    f"'{action.intervention}' with different doses ({_dose_text(earlier.dose)}"
                    f" vs {_dose_text(action.dose)}) on the same client, e.g. "
                    f"{example_text(out.logic, branch)}; the plan takes the dose of "
                    f"'{winner}' only because its id sorts first", action.pos,
                    related=(earlier.pos,),
                    hint="give the preferred dose a better priority, or make the conditions exclusive")
        seen.setdefault(action.intervention, []).append((rule, action))

