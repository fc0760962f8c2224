"""The whole loop in a real browser (headless Debian Chromium through Playwright): sign in, fill
the form for an example client, submit, see the region map and the regulate phase, open "why?"
and see the client's values, record feedback; by keyboard too, and on a narrow screen."""

from __future__ import annotations

import json

import pytest

from tests.helpers import EXAMPLES, browser_or_skip
from tests.web_support import AUTH, TOKEN

CASE = EXAMPLES / "school-age-child.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    browser_or_skip()
    from groundwork.web.screenshots import running_server
    db = tmp_path_factory.mktemp("web-browser") / "audit.sqlite"
    with running_server(db, TOKEN) as base:
        yield base, db


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    from explain.screenshots import launch
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.refused = []  # Content-Security-Policy refusals and script errors
        page.on("console", lambda m: page.refused.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.refused.append(str(e)))
        try:
            yield page
        finally:
            browser.close()


def _api(base: str, path: str) -> dict:
    import httpx
    return httpx.get(base + path, headers=AUTH).json()


@pytest.mark.browser
def test_clinician_loop_form_plan_why_feedback(server, page):
    from groundwork.web.screenshots import assess_through_form, open_first_why, sign_in
    base, _ = server
    case = json.loads(CASE.read_text())
    sign_in(page, base, TOKEN)
    plan_id = assess_through_form(page, case)
    stored = _api(base, f"/api/plans/{plan_id}")["plan"]
    assert stored["client_id"] == case["client_id"]

    region_map = page.locator("#region-map")
    assert region_map.is_visible()
    assert region_map.locator(".card").count() == len(stored["regions"])
    for region in stored["regions"]:
        assert region_map.locator(".card", has_text=region["region"]).first.is_visible()
    regulate = page.get_by_role("heading", name="Phase 1: Regulate")
    regulate.scroll_into_view_if_needed()
    assert regulate.is_visible()
    assert page.get_by_text("Not affiliated with the Neurosequential Network").first.is_visible()

    panel = open_first_why(page)
    first = stored["phases"][0]["recommendations"][0]
    why = _api(base, f"/api/plans/{plan_id}/why/{first['intervention']}")
    fact = next(p for p in why["rules"][0]["conditions"]["parts"] or [why["rules"][0]["conditions"]]
                if p["combine"] == "fact")
    assert panel.get_by_text(f"{fact['fact']} = {fact['actual']}").first.is_visible()
    assert panel.get_by_text(first["rules"][0]).first.is_visible()
    assert page.evaluate("document.activeElement.id") == "explain-h"  # focus moved to the answer

    item = page.locator(f"#rec-{first['intervention']}")
    item.get_by_role("button", name="Accept").click()
    item.locator(".status").filter(has_text="Recorded: accepted").wait_for()
    second = stored["phases"][0]["recommendations"][1]
    other = page.locator(f"#rec-{second['intervention']}")
    other.get_by_role("button", name="Override").click()
    other.get_by_label("Reason").select_option("resource_unavailable")
    other.get_by_role("button", name="Record override").click()
    other.locator(".status").filter(has_text="Recorded: overridden").wait_for()
    feedback = _api(base, f"/api/plans/{plan_id}")["feedback"]
    assert [(f["intervention"], f["outcome"], f["reason"]) for f in feedback] == [
        (first["intervention"], "accepted", None),
        (second["intervention"], "overridden", "resource_unavailable")]
    assert page.refused == []


@pytest.mark.browser
def test_why_not_by_keyboard_for_any_intervention(server, page):
    from groundwork.web.screenshots import sign_in
    base, _ = server
    sign_in(page, base, TOKEN)
    page.set_input_files("#case_file", str(CASE))
    page.get_by_role("button", name="Assess this file").click()
    page.wait_for_url("**/plans/*")
    plan_id = int(page.url.rsplit("/", 1)[1])
    deferred = _api(base, f"/api/plans/{plan_id}")["plan"]["deferred"][0]
    button = page.locator(f'[data-explain="why-not"][data-intervention="{deferred["intervention"]}"]')
    button.focus()
    page.keyboard.press("Enter")
    page.locator("#explain-body").get_by_text(deferred["holding_value"]).first.wait_for()
    assert page.evaluate("document.activeElement.id") == "explain-h"
    page.get_by_role("button", name="Back to where I was").click()
    assert page.evaluate("document.activeElement.dataset.intervention") == deferred["intervention"]
    page.get_by_label("Any intervention in the catalog").select_option("cbt-skills")
    page.locator("#ask-form").get_by_role("button", name="Why not?").click()
    page.locator("#explain-body").get_by_text("Why not", exact=False).first.wait_for()
    assert "cbt" in page.locator("#explain-body").inner_text().lower()
    assert page.refused == []


@pytest.mark.browser
def test_tab_order_follows_the_page_and_focus_is_visible(server, page):
    from groundwork.web.screenshots import sign_in
    base, _ = server
    sign_in(page, base, TOKEN)  # the login form's token field has the focus first (autofocus)
    seen = []
    for _ in range(8):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("(e => e.id || (['A', 'BUTTON'].includes(e.tagName) ? e.textContent.trim() : e.className))(document.activeElement)"))
        if seen[-1] == "Skip to the content":
            assert page.evaluate("getComputedStyle(document.activeElement).left") != "-10000px"
        else:
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    assert seen == ["Skip to the content", "Groundwork", "New assessment", "Record outcome",
                    "Program report", "Sign out", "case_file", "Assess this file"]
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "client_id"


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_readable_without_sideways_scrolling(server, page, width):
    from groundwork.web.screenshots import sign_in
    base, _ = server
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, base, TOKEN)
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) <= 0
    page.set_input_files("#case_file", str(CASE))
    page.get_by_role("button", name="Assess this file").click()
    page.wait_for_url("**/plans/*")
    assert page.evaluate(overflow) <= 0
    assert page.locator("#region-map").is_visible()
