"""Text → typed AST. Syntax only; no lark object leaves this module."""

from __future__ import annotations

from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from dsl import ast
from dsl.errors import Diagnostic, GroundworkError
from dsl.syntax_messages import explain_syntax_error

UNIT_MONTHS = {"months": 1, "years": 12}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # Built once per process: building the LALR tables is the costly part.
    return Lark.open("grammar.lark", rel_to=__file__, parser="lalr", lexer="basic",
                     propagate_positions=True, maybe_placeholders=True)


def parse_text(text: str, path: str) -> ast.SourceFile:
    """Parse one rule file. Raises GroundworkError (code E001) on a syntax error."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        raise GroundworkError([_syntax_diagnostic(error, text, path)]) from None
    out_of_range = list(numbers_out_of_range(tree, text, path))
    if out_of_range:
        raise GroundworkError(out_of_range)
    return ast.SourceFile(path=path, items=tuple(transform(tree, path)))


# Where a number stands -> the values it may take. Wide enough for any sensible knowledge base,
# narrow enough that no value reaches the engine as an overflow or a 309-digit priority.
NUMBER_RANGES: dict[str, tuple[float, float, str]] = {
    "rec_priority": (0, 1000, "a priority"),
    "dose": (0, 1440, "a dose's frequency or minutes"),  # below 1: E150 says why
    "review_decl": (1, 520, "a review interval in weeks"),
    "iv_min_age": (0, 1500, "a developmental age"),
    "scale_dose": (0, 100, "a dose multiplier"),
    "region_decl": (0, 1000, "a region's order"),
}
ANY_NUMBER = (0, 100_000, "a number in a rule file")


def numbers_out_of_range(tree, text: str, path: str):
    """E190 for each number outside the range of the place it stands (NUMBER_RANGES)."""
    lines = text.splitlines()
    for subtree in tree.iter_subtrees():
        low, high, what = NUMBER_RANGES.get(subtree.data, ANY_NUMBER)
        for token in subtree.children:
            if not (isinstance(token, Token) and token.type == "NUMBER"):
                continue
            # len() first: a 309-digit number is refused without converting it
            if len(token) <= 12 and low <= float(token) <= high:
                continue
            line = token.line or 0
            source = lines[line - 1] if 0 < line <= len(lines) else ""
            yield Diagnostic("E190", f"{what} must be between {low:g} and {high:g}", path,
                             token.line, token.column, "error",
                             "numbers in rule files are small: priorities, minutes, weeks, months",
                             source)


def transform(tree, path: str) -> list:
    """The declarations of a parse tree, as AST nodes."""
    try:
        return _ToAst(path).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, GroundworkError):
            raise error.orig_exc from None
        raise


def _syntax_diagnostic(error: UnexpectedInput, text: str, path: str) -> Diagnostic:
    lines = text.splitlines()
    line = getattr(error, "line", None) or 1
    column = getattr(error, "column", None) or 1
    if isinstance(error, UnexpectedToken) and error.token.type == "$END" and \
            getattr(error.token, "end_line", None):
        # lark places the end-of-file token on the last token; point just after it instead.
        line, column = error.token.end_line, error.token.end_column
    elif isinstance(error, UnexpectedEOF) or line < 1:
        line = max(len(lines), 1)
        column = len(lines[-1]) + 1 if lines else 1
    message, hint = explain_syntax_error(error, text)
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    return Diagnostic("E001", message, path, line, column, "error", hint, source_line)


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _number(token: Token) -> float | int:
    value = float(token)
    return int(value) if value.is_integer() and "." not in str(token) else value


@v_args(meta=True)
class _ToAst(Transformer):
    """Turns the parse tree into frozen AST nodes carrying file, line and column."""

    def __init__(self, path: str):
        super().__init__()
        self.file = path

    def _pos(self, meta_or_token) -> ast.Pos:
        return ast.Pos(self.file, meta_or_token.line, meta_or_token.column)

    def start(self, meta, items):
        return items

    # ---- declarations ----
    def kb_header(self, meta, children):
        name, version = children
        return ast.KbHeader(_unquote(name), _unquote(version), self._pos(meta))

    def region_decl(self, meta, children):
        name, order, phase, description = children
        return ast.RegionDecl(str(name), int(float(order)), str(phase),
                              _unquote(description) if description else "", self._pos(meta))

    def domain_decl(self, meta, children):
        name, primary, description = children
        return ast.DomainDecl(str(name), str(primary),
                              _unquote(description) if description else "", self._pos(meta))

    def bands_decl(self, meta, children):
        return ast.BandsDecl(tuple(children), self._pos(meta))

    def band_threshold(self, meta, children):
        band, score = children
        return ast.BandThreshold(str(band), float(score), self._pos(band))

    def compromised_decl(self, meta, children):
        return ast.CompromisedDecl(children[0], self._pos(meta))

    def reach_decl(self, meta, children):
        state, phases = children
        return ast.ReachDecl(str(state), phases, self._pos(meta))

    def fact_decl(self, meta, children):
        name, description = children
        return ast.FactDecl(str(name), _unquote(description), self._pos(meta))

    def review_decl(self, meta, children):
        weeks, critical = children
        return ast.ReviewDecl(int(float(weeks)), int(float(critical)) if critical else None,
                              self._pos(meta))

    def age_span(self, meta, c):
        low, low_unit, high, high_unit = c
        return (int(float(low) * UNIT_MONTHS[str(low_unit)]),
                int(float(high) * UNIT_MONTHS[str(high_unit)]))

    def budget_decl(self, meta, children):
        (low, high), *limits = children
        values = dict(limits)
        return ast.BudgetDecl(low, high, values.get("per_deliverer"), values.get("per_setting"),
                              values.get("minutes_per_day"), self._pos(meta))

    def budget_per_deliverer(self, meta, c):
        return ("per_deliverer", int(float(c[0])))

    def budget_per_setting(self, meta, c):
        return ("per_setting", int(float(c[0])))

    def budget_minutes(self, meta, c):
        return ("minutes_per_day", int(float(c[0])))

    def id_list(self, meta, children):
        return tuple(str(c) for c in children)

    # ---- interventions ----
    def intervention(self, meta, children):
        ident, *fields = children
        values: dict = {}
        for field in fields:
            pairs = field if isinstance(field[0], tuple) else (field,)
            for key, value in pairs:
                values[key] = value
        return ast.Intervention(id=str(ident), pos=self._pos(ident), **values)

    def iv_name(self, meta, c):
        return ("name", _unquote(c[0]))

    def iv_region(self, meta, c):
        return ("region", str(c[0])), ("region_pos", self._pos(c[0]))

    def iv_phase(self, meta, c):
        return ("phase", str(c[0]))

    def iv_modality(self, meta, c):
        return ("modality", str(c[0]))

    def iv_dose(self, meta, c):
        return ("dose", c[0])

    def iv_settings(self, meta, c):
        return ("settings", c[0])

    def iv_min_age(self, meta, c):
        amount, unit, domain = c
        months = ("min_developmental_age_months", int(float(amount) * UNIT_MONTHS[str(unit)]))
        if domain is None:
            return months
        return months, ("stage_domain", str(domain)), ("stage_domain_pos", self._pos(domain))

    def iv_requires(self, meta, c):
        return ("requires", c[0]), ("requires_pos", self._pos(meta))

    def iv_contraindicated(self, meta, c):
        return ("contraindicated", c[0]), ("contraindicated_pos", self._pos(meta))

    def iv_marks(self, meta, c):
        return ("marks", c[0]), ("marks_pos", self._pos(meta))

    def iv_no_touch(self, meta, c):
        return ("no_touch_alternative", str(c[0])), ("no_touch_alternative_pos", self._pos(c[0]))

    def iv_source(self, meta, c):
        return ("source", _unquote(c[0]))

    def iv_description(self, meta, c):
        return ("description", _unquote(c[0]))

    def iv_track(self, meta, c):
        return ("track", str(c[0])), ("track_pos", self._pos(c[0]))

    def iv_ages(self, meta, c):
        low, high = c[0]
        return ("min_age_months", low), ("max_age_months", high), ("ages_pos", self._pos(meta))

    def iv_routines(self, meta, c):
        return ("routines", c[0]), ("routines_pos", self._pos(meta))

    def iv_fits(self, meta, c):
        return ("fits", c[0]), ("fits_pos", self._pos(meta))

    def dose(self, meta, c):
        frequency, period, minutes, deliverers = c
        return ast.Dose(int(float(frequency)), str(period), int(float(minutes)), deliverers,
                        self._pos(meta))

    def deliverers(self, meta, c):
        return tuple(str(x) for x in c)

    # ---- rules ----
    def rule(self, meta, children):
        ident, *rest = children
        header: dict = {}
        field_pos = []
        when = None
        actions = []
        for child in rest:
            if isinstance(child, tuple) and len(child) == 3 and child[0] == "header":
                _, (key, value), pos = child
                header[key] = value
                field_pos.append((key, pos))
            elif when is None:
                when = child
            else:
                actions.append(child)
        assert when is not None  # the grammar requires `when` before the actions
        return ast.Rule(id=str(ident), pos=self._pos(ident), when=when, actions=tuple(actions),
                        field_pos=tuple(field_pos), **header)

    def _header(self, key, meta, c):
        value = _unquote(c[0]) if c[0].type == "STRING" else str(c[0])
        return ("header", (key, value), self._pos(c[0]))

    def h_version(self, meta, c):
        return self._header("version", meta, c)

    def h_title(self, meta, c):
        return self._header("title", meta, c)

    def h_status(self, meta, c):
        return self._header("status", meta, c)

    def h_evidence(self, meta, c):
        return self._header("evidence", meta, c)

    def h_source(self, meta, c):
        return self._header("source", meta, c)

    def h_author(self, meta, c):
        return self._header("author", meta, c)

    def h_rationale(self, meta, c):
        return self._header("rationale", meta, c)

    # ---- actions ----
    def recommend(self, meta, c):
        ident, *options = c
        values: dict = {}
        for key, value in options:
            values[key] = value
        return ast.Recommend(str(ident), self._pos(ident), **values)

    def rec_dose(self, meta, c):
        return ("dose", c[0])

    def rec_settings(self, meta, c):
        return ("settings", c[0])

    def rec_priority(self, meta, c):
        return ("priority", int(float(c[0])))

    def avoid(self, meta, c):
        return ast.Avoid(str(c[0]), _unquote(c[1]), self._pos(c[0]))

    def defer(self, meta, c):
        if isinstance(c[0], ast.CatalogSet):
            return ast.DeferEvery(c[0], c[1], c[0].pos)
        return ast.Defer(str(c[0]), c[1], self._pos(c[0]))

    def catalog_set(self, meta, c):
        return ast.CatalogSet(tuple(str(word) for word in c), self._pos(meta))

    def flag(self, meta, c):
        severity, code, message, actions = c
        return ast.Flag(str(severity), str(code), _unquote(message), self._pos(severity),
                        tuple(actions or ()))

    def derive(self, meta, c):
        return ast.Derive(str(c[0]), self._pos(c[0]))

    def no_action(self, meta, c):
        return ast.NoAction(_unquote(c[0]), self._pos(meta))

    def guide(self, meta, c):
        state, kind, text = c
        return ast.Guide(str(state), str(kind), _unquote(text), self._pos(state))

    def scale_dose(self, meta, c):
        phase, minutes, frequency = c
        return ast.ScaleDose(str(phase), float(minutes), float(frequency), self._pos(phase))

    # ---- conditions ----
    def or_cond(self, meta, c):
        return ast.Or(tuple(c), self._pos(meta))

    def and_cond(self, meta, c):
        return ast.And(tuple(c), self._pos(meta))

    def negation(self, meta, c):
        return ast.Not(c[0], self._pos(meta))

    def comparison(self, meta, c):
        path, op, (value, value_pos) = c
        return ast.Comparison(path, str(op), value, self._pos(meta), value_pos)

    def membership(self, meta, c):
        path, *values = c
        return ast.Membership(path, tuple(v for v, _ in values), self._pos(meta))

    def between(self, meta, c):
        path, low, high = c
        return ast.Between(path, float(low), float(high), self._pos(meta))

    def has(self, meta, c):
        path, member = c
        return ast.Has(path, str(member), self._pos(meta), self._pos(member))

    def fact_ref(self, meta, c):
        return ast.FactRef(str(c[0]), self._pos(meta))

    def path(self, meta, c):
        return ".".join(str(part) for part in c)

    def number(self, meta, c):
        return (float(c[0]), self._pos(c[0]))

    def word(self, meta, c):
        return (str(c[0]), self._pos(c[0]))

    def boolean(self, meta, c):
        return (str(c[0]) == "true", self._pos(c[0]))
