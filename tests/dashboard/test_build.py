"""es360's own dashboards against a small demo world: every panel runs and shows plausible numbers."""

from __future__ import annotations

import copy
import json
import math
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from typer.testing import CliRunner

from es360.cli import app
from es360.config import Settings
from es360.dashboard.build import SavedObjects, build_dashboard, load_objects
from es360.dashboard.model import DashboardResult, PanelResult
from es360.dashboard.render import render_html

from .conftest import NOW, WORLD_PREFIX, Built


def _runtime_panels(settings: Settings) -> set[str]:
    """Titles of Lens panels that use a runtime field of their data view."""
    objects = load_objects(settings)
    titles = set()
    for (kind, _), obj in objects.by_key.items():
        if kind != "lens":
            continue
        refs = {r["name"]: r["id"] for r in obj["references"]}
        layers = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
        for layer_id, layer in layers.items():
            runtime = objects.data_view(refs[f"indexpattern-datasource-layer-{layer_id}"]).runtime_fields
            if any(c.get("sourceField") in runtime for c in layer["columns"].values()):
                titles.add(obj["attributes"]["title"])
    return titles


def _panels(built: Built) -> dict[str, tuple[DashboardResult, PanelResult]]:
    return {p.title: (d, p) for d in built.summary.dashboards for p in d.panels}


def _metric_values(panel: PanelResult) -> list[Any]:
    return [row[c.id] for t in panel.tables.values() for row in t.rows for c in t.columns if not c.is_bucket]


def test_every_panel_renders_with_data(demo_built: Built, demo_world: Settings) -> None:
    summary = demo_built.summary
    titles = {d.title for d in summary.dashboards}
    assert {"es360 Customer behavior", "es360 Spend", "es360 Churn signals"} <= titles
    assert _runtime_panels(demo_world)  # panels on runtime fields (runtime_mappings) render like the others
    for title, (dashboard, panel) in _panels(demo_built).items():
        assert panel.status == "rendered", (dashboard.title, title, panel.status, panel.error)
        values = _metric_values(panel)
        assert values, title
        numbers = [v for v in values if isinstance(v, int | float)]
        assert all(math.isfinite(v) for v in numbers), title
        assert any(v for v in values), title  # not all zero or missing


def test_activity_heatmap_cells_add_up_to_the_activity_count(es: Any, demo_built: Built) -> None:
    """The weekday × hour heatmap (two runtime fields of the activity data view) covers every event in range."""
    dashboard, panel = _panels(demo_built)["Activity by weekday and hour (UTC)"]
    assert panel.status == "rendered", panel.error
    weekdays, hours, events = (_column(panel, label) for label in ("Weekday", "Hour of day (UTC)", "Events"))
    assert set(weekdays) <= {f"{i} {d}" for i, d in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), 1)}
    assert len(set(weekdays)) > 1 and all(isinstance(h, int) and 0 <= h <= 23 for h in hours)
    assert len(set(zip(weekdays, hours, strict=True))) == len(events)  # one cell per (weekday, hour)
    start, end = dashboard.time_range.iso()
    expected = es.count(index=f"{WORLD_PREFIX}activity", query={"bool": {
        "filter": [{"range": {"@timestamp": {"gte": start, "lte": end, "format": "strict_date_optional_time"}}}],
        "must_not": [{"terms": {"event.action": ["send", "bounce"]}}]}})["count"]
    assert expected > 0 and sum(events) == expected


def test_numbers_agree_across_panels(demo_built: Built) -> None:
    panels = _panels(demo_built)

    def column(title: str, label: str) -> list[Any]:
        panel = panels[title][1]
        return [row[c.id] for t in panel.tables.values() for row in t.rows for c in t.columns if c.label == label]

    # the KPI tile and the time series sum the same orders (under the same controls)
    kpi = column("Net revenue", "Net revenue (EUR)")[0]
    series = sum(v for v in column("Net revenue over time", "Net revenue (EUR)") if v is not None)
    assert kpi == pytest.approx(series) and kpi > 0
    orders, refunds = column("Refunds share", "Events")
    assert orders > refunds > 0
    at_risk = column("Customers at risk", "At risk")[0]
    scored = column("Customers at risk", "Customers scored")[0]
    assert 0 < at_risk <= scored
    assert sum(column("Churn risk distribution", "Customers")) == scored  # the ranges cover 0–100
    top = [v for v in column("Top customers by lifetime value", "Lifetime value (EUR)")]
    assert top == sorted(top, reverse=True) and len(top) > 5


def test_revenue_by_country_adds_up_to_net_revenue(demo_built: Built) -> None:
    panel = _panels(demo_built)["Net revenue by country"][1]
    table = next(iter(panel.tables.values()))
    rows = {row[table.columns[0].id]: row[table.columns[1].id] for row in table.rows}
    countries = [c for c in rows if c not in ("Other", "(missing value)")]
    assert len(countries) >= 2 and all(isinstance(c, str) and len(c) == 2 and c.isupper() for c in countries), rows
    assert sum(rows[c] for c in countries) > 0
    # the top countries, Other and (missing value) together are all orders minus refunds
    kpi = next(row[c.id] for t in _panels(demo_built)["Net revenue"][1].tables.values()
               for row in t.rows for c in t.columns if c.label == "Net revenue (EUR)")
    assert sum(v for v in rows.values() if v is not None) == pytest.approx(kpi)


def test_country_control_offers_the_countries_on_spend_churn_and_behavior(demo_built: Built) -> None:
    by_title = {d.title: d for d in demo_built.summary.dashboards}
    offered = {}
    for title in ("es360 Spend", "es360 Churn signals", "es360 Customer behavior"):
        control = next(c for c in by_title[title].controls if c.field == "customer.country")
        assert control.error is None and control.title == "Country", (title, control.error)
        counts = [n for _, n in control.options]
        assert counts and all(n > 0 for n in counts) and counts == sorted(counts, reverse=True), title
        assert all(isinstance(v, str) and len(v) == 2 for v, _ in control.options), control.options
        offered[title] = {v for v, _ in control.options}
    spend_panel = _panels(demo_built)["Net revenue by country"][1]
    table = next(iter(spend_panel.tables.values()))
    shown = {row[table.columns[0].id] for row in table.rows} - {"Other", "(missing value)"}
    assert len(shown & offered["es360 Spend"]) >= 3  # the top by revenue (panel) vs by events (control)
    assert offered["es360 Spend"] & offered["es360 Churn signals"]
    assert "es360 Spend" not in {d.title for d in demo_built.summary.dashboards
                                 for c in d.controls if c.field == "rfm.segment"}  # not on activity panels
    html = demo_built.html
    assert 'class="control"' in html and "Country" in html
    assert all(f"{v} " in html for v in list(offered["es360 Spend"])[:3])


def test_a_country_selection_filters_activity_and_rollup_panels(es: Any, demo_world: Settings,
                                                               demo_built: Built) -> None:
    unfiltered = _panels(demo_built)
    table = next(iter(unfiltered["Net revenue by country"][1].tables.values()))
    country, revenue = next((row[table.columns[0].id], row[table.columns[1].id]) for row in table.rows)
    objects = load_objects(demo_world)
    spend = copy.deepcopy(next(d for d in objects.dashboards if d["id"].endswith("dashboard-spend")))
    group = spend["attributes"]["controlGroupInput"]
    controls = json.loads(group["panelsJSON"])
    next(c for c in controls.values() if c["explicitInput"].get("fieldName") == "customer.country")[
        "explicitInput"]["selectedOptions"] = [country]
    group["panelsJSON"] = json.dumps(controls)
    result = build_dashboard(es, objects, spend, now=NOW)
    panels = {p.title: p for p in result.panels}
    assert all(p.status == "rendered" for p in panels.values()), [(p.title, p.error) for p in panels.values()]

    def values(title: str, label: str) -> list[Any]:
        return [row[c.id] for t in panels[title].tables.values() for row in t.rows for c in t.columns
                if c.label == label]

    # activity panels: only that country's orders
    assert values("Net revenue", "Net revenue (EUR)")[0] == pytest.approx(revenue)
    assert values("Net revenue by country", "Country") == [country]
    # rollup panels: only that country's customers
    direct = es.search(index=f"{WORLD_PREFIX}rollup", size=0, query={"bool": {"filter": [
        {"term": {"customer.country": country}}, {"range": {"orders.count": {"gte": 1}}}]}},
        aggs={"ltv": {"sum": {"field": "spend.lifetime_net"}}})
    assert sum(values("Spend by RFM segment", "Lifetime value (EUR)")) == pytest.approx(
        direct["aggregations"]["ltv"]["value"])
    assert sum(values("Lifetime value distribution", "Customers")) < sum(
        _column(unfiltered["Lifetime value distribution"][1], "Customers"))
    # the control keeps offering every country (its own selection does not narrow it)
    country_control = next(c for c in result.controls if c.field == "customer.country")
    assert country_control.selected == [country] and len(country_control.options) > 1
    assert f'<span class="chosen">{country}</span>' in render_html([result], generated_at=NOW, source="test")


def _column(panel: PanelResult, label: str) -> list[Any]:
    return [row[c.id] for t in panel.tables.values() for row in t.rows for c in t.columns if c.label == label]


def test_money_is_shown_in_euros(demo_built: Built) -> None:
    sections = re.findall(r'<section class="dashboard".*?</section>', demo_built.html, flags=re.S)
    spend = next(s for s in sections if "<h2>es360 Spend</h2>" in s)
    churn = next(s for s in sections if "<h2>es360 Churn signals</h2>" in s)
    for section in (spend, churn):
        assert "$" not in section  # euros never show the dollar sign of Kibana's default locale
    assert len(re.findall(r"\d €", spend)) > 10 and re.search(r"\d €", churn)


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.refs += [(k, v) for k, v in attrs if k in ("src", "href", "xlink:href", "srcset", "action")]


def test_the_page_is_one_self_contained_file(demo_built: Built) -> None:
    html = demo_built.html
    parsed = _Refs()
    parsed.feed(html)
    assert parsed.tags.count("section") == len(demo_built.summary.dashboards)
    assert not {"script", "link", "img", "iframe", "object"} & set(parsed.tags)
    assert all(k == "href" and (v or "").startswith("#") for k, v in parsed.refs), parsed.refs  # in-page links only
    style = html[html.index("<style>"):html.index("</style>")]
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    assert len(html) < 3_000_000


def test_cli_writes_the_snapshot_and_reports_counts(demo_world: Settings, tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("ES360_ES_URL", demo_world.es_url or "")
    monkeypatch.setenv("ES360_PREFIX", demo_world.prefix)
    monkeypatch.setenv("ES360_HOME", str(demo_world.home))
    out = tmp_path / "snap.html"
    result = CliRunner().invoke(app, ["dashboard", "--out", str(out), "--from", "now-2y", "--to", "now", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["panels"] == report["rendered"] + report["empty"] + report["failed"] + report["skipped"]
    assert report["rendered"] >= report["panels"] - 2
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert all(d["time_range"]["from"] < d["time_range"]["to"] for d in report["dashboards"])

    bad = CliRunner().invoke(app, ["dashboard", "--out", str(out), "--from", "yesterday"])
    assert bad.exit_code == 1
    assert "is not a date" in bad.output and "Traceback" not in bad.output


def test_a_failing_panel_is_counted_and_shown_while_the_others_render(es: Any, tmp_path: Any) -> None:
    def lens_obj(obj_id: str, op: str) -> dict[str, Any]:
        layer = {"columnOrder": ["m"], "columns": {"m": {"operationType": op, "sourceField": "___records___",
                                                         "label": f"{op} metric", "params": {"emptyAsNull": True}}}}
        return {"type": "lens", "id": obj_id, "references": [
            {"type": "index-pattern", "id": "dv", "name": "indexpattern-datasource-layer-l1"}],
            "attributes": {"title": f"panel {op}", "visualizationType": "lnsMetric",
                           "state": {"datasourceStates": {"formBased": {"layers": {"l1": layer}}},
                                     "query": {"language": "kuery", "query": ""}, "filters": [],
                                     "visualization": {"layerId": "l1", "metricAccessor": "m"}}}}

    panels = [{"type": "lens", "panelIndex": str(i), "panelRefName": f"panel_{i}",
               "gridData": {"x": 0, "y": i * 8, "w": 24, "h": 8}} for i in range(2)]
    dashboard = {"type": "dashboard", "id": "d", "attributes": {"title": "t", "panelsJSON": json.dumps(panels)},
                 "references": [{"type": "lens", "id": "good", "name": "0:panel_0"},
                                {"type": "lens", "id": "bad", "name": "1:panel_1"}]}
    objects = SavedObjects([
        {"type": "index-pattern", "id": "dv", "references": [],
         "attributes": {"title": "dashbuild-nothing-here", "timeFieldName": "@timestamp"}},
        lens_obj("good", "count"), lens_obj("bad", "formula"), dashboard])
    result = build_dashboard(es, objects, dashboard, now=datetime(2026, 11, 1, tzinfo=UTC))
    assert [(p.title, p.status) for p in result.panels] == [("panel count", "empty"), ("panel formula", "failed")]
    assert "Lens operation 'formula'" in (result.panels[1].error or "")
    html = render_html([result], generated_at=datetime(2026, 11, 1, tzinfo=UTC), source="test")
    assert html.count('class="error"') == 1 and html.count('class="empty"') == 1
