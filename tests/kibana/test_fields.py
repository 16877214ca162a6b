"""Every field a panel, data view, control or saved search uses exists in the mappings with a fitting type."""

from __future__ import annotations

import json
from typing import Any

import pytest

from es360.assets import concrete_index
from es360.dashboard.numeral import numeral
from tests.kibana.fields import AGGREGATABLE, NUMERIC, index_fields, parse_kql, transform_dest_fields

VIS_TYPES = {"lnsXY", "lnsPie", "lnsDatatable", "lnsMetric", "lnsHeatmap"}
OPERATIONS = {"date_histogram", "terms", "filters", "range", "count", "sum", "average", "min", "max", "median",
              "unique_count", "last_value", "percentile"}
RUNTIME_TYPES = {"keyword": "keyword", "long": "long", "double": "double", "date": "date", "boolean": "boolean"}


def dataview_fields(view: dict[str, Any]) -> dict[str, str]:
    """Field -> ES type a data view offers: its index's mapping plus its runtime fields."""
    attrs = view["attributes"]
    kind = attrs["title"].removeprefix("es360-")
    fields = index_fields(concrete_index(kind, 1))
    for name, spec in json.loads(attrs.get("runtimeFieldMap") or "{}").items():
        fields[name] = RUNTIME_TYPES[spec["type"]]
    return fields


@pytest.fixture(scope="module")
def views(by_key: dict[tuple[str, str], dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {i: dataview_fields(o) for (t, i), o in by_key.items() if t == "index-pattern"}


def _check_kql(query: str, fields: dict[str, str], where: str) -> None:
    try:
        terms = parse_kql(query)
    except ValueError as exc:
        pytest.fail(f"{where}: {exc}")
    for term in terms:
        assert term.field in fields, f"{where}: KQL field {term.field} is not in the mapping"
        kind = fields[term.field]
        assert kind != "text" or term.op == ":", f"{where}: range on text field {term.field}"
        if term.op != ":":
            assert kind in NUMERIC or kind == "date", f"{where}: {term.field} ({kind}) cannot take {term.op}"
            if kind in NUMERIC:
                float(term.value)
        elif term.value != "*" and kind in NUMERIC:
            float(term.value)
        elif term.value != "*" and kind == "boolean":
            assert term.value in ("true", "false"), f"{where}: {term.field} is boolean, got {term.value!r}"


def _check_column(column: dict[str, Any], fields: dict[str, str], where: str) -> None:
    op = column["operationType"]
    assert op in OPERATIONS, f"{where}: operation {op} is outside the supported set"
    field = column.get("sourceField")
    if column.get("filter"):
        assert column["filter"]["language"] == "kuery"
        _check_kql(column["filter"]["query"], fields, f"{where} filter")
    if op == "filters":
        for item in column["params"]["filters"]:
            assert item["input"]["language"] == "kuery"
            _check_kql(item["input"]["query"], fields, f"{where} filters")
        return
    if op == "count":
        assert field in ("___records___", None) or field in fields
        return
    assert field in fields, f"{where}: field {field} is not in the data view's mapping"
    kind = fields[field]
    if op == "date_histogram":
        assert kind == "date", f"{where}: date_histogram on {field} ({kind})"
    elif op == "terms":
        assert kind in AGGREGATABLE, f"{where}: terms on {field} ({kind}) is not aggregatable"
    elif op == "range":
        assert kind in NUMERIC, f"{where}: range on {field} ({kind})"
    elif op in ("sum", "average", "median", "percentile"):
        assert kind in NUMERIC, f"{where}: {op} on {field} ({kind})"
    elif op in ("min", "max"):
        assert kind in NUMERIC or kind == "date", f"{where}: {op} on {field} ({kind})"
    elif op in ("unique_count", "last_value"):
        assert kind in AGGREGATABLE, f"{where}: {op} on {field} ({kind})"
    if op == "last_value":
        assert fields.get(column["params"]["sortField"]) == "date", f"{where}: last_value needs a date sortField"
    data_type = column["dataType"]
    if op in ("sum", "average", "median", "percentile", "count", "unique_count", "range"):
        assert data_type == "number", f"{where}: {op} column must have dataType number"


def lens_objects(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if o["type"] == "lens"]


def test_every_data_view_title_has_an_index_template(by_key: dict[tuple[str, str], dict[str, Any]],
                                                     views: dict[str, dict[str, str]]) -> None:
    titles = {o["attributes"]["title"] for (t, _), o in by_key.items() if t == "index-pattern"}
    assert titles == {"es360-customers", "es360-activity", "es360-tickets", "es360-rollup"}
    for view_id, fields in views.items():
        assert fields, f"{view_id} matches no index template in mappings/"


def test_data_view_time_fields_and_formats_exist(by_key: dict[tuple[str, str], dict[str, Any]],
                                                 views: dict[str, dict[str, str]]) -> None:
    for (kind, view_id), view in by_key.items():
        if kind != "index-pattern":
            continue
        attrs, fields = view["attributes"], views[view_id]
        if "timeFieldName" in attrs:
            assert fields.get(attrs["timeFieldName"]) == "date", view_id
        for name, fmt in json.loads(attrs["fieldFormatMap"]).items():
            assert name in fields, f"{view_id}: format for unknown field {name}"
            if fmt["id"] in ("currency", "number", "percent"):
                assert fields[name] in NUMERIC, f"{view_id}: {fmt['id']} format on {name} ({fields[name]})"
        for name in json.loads(attrs["fieldAttrs"]):
            assert name in fields, f"{view_id}: label for unknown field {name}"


def _euro_fields(view: dict[str, Any]) -> set[str]:
    """The fields a data view labels as EUR amounts."""
    return {name for name, attrs in json.loads(view["attributes"]["fieldAttrs"]).items()
            if "(EUR)" in attrs.get("customLabel", "")}


def test_money_is_shown_in_euros_whatever_the_kibana_locale(by_key: dict[tuple[str, str], dict[str, Any]],
                                                            objects: list[dict[str, Any]]) -> None:
    """numeral's `$` is the locale's currency symbol and a literal `€` is dropped, so: no symbol in
    data view patterns, EUR in the field labels, and a Lens ` €` suffix on every money column."""
    euro = {view_id: _euro_fields(view) for (kind, view_id), view in by_key.items() if kind == "index-pattern"}
    assert {"order.net_amount_eur"} <= euro["es360-dv-activity"]
    assert {"spend.lifetime_net", "orders.avg_value"} <= euro["es360-dv-rollup"]
    for view_id, fields in euro.items():
        formats = json.loads(by_key[("index-pattern", view_id)]["attributes"]["fieldFormatMap"])
        for name in fields:
            assert formats[name]["id"] == "number", f"{view_id}: {name}"
            assert numeral(1234.5, formats[name]["params"]["pattern"]) == "1,234.50", f"{view_id}: {name}"
        for name, fmt in formats.items():
            assert "$" not in fmt.get("params", {}).get("pattern", ""), f"{view_id}: {name} would show the locale's $"
    money_columns = 0
    for lens in lens_objects(objects):
        refs = {r["name"]: r["id"] for r in lens["references"]}
        for layer_id, layer in lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].items():
            fields = euro[refs[f"indexpattern-datasource-layer-{layer_id}"]]
            for column in layer["columns"].values():
                fmt = column.get("params", {}).get("format")
                if fmt:
                    assert "$" not in fmt.get("params", {}).get("pattern", ""), lens["id"]
                if column.get("sourceField") in fields and not column["isBucketed"]:
                    money_columns += 1
                    assert fmt and fmt["id"] == "number" and fmt["params"].get("suffix") == " €", \
                        f"{lens['id']}: {column['label']} needs the euro suffix"
                    assert "(EUR)" in column["label"], f"{lens['id']}: {column['label']}"
    assert money_columns >= 8


def test_runtime_fields_only_where_no_indexed_field_serves(by_key: dict[tuple[str, str], dict[str, Any]]) -> None:
    for (kind, view_id), view in by_key.items():
        if kind != "index-pattern":
            continue
        runtime = json.loads(view["attributes"]["runtimeFieldMap"])
        mapped = index_fields(concrete_index(view["attributes"]["title"].removeprefix("es360-"), 1))
        for name, spec in runtime.items():
            assert name not in mapped, f"{view_id}: runtime field {name} shadows a mapped field"
            assert spec["type"] in RUNTIME_TYPES and "emit(" in spec["script"]["source"]


def test_lens_panels_use_supported_operations_on_fitting_fields(objects: list[dict[str, Any]],
                                                                views: dict[str, dict[str, str]]) -> None:
    lenses = lens_objects(objects)
    assert len(lenses) >= 20
    for lens in lenses:
        attrs = lens["attributes"]
        assert attrs["visualizationType"] in VIS_TYPES, lens["id"]
        refs = {r["name"]: r["id"] for r in lens["references"]}
        state = attrs["state"]
        assert set(state["datasourceStates"]) == {"formBased"}, f"{lens['id']}: only form-based layers"
        layers = state["datasourceStates"]["formBased"]["layers"]
        assert layers, lens["id"]
        for layer_id, layer in layers.items():
            view_id = refs[f"indexpattern-datasource-layer-{layer_id}"]
            fields = views[view_id]
            assert state["query"]["language"] == "kuery"
            _check_kql(state["query"]["query"], fields, f"{lens['id']} query")
            assert set(layer["columnOrder"]) == set(layer["columns"]), lens["id"]
            for column in layer["columns"].values():
                _check_column(column, fields, f"{lens['id']} column {column.get('label')}")
                order_by = column.get("params", {}).get("orderBy", {})
                if order_by.get("type") == "column":
                    assert order_by["columnId"] in layer["columns"], lens["id"]
        assert state["filters"] == [], f"{lens['id']}: use the KQL query, not pinned filters"


def test_visualization_accessors_name_existing_columns(objects: list[dict[str, Any]]) -> None:
    for lens in lens_objects(objects):
        state = lens["attributes"]["state"]
        columns = {c for layer in state["datasourceStates"]["formBased"]["layers"].values() for c in layer["columns"]}
        text = json.dumps(state["visualization"])
        used = {c for c in columns if c in text}
        assert used == columns, f"{lens['id']}: columns never shown: {columns - used}"
        for key in ("xAccessor", "yAccessor", "valueAccessor", "metricAccessor", "splitAccessor"):
            for value in _find(state["visualization"], key):
                assert value in columns, f"{lens['id']}: {key} {value} is not a column"


def _find(node: Any, key: str) -> list[Any]:
    if isinstance(node, dict):
        found = [node[key]] if key in node else []
        return found + [x for v in node.values() for x in _find(v, key)]
    if isinstance(node, list):
        return [x for v in node for x in _find(v, key)]
    return []


def test_controls_filter_aggregatable_fields(objects: list[dict[str, Any]], views: dict[str, dict[str, str]]) -> None:
    for dash in (o for o in objects if o["type"] == "dashboard"):
        group = dash["attributes"].get("controlGroupInput")
        if not group:
            continue
        refs = {r["name"]: r["id"] for r in dash["references"]}
        for control_id, control in json.loads(group["panelsJSON"]).items():
            if control["type"] == "timeSlider":
                continue
            assert control["type"] == "optionsListControl"
            view_id = refs[f"controlGroup_{control_id}:optionsListDataView"]
            field = control["explicitInput"]["fieldName"]
            assert views[view_id].get(field) in AGGREGATABLE, f"{dash['id']}: control on {field}"


def _panel_views(dash: dict[str, Any], by_key: dict[tuple[str, str], dict[str, Any]]) -> list[tuple[str, str]]:
    """(panel object id, data view id) for every layer or saved search of a dashboard that the
    dashboard's filters and controls reach (Lens layers with ignoreGlobalFilters are left out)."""
    out = []
    for ref in dash["references"]:
        if ":panel_" not in ref["name"]:
            continue
        obj = by_key[(ref["type"], ref["id"])]
        refs = {r["name"]: r["id"] for r in obj["references"]}
        if ref["type"] == "search":
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            out.append((ref["id"], refs[source["indexRefName"]]))
            continue
        for layer_id, layer in obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].items():
            if not layer.get("ignoreGlobalFilters"):
                out.append((ref["id"], refs[f"indexpattern-datasource-layer-{layer_id}"]))
    return out


def test_every_control_filters_every_panel(objects: list[dict[str, Any]], views: dict[str, dict[str, str]],
                                           by_key: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Kibana applies a control's filter to every panel (courier:ignoreFilterIfFieldNotInIndex is
    off by default), so a panel whose data view lacks the field would go blank: not allowed."""
    fields_seen = set()
    for dash in (o for o in objects if o["type"] == "dashboard"):
        group = dash["attributes"].get("controlGroupInput")
        if not group:
            continue
        panels = _panel_views(dash, by_key)
        for control in json.loads(group["panelsJSON"]).values():
            field = control["explicitInput"].get("fieldName")
            if field is None:
                continue
            fields_seen.add((dash["id"], field))
            for panel_id, view_id in panels:
                assert field in views[view_id], f"{dash['id']}: control on {field} would blank {panel_id}"
    for dash_id in ("es360-dashboard-spend", "es360-dashboard-churn", "es360-dashboard-behavior"):
        assert (dash_id, "customer.country") in fields_seen, dash_id
    assert ("es360-dashboard-churn", "rfm.segment") in fields_seen


def test_customer_country_is_mapped_where_the_country_control_needs_it() -> None:
    for kind in ("activity", "rollup"):
        assert index_fields(concrete_index(kind, 1)).get("customer.country") == "keyword", kind


def test_saved_search_columns_query_and_sort_exist(objects: list[dict[str, Any]],
                                                   views: dict[str, dict[str, str]]) -> None:
    searches = [o for o in objects if o["type"] == "search"]
    assert {s["id"] for s in searches} == {"es360-search-customer-tickets", "es360-search-open-tickets"}
    for search in searches:
        source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        refs = {r["name"]: r["id"] for r in search["references"]}
        fields = views[refs[source["indexRefName"]]]
        _check_kql(source["query"]["query"], fields, search["id"])
        for column in search["attributes"]["columns"]:
            assert column in fields, f"{search['id']}: column {column}"
        for field, direction in search["attributes"]["sort"]:
            assert fields.get(field) == "date" and direction in ("asc", "desc")


def test_rollup_fields_the_panels_use_are_produced_by_the_transform_or_pipeline(
        objects: list[dict[str, Any]]) -> None:
    """Rollup fields deduced from the transform keep a compatible type in the explicit mapping."""
    mapped = index_fields(concrete_index("rollup", 1))
    deduced = transform_dest_fields("es360-rollup", index_fields(concrete_index("activity", 1)))
    family = {**{t: "number" for t in NUMERIC}, "date": "date", "keyword": "keyword", "boolean": "boolean"}
    for name, kind in deduced.items():
        if name in mapped:
            assert family.get(mapped[name]) == family.get(kind), f"{name}: mapped {mapped[name]}, deduced {kind}"


@pytest.mark.parametrize("query", [
    'a : b', 'a : "b c"', 'a : *', 'a >= 3', '(a : b or c < 2) and not d : "x"', 'not (a : 1)',
])
def test_kql_subset_accepts(query: str) -> None:
    assert parse_kql(query)


@pytest.mark.parametrize("query", ['a : b*', 'a and', '(a : b', 'a >= "3"', 'a', 'a : b )', 'a.b : {c : d}'])
def test_kql_subset_rejects(query: str) -> None:
    with pytest.raises(ValueError):
        parse_kql(query)


@pytest.mark.parametrize(("column", "why"), [
    ({"operationType": "terms", "sourceField": "names", "dataType": "string"}, "not aggregatable"),
    ({"operationType": "sum", "sourceField": "customer_id", "dataType": "number"}, "sum on"),
    ({"operationType": "date_histogram", "sourceField": "customer_id", "dataType": "date"}, "date_histogram on"),
    ({"operationType": "max", "sourceField": "no.such.field", "dataType": "number"}, "not in the data view"),
    ({"operationType": "formula", "dataType": "number"}, "outside the supported set"),
    ({"operationType": "count", "dataType": "number", "filter": {"language": "kuery", "query": "nope : 1"}},
     "not in the mapping"),
    ({"operationType": "count", "dataType": "number", "filter": {"language": "kuery", "query": "names >= 3"}},
     "range on text"),
])
def test_column_checks_catch_mistakes(column: dict[str, Any], why: str) -> None:
    fields = index_fields(concrete_index("customers", 1))
    with pytest.raises(AssertionError, match=why):
        _check_column(column, fields, "probe")
