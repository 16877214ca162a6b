"""`es360 dashboard`: run every panel of es360's Kibana dashboards against the cluster and write the HTML.

The panels come from the same saved objects `es360 kibana import` sends to Kibana (kibana/,
loaded by `es360.kibana.saved_objects`), with the configured index prefix applied. Each Lens layer
becomes one search (see `lens.py`); a panel whose search fails shows an error box and is counted,
the others still render.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

from es360.config import Settings
from es360.dashboard import controls, discover, lens
from es360.dashboard.kql import query_to_dsl
from es360.dashboard.model import (
    EMPTY,
    FAILED,
    RENDERED,
    SKIPPED,
    ControlResult,
    DashboardResult,
    PanelResult,
)
from es360.dashboard.render import render_html
from es360.dashboard.timerange import TimeRange, resolve_range
from es360.errors import Es360Error

DEFAULT_FROM, DEFAULT_TO = "now-1y", "now"


@dataclass
class DashboardSummary:
    """What `es360 dashboard` did: the file, and panels rendered / empty / failed per dashboard."""

    out_path: str
    dashboards: list[DashboardResult] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, status: str) -> int:
        return sum(d.count(status) for d in self.dashboards)

    @property
    def found_data(self) -> bool:
        """Whether any panel shows a value other than zero (no data at all usually means a wrong prefix)."""
        return any(row.get(c.id) not in (None, 0) for d in self.dashboards for p in d.panels
                   for t in p.tables.values() for row in t.rows for c in t.columns if not c.is_bucket)

    def as_dict(self) -> dict[str, Any]:
        return {"out": self.out_path, "panels": sum(len(d.panels) for d in self.dashboards),
                "rendered": self.total(RENDERED), "empty": self.total(EMPTY), "failed": self.total(FAILED),
                "skipped": self.total(SKIPPED), "seconds": round(self.seconds, 2),
                "dashboards": [d.as_dict() for d in self.dashboards]}


def _json_attr(value: Any, default: Any) -> Any:
    """A Kibana JSON-string attribute, decoded (already-decoded values pass through)."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise Es360Error(f"A saved object attribute is not valid JSON: {value[:60]!r}.") from None
    return value


class SavedObjects:
    """Saved objects by (type, id), with the lookups a dashboard needs."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.by_key = {(o["type"], o["id"]): o for o in objects}
        self.dashboards = [o for o in objects if o["type"] == "dashboard"]

    def get(self, kind: str, object_id: str) -> dict[str, Any]:
        obj = self.by_key.get((kind, object_id))
        if obj is None:
            raise Es360Error(f"The {kind} saved object {object_id!r} is referenced but not defined in kibana/.")
        return obj

    def data_view(self, object_id: str) -> lens.DataView:
        attrs = self.get("index-pattern", object_id)["attributes"]
        runtime = {name: {k: v for k, v in spec.items() if k in ("type", "script")}
                   for name, spec in _json_attr(attrs.get("runtimeFieldMap"), {}).items()}
        return lens.DataView(object_id, attrs["title"], attrs.get("timeFieldName") or None,
                             _json_attr(attrs.get("fieldFormatMap"), {}), runtime)


def _filters_dsl(filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kibana filter pills (enabled ones) as query DSL, negated ones under must_not."""
    out = []
    for pill in filters or []:
        meta = pill.get("meta") or {}
        if meta.get("disabled"):
            continue
        query = pill.get("query") or {k: v for k, v in pill.items() if k not in ("meta", "$state")}  # older shapes
        if not isinstance(query, dict) or not query:
            raise Es360Error(f"A filter ({meta.get('key') or meta.get('type') or 'unnamed'}) has no query DSL.")
        out.append({"bool": {"must_not": query}} if meta.get("negate") else query)
    return out


def _search_source(attrs: dict[str, Any]) -> dict[str, Any]:
    meta = attrs.get("kibanaSavedObjectMeta") or {}
    return _json_attr(meta.get("searchSourceJSON"), {})


def _panel_title(panel: dict[str, Any], attrs: dict[str, Any]) -> str:
    config = panel.get("embeddableConfig") or {}
    return str(panel.get("title") or config.get("title") or attrs.get("title") or "Untitled panel")


def _panel_object(objects: SavedObjects, dashboard: dict[str, Any], panel: dict[str, Any]) -> dict[str, Any]:
    """The object behind a panel: by reference (panelRefName) or by value (embeddableConfig.attributes)."""
    config = panel.get("embeddableConfig") or {}
    if isinstance(config.get("attributes"), dict):
        return {"attributes": config["attributes"], "references": config["attributes"].get("references", [])}
    ref_name = panel.get("panelRefName")
    names = {ref_name, f"{panel.get('panelIndex')}:{ref_name}"}  # Kibana 8 prefixes the panel index
    ref = next((r for r in dashboard.get("references", []) if r.get("name") in names), None)
    if ref is None:
        raise Es360Error(f"Panel {panel.get('panelIndex')} refers to {ref_name!r}, which the dashboard lacks.")
    return objects.get(ref["type"], ref["id"])


class PanelRunner:
    """Runs the searches of one Lens panel and collects its tables."""

    def __init__(self, es: Elasticsearch, objects: SavedObjects, time_range: TimeRange,
                 base_queries: list[dict[str, Any]]) -> None:
        self.es = es
        self.objects = objects
        self.time_range = time_range
        self.base_queries = base_queries

    def run(self, result: PanelResult, lens_obj: dict[str, Any]) -> None:
        attrs = lens_obj["attributes"]
        state = attrs.get("state") or {}
        refs = {r["name"]: r for r in lens_obj.get("references") or []}
        layers = ((state.get("datasourceStates") or {}).get("formBased")
                  or (state.get("datasourceStates") or {}).get("indexpattern") or {}).get("layers") or {}
        panel_queries = [query_to_dsl(state.get("query"))] + _filters_dsl(state.get("filters"))
        used = _used_layers(result.visualization, result.vis_type)
        for layer_id, layer in layers.items():
            if used is not None and layer_id not in used:
                continue
            if layer.get("sampling", 1) != 1:
                raise Es360Error(f"Layer {layer_id} uses random sampling, which is not supported.")
            # a layer that ignores global filters skips the dashboard's query, filters and controls
            queries = panel_queries if layer.get("ignoreGlobalFilters") else self.base_queries + panel_queries
            ref = refs.get(f"indexpattern-datasource-layer-{layer_id}")
            if ref is None:
                raise Es360Error(f"Layer {layer_id} has no data view reference.")
            data_view = self.objects.data_view(ref["id"])
            result.field_formats[layer_id] = data_view.field_formats
            result.tables[layer_id] = self._layer(result, layer, data_view, queries)

    def run_saved_search(self, result: PanelResult, search_obj: dict[str, Any]) -> None:
        """A saved search panel: its newest documents, with its columns, sort, query and filters."""
        attrs = search_obj["attributes"]
        source = _search_source(attrs)
        refs = {r["name"]: r for r in search_obj.get("references") or []}
        ref = refs.get(source.get("indexRefName") or "kibanaSavedObjectMeta.searchSourceJSON.index")
        if ref is None:
            raise Es360Error(f"The saved search {search_obj.get('id')!r} has no data view reference.")
        data_view = self.objects.data_view(ref["id"])
        queries = self.base_queries + [query_to_dsl(source.get("query"))] + _filters_dsl(source.get("filter"))
        columns = discover.doc_columns(attrs)
        body = discover.doc_search(attrs, data_view, self.time_range, queries)
        result.vis_type = "search"
        result.visualization = {"layerId": "documents", "columns": [{"columnId": c.id} for c in columns]}
        result.field_formats["documents"] = data_view.field_formats
        result.tables["documents"] = discover.parse_docs(columns, self._search(result, data_view.title, body))

    def control(self, control: controls.Control, group: controls.ControlGroup,
                parent_queries: list[dict[str, Any]]) -> ControlResult:
        """A control as the page shows it; an options list with the values it offers under the
        dashboard's query and filters (as its parent settings allow) and the selections chained before it."""
        result = ControlResult(control.title, control.kind, control.field, list(control.selected))
        if control.kind != "optionsListControl" or not control.field:
            return result
        try:
            if control.view_id is None:
                raise Es360Error(f"The {control.title!r} control has no data view reference.")
            data_view = self.objects.data_view(control.view_id)
            time_range = None if group.ignore.get("ignoreTimerange") else self.time_range
            body = controls.options_search(control, data_view, time_range, parent_queries + group.filters_before(control))
            result.options = controls.parse_options(dict(self.es.search(
                index=data_view.title, body=body, ignore_unavailable=True, allow_no_indices=True)))
        except (Es360Error, ApiError, TransportError) as exc:
            result.error = _error_text(exc)
        return result

    def _search(self, result: PanelResult, index: str, body: dict[str, Any]) -> dict[str, Any]:
        result.queries += 1
        return dict(self.es.search(index=index, body=body, ignore_unavailable=True, allow_no_indices=True))

    def _layer(self, result: PanelResult, layer: dict[str, Any], data_view: lens.DataView,
               queries: list[dict[str, Any]]) -> lens.Table:
        intervals: dict[str, float] = {}
        columns = lens.layer_columns(layer)
        for col in lens.needs_histogram_bounds(columns):  # histogram interval from the field's min and max
            body = lens.bounds_search(data_view, self.time_range, queries, col)
            aggs = self._search(result, data_view.title, body).get("aggregations") or {}
            intervals[col.id] = lens.histogram_interval(col, (aggs.get("lo") or {}).get("value"),
                                                        (aggs.get("hi") or {}).get("value"))
        body = lens.build_search(layer, data_view, self.time_range, queries, histogram_intervals=intervals)
        table = lens.parse_response(layer, self._search(result, data_view.title, body), time_range=self.time_range)
        other = lens.other_bucket_search(layer, body, table)
        if other is not None:
            table = lens.merge_other(layer, table, self._search(result, data_view.title, other), self.time_range)
        return table


def _used_layers(vis: dict[str, Any], vis_type: str) -> set[str] | None:
    """The data layers a visualization draws (None: all of them)."""
    if vis_type in ("lnsXY", "lnsPie"):
        return {layer["layerId"] for layer in vis.get("layers") or []
                if layer.get("layerType", "data") == "data" and layer.get("layerId")}
    if vis.get("layerId"):
        return {vis["layerId"]}
    return None


def _is_empty(result: PanelResult) -> bool:
    """No rows, or no metric value in any row (what Kibana shows as "No results found"); zero is a value."""
    for table in result.tables.values():
        metrics = [c for c in table.columns if not c.is_bucket]
        for row in table.rows:
            if not metrics or any(row.get(c.id) is not None for c in metrics):
                return False
    return True


def build_dashboard(es: Elasticsearch, objects: SavedObjects, dashboard: dict[str, Any], *, now: datetime,
                    time_from: str | None = None, time_to: str | None = None) -> DashboardResult:
    """Run every panel of one dashboard; failures are kept per panel."""
    attrs = dashboard["attributes"]
    if time_from is None and time_to is None and attrs.get("timeRestore"):
        time_from, time_to = attrs.get("timeFrom") or DEFAULT_FROM, attrs.get("timeTo") or DEFAULT_TO
    time_from, time_to = time_from or DEFAULT_FROM, time_to or DEFAULT_TO
    time_range = resolve_range(time_from, time_to, now)
    source = _search_source(attrs)
    group = controls.read_controls(attrs, dashboard.get("references") or [])
    result = DashboardResult(dashboard["id"], str(attrs.get("title") or dashboard["id"]),
                             str(attrs.get("description") or ""), time_range, f"{time_from} → {time_to}")
    query, filters = [query_to_dsl(source.get("query"))], _filters_dsl(source.get("filter"))
    runner = PanelRunner(es, objects, time_range, query + filters + group.filters())
    parent = ([] if group.ignore.get("ignoreQuery") else query) + ([] if group.ignore.get("ignoreFilters") else filters)
    result.controls = [runner.control(c, group, parent) for c in group.controls]
    for panel in _json_attr(attrs.get("panelsJSON"), []):
        grid = {k: int(v) for k, v in (panel.get("gridData") or {}).items() if k in ("x", "y", "w", "h")}
        if panel.get("type") not in ("lens", "search"):
            result.panels.append(PanelResult(_panel_title(panel, {}), str(panel.get("type")), grid, status=SKIPPED,
                                             error=f"A {panel.get('type')} panel is shown in Kibana only."))
            continue
        item = PanelResult("Untitled panel", str(panel["type"]), grid)
        try:
            obj = _panel_object(objects, dashboard, panel)
            item.title = _panel_title(panel, obj["attributes"])
            if panel["type"] == "search":
                runner.run_saved_search(item, obj)
            else:
                item.vis_type = str(obj["attributes"].get("visualizationType"))
                item.visualization = (obj["attributes"].get("state") or {}).get("visualization") or {}
                runner.run(item, obj)
            item.status = EMPTY if _is_empty(item) else RENDERED
        except (Es360Error, ApiError, TransportError) as exc:
            item.status, item.error = FAILED, _error_text(exc)
        result.panels.append(item)
    return result


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        try:
            cause = exc.body["error"]["root_cause"][0]
            return f"Elasticsearch refused the search ({exc.status_code} {cause['type']}): {cause['reason']}"
        except (KeyError, IndexError, TypeError):
            return f"Elasticsearch refused the search ({exc.status_code}): {exc.message}"
    if isinstance(exc, TransportError):
        return f"Cannot reach Elasticsearch: {exc.message}"
    return str(exc)


def _safe_url(url: str) -> str:
    """The cluster URL without any user:password part (secrets never reach the page)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def load_objects(settings: Settings, root: Path | None = None) -> SavedObjects:
    """es360's saved objects (kibana/) with the configured prefix applied."""
    from es360.kibana.saved_objects import load_saved_objects

    objects = SavedObjects(load_saved_objects(root, prefix=settings.prefix))
    if not objects.dashboards:
        raise Es360Error("No dashboards are defined in the Kibana saved objects.")
    return objects


def build_dashboard_html(es: Elasticsearch, settings: Settings, out_path: Path, *, now: datetime | None = None,
                         time_from: str | None = None, time_to: str | None = None,
                         root: Path | None = None) -> DashboardSummary:
    """Render every es360 dashboard to one self-contained HTML file at `out_path`."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    if (time_from is None) != (time_to is None):
        time_from, time_to = time_from or DEFAULT_FROM, time_to or DEFAULT_TO
    if time_from is not None:
        resolve_range(time_from, time_to or DEFAULT_TO, now)  # a bad range fails before any search
    objects = load_objects(settings, root)
    summary = DashboardSummary(str(out_path))
    for dashboard in sorted(objects.dashboards, key=lambda d: str(d["attributes"].get("title", d["id"]))):
        summary.dashboards.append(build_dashboard(es, objects, dashboard, now=now, time_from=time_from,
                                                  time_to=time_to))
    source = _safe_url(settings.es_url) if settings.es_url else "the embedded engine"
    html = render_html(summary.dashboards, generated_at=now, source=source)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise Es360Error(f"Cannot write {out_path}: {exc.strerror or exc}.") from None
    summary.seconds = time.perf_counter() - started
    return summary
