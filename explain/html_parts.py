"""HTML fragments of an explanation (why / why not), for the report's collapsible sections and the
web page, rendered from templates/parts.html with Jinja2 (autoescaping on).

Every value is escaped; truth is shown as a word and a mark, never by colour alone.
"""

from __future__ import annotations

from html import escape

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from explain.conditions import line
from explain.models import RuleMiss, ScoreEvidence, Why, WhyNot


def e(value) -> str:
    """Escape one value for HTML written by hand (the templates escape on their own)."""
    return escape(str(value), quote=True)


def _miss_reasons(miss: RuleMiss) -> Markup:
    reasons = [Markup("<code>{}</code>").format(line(miss.first_failing))] if miss.first_failing else []
    reasons += [Markup.escape(miss.note)] if miss.note else []
    return Markup("; ").join(reasons)


def _ratings(score: ScoreEvidence) -> str:
    return ", ".join(f"{r.item} {r.value if r.value is not None else r.meaning}" for r in score.ratings)


def _months(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years} years {rest} months"


# One environment for the report and its fragments: templates are package data (explain/templates).
ENV = Environment(loader=PackageLoader("explain", "templates"), autoescape=True, trim_blocks=True,
                  lstrip_blocks=True, keep_trailing_newline=True, undefined=StrictUndefined)
ENV.filters.update(miss_reasons=_miss_reasons, ratings=_ratings, months=_months)


def macro(template: str, name: str):
    """A macro of a template, to render one fragment from Python."""
    module = ENV.get_template(template).module
    return module.__dict__[name]  # the macros are the module's names


def why_html(why: Why) -> str:
    return str(macro("parts.html", "why")(why))


def why_not_html(answer: WhyNot) -> str:
    return str(macro("parts.html", "why_not")(answer))
