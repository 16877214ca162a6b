"""The HTML snapshot: each dashboard a section, each panel placed on Kibana's 48-column grid.

One self-contained file: inline CSS, inline SVG, no script, no external fonts or images. Every
piece of data is escaped (see `charts.esc`).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from es360.dashboard.charts import Series, esc, heatmap_chart, pie_chart, xy_chart
from es360.dashboard.formats import Formatter
from es360.dashboard.model import EMPTY, FAILED, SKIPPED, ControlResult, DashboardResult, PanelResult

COL_PX = 26  # Kibana's grid: 48 columns (≈1250 px on a laptop) …
ROW_PX = 20  # … and rows of 20 px
HEADER_PX = 30
MAX_TABLE_ROWS = 100

CSS = """
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#343741;background:#F7F8FC}
header.page{padding:14px 20px;background:#fff;border-bottom:1px solid #D3DAE6}
header.page h1{margin:0;font-size:20px}
header.page p{margin:2px 0 0;color:#69707D}
nav a{margin-right:14px;color:#006BB8;text-decoration:none}
section.dashboard{padding:14px 20px 24px;max-width:1320px;margin:0 auto}
section.dashboard h2{margin:6px 0 2px;font-size:18px}
.meta{color:#69707D;margin:0 0 10px}
.grid{display:grid;grid-template-columns:repeat(48,minmax(0,1fr));grid-auto-rows:20px;gap:8px}
.panel{background:#fff;border:1px solid #D3DAE6;border-radius:6px;padding:6px 10px;overflow:hidden;
display:flex;flex-direction:column;min-height:0}
.panel h3{margin:0 0 4px;font-size:13px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.panel .body{flex:1;min-height:0;overflow:auto}
.panel svg{width:100%;height:100%;display:block}
.empty,.error,.skipped{display:flex;align-items:center;justify-content:center;height:100%;text-align:center;
color:#69707D;padding:8px}
.error{color:#BD271E;background:#FFF4F2;border-radius:4px;word-break:break-word}
table.data{border-collapse:collapse;width:100%;font-size:12px}
table.data th{position:sticky;top:0;background:#F1F4FA;text-align:left;font-weight:600}
table.data th,table.data td{padding:3px 6px;border-bottom:1px solid #EEF0F3;white-space:nowrap;
max-width:260px;overflow:hidden;text-overflow:ellipsis}
table.data td.num,table.data th.num{text-align:right;font-variant-numeric:tabular-nums}
.more{color:#69707D;font-size:11px;padding:4px}
.tiles{display:grid;gap:6px;height:100%;grid-template-columns:repeat(auto-fit,minmax(120px,1fr))}
.tile{background:#F1F4FA;border-radius:4px;padding:8px;display:flex;flex-direction:column;justify-content:center;
min-width:0}
.tile .label{color:#69707D;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tile .value{font-size:26px;font-weight:700;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tile .secondary{color:#69707D;font-size:12px}
.controls{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 10px}
.control{background:#fff;border:1px solid #D3DAE6;border-radius:6px;padding:4px 10px;max-width:100%;min-width:0}
.control .label{font-weight:600;margin-right:6px}
.control .values{color:#69707D;overflow-wrap:anywhere}
.control .values .chosen{color:#343741;font-weight:600}
.control .failed{color:#BD271E}
footer{color:#69707D;padding:10px 20px 30px;text-align:center}
@media (max-width:900px){.grid{grid-template-columns:1fr}.panel{grid-column:auto!important}}
"""


def _px(panel: PanelResult) -> tuple[int, int]:
    width = max(int(panel.grid.get("w", 24)) * COL_PX - 20, 160)
    height = max(int(panel.grid.get("h", 15)) * (ROW_PX + 8) - 8 - HEADER_PX, 80)
    return width, height


def _formatter(panel: PanelResult, layer_id: str, column: Any, ) -> Formatter:
    return Formatter(column, panel.field_formats.get(layer_id))


def _ordered(values: list[Any], is_date: bool) -> list[Any]:
    unique = list(dict.fromkeys(values))
    return sorted(unique, key=lambda v: (v is None, v if isinstance(v, int | float) else 0)) if is_date else unique


def render_xy(panel: PanelResult) -> str:
    """Bars, lines and areas from every data layer of an lnsXY panel, on shared axes."""
    vis = panel.visualization
    width, height = _px(panel)
    series: dict[tuple[Any, ...], Series] = {}
    categories: list[Any] = []
    x_label: Any = str
    x_is_date = False
    horizontal = percentage = False
    x_titles: list[str] = []
    y_titles: list[str] = []  # labels of the left-axis metrics
    for layer in vis.get("layers") or []:
        table = panel.tables.get(layer.get("layerId"))
        if table is None or layer.get("layerType", "data") != "data":
            continue
        seriesType = str(layer.get("seriesType") or vis.get("preferredSeriesType") or "bar")
        horizontal = horizontal or "horizontal" in seriesType
        percentage = percentage or "percentage" in seriesType
        kind = "bar" if seriesType.startswith("bar") else "area" if seriesType.startswith("area") else "line"
        stacked = "stacked" in seriesType
        x_col = table.column(layer.get("xAccessor"))
        split_col = table.column(layer.get("splitAccessor"))
        accessors = [c for c in (table.column(a) for a in layer.get("accessors") or []) if c is not None]
        right = {y.get("forAccessor") for y in layer.get("yConfig") or [] if y.get("axisMode") == "right"}
        y_titles += [a.label for a in accessors if a.id not in right]
        if x_col is not None:
            x_titles.append(x_col.label)
            x_fmt = _formatter(panel, layer["layerId"], x_col)
            x_is_date = x_col.data_type == "date"
            x_label = (lambda f, step: lambda v: f(v, step))(x_fmt, table.interval_ms)
        split_fmt = _formatter(panel, layer["layerId"], split_col) if split_col else None
        if x_is_date and x_col is not None and x_col.operation == "date_histogram":
            categories.extend(table.date_keys)  # empty buckets keep their place on the time axis
        for row in table.rows:
            x = row.get(x_col.id) if x_col else ""
            categories.append(x)
            for acc in accessors:
                parts = []
                if split_col is not None:
                    parts.append(split_fmt(row.get(split_col.id)) if split_fmt else str(row.get(split_col.id)))
                if split_col is None or len(accessors) > 1:
                    parts.append(acc.label)
                name = " › ".join(parts)
                key = (layer["layerId"], name)
                if key not in series:
                    fmt = _formatter(panel, layer["layerId"], acc)
                    axis = next((str(y.get("axisMode")) for y in layer.get("yConfig") or []
                                 if y.get("forAccessor") == acc.id and y.get("axisMode") == "right"), "left")
                    series[key] = Series(name, kind, layer["layerId"], stacked, fmt=fmt.number, axis=axis)
                value = row.get(acc.id)
                if isinstance(value, int | float) and math.isfinite(value):
                    current = series[key].values.get(x)
                    series[key].values[x] = (current or 0.0) + value
    cats = _ordered(categories, x_is_date)
    titles = vis.get("axisTitlesVisibilitySettings") or {}
    x_title = x_titles[0] if x_titles and titles.get("x", True) else ""
    y_title = ", ".join(dict.fromkeys(y_titles)) if titles.get("yLeft", True) else ""
    return xy_chart(cats, x_label, list(series.values()), width=width, height=height, horizontal=horizontal,
                    percentage=percentage, title=panel.title, x_title=x_title, y_title=y_title,
                    legend=(vis.get("legend") or {}).get("isVisible", True) is not False)


def _pie_layer(vis: dict[str, Any]) -> dict[str, Any]:
    layers = vis.get("layers") or [{}]
    return layers[0]


def render_pie(panel: PanelResult) -> str:
    """A pie or donut of the first metric over the group columns (nested groups join their labels)."""
    layer = _pie_layer(panel.visualization)
    table = panel.tables.get(layer.get("layerId"))
    if table is None:
        return _box("empty", "No results found")
    metric_ids = layer.get("metrics") or ([layer["metric"]] if layer.get("metric") else [])
    metric = table.column(metric_ids[0]) if metric_ids else None
    groups = [c for c in (table.column(g) for g in layer.get("primaryGroups") or []) if c is not None]
    if metric is None:
        return _box("error", "This pie chart has no metric.")
    metric_fmt = _formatter(panel, layer["layerId"], metric)
    group_fmts = [_formatter(panel, layer["layerId"], g) for g in groups]
    totals: dict[str, float] = {}
    for row in table.rows:
        label = " › ".join(f(row.get(g.id), table.interval_ms) for g, f in zip(groups, group_fmts, strict=True))
        value = row.get(metric.id)
        if isinstance(value, int | float) and math.isfinite(value):
            totals[label or metric.label] = totals.get(label or metric.label, 0.0) + value
    slices = [(label, v, metric_fmt.number(v)) for label, v in totals.items()]
    width, height = _px(panel)
    shape = str(panel.visualization.get("shape", "pie"))
    show = str(layer.get("numberDisplay", "percent"))
    return pie_chart(slices, width=width, height=height, donut=shape == "donut", title=panel.title, show=show)


def render_datatable(panel: PanelResult) -> str:
    """An HTML table of the layer's rows: visible columns in the panel's order, sorted as configured."""
    vis = panel.visualization
    table = panel.tables.get(vis.get("layerId"))
    if table is None:
        return _box("empty", "No results found")
    wanted = [c for c in vis.get("columns") or [] if not c.get("hidden")]
    columns = [table.column(c.get("columnId")) for c in wanted] or list(table.columns)
    columns = [c for c in columns if c is not None]
    rows = list(table.rows)
    sorting = vis.get("sorting") or {}
    sort_col = table.column(sorting.get("columnId"))
    if sort_col is not None and sorting.get("direction") in ("asc", "desc"):
        present = [r for r in rows if r.get(sort_col.id) is not None]
        missing = [r for r in rows if r.get(sort_col.id) is None]
        present.sort(key=lambda r: _sort_key(r.get(sort_col.id)), reverse=sorting["direction"] == "desc")
        rows = present + missing
    fmts = [_formatter(panel, vis["layerId"], c) for c in columns]
    numeric = [not c.is_bucket and c.operation != "document" for c in columns]
    head = "".join(f'<th class="{"num" if n else ""}">{esc(c.label)}</th>' for c, n in zip(columns, numeric, strict=True))
    body = []
    for row in rows[:MAX_TABLE_ROWS]:
        texts = [f(row.get(c.id), table.interval_ms) for c, f in zip(columns, fmts, strict=True)]
        cells = "".join(f'<td class="{"num" if n else ""}" title="{esc(t)}">{esc(t)}</td>'
                        for t, n in zip(texts, numeric, strict=True))
        body.append(f"<tr>{cells}</tr>")
    more = (f'<div class="more">{len(rows) - MAX_TABLE_ROWS:,} more rows not shown</div>'
            if len(rows) > MAX_TABLE_ROWS else "")
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>{more}'


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) else (1, str(value))


def render_metric(panel: PanelResult) -> str:
    """Metric tiles: one, or one per breakdown value, with the secondary metric underneath."""
    vis = panel.visualization
    table = panel.tables.get(vis.get("layerId"))
    if table is None:
        return _box("empty", "No results found")
    metric = table.column(vis.get("metricAccessor") or vis.get("accessor"))
    if metric is None:
        return _box("error", "This metric panel has no metric column.")
    secondary = table.column(vis.get("secondaryMetricAccessor"))
    breakdown = table.column(vis.get("breakdownByAccessor"))
    fmt = _formatter(panel, vis["layerId"], metric)
    sec_fmt = _formatter(panel, vis["layerId"], secondary) if secondary else None
    br_fmt = _formatter(panel, vis["layerId"], breakdown) if breakdown else None
    tiles = []
    for row in table.rows[:24]:
        label = br_fmt(row.get(breakdown.id), table.interval_ms) if breakdown and br_fmt else metric.label
        extra = (f'<div class="secondary">{esc(secondary.label)}: {esc(sec_fmt(row.get(secondary.id)))}</div>'
                 if secondary and sec_fmt else "")
        subtitle = vis.get("subtitle")
        sub = f'<div class="secondary">{esc(subtitle)}</div>' if subtitle and not breakdown else ""
        tiles.append(f'<div class="tile"><div class="label" title="{esc(label)}">{esc(label)}</div>'
                     f'<div class="value">{esc(fmt(row.get(metric.id)))}</div>{sub}{extra}</div>')
    return f'<div class="tiles">{"".join(tiles)}</div>'


def render_heatmap(panel: PanelResult) -> str:
    """A heatmap of the value column over the x and y columns."""
    vis = panel.visualization
    table = panel.tables.get(vis.get("layerId"))
    if table is None:
        return _box("empty", "No results found")
    x_col, y_col = table.column(vis.get("xAccessor")), table.column(vis.get("yAccessor"))
    value_col = table.column(vis.get("valueAccessor"))
    if x_col is None or value_col is None:
        return _box("error", "This heatmap needs an x and a value column.")
    x_fmt = _formatter(panel, vis["layerId"], x_col)
    y_fmt = _formatter(panel, vis["layerId"], y_col) if y_col else None
    v_fmt = _formatter(panel, vis["layerId"], value_col)
    cells: dict[tuple[Any, Any], float] = {}
    for row in table.rows:
        value = row.get(value_col.id)
        key = (row.get(x_col.id), row.get(y_col.id) if y_col else "")
        if isinstance(value, int | float) and math.isfinite(value):
            cells[key] = cells.get(key, 0.0) + value
    xs = _ordered([k[0] for k in cells] or [r.get(x_col.id) for r in table.rows], x_col.data_type == "date")
    ys = _ordered([k[1] for k in cells], bool(y_col and y_col.data_type == "date"))
    width, height = _px(panel)
    return heatmap_chart(xs, ys, cells, x_label=lambda v: x_fmt(v, table.interval_ms),
                         y_label=lambda v: y_fmt(v, table.interval_ms) if y_fmt else str(v),
                         value_label=v_fmt.number, width=width, height=height, title=panel.title)


RENDERERS = {"search": render_datatable, "lnsXY": render_xy, "lnsPie": render_pie, "lnsDatatable": render_datatable,
             "lnsMetric": render_metric, "lnsLegacyMetric": render_metric, "lnsHeatmap": render_heatmap}


def _box(kind: str, text: str) -> str:
    return f'<div class="{kind}">{esc(text)}</div>'


def render_panel(panel: PanelResult) -> str:
    """One panel: title and chart, or an empty, skipped or error box."""
    grid = panel.grid
    style = (f"grid-column:{int(grid.get('x', 0)) + 1} / span {max(int(grid.get('w', 24)), 1)};"
             f"grid-row:{int(grid.get('y', 0)) + 1} / span {max(int(grid.get('h', 15)), 1)}")
    if panel.status == FAILED:
        body = _box("error", f"Could not load this panel: {panel.error}")
    elif panel.status == SKIPPED:
        body = _box("skipped", panel.error or "This panel is only shown in Kibana.")
    elif panel.status == EMPTY:
        body = _box("empty", "No results found")
    else:
        try:
            body = RENDERERS[panel.vis_type](panel)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            body = _box("error", f"Could not draw this panel: {exc}")
    return (f'<div class="panel" style="{style}"><h3 title="{esc(panel.title)}">{esc(panel.title)}</h3>'
            f'<div class="body">{body}</div></div>')


def _control(control: ControlResult, time_text: str) -> str:
    """One control as a chip: its title and what it offers (top values with document counts)."""
    if control.kind == "timeSlider":
        values = esc(time_text)
    elif control.error:
        values = f'<span class="failed">{esc(control.error)}</span>'
    elif control.kind != "optionsListControl":
        values = "shown in Kibana only"
    elif not control.options:
        values = "no values in the time range"
    else:
        chosen = {str(v) for v in control.selected}
        shown = [f'<span class="chosen">{esc(v)}</span> {n:,}' if str(v) in chosen else f"{esc(v)} {n:,}" for v, n in control.options]
        values = " · ".join(shown)
    selected = f" (selected: {esc(', '.join(map(str, control.selected)))})" if control.selected else ""
    return (f'<div class="control"><span class="label">{esc(control.title)}{selected}</span>'
            f'<span class="values">{values}</span></div>')


def _section(index: int, dashboard: DashboardResult) -> str:
    start, end = dashboard.time_range.start, dashboard.time_range.end
    chips = "".join(_control(c, dashboard.time_text) for c in dashboard.controls)
    controls = f'<div class="controls">{chips}</div>' if chips else ""
    counts = (f"{dashboard.count('rendered')} panels rendered, {dashboard.count('empty')} empty, "
              f"{dashboard.count('failed')} failed")
    description = f"<p>{esc(dashboard.description)}</p>" if dashboard.description else ""
    panels = sorted(dashboard.panels, key=lambda p: (p.grid.get("y", 0), p.grid.get("x", 0)))
    return (f'<section class="dashboard" id="dashboard-{index}"><h2>{esc(dashboard.title)}</h2>{description}'
            f'<p class="meta">{esc(dashboard.time_text)} ({start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC)'
            f" · {esc(counts)}</p>{controls}"
            f'<div class="grid">{"".join(render_panel(p) for p in panels)}</div></section>')


def render_html(dashboards: list[DashboardResult], *, generated_at: datetime, source: str) -> str:
    """The whole snapshot page: a header with links, then one section per dashboard."""
    nav = "".join(f'<a href="#dashboard-{i}">{esc(d.title)}</a>' for i, d in enumerate(dashboards))
    sections = "".join(_section(i, d) for i, d in enumerate(dashboards))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>es360 dashboards</title><style>{CSS}</style></head><body>"
            f'<header class="page"><h1>es360 dashboards</h1><p>Snapshot of {esc(source)} at '
            f"{generated_at:%Y-%m-%d %H:%M} UTC — the same Lens panels as in Kibana, rendered offline.</p>"
            f"<nav>{nav}</nav></header>{sections}"
            "<footer>Generated by <code>es360 dashboard</code>. Static snapshot: open the dashboards in Kibana to "
            "filter and drill down.</footer></body></html>\n")
