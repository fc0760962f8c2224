"""In headless Debian Chromium: the program report (as `program report --format html` writes it, and
on the signed-in page) shows the incident and restraint rate charts with their denominators; a
client's progress page shows the region map over time and what changed; no CSP refusals."""

from __future__ import annotations

import pytest

import knowledge_base
from engine.synthetic.agency import AgencyShape, fill
from engine.audit.store import AuditStore
from engine.reports.program import program_report
from explain.program import render_html
from tests.helpers import browser_or_skip
from tests.web_support import TOKEN


@pytest.fixture(scope="module")
def agency(tmp_path_factory):
    browser_or_skip()
    db = tmp_path_factory.mktemp("program-browser") / "audit.sqlite"
    with AuditStore.open(db, mode="create") as store:
        fill(store, knowledge_base.load(None), AgencyShape(clients=6, seed=9))
    return db


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    from explain.screenshots import launch
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def _charts_are_drawn(page) -> None:
    chart = page.locator("figure svg").first
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    assert chart.locator("polyline").count() == 2  # restraint and critical incident
    box = chart.bounding_box()
    assert box["width"] > 400 and box["height"] > 200
    assert chart.locator("text", has_text="Restraint and critical incident rates by month").is_visible()
    assert chart.locator("text", has_text="bed-days (denominator; highest").is_visible()
    assert chart.locator("rect[fill='#bbb']").count() == chart.locator("circle").count() // 2
    assert page.locator("table.rates tbody tr").count() > 12
    assert page.get_by_text("Observational, uncontrolled figures.").is_visible()


@pytest.mark.browser
def test_the_html_report_file_shows_rate_charts_with_denominators(agency, browser, tmp_path):
    with AuditStore.open(agency) as store:
        html = render_html(program_report(store))
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.as_uri())
    _charts_are_drawn(page)


@pytest.mark.browser
def test_the_signed_in_pages_show_the_report_and_a_clients_progress(agency, browser):
    from groundwork.web.screenshots import running_server, sign_in
    with running_server(agency, TOKEN) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        refused = []
        page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
        sign_in(page, base, TOKEN)
        page.get_by_role("link", name="Program report").click()
        page.wait_for_url("**/program")
        _charts_are_drawn(page)
        page.goto(base + "/clients/C00002/progress")
        region_map = page.locator("table.region-map").first
        assert region_map.is_visible()
        assert region_map.locator("tbody tr").count() == 4  # one row per region
        assert region_map.locator("thead th").count() > 4  # one column per assessment
        severe = region_map.locator("td.band-severe").first
        colour = severe.evaluate("cell => getComputedStyle(cell).backgroundColor")
        assert colour == "rgb(230, 97, 1)"  # the band colours come from app.css, not inline style
        heading = page.get_by_role("heading", name="What changed")
        heading.scroll_into_view_if_needed()
        assert heading.is_visible()
        assert page.locator("section.change li", has_text="rules responsible").first.is_visible()
        page.get_by_role("link", name="Record outcome").click()
        page.get_by_label("Client pseudonym").first.fill("C00002")
        page.get_by_label("Date").fill("2025-01-03")
        page.get_by_label("Incident reference or code").fill("INC-42")
        page.get_by_role("button", name="Record event").click()
        assert page.get_by_role("status").inner_text().startswith("Recorded as audit record")
        assert refused == []
