"""Regenerate the web page screenshots the README and docs/web.md show:
`python -m groundwork.web.screenshots` (from the repository root).

Starts the server on 127.0.0.1 (a free port, a throwaway audit store, a throwaway token), signs in,
fills the assessment form for the example client, submits it, opens a "why?", and photographs the
pages in headless Debian Chromium through Playwright (never a downloaded browser). Writes
docs/web-form.png, docs/web-plan.png, docs/web-why.png (1280x800) and docs/web-narrow.png (390 wide).
The browser test (tests/test_web_browser.py) drives the page with the same helpers.
"""

from __future__ import annotations

import json
import secrets
import socket
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from explain.screenshots import ROOT, example_case, launch

WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(db: Path, token: str):
    """A real uvicorn server in a thread of this process; yields its base URL."""
    import uvicorn

    from groundwork.web.app import create_app
    from groundwork.web.settings import Settings

    app = create_app(Settings(token=token, db=db))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def sign_in(page, base: str, token: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Token", exact=True).fill(token)  # the operator token; no user id
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/assess")


def fill_form(page, case: dict) -> None:
    """Fill the assessment form with an assessment (as an example file holds it), field by field."""
    for key in ("client_id", "assessor_id", "assessment_date"):
        page.fill(f"#{key}", case[key])
    page.fill("#age_years", str(case["age"]["years"]))
    page.fill("#age_months", str(case["age"].get("months", 0)))
    for rating in case["ratings"]:
        value = "unknown" if rating["value"] is None else str(rating["value"])
        page.select_option(f"#rating-{rating['item']}-value", value)
        page.select_option(f"#rating-{rating['item']}-informant", rating["informant"])
    arousal = case["arousal"]
    page.select_option("#arousal_baseline", arousal["baseline"])
    page.select_option("#arousal_current", arousal["current"])
    page.set_checked("#arousal_dissociative", bool(arousal.get("dissociative")))
    for entry in case.get("history", []):
        for key in ("adversity", "relational_poverty"):
            page.select_option(f"#history-{entry['period']}-{key}", entry[key])
    for key, level in case["relational_health"].items():
        page.select_option(f"#relational_{key}", level)
    for row, adult in enumerate(case.get("caregivers", []), 1):
        if row == 3:
            page.locator("details.more > summary").click()
        page.fill(f"#caregiver-{row}-id", adult["id"])
        page.select_option(f"#caregiver-{row}-role", adult["role"])
        page.select_option(f"#caregiver-{row}-regulation", adult["regulation"])
        for setting in adult["settings"]:
            page.check(f"#caregiver-{row}-settings-{setting}")
    for key in ("safeguarding", "sensitivities", "settings"):
        for value in case.get(key, []):
            page.check(f"#{key}-{value}")


def assess_through_form(page, case: dict) -> int:
    """Fill, submit, and return the audit id of the plan the page shows."""
    fill_form(page, case)
    page.get_by_role("button", name="Assess and record").click()
    page.wait_for_url("**/plans/*")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def open_first_why(page):
    """Open "why?" for the first recommendation; returns the panel once its answer is in."""
    page.locator("[data-explain=why]").first.click()
    panel = page.locator("#explain-panel")
    panel.locator(".rule").first.wait_for()
    return panel


def shoot(case_path: Path, out_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    case = json.loads(case_path.read_text(encoding="utf-8"))
    token = secrets.token_urlsafe(24)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp) / "audit.sqlite", token) as base, \
            sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=WIDE)
        sign_in(page, base, token)
        fill_form(page, case)
        page.locator("fieldset.region").first.scroll_into_view_if_needed()
        written.append(_shot(page, out_dir / "web-form.png"))
        page.get_by_role("button", name="Assess and record").click()
        page.wait_for_url("**/plans/*")
        page.locator("#region-map").scroll_into_view_if_needed()
        written.append(_shot(page, out_dir / "web-plan.png"))
        open_first_why(page)
        # the page at the phases (the panel sticks beside them), the panel at the rule's
        # conditions on the client's values
        page.evaluate("""() => {
            document.getElementById('phases-h').scrollIntoView({block: 'start'});
            const panel = document.getElementById('explain-panel');
            const checks = panel.querySelector('.checks');
            panel.scrollTop = checks.getBoundingClientRect().top - panel.getBoundingClientRect().top - 330;
        }""")
        written.append(_shot(page, out_dir / "web-why.png"))
        page.set_viewport_size(NARROW)
        page.locator("#region-map").scroll_into_view_if_needed()
        written.append(_shot(page, out_dir / "web-narrow.png"))
        browser.close()
    return written


def _shot(page, path: Path) -> Path:
    page.screenshot(path=str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    case = Path(args[0]) if args else example_case()
    for path in shoot(case, ROOT / "docs"):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
