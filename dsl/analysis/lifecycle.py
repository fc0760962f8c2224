"""Rule status over time: drafts in a release, retired rules something still relies on.

W340  a `draft` rule in a release. A knowledge base whose version has no pre-release part
      ("1.2.0", not "1.2.0-dev") is a release, and a release contains no drafts (DESIGN).
W341  an active rule relies on a fact that only retired rules derive: it can never hold.
W343  a catalog intervention that no active rule names (recommend, avoid or defer) and that no
      such intervention requires; if only retired rules name it, they are listed.
(W342, a retired rule named by a rule scenario, is reported with the scenarios.)
"""

from __future__ import annotations

from dsl import ast
from dsl.analysis.context import Analysis

TARGETED = (ast.Recommend, ast.Avoid, ast.Defer)


def is_release(version: str) -> bool:
    return bool(version) and "-" not in version


def check_drafts_in_release(kb, out: Analysis) -> None:
    if not is_release(kb.version):
        return
    for rule in kb.rules:
        if rule.status == "draft":
            out.add("W340", f"rule '{rule.id}' is a draft, but version {kb.version} of the "
                    "knowledge base is a release", rule.position_of("status"),
                    hint="approve or retire it, or mark the version as a pre-release "
                         f"(e.g. \"{kb.version}-dev\") while work is in progress")


def check_retired_derivations(kb, out: Analysis) -> None:
    derivers: dict[str, list[ast.Rule]] = {}
    for rule in kb.rules:
        for action in rule.actions:
            if isinstance(action, ast.Derive):
                derivers.setdefault(action.fact, []).append(rule)
    for rule in out.rules:
        for condition in ast.rule_conditions(rule):
            for node in ast.walk(condition):
                if not isinstance(node, ast.FactRef):
                    continue
                found = derivers.get(node.name, [])
                if found and all(r.status == "retired" for r in found):
                    names = ", ".join(f"'{r.id}'" for r in found)
                    out.add("W341", f"rule '{rule.id}' uses fact '{node.name}', which only "
                            f"retired rule{'s' if len(found) > 1 else ''} {names} derive"
                            f"{'' if len(found) > 1 else 's'}: it never holds", node.pos,
                            hint="derive the fact in an active rule, or stop using it")


def check_unused_interventions(kb, out: Analysis) -> None:
    named: dict[str, set[str]] = {}
    for rule in kb.rules:
        for action in rule.actions:
            # a gate for a whole catalog set names no intervention in particular
            if isinstance(action, TARGETED) and getattr(action, "via", None) is None:
                named.setdefault(action.intervention, set()).add(rule.id)
            for brought in getattr(action, "actions", ()):  # what a flag brings
                named.setdefault(brought, set()).add(rule.id)
    active = {r.id for r in out.rules}
    used = {iv for iv, rules in named.items() if rules & active}
    for iv_id in list(used):
        iv = kb.interventions.get(iv_id)
        used |= set(iv.requires) if iv else set()
        used |= {iv.no_touch_alternative} if iv and iv.no_touch_alternative else set()
    for iv_id, iv in kb.interventions.items():
        if iv_id in used:
            continue
        retired = sorted(named.get(iv_id, ()))
        tail = (" (only retired rules " + ", ".join(f"'{r}'" for r in retired) + " name it)"
                if retired else "")
        out.add("W343", f"intervention '{iv_id}' is never recommended, avoided or deferred by "
                f"an active rule{tail}", iv.pos,
                hint="write a rule that recommends it, or remove it from the catalog")
