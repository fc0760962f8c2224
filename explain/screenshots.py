"""Regenerate the report screenshot kept in docs/: `python -m explain.screenshots`.

Assesses the bundled example client (examples/school-age-child.json, or the first example there
is), renders the HTML report, and photographs it in headless Debian Chromium through Playwright
(never a downloaded browser). Writes docs/report.png (the top of the report) and
docs/report-why.png (the first "why" opened).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PREFERRED = "school-age-child.json"


def example_case(root: Path = ROOT) -> Path:
    examples = root / "examples"
    preferred = examples / PREFERRED
    if preferred.exists():
        return preferred
    found = sorted(examples.glob("*.json"))
    if not found:
        raise SystemExit(f"no example clients in {examples}")
    return found[0]


def report_html(case: Path, kb_path: Path | None = None) -> str:
    import knowledge_base
    from engine.intake import read_assessment_file
    from engine.pipeline import assess
    from explain.context import Context
    from explain.html import render_report

    kb = knowledge_base.load(kb_path)
    assessment, raw = read_assessment_file(case, kb)
    return render_report(Context(kb, assess(assessment, raw, kb)))


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def shoot(html: str, out_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        page_file = Path(tmp) / "report.html"
        page_file.write_text(html, encoding="utf-8")
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(page_file.as_uri())
        top = out_dir / "report.png"
        page.screenshot(path=str(top))
        written.append(top)
        details = page.locator("details").first
        if details.count():
            details.locator("summary").click()
            why = out_dir / "report-why.png"
            details.screenshot(path=str(why))
            written.append(why)
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    case = Path(args[0]) if args else example_case()
    for path in shoot(report_html(case), ROOT / "docs"):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
