"""The snapshot in headless Chromium: no console errors, fits a laptop screen, one screenshot per dashboard.

Screenshots are saved under test-artifacts/dashboard/ (ignored by git) for people and CI to look at.
"""

from __future__ import annotations

import re
from typing import Any

from .conftest import ARTIFACTS, Built

LAPTOP = {"width": 1366, "height": 768}


def _open(browser: Any, built: Built) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: problems.append(f"request: {r.url}") if not r.url.startswith("file:") else None)
    page.goto(built.path.as_uri())
    page.wait_for_load_state("load")
    return context, page, problems


def test_dashboards_render_in_chromium(browser: Any, demo_built: Built) -> None:
    context, page, problems = _open(browser, demo_built)
    try:
        sections = page.locator("section.dashboard")
        assert sections.count() == len(demo_built.summary.dashboards)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for i in range(sections.count()):
            section = sections.nth(i)
            title = section.locator("h2").inner_text()
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            shot = ARTIFACTS / f"{i + 1}-{slug}.png"
            section.screenshot(path=str(shot))
            assert shot.stat().st_size > 20_000, shot  # a real picture, not a blank strip
        # laid out for a laptop: nothing wider than the window, every panel has room to draw
        assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
        sizes = page.evaluate("[...document.querySelectorAll('.panel')].map(p => [p.clientWidth, p.clientHeight])")
        assert sizes and all(w >= 150 and h >= 100 for w, h in sizes), sizes
        charts = page.evaluate("[...document.querySelectorAll('.panel svg')].map(s => s.getBoundingClientRect().height)")
        assert charts and all(h > 50 for h in charts), charts
    finally:
        context.close()
    assert problems == []


def test_hostile_data_stays_inert_in_chromium(browser: Any, hostile_built: Built) -> None:
    context, page, problems = _open(browser, hostile_built)
    try:
        assert page.locator("script, img, iframe").count() == 0
        assert page.locator("section.dashboard").count() == 1
        assert page.locator(".panel").count() == 3
        text = page.locator("section.dashboard").inner_text()
        assert "<script>alert('name')</script>" in text  # shown as text, exactly as stored
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("section.dashboard").screenshot(path=str(ARTIFACTS / "hostile.png"))
    finally:
        context.close()
    assert problems == []
