"""The space of client profiles a condition ranges over: one variable per independent fact.

Every fact a rule can test is mapped onto a variable with a finite range of whole numbers, plus
"unknown" where the fact can be unknown (an `insufficient` band, a missing score):

- a region's (or domain's) band and score share one variable, the score in hundredths: the band is
  a function of the score (the knowledge base's thresholds), and `insufficient` is the unknown
  score — so `limbic.band = severe and limbic.score < 1` is seen to be impossible;
- ordered scales (arousal states, severities, relational levels) are their ranks;
- an age in whole years is a view of the same age in months;
- `path has member` is a yes/no variable per member of a set;
- the worst adversity and the weakest part of relational health are the maximum and minimum of
  facts that have variables of their own; they are expanded into alternatives over those.

Which of these each fact is, is declared with the fact in the registry (dsl/facts.py).

A literal becomes the set of variable values for which it holds, following the reference
evaluator (dsl/evaluate.py): every comparison with an unknown value is false except
`= insufficient`, and `not` is plain negation, so a negated literal holds on the complement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from dsl import ast, facts
from dsl.facts import FactType
from dsl.vocabulary import BANDS, INSUFFICIENT, SCALE_OF_KIND, Kind

SCORE_SCALE = 100  # scores are rounded to two decimals: hundredths are exact
MAX_YEARS = 120  # the assessment model's upper bound on age
MAX_COUNT = 99  # no caseload has more trusted adults than this; the exact cap does not matter


@dataclass(frozen=True)
class Values:
    """Allowed values of one variable: disjoint closed integer ranges, ascending, and unknown."""

    ranges: tuple[tuple[int, int], ...] = ()
    unknown: bool = False

    @staticmethod
    def span(low: int, high: int, unknown: bool = False) -> "Values":
        return Values(((low, high),) if low <= high else (), unknown)

    @property
    def empty(self) -> bool:
        return not self.ranges and not self.unknown

    def __and__(self, other: "Values") -> "Values":
        out = []
        for low, high in self.ranges:
            for o_low, o_high in other.ranges:
                lo, hi = max(low, o_low), min(high, o_high)
                if lo <= hi:
                    out.append((lo, hi))
        return Values(_merge(out), self.unknown and other.unknown)

    def __or__(self, other: "Values") -> "Values":
        return Values(_merge(list(self.ranges) + list(other.ranges)), self.unknown or other.unknown)

    def minus(self, other: "Values") -> "Values":
        out = list(self.ranges)
        for o_low, o_high in other.ranges:
            next_out = []
            for low, high in out:
                if o_high < low or o_low > high:
                    next_out.append((low, high))
                    continue
                if low < o_low:
                    next_out.append((low, o_low - 1))
                if o_high < high:
                    next_out.append((o_high + 1, high))
            out = next_out
        return Values(tuple(out), self.unknown and not other.unknown)

    def contains(self, value: int) -> bool:
        return any(low <= value <= high for low, high in self.ranges)

    def nearest(self, preferred: int) -> int | None:
        """The allowed (known) value closest to `preferred`, the lower one on a tie."""
        best = None
        for low, high in self.ranges:
            candidate = min(max(preferred, low), high)
            if best is None or abs(candidate - preferred) < abs(best - preferred):
                best = candidate
        return best

    def smallest(self) -> int | None:
        return self.ranges[0][0] if self.ranges else None

    def largest(self) -> int | None:
        return self.ranges[-1][1] if self.ranges else None


def _merge(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return tuple(out)


@dataclass(frozen=True)
class Var:
    """One independent fact: its range, whether it can be unknown, and a typical value."""

    name: str
    low: int
    high: int
    can_be_unknown: bool
    preferred: int  # the value an example profile uses when the condition allows it
    show: Callable[[int | None], str]  # value → how a trainer reads it, e.g. "band = severe"

    @property
    def universe(self) -> Values:
        return Values.span(self.low, self.high, self.can_be_unknown)


@dataclass(frozen=True)
class PathView:
    """How the fact a rule names maps onto a variable: the path's own scale and the mapping."""

    var: Var
    universe: Values  # in the path's own units (band ranks, whole years …)
    to_var: Callable[[Values], Values]
    kind: Kind
    scale: int = 1  # numbers: path value × scale = variable value


class Space:
    """The variables of one knowledge base and the translation of literals onto them."""

    def __init__(self, kb):
        self.kb = kb
        self.types: dict[str, FactType] = kb.fact_types()
        max_rating = kb.instrument.max_value if kb.instrument else 3
        self.max_score = max_rating * SCORE_SCALE
        self.band_ranges = self._band_ranges()
        self.vars: dict[str, Var] = {}
        self.views: dict[str, PathView] = {}
        self.extremes: dict[str, facts.Extreme] = {}
        self._build()

    # ---- construction ----
    def _band_ranges(self) -> dict[int, tuple[int, int]]:
        """Band rank → (lowest, highest) score in hundredths, from the declared thresholds."""
        starts = {t.band: math.ceil(Fraction(str(t.from_score)) * SCORE_SCALE)
                  for t in self.kb.thresholds}
        ordered = [b for b in BANDS if b in starts]
        out = {}
        for index, band in enumerate(ordered):
            low = max(starts[band], 0)
            high = starts[ordered[index + 1]] - 1 if index + 1 < len(ordered) else self.max_score
            out[BANDS.index(band)] = (low, min(high, self.max_score))
        return out

    def _var(self, name, low, high, unknown, preferred, show) -> Var:
        var = Var(name, low, high, unknown, preferred, show)
        self.vars[name] = var
        return var

    def _build(self) -> None:
        """One variable (or view onto one) per fact, as its registry entry's value space says."""
        for path, fact_type in self.types.items():
            space = fact_type.fact.space if fact_type.fact else None
            if isinstance(space, facts.Scored):
                self._scored(path, fact_type)
            elif isinstance(space, facts.Months):
                var = self._months(path, space.preferred)
                self.views[path] = PathView(var, var.universe, _same, Kind.NUMBER)
            elif isinstance(space, facts.WholeYears):
                months = self.types[space.of].fact
                preferred = months.space.preferred if months and isinstance(
                    months.space, facts.Months) else 0
                var = self._months(space.of, preferred)
                self.views[path] = PathView(var, Values.span(0, MAX_YEARS), _years_to_months,
                                            Kind.NUMBER)
            elif isinstance(space, facts.Members):
                for member in fact_type.members:
                    name = f"{path} has {member}"
                    var = self._var(name, 0, 1, False, 0, _show_has(path, member))
                    self.views[name] = PathView(var, var.universe, _same, Kind.BOOL)
            elif isinstance(space, facts.Count):
                var = self._var(path, 0, MAX_COUNT, space.unknown, space.preferred,
                                _show_plain(path))
                self.views[path] = PathView(var, var.universe, _same, Kind.NUMBER)
            elif isinstance(space, facts.Ranked):
                scale = SCALE_OF_KIND.get(fact_type.kind, ("false", "true"))
                var = self._var(path, 0, len(scale) - 1, space.unknown,
                                scale.index(space.preferred), _show_scale(path, scale))
                self.views[path] = PathView(var, var.universe, _same, fact_type.kind)
            elif isinstance(space, facts.Extreme):
                self.extremes[path] = space  # expanded per literal (see _extreme)

    def _scored(self, path: str, fact_type: FactType) -> None:
        """A band and a score share the score variable: the band is a function of the score."""
        name = fact_type.name
        score = facts.score_path(name)
        var = self.vars.get(score) or self._var(score, 0, self.max_score, True, 0,
                                                self._show_score(name))
        if fact_type.kind is Kind.BAND:
            self.views[path] = PathView(
                var, Values.span(0, len(BANDS) - 1, True), self._bands_to_scores, Kind.BAND)
        else:
            self.views[path] = PathView(var, var.universe, _same, Kind.NUMBER, SCORE_SCALE)

    def _months(self, path: str, preferred: int) -> Var:
        if path not in self.vars:
            self._var(path, 0, MAX_YEARS * 12 + 11, False, preferred, _show_months(path))
        return self.vars[path]

    def _bands_to_scores(self, ranks: Values) -> Values:
        out = Values((), ranks.unknown)
        for low, high in ranks.ranges:
            for rank in range(low, high + 1):
                if rank in self.band_ranges:
                    out = out | Values.span(*self.band_ranges[rank])
        return out

    def band_of(self, score: int) -> str:
        for rank, (low, high) in self.band_ranges.items():
            if low <= score <= high:
                return BANDS[rank]
        return BANDS[0]

    def _show_score(self, name: str):
        def show(value, name=name):
            if value is None:
                return f"{facts.band_path(name)} = {INSUFFICIENT}"
            return f"{facts.band_path(name)} = {self.band_of(value)}"
        return show

    # ---- literals ----
    def literal(self, node, negated: bool) -> list[dict[str, Values]]:
        """Alternatives (each: variable → allowed values) under which the literal holds."""
        if node.path in self.extremes:
            return self._extreme(node, negated)
        key = f"{node.path} has {node.member}" if isinstance(node, ast.Has) else node.path
        view = self.views[key]
        allowed = self.allowed(node, view)
        if negated:
            allowed = view.universe.minus(allowed)
        return [{view.var.name: view.to_var(allowed)}]

    def allowed(self, node, view: PathView) -> Values:
        """The values (in the path's own units) for which a literal holds."""
        if isinstance(node, ast.Has):
            return Values.span(1, 1)
        known = Values(view.universe.ranges)
        if isinstance(node, ast.Between):
            low = math.ceil(Fraction(str(node.low)) * view.scale)
            high = math.floor(Fraction(str(node.high)) * view.scale)
            return known & Values.span(low, high)
        if isinstance(node, ast.Membership):
            out = Values()
            for value in node.values:
                out = out | self._compare(view, known, "=", value)
            return out
        return self._compare(view, known, node.op, node.value)

    def _compare(self, view: PathView, known: Values, op: str, value) -> Values:
        if value == INSUFFICIENT:
            return Values((), True) if op == "=" else known
        if view.kind is Kind.NUMBER:
            x = Fraction(str(value)) * view.scale
        elif view.kind is Kind.BOOL:
            x = Fraction(1 if value is True else 0)
        else:
            x = Fraction(SCALE_OF_KIND[view.kind].index(value))
        bounds = {
            "=": (math.ceil(x), math.floor(x)),
            "<": (view.universe.smallest(), math.ceil(x) - 1),
            "<=": (view.universe.smallest(), math.floor(x)),
            ">": (math.floor(x) + 1, view.universe.largest()),
            ">=": (math.ceil(x), view.universe.largest()),
        }
        if op == "!=":
            return known.minus(Values.span(math.ceil(x), math.floor(x)))
        low, high = bounds[op]
        if low is None or high is None:  # an empty universe has no bounds
            return Values()
        return known & Values.span(low, high)

    def _extreme(self, node, negated: bool) -> list[dict[str, Values]]:
        """The highest (e.g. the worst adversity) or lowest of other facts: alternatives over
        which of those facts takes the extreme value."""
        extreme = self.extremes[node.path]
        parts = list(facts.expand(extreme.of))
        is_max = extreme.highest
        first = self.views[parts[0]]
        view = PathView(first.var, first.universe, _same, first.kind)
        allowed = self.allowed(node, view)
        if negated:
            allowed = view.universe.minus(allowed)
        top = first.var.high
        # Facts that can be unknown (a history period not recorded) take no part in the extreme;
        # when all are unknown, so is the extreme.
        unknown = Values((), True) if first.var.can_be_unknown else Values()
        out = []
        for low, high in allowed.ranges:
            for value in range(low, high + 1):
                others = (Values.span(0, value) if is_max else Values.span(value, top)) | unknown
                for chosen in parts:
                    out.append({p: Values.span(value, value) if p == chosen else others
                                for p in parts})
        if allowed.unknown and first.var.can_be_unknown:
            out.append({p: Values((), True) for p in parts})
        return out


# Facts whose values are linked: the first is never above the second.
ORDERED_PAIRS = facts.ordered_pairs()


def _same(values: Values) -> Values:
    return values


def _years_to_months(years: Values) -> Values:
    return Values(tuple((low * 12, high * 12 + 11) for low, high in years.ranges), years.unknown)


def _show_months(path: str):
    def show(value):
        years, months = divmod(value, 12)
        return f"{path} = {value} ({years} years {months} months)"
    return show


def _show_has(path: str, member: str):
    return lambda value: f"{path} has {member}" if value else f"not {path} has {member}"


def _show_plain(path: str):
    return lambda value: f"{path} = {value}"


def _show_scale(path: str, scale: tuple[str, ...]):
    return lambda value: f"{path} = {scale[value]}"
