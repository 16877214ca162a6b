"""Dashboard controls: the control group of a saved dashboard, the filters its selections make, and
the values an options list offers (what Kibana shows when the list is opened).

An options list on field F with selections [a, b] filters every panel with `terms F: [a, b]`
(`must_not` when it excludes), exactly as Kibana applies it — also to panels whose data view lacks F
(`courier:ignoreFilterIfFieldNotInIndex` is off by default), which is why es360's dashboards only
put controls on fields every panel's data view has (tests/kibana/test_fields.py). With hierarchical
chaining a control's values are narrowed by the selections of the controls before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as _field  # `field` is also an attribute name below
from typing import Any

from es360.dashboard import lens
from es360.dashboard.timerange import TimeRange
from es360.errors import Es360Error

OPTIONS_SIZE = 10  # how many values Kibana's options list fetches first


@dataclass
class Control:
    """One control of a dashboard's control group, as saved."""

    id: str
    kind: str  # optionsListControl, timeSlider, rangeSliderControl, ...
    title: str
    order: int
    field: str | None = None
    view_id: str | None = None
    selected: list[Any] = _field(default_factory=list)
    exclude: bool = False
    sort: dict[str, str] = _field(default_factory=lambda: {"by": "_count", "direction": "desc"})

    def filter(self) -> dict[str, Any] | None:
        """The query a selection adds to every panel (None: nothing selected)."""
        if not (self.selected and self.field and self.kind == "optionsListControl"):
            return None
        clause = {"terms": {self.field: self.selected}}
        return {"bool": {"must_not": clause}} if self.exclude else clause


@dataclass
class ControlGroup:
    """A dashboard's controls in display order, and how they relate to the dashboard and each other."""

    controls: list[Control] = _field(default_factory=list)
    hierarchical: bool = True
    ignore: dict[str, bool] = _field(default_factory=dict)  # ignoreFilters, ignoreQuery, ignoreTimerange

    def filters(self) -> list[dict[str, Any]]:
        """The filters of every control with a selection."""
        return [f for f in (c.filter() for c in self.controls) if f is not None]

    def filters_before(self, control: Control) -> list[dict[str, Any]]:
        """The selections that narrow `control`'s values: earlier controls when chained, none otherwise."""
        if not self.hierarchical:
            return []
        return [f for c in self.controls if c.order < control.order and (f := c.filter()) is not None]


def _decoded(value: Any, default: Any) -> Any:
    if value in (None, ""):
        return default
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise Es360Error(f"A dashboard's control group is not valid JSON: {value[:60]!r}.") from None


def read_controls(attrs: dict[str, Any], references: list[dict[str, Any]]) -> ControlGroup:
    """The control group of a dashboard's attributes (`controlGroupInput`), with each control's data view id."""
    group = attrs.get("controlGroupInput") or {}
    panels = _decoded(group.get("panelsJSON"), {})
    refs = {r.get("name"): r.get("id") for r in references or []}
    controls = []
    for control_id, panel in panels.items():
        explicit = panel.get("explicitInput") or {}
        kind = str(panel.get("type") or "control")
        controls.append(Control(
            id=control_id, kind=kind, order=int(panel.get("order", 0)),
            title=str(explicit.get("title") or explicit.get("fieldName") or kind),
            field=explicit.get("fieldName"), view_id=refs.get(f"controlGroup_{control_id}:optionsListDataView"),
            selected=list(explicit.get("selectedOptions") or []), exclude=bool(explicit.get("exclude")),
            sort=explicit.get("sort") or {"by": "_count", "direction": "desc"}))
    controls.sort(key=lambda c: (c.order, c.id))
    ignore = _decoded(group.get("ignoreParentSettingsJSON"), {})
    return ControlGroup(controls, str(group.get("chainingSystem") or "HIERARCHICAL") == "HIERARCHICAL",
                        {k: bool(v) for k, v in ignore.items()})


def options_search(control: Control, data_view: lens.DataView, time_range: TimeRange | None,
                   queries: list[dict[str, Any]], size: int = OPTIONS_SIZE) -> dict[str, Any]:
    """The search for an options list's top values (documents per value) under the given queries."""
    if not control.field:
        raise ValueError(f"Control {control.title!r} has no field.")
    body = lens.base_body(data_view, time_range, queries)
    by = "_key" if control.sort.get("by") == "_key" else "_count"
    direction = "asc" if control.sort.get("direction") == "asc" else "desc"
    body["aggs"] = {"options": {"terms": {"field": control.field, "size": size, "order": {by: direction}}}}
    if control.field in data_view.runtime_fields:
        body["runtime_mappings"] = {control.field: data_view.runtime_fields[control.field]}
    return body


def parse_options(response: dict[str, Any]) -> list[tuple[Any, int]]:
    """(value, documents) per option, in the order Elasticsearch returned them."""
    buckets = ((response.get("aggregations") or {}).get("options") or {}).get("buckets") or []
    return [(b.get("key_as_string", b.get("key")), int(b.get("doc_count", 0))) for b in buckets]
