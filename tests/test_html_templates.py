"""The HTML report and its fragments are Jinja2 templates with autoescaping on (explain/templates)."""

from __future__ import annotations

from pathlib import Path

import knowledge_base
from engine.intake import read_assessment_file
from engine.pipeline import assess
from explain.context import Context
from explain.html import region_map_html, render_report
from explain.html_parts import ENV, why_html, why_not_html
from explain.why import explain_why
from explain.why_not import explain_why_not
from tests.helpers import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
KB = knowledge_base.load()


def _context() -> Context:
    assessment, raw = read_assessment_file(EXAMPLES / "school-age-child.json", KB)
    return Context(KB, assess(assessment, raw, KB))


def test_the_report_is_built_from_templates_not_strings():
    assert ENV.autoescape is True
    for name in ("report.html", "parts.html", "region_map.html", "audit_record.html"):
        assert (ROOT / "explain" / "templates" / name).is_file()
    for module in ("html.py", "html_parts.py"):
        source = (ROOT / "explain" / module).read_text(encoding="utf-8")
        assert "<li" not in source and "<section" not in source, module


def test_values_are_escaped_in_every_fragment():
    ctx = _context()
    active = ctx.plan.phases[0].recommendations[0].intervention
    why = explain_why(ctx, active).model_copy(update={"summary": "<script>alert(1)</script>"})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in why_html(why) and "<script>" not in why_html(why)
    held = ctx.plan.deferred[0].intervention
    answer = explain_why_not(ctx, held).model_copy(update={"summary": 'a "quoted" <b>'})
    assert "<b>" not in why_not_html(answer) and "&lt;b&gt;" in why_not_html(answer)


def test_the_css_is_inlined_unescaped_and_the_page_is_deterministic():
    ctx = _context()
    page = render_report(ctx)
    css = (ROOT / "explain" / "templates" / "report.css").read_text(encoding="utf-8")
    assert css in page and page.endswith("</html>\n")
    assert page == render_report(ctx)
    assert region_map_html(ctx) in page
