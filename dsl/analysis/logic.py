"""Whether a condition can hold, and for which profile: DNF with per-variable value sets.

A condition is taken in negation normal form and expanded into alternatives (its disjunctive
normal form, as dsl/compile.py's to_branches does for the engine). Each alternative constrains each
variable of the profile space (dsl/analysis/space.py) to a set of values; it is satisfiable when no
set is empty and the linked facts can be ordered. Alternatives are pruned as soon as they become
impossible, and the first reason is kept to explain an impossible condition.

A derived fact is replaced by what makes it true: the conditions of the rules that derive it (any
one of them firing derives it). A fact that recurs inside its own derivation counts as false there,
which is the least fixpoint the engine computes. So the analysis is exact for everything except a
few couplings between facts that the space does not model (a domain's score and the scores of the
regions its items load on; developmental age and the ratings) — an alternative found here may, in
rare cases, be impossible for a real assessment, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

from dsl import ast
from dsl.analysis.space import ORDERED_PAIRS, SCORE_SCALE, Space, Values
from dsl.evaluate import describe

MAX_ALTERNATIVES = 4096
# How many merges one `satisfiable` search tries before it falls back to the full expansion.
MAX_MERGES = 200_000


class TooComplex(Exception):
    """The condition expands into more alternatives than the analysis will look at."""


class _OutOfMerges(Exception):
    """The depth-first search tried MAX_MERGES merges: fall back to the full expansion."""


@dataclass(frozen=True)
class Source:
    """A literal that constrained a variable, and the derived fact it came through, if any."""

    node: ast.Condition
    via: tuple[str, ...] = ()  # derived facts, outermost first
    negated: bool = False

    def text(self) -> str:
        written = describe(self.node)
        text = f"not ({written})" if self.negated else written
        return f"{text} (through {' -> '.join(self.via)})" if self.via else text


@dataclass
class Branch:
    """One alternative: variable → allowed values, with the literals that constrained each."""

    values: dict[str, Values] = field(default_factory=dict)
    sources: dict[str, tuple[Source, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """Why an alternative is impossible: literals that cannot all hold."""

    sources: tuple[Source, ...]
    never_derived: str | None = None  # the conflict is a derived fact nothing can derive

    def text(self) -> str:
        if self.never_derived:
            return f"fact '{self.never_derived}' is never derived (no active rule derives it)"
        shown = list(dict.fromkeys(s.text() for s in self.sources))
        if len(shown) == 1:
            return f"'{shown[0]}' can never hold"
        return " and ".join(f"'{s}'" for s in shown) + " cannot all hold"


class Logic:
    """Satisfiability over one knowledge base's profile space."""

    def __init__(self, kb, rules=None):
        self.kb = kb
        self.space = Space(kb)
        active = rules if rules is not None else [r for r in kb.rules if r.status != "retired"]
        self.derivers: dict[str, list[ast.Rule]] = {}
        for rule in active:
            for action in rule.actions:
                if isinstance(action, ast.Derive):
                    self.derivers.setdefault(action.fact, []).append(rule)
        self.reason: Conflict | None = None
        # Lint asks about the same rule conditions again and again (every pair of rules): each
        # expansion is remembered, with the reason when it is empty. Callers never change the
        # lists or branches they get back. Keyed by the node's id; the entry keeps the node alive,
        # so that a condition built for one question cannot leave its id to another.
        self._expanded: dict[tuple, tuple[object, list[Branch], Conflict | None]] = {}
        self._hulls: dict[int, dict[str, Values]] = {}

    # ---- expansion ----
    def branches(self, node, negated: bool = False, via: tuple[str, ...] = ()) -> list[Branch]:
        """The satisfiable alternatives of a condition (negated if asked). When there are none,
        `self.reason` says why."""
        key = (id(node), negated, via)
        if key not in self._expanded:
            out = self._expand(node, negated, via)
            self._expanded[key] = (node, out, None if out else self.reason)
        _, out, reason = self._expanded[key]
        if not out:
            self.reason = reason
        return out

    def _expand(self, node, negated: bool, via: tuple[str, ...]) -> list[Branch]:
        if isinstance(node, ast.Not):
            return self.branches(node.operand, not negated, via)
        if isinstance(node, ast.FactRef):
            return self._derived(node, negated, via)
        if isinstance(node, (ast.And, ast.Or)):
            if isinstance(node, ast.And) != negated:
                return self.conjoin_all([(o, negated, via) for o in node.operands])
            out, first_reason = [], None
            for operand in node.operands:
                part = self.branches(operand, negated, via)
                if not part and first_reason is None:
                    first_reason = self.reason
                out.extend(part)
                self._limit(out)
            if not out:
                self.reason = first_reason
            return out
        source = Source(node, via, negated)
        out = []
        for alternative in self.space.literal(node, negated):
            branch = Branch()
            for name, values in alternative.items():
                branch.values[name] = values
                branch.sources[name] = (source,)
            if self._feasible(branch) is None:
                out.append(branch)
        if not out:
            self.reason = Conflict((source,))
        return out

    def _derived(self, node: ast.FactRef, negated: bool, via) -> list[Branch]:
        derivers = self.derivers.get(node.name, [])
        if node.name in via or not derivers:
            # Never derived here (no active rule derives it, or it recurs inside its own
            # derivation: false, the least fixpoint).
            if negated:
                return [Branch()]
            self.reason = Conflict((Source(node, via),), never_derived=node.name)
            return []
        whens = tuple(r.when for r in derivers)
        either = whens[0] if len(whens) == 1 else ast.Or(whens, node.pos)
        return self.branches(either, negated, via + (node.name,))

    def conjoin_all(self, parts) -> list[Branch]:
        """All of `parts` at once: each a (condition, negated, via) or a list of branches."""
        result = [Branch()]
        for part in parts:
            branches = self.branches(*part) if isinstance(part, tuple) else part
            if not branches:
                return []  # self.reason was set by the part
            next_result, first_conflict = [], None
            for left, right in product(result, branches):
                merged, conflict = self.conjoin(left, right)
                if merged is not None:
                    next_result.append(merged)
                elif first_conflict is None:
                    first_conflict = conflict
                self._limit(next_result)
            if not next_result:
                self.reason = first_conflict
                return []
            result = next_result
        return result

    def conjoin(self, left: Branch, right: Branch) -> tuple[Branch | None, Conflict | None]:
        branch = Branch(dict(left.values), dict(left.sources))
        for name, values in right.values.items():
            if name in branch.values:
                joined = branch.values[name] & values
                sources = branch.sources[name] + right.sources[name]
                if joined.empty:
                    return None, Conflict(sources)
                branch.values[name] = joined
                branch.sources[name] = sources
            else:
                branch.values[name] = values
                branch.sources[name] = right.sources[name]
        conflict = self._feasible(branch)
        return (branch, None) if conflict is None else (None, conflict)

    def _feasible(self, branch: Branch) -> Conflict | None:
        """None when the linked facts (ORDERED_PAIRS) can be ordered; else the conflict."""
        for lesser, greater in ORDERED_PAIRS:
            if lesser in branch.values or greater in branch.values:
                low = self._values(branch, lesser).smallest()
                high = self._values(branch, greater).largest()
                if low is None or high is None or low > high:
                    return Conflict(branch.sources.get(lesser, ()) + branch.sources.get(greater, ()))
        return None

    def _values(self, branch: Branch, name: str) -> Values:
        return branch.values.get(name, self.space.vars[name].universe)

    @staticmethod
    def _limit(branches: list[Branch]) -> None:
        if len(branches) > MAX_ALTERNATIVES:
            raise TooComplex()

    # ---- questions ----
    def satisfiable(self, *conditions: tuple[ast.Condition, bool]) -> Branch | None:
        """The first alternative under which all (condition, negated?) pairs hold, or None.

        The same alternative `conjoin_all` would list first, found depth first: most questions
        lint asks are settled after a few merges, or by one variable that the alternatives of
        one part allow no value of that another part needs (see `_hull`), before any merge."""
        parts = []
        for node, negated in conditions:
            branches = self.branches(node, negated, ())
            if not branches:
                return None
            parts.append(branches)
        hulls = [self._hull(branches) for branches in parts]
        if any(_apart(a, b) for i, a in enumerate(hulls) for b in hulls[i + 1:]):
            return None
        try:
            return self._first(Branch(), parts, hulls, [MAX_MERGES])
        except _OutOfMerges:
            found = self.conjoin_all(parts)  # the full expansion, bounded by MAX_ALTERNATIVES
            return found[0] if found else None

    def _first(self, sofar: Branch, parts, hulls, budget: list[int]) -> Branch | None:
        if not parts:
            return sofar
        for branch in parts[0]:
            budget[0] -= 1
            if budget[0] < 0:
                raise _OutOfMerges()
            merged, _ = self.conjoin(sofar, branch)
            if merged is None or any(_apart(merged.values, hull) for hull in hulls[1:]):
                continue  # forward check: a later part can no longer hold beside this one
            found = self._first(merged, parts[1:], hulls[1:], budget)
            if found is not None:
                return found
        return None

    def _hull(self, branches: list[Branch]) -> dict[str, Values]:
        """Per variable that every alternative constrains, the values any of them allows."""
        key = id(branches)  # an expansion kept in self._expanded: its id stays its own
        if key not in self._hulls:
            names = set.intersection(*(set(b.values) for b in branches))
            hull = {}
            for name in names:
                union = branches[0].values[name]
                for branch in branches[1:]:
                    union = union | branch.values[name]
                hull[name] = union
            self._hulls[key] = hull
        return self._hulls[key]

    def why_impossible(self, node: ast.Condition) -> Conflict | None:
        """None when the condition can hold; else the reason it cannot."""
        self.reason = None
        if self.branches(node):
            return None
        return self.reason or Conflict(())

    # ---- examples ----
    def example(self, branch: Branch, typical: bool = True) -> list[str]:
        """The facts of one profile in the alternative, as a trainer reads them; without the
        facts at their typical value unless `typical`."""
        chosen: dict[str, int | None] = {}
        for name in sorted(branch.values):
            var = self.space.vars[name]
            allowed = branch.values[name]
            value = allowed.nearest(var.preferred)
            chosen[name] = None if value is None and allowed.unknown else value
        self._order_linked(branch, chosen)
        return [self._show(name, chosen[name], branch.values[name]) for name in sorted(chosen)
                if typical or chosen[name] != self.space.vars[name].preferred]

    def _order_linked(self, branch: Branch, chosen: dict) -> None:
        """Make linked facts that the alternative both constrains agree (lesser <= greater)."""
        for lesser, greater in ORDERED_PAIRS:
            low, high = chosen.get(lesser), chosen.get(greater)
            if low is None or high is None or low <= high:
                continue  # a fact the alternative leaves free can take any suitable value
            lowered = (branch.values[lesser] & Values.span(0, high)).largest()
            if lowered is not None:
                chosen[lesser] = lowered
            else:
                chosen[greater] = (branch.values[greater] & Values.span(low, 10**9)).smallest()

    def _show(self, name: str, value, allowed: Values) -> str:
        var = self.space.vars[name]
        if name.endswith(".score") and value is not None:
            band = self.space.band_of(value)
            low, high = self.space.band_ranges[_rank(band)]
            if not all(allowed.contains(v) for v in (low, high)) or \
                    len((allowed & Values.span(low, high)).ranges) != 1:
                return f"{name} = {value / SCORE_SCALE:g} ({band})"
        return var.show(value)


def _apart(first: dict[str, Values], second: dict[str, Values]) -> bool:
    """Whether some variable both constrain has no value allowed by both."""
    if len(second) < len(first):
        first, second = second, first
    return any(name in second and (values & second[name]).empty for name, values in first.items())


def _rank(band: str) -> int:
    from dsl.vocabulary import BANDS
    return BANDS.index(band)
