"""Which cases a knowledge-base change can affect, decided without running either knowledge base.

A plan is a function of the client's facts and of the rules that fire on them. When two knowledge
bases differ only in their rules (same regions, bands, policies, catalog and instrument), the
client's facts are the same under both, and every rule that did not change fires or stays silent
exactly as before *unless* a changed rule fires under one of them: only a firing rule derives
facts, raises flags or proposes work. So a case is affected only if some changed rule, in its base
or its head version, can fire on that case.

"Can fire" is decided on the client's own facts with the derived facts left open: a condition is
evaluated in three-valued logic (true, false, or unknown where it depends on a derived fact), and
only a condition that is false whatever is derived rules its rule out. That is conservative — a
case let through may turn out unchanged — and it is exact where it matters: a case screened out
cannot change (a property test compares screened and full diffs over generated changes).

The commonest change, a condition edited (a threshold moved, a clause added), is screened more
tightly. When the two versions of a rule differ only in their condition and in wording the plan
merely quotes (title, version, sources), the rule does the same in both knowledge bases for every
client on whom it fires in both or in neither; so a case is let go when both conditions are
decided by the client's own facts and decided alike. The condition is then true (or false)
whatever is derived, so both runs reach the same firings, whatever stratum the rule sits in.

Any change outside the rules (a threshold, a gate policy, the catalog, the instrument …) can move
every plan, and the screen then lets every case through.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from dsl import ast
from dsl.evaluate import evaluate
from dsl.checked import CheckedKnowledgeBase


@dataclass(frozen=True)
class ChangedRule:
    """One changed rule: its condition in each knowledge base (None where it is absent or does not
    fire there: retired, or a draft without --drafts)."""

    id: str
    before: ast.Condition | None
    after: ast.Condition | None
    condition_only: bool  # active in both, and alike in everything the plan acts on
    derives: bool  # a version that fires derives a fact (other rules may then fire differently)


@dataclass(frozen=True)
class Screen:
    """What a change touches: the changed rules that can fire (None: the change reaches beyond the
    rules, so every case must be assessed again)."""

    rules: tuple[ChangedRule, ...] | None
    changed_rules: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return self.rules is None

    @property
    def reads(self) -> tuple[str, ...]:
        """The client's facts the changed rules' conditions test: all `may_affect` needs."""
        conditions = [c for rule in self.rules or () for c in (rule.before, rule.after) if c]
        return tuple(sorted({node.path for c in conditions for node in ast.walk(c)
                             if not isinstance(node, _COMPOUND)}))

    @property
    def derive_free(self) -> bool:
        """No changed rule derives a fact: every unchanged rule then fires alike under both
        knowledge bases, on every case (only derived facts carry one rule's firing to another)."""
        return self.rules is not None and not any(rule.derives for rule in self.rules)

    def may_affect(self, facts: dict, kb: CheckedKnowledgeBase) -> bool:
        """Whether some changed rule can fire, or fire differently, on a client with these
        (non-derived) facts."""
        if self.rules is None:
            return True
        types = kb.fact_types()
        for rule in self.rules:
            before = False if rule.before is None else can_hold(rule.before, facts, types)
            after = False if rule.after is None else can_hold(rule.after, facts, types)
            if rule.condition_only:
                if before is None or after is None or before != after:
                    return True
            elif before is not False or after is not False:
                return True
        return False


# What the engine never reads from a rule, or reads only to quote it in a reason's wording.
_WORDING = ("when", "version", "title", "evidence", "source", "author", "rationale", "field_pos")


def screen(base: CheckedKnowledgeBase, head: CheckedKnowledgeBase, drafts: bool = False) -> Screen:
    """The screen for comparing `base` with `head`."""
    if _environment(base) != _environment(head) or base.instrument != head.instrument:
        return Screen(None)
    before = {r.id: r for r in base.rules}
    after = {r.id: r for r in head.rules}
    changed = sorted(rule_id for rule_id in before.keys() | after.keys()
                     if _shape(before.get(rule_id)) != _shape(after.get(rule_id)))
    active = {"approved", "draft"} if drafts else {"approved"}

    def firing(rule):
        return rule if rule is not None and rule.status in active else None

    rules = []
    for rule_id in changed:
        old, new = firing(before.get(rule_id)), firing(after.get(rule_id))
        if old is None and new is None:
            continue  # fires in neither: nothing it does can differ
        alike = old is not None and new is not None and _effect(old) == _effect(new)
        derives = any(isinstance(action, ast.Derive) for rule in (old, new) if rule is not None
                      for action in rule.actions)
        rules.append(ChangedRule(rule_id, old.when if old else None, new.when if new else None,
                                 alike, derives))
    return Screen(tuple(rules), tuple(changed))


def _effect(rule) -> tuple:
    """A rule as the engine acts on it: everything but its condition and its wording."""
    return _shape(dataclasses.replace(rule, **{name: None for name in _WORDING}))


def can_hold(node: ast.Condition, values: dict, types) -> bool | None:
    """True or False when the client's facts decide the condition; None when it depends on a
    derived fact (Kleene's three-valued logic: `not` of unknown is unknown; an `and` with a false
    part is false; an `or` with a true part is true)."""
    if not _mentions_derived(node):
        return evaluate(node, values, frozenset(), types).value
    if isinstance(node, ast.FactRef):
        return None
    if isinstance(node, ast.Not):
        inner = can_hold(node.operand, values, types)
        return None if inner is None else not inner
    if isinstance(node, (ast.And, ast.Or)):
        parts = [can_hold(o, values, types) for o in node.operands]
        decisive = isinstance(node, ast.Or)  # the value that settles the whole
        if decisive in parts:
            return decisive
        return None if None in parts else not decisive
    return None  # a construct this screen does not know: assume it may hold


_COMPOUND = (ast.FactRef, ast.Not, ast.And, ast.Or)  # every other condition node tests a fact


def _mentions_derived(node) -> bool:
    return any(isinstance(n, ast.FactRef) for n in ast.walk(node))


def _environment(kb: CheckedKnowledgeBase) -> tuple:
    """Everything in the knowledge base but its rules and its name and version (which reach only
    the plan's provenance), without source positions."""
    items = [item for f in kb.files for item in f.items
             if not isinstance(item, (ast.Rule, ast.KbHeader))]
    return tuple(sorted(repr(_shape(item)) for item in items))


def _shape(value):
    """A value without source positions, for comparing what two versions say."""
    if isinstance(value, ast.Pos):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(
            (f.name, _shape(getattr(value, f.name))) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return tuple(_shape(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(_shape(v) for v in value))
    return value
