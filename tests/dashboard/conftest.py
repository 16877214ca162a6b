"""Fixtures for the dashboard tests: a small demo world, a hostile data set, and headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers

from es360.config import Settings
from es360.dashboard.build import DashboardSummary, build_dashboard_html

NOW = datetime(2026, 11, 1, tzinfo=UTC)
WORLD_PREFIX = "dashtest-"
HOSTILE_PREFIX = "dashhostile-"
FIXTURES = Path(__file__).parent / "fixtures" / "kibana"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"

HOSTILE_NAMES = [
    "<script>alert('name')</script>",
    "\"><img src=x onerror=alert('attr')>",
    "</svg></div><svg onload=alert('svg')>",
    "Zoë & \"quotes\" 'apostrophes' <b>bold</b>",
    "]]></text><!-- comment -->",
]


@dataclass
class Built:
    """A rendered snapshot: the summary and the HTML file."""

    summary: DashboardSummary
    path: Path
    html: str


@pytest.fixture(scope="session")
def demo_world(es: Elasticsearch, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A 150-person demo world, resolved, tagged (customer_id, customer.country) and rolled up, under its own prefix.

    `es360 demo` runs every step (the ticket embeddings aside, which load a model the dashboards do not need).
    """
    from es360.demo.run import run_demo
    from es360.rollup import service

    home = tmp_path_factory.mktemp("dash-home")
    settings = Settings(es_url=es_url, home=home, prefix=WORLD_PREFIX)
    run_demo(es, settings, customers=150, seed=7, now=NOW, embeddings=False)
    service.stop(es, WORLD_PREFIX)  # the rollups are in; no need to keep a transform busy for the session
    return settings


@pytest.fixture(scope="session")
def demo_built(es: Elasticsearch, demo_world: Settings, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """es360's own dashboards rendered against the demo world."""
    path = tmp_path_factory.mktemp("dash-out") / "dashboards.html"
    summary = build_dashboard_html(es, demo_world, path, now=NOW)
    return Built(summary, path, path.read_text(encoding="utf-8"))


def _hostile_docs() -> Iterator[dict[str, Any]]:
    for i in range(40):
        yield {"_index": f"{HOSTILE_PREFIX}hostile", "_id": str(i),
               "_source": {"@timestamp": (NOW - timedelta(days=i % 20, hours=i)).isoformat(),
                           "name": HOSTILE_NAMES[i % len(HOSTILE_NAMES)], "amount": 10.5 * (i % 7 + 1)}}


@pytest.fixture(scope="session")
def hostile_built(es: Elasticsearch, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The fixture dashboard (tests/dashboard/fixtures/kibana) over data made to break a page."""
    index = f"{HOSTILE_PREFIX}hostile"
    if es.indices.exists(index=index):
        es.indices.delete(index=index)
    es.indices.create(index=index, mappings={"properties": {"@timestamp": {"type": "date"},
                                                            "name": {"type": "keyword"},
                                                            "amount": {"type": "double"}}})
    helpers.bulk(es, _hostile_docs(), refresh=True)
    settings = Settings(es_url=es_url, home=tmp_path_factory.mktemp("hostile-home"), prefix=HOSTILE_PREFIX)
    path = tmp_path_factory.mktemp("hostile-out") / "hostile.html"
    summary = build_dashboard_html(es, settings, path, now=NOW, root=FIXTURES)
    return Built(summary, path, path.read_text(encoding="utf-8"))


def chromium_path() -> str | None:
    """The Chromium executable (the Debian package installs /usr/bin/chromium)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright; skipped when either is missing."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium installed (apt-get install chromium) for the headless page test")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed "
                                                                 "(pip install -e '.[dev]')")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()
