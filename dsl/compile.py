"""AST → durable-rules rule set definitions (plain JSON; the engine binds the actions).

Every assessment is one `profile` fact holding all its values as flat fields (dsl/encoding.py);
each derived fact is a `derived` fact. A rule's condition is pushed into negation normal form
(durable-rules has no `not` over expressions) and split into alternatives only where it mentions
derived facts, which become joined (or, negated, `$not`) patterns.

Rule sets: rules are grouped by stratum (a rule that negates a derived fact runs after every rule
deriving it), then by chain (rules joined through derived facts stay together), and packed into
rule sets of at most MAX_RULES_PER_SET rules and MAX_ALTERNATIVES_PER_SET alternatives, within
what durable-rules was measured to handle.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from dsl import ast
from dsl.encoding import DERIVED, PROFILE, encode_value, field_name
from dsl.errors import Collector, GroundworkError
from dsl.passes.strata import derivation_graph, strata
from dsl.facts import FactType
from dsl.vocabulary import INSUFFICIENT, Kind

MAX_RULES_PER_SET = 200
MAX_ALTERNATIVES_PER_SET = 300  # measured: 400 alternatives ran, 800 failed to register
MAX_ALTERNATIVES = 64
SENTINEL = "__sentinel__"

_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
_FLIP = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


@dataclass(frozen=True)
class Branch:
    """One alternative of a condition: profile tests, and derived facts present / absent."""

    tests: tuple[dict, ...] = ()
    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()

    def merge(self, other: "Branch") -> "Branch":
        return Branch(self.tests + other.tests, self.present | other.present,
                      self.absent | other.absent)


@dataclass(frozen=True)
class CompiledRuleSet:
    name: str
    stratum: int
    rule_ids: tuple[str, ...]
    definition: dict  # rule id → {"all"|"any": …}; the engine adds "run"
    observes: frozenset[str]  # derived facts some pattern of this set looks at


@dataclass(frozen=True)
class CompiledKnowledgeBase:
    kb_hash: str
    rulesets: tuple[CompiledRuleSet, ...]


def compile_knowledge_base(kb, drafts: bool = False) -> CompiledKnowledgeBase:
    rules = kb.active_rules(drafts)
    types = kb.fact_types()
    definitions: dict[str, dict] = {}
    observes: dict[str, frozenset[str]] = {}
    out = Collector(sources=dict(kb.sources))
    for rule in rules:
        branches = to_branches(rule.when, False, types)
        if len(branches) > MAX_ALTERNATIVES:
            out.add("E180", f"rule '{rule.id}' has {len(branches)} alternatives once expanded; "
                    f"the limit is {MAX_ALTERNATIVES}", rule.pos,
                    hint="split it into several rules")
            continue
        definitions[rule.id] = _rule_definition(branches)
        observes[rule.id] = frozenset().union(*(b.present | b.absent for b in branches))
    out.raise_if_errors()
    groups = _group_rules(rules, {r: _size(d) for r, d in definitions.items()})
    suffix = "all" if drafts else "approved"
    rulesets = []
    for index, (stratum, rule_ids) in enumerate(groups):
        definition = {rule_id: definitions[rule_id] for rule_id in rule_ids}
        definition[SENTINEL] = {"all": [{"m": {"t": PROFILE}}]}
        rulesets.append(CompiledRuleSet(
            name=f"gw_{kb.content_hash[:16]}_{suffix}_{index}", stratum=stratum,
            rule_ids=tuple(rule_ids), definition=definition,
            observes=frozenset().union(*(observes[r] for r in rule_ids)) if rule_ids else frozenset()))
    return CompiledKnowledgeBase(kb.content_hash, tuple(rulesets))


def _size(definition: dict) -> int:
    return len(definition.get("any", [None]))


def _group_rules(rules, sizes: dict[str, int]) -> list[tuple[int, list[str]]]:
    """(stratum, rule ids) groups within the rule set limits, chains kept together."""
    import networkx as nx  # imported when used: a cold assess never needs it
    level = strata(rules)
    graph = derivation_graph(rules).to_undirected()
    order: dict[str, int] = {rule.id: index for index, rule in enumerate(rules)}
    groups: list[tuple[int, list[str]]] = []
    for stratum in sorted(set(level.values())):
        members = [r.id for r in rules if level[r.id] == stratum]
        chains = sorted((sorted(c, key=order.__getitem__) for c in
                         nx.connected_components(graph.subgraph(members))),
                        key=lambda c: order[c[0]])
        current: list[str] = []
        for chain in chains:
            if len(chain) > MAX_RULES_PER_SET or \
                    sum(sizes[r] for r in chain) > MAX_ALTERNATIVES_PER_SET:
                raise GroundworkError([_too_long(chain, rules)])
            if current and (len(current) + len(chain) > MAX_RULES_PER_SET or sum(
                    sizes[r] for r in current + chain) > MAX_ALTERNATIVES_PER_SET):
                groups.append((stratum, current))
                current = []
            current.extend(chain)
        if current or not groups:
            groups.append((stratum, current))
    return groups


def _too_long(chain, rules):
    from dsl.errors import Diagnostic
    first = next(r for r in rules if r.id == chain[0])
    return Diagnostic("E181", f"{len(chain)} rules are chained together; more than one rule set "
                      f"can hold ({MAX_RULES_PER_SET} rules, {MAX_ALTERNATIVES_PER_SET} "
                      "alternatives)", first.pos.file,
                      first.pos.line, first.pos.column)


def _rule_definition(branches: list[Branch]) -> dict:
    if len(branches) == 1:
        return {"all": _patterns(branches[0])}
    return {"any": [{f"b{i}$all": _patterns(b)} for i, b in enumerate(branches)]}


def _patterns(branch: Branch) -> list[dict]:
    profile = {"$and": [{"t": PROFILE}, *branch.tests]} if branch.tests else {"t": PROFILE}
    patterns = [{"p": profile}]
    for i, name in enumerate(sorted(branch.present)):
        patterns.append({f"d{i}": {"$and": [{"t": DERIVED}, {"name": name}]}})
    for i, name in enumerate(sorted(branch.absent)):
        patterns.append({f"n{i}$not": {"$and": [{"t": DERIVED}, {"name": name}]}})
    return patterns


def to_branches(node: ast.Condition, negated: bool, types: dict[str, FactType]) -> list[Branch]:
    """The condition (negated if asked) in disjunctive normal form: alternatives of literal tests.

    durable-rules mishandles `$or` inside a pattern (error 303 once ~65 rules share one), so every
    disjunction becomes a separate alternative of the rule (`any` of `all`s) instead.
    """
    if isinstance(node, ast.Not):
        return to_branches(node.operand, not negated, types)
    if isinstance(node, ast.FactRef):
        names = frozenset([node.name])
        return [Branch(absent=names) if negated else Branch(present=names)]
    if isinstance(node, (ast.And, ast.Or)):
        parts = [to_branches(o, negated, types) for o in node.operands]
        if isinstance(node, ast.And) != negated:
            merged = []
            for combination in product(*parts):
                branch = Branch()
                for part in combination:
                    branch = branch.merge(part)
                merged.append(branch)
            return merged
        return [b for part in parts for b in part]
    return [Branch((test,)) for test in literal_tests(node, negated, types[node.path])]


def literal_tests(node, negated: bool, fact_type: FactType) -> list[dict]:
    """A literal (or its complement) as alternative durable-rules tests on the profile fact.

    The complement of a comparison also holds when the value is unknown (a missing field), which
    only band and score fields can be.
    """
    if isinstance(node, ast.Has):
        return [{field_name(node.path, node.member): 0 if negated else 1}]
    key = field_name(node.path)
    known, unknown = {"$ex": {key: 1}}, {"$nex": {key: 1}}
    may_be_unknown = [unknown] if fact_type.kind in (Kind.BAND, Kind.NUMBER) else []
    if isinstance(node, ast.Comparison) and node.value == INSUFFICIENT:
        return [unknown if (node.op == "=") != negated else known]
    if isinstance(node, ast.Between):
        if not negated:
            return [{"$and": [{"$gte": {key: node.low}}, {"$lte": {key: node.high}}]}]
        return [{"$lt": {key: node.low}}, {"$gt": {key: node.high}}] + may_be_unknown
    if isinstance(node, ast.Membership):
        values = [v for v in node.values if v != INSUFFICIENT]
        wants_unknown = len(values) != len(node.values)
        if not negated:
            return [_compare(key, "=", fact_type, v) for v in values] + ([unknown] if wants_unknown else [])
        outside = {"$and": [known] + [_compare(key, "!=", fact_type, v) for v in values]}
        return [outside] + ([] if wants_unknown else may_be_unknown)
    if not negated:
        return [_compare(key, node.op, fact_type, node.value)]
    return [_compare(key, _FLIP[node.op], fact_type, node.value)] + may_be_unknown


def _compare(key: str, op: str, fact_type: FactType, value) -> dict:
    encoded = encode_value(fact_type, value)
    if op == "=":
        return {key: encoded}
    if op == "!=":
        return {"$and": [{"$ex": {key: 1}}, {"$neq": {key: encoded}}]}
    return {_OPS[op]: {key: encoded}}
