"""The HTML report: self-contained, complete, and readable in a real (headless) browser."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pytest

from explain.html import render_report
from explain.plain import DISCLAIMER
from tests.explain_cases import all_cases, case_id, context
from tests.helpers import browser_or_skip

CASES = all_cases()


class _Outline(HTMLParser):
    """Headings, <details> count and every URL-bearing attribute of a page."""

    def __init__(self):
        super().__init__()
        self.headings, self.details, self.urls, self._in = [], 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "h2", "h3", "h4"):
            self._in, self._text = tag, ""
        self.details += tag == "details"
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_data(self, data):
        if self._in:
            self._text += data

    def handle_endtag(self, tag):
        if tag == self._in:
            self.headings.append((tag, " ".join(self._text.split())))
            self._in = None


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_report_has_every_part_and_no_external_resource(case):
    ctx = context(*case)
    page = render_report(ctx)
    outline = _Outline()
    outline.feed(page)
    plan = ctx.plan
    names = [text for _, text in outline.headings]
    assert "Region map" in names and "Provenance" in names
    client = [p for p in plan.phases if any(r.track == "client" for r in p.recommendations)]
    for number, phase in enumerate(client, 1):
        assert any(n.startswith(f"Phase {number}: {phase.name.capitalize()}") for n in names)
    support = [r.name for p in plan.phases for r in p.recommendations if r.track == "support"]
    if support:  # the adults' work comes first, in plain words
        assert names.index("For the adults around the client") < names.index("Phases")
        assert all(any(n.startswith(name) for n in names) for name in support)
    shown = sum(len(p.recommendations) for p in plan.phases)
    held = len(plan.deferred) + len(plan.avoided) + len(plan.not_suitable)
    assert outline.details == shown + held
    assert outline.urls == [] and "<script" not in page and "url(" not in page
    assert page.count(DISCLAIMER) == 2
    for region in plan.regions:
        assert f"Band: <strong>{region.band}</strong>" in page
    assert render_report(ctx) == page


@pytest.mark.browser
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_report_opens_in_headless_chromium_with_region_map_and_phases_visible(case, tmp_path):
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    from explain.screenshots import launch

    ctx = context(*case)
    page_file = tmp_path / "report.html"
    page_file.write_text(render_report(ctx), encoding="utf-8")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_file.as_uri())
            assert page.locator("#region-map").is_visible()
            assert page.locator("#region-map .card").count() == len(ctx.plan.regions)
            for region in ctx.plan.regions:
                assert page.locator("#region-map .card", has_text=region.band).first.is_visible()
            client = [p for p in ctx.plan.phases if any(r.track == "client" for r in p.recommendations)]
            for number, phase in enumerate(client, 1):
                heading = page.get_by_role("heading", name=f"Phase {number}: {phase.name.capitalize()}")
                heading.scroll_into_view_if_needed()
                assert heading.is_visible()
            if not page.locator("details").count():
                return
            first_why = page.locator("details").first
            assert not first_why.locator(":scope > div").is_visible()
            first_why.locator("summary").click()
            assert first_why.locator(":scope > div").is_visible()
        finally:
            browser.close()
