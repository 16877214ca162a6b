"""Rendering: number formats, and hostile strings that must never break the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from es360.dashboard.formats import Formatter, numeral
from es360.dashboard.lens import Column, Table
from es360.dashboard.model import FAILED, ControlResult, DashboardResult, PanelResult
from es360.dashboard.render import render_html
from es360.dashboard.timerange import resolve_range

from .conftest import HOSTILE_NAMES, Built


@pytest.mark.parametrize(("value", "pattern", "text"), [
    (1234.5, "0,0.[000]", "1,234.5"),
    (1234.5, "$0,0.00", "$1,234.50"),  # `$` is the locale's symbol: `$` under Kibana's default `en`
    (12.5, "0,0.00 $", "12.50 $"),
    (-3, "($ 0,0)", "($ 3)"),
    (1234.5, "€0,0.00", "1,234.50"),  # numeral drops characters it does not know, as Kibana shows it
    (1234.5, "0,0.00 €", "1,234.5000"),  # ... and after the point they still count as decimals
    (1234.5, "0,0.00", "1,234.50"),
    (2.675, "0.00", "2.68"),
    (12.0, "0,0.[00]", "12"),
    (12.3, "0.000[0]", "12.300"),
    (-0.001, "0.00", "0.00"),
    (5, "0o", "5th"),
    (-12.0, "($0,0.[00])", "($12)"),
    (-12.5, "$0,0.00", "-$12.50"),
    (0.253, "0.0%", "25.3%"),
    (1_234_567, "0.0a", "1.2m"),
    (2048, "0,0.[0]b", "2KB"),
    (7, "0", "7"),
    (1234, "0", "1234"),
])
def test_numeral_patterns(value: float, pattern: str, text: str) -> None:
    assert numeral(value, pattern) == text


def test_formats_follow_lens_then_the_data_view() -> None:
    money = {"spend": {"id": "number", "params": {"pattern": "0,0.00"}}}
    spend = Column("s", "Spend", "sum", "number", "spend", {})
    count = Column("n", "Count", "count", "number", "spend", {})
    own = Column("p", "Share", "average", "number", "spend", {}, format={"id": "percent", "params": {"decimals": 1}})
    euros = Column("e", "Spend (EUR)", "sum", "number", "spend", {},
                   format={"id": "number", "params": {"decimals": 2, "suffix": " €"}})
    assert Formatter(spend, money)(1500) == "1,500.00"
    assert Formatter(count, money)(1500) == "1,500"  # counts never take the field's format
    assert Formatter(own, money)(0.5) == "50.0%"
    assert Formatter(euros, money)(79773.99) == "79,773.99 €"  # a Lens suffix shows euros in any locale
    assert Formatter(spend, money)(None) == "-"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


def assert_inert(html: str) -> _Collector:
    """No script, no event handler attribute, no element a hostile string could have injected."""
    parsed = _Collector()
    parsed.feed(html)
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert "b" not in parsed.tags and "i" not in parsed.tags
    assert not [name for name, _ in parsed.attrs if name.startswith("on")]
    for bad in ("<script", "<img", "<b>bold", "<!-- comment", "<svg onload"):
        assert bad not in html
    return parsed


def test_hostile_strings_are_escaped_everywhere() -> None:
    name = Column("n", "Name <i>x</i>", "terms", "string", "name", {})
    value = Column("v", "Value \"q\" <script>", "sum", "number", "amount", {})
    table = Table([name, value], [{"n": h, "v": float(i + 1)} for i, h in enumerate(HOSTILE_NAMES)])
    time_range = resolve_range("now-30d", "now", datetime(2026, 11, 1, tzinfo=UTC))
    panels = [
        PanelResult("<script>alert(1)</script>", "lnsDatatable", {"x": 0, "y": 0, "w": 24, "h": 10},
                    {"layerId": "l", "columns": [{"columnId": "n"}, {"columnId": "v"}]}, {"l": table}),
        PanelResult("pie", "lnsPie", {"x": 24, "y": 0, "w": 24, "h": 10},
                    {"shape": "pie", "layers": [{"layerId": "l", "primaryGroups": ["n"], "metrics": ["v"]}]},
                    {"l": table}),
        PanelResult("bars", "lnsXY", {"x": 0, "y": 10, "w": 24, "h": 10},
                    {"layers": [{"layerId": "l", "xAccessor": "n", "accessors": ["v"], "seriesType": "bar"}]},
                    {"l": table}),
        PanelResult("tiles", "lnsMetric", {"x": 24, "y": 10, "w": 24, "h": 10},
                    {"layerId": "l", "metricAccessor": "v", "breakdownByAccessor": "n"}, {"l": table}),
        PanelResult("heat", "lnsHeatmap", {"x": 0, "y": 20, "w": 24, "h": 10},
                    {"layerId": "l", "xAccessor": "n", "yAccessor": "n", "valueAccessor": "v"}, {"l": table}),
        PanelResult("broken", "lnsXY", {"x": 24, "y": 20, "w": 24, "h": 10}, status=FAILED,
                    error="reason: <img src=x onerror=alert(9)>"),
    ]
    dashboard = DashboardResult("d", "<img src=x onerror=alert(1)>", "</section><script>x</script>", time_range,
                                "now-30d → now",
                                [ControlResult("<b>bold</b>", "optionsListControl", "name", [HOSTILE_NAMES[1]],
                                               [(h, i + 1) for i, h in enumerate(HOSTILE_NAMES)]),
                                 ControlResult("broken", "optionsListControl", "name",
                                               error="reason: <script>alert(3)</script>")], panels)
    html = render_html([dashboard], generated_at=datetime(2026, 11, 1, tzinfo=UTC),
                       source="https://es.example.com:9200")
    parsed = assert_inert(html)
    assert parsed.tags.count("section") == 1
    assert parsed.tags.count("svg") == 3  # pie, bars, heatmap
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in html
    assert "&lt;/svg&gt;&lt;/div&gt;&lt;svg onload=alert(&#x27;svg&#x27;)&gt;" in html
    assert "Zoë &amp; &quot;quotes&quot;" in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html  # a control's error, escaped


def test_hostile_data_from_the_cluster_renders_inert(hostile_built: Built) -> None:
    summary = hostile_built.summary.as_dict()
    assert (summary["panels"], summary["rendered"], summary["failed"]) == (3, 3, 0)
    html = hostile_built.html
    assert_inert(html)
    assert re.search(r"\d €", html)  # the Lens column's euro suffix applies to the sum
    assert "Other" in html  # the pie's other bucket (5 names, top 3 shown)
