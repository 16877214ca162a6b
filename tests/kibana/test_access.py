"""Each dashboard reads only what its audience's role (security/roles/) may read, and no field it hides."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from es360.access.roles import load_role
from tests.kibana.fields import parse_kql

# who opens each dashboard: analysts the three overviews, support reps the customer drilldown
AUDIENCE = {
    "es360-dashboard-behavior": "es360_analyst",
    "es360-dashboard-spend": "es360_analyst",
    "es360-dashboard-churn": "es360_analyst",
    "es360-dashboard-customer": "es360_support",
}


def _role(name: str) -> list[tuple[list[str], list[str]]]:
    """(index name patterns, hidden field patterns) per index entry of a role, as the cluster receives it."""
    entries = []
    for entry in load_role(name).body["indices"]:
        assert "read" in entry["privileges"] or "all" in entry["privileges"], name
        entries.append((entry["names"], list((entry.get("field_security") or {}).get("except", []))))
    return entries


def _kql_fields(query: dict[str, Any] | None) -> set[str]:
    return {t.field for t in parse_kql((query or {}).get("query", ""))}


def _lens_reads(obj: dict[str, Any]) -> list[tuple[str, set[str]]]:
    """(data view id, fields) per layer of a Lens object: columns, sort fields, column filters and the query."""
    refs = {r["name"]: r["id"] for r in obj["references"]}
    state = obj["attributes"]["state"]
    out = []
    for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
        fields = _kql_fields(state["query"])
        for column in layer["columns"].values():
            fields.add(column.get("sourceField") or "___records___")
            fields.add(column.get("params", {}).get("sortField") or "___records___")
            fields |= _kql_fields(column.get("filter"))
            for item in column.get("params", {}).get("filters", []):
                fields |= _kql_fields(item["input"])
        out.append((refs[f"indexpattern-datasource-layer-{layer_id}"], fields - {"___records___"}))
    return out


def _search_reads(obj: dict[str, Any]) -> list[tuple[str, set[str]]]:
    attrs = obj["attributes"]
    source = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
    refs = {r["name"]: r["id"] for r in obj["references"]}
    fields = set(attrs["columns"]) | {f for f, _ in attrs["sort"]} | _kql_fields(source["query"])
    return [(refs[source["indexRefName"]], fields)]


def dashboard_reads(dash: dict[str, Any], by_key: dict[tuple[str, str], dict[str, Any]]) -> list[tuple[str, str, set[str]]]:
    """(what, data view id, fields) for every panel layer, saved search and control of a dashboard."""
    out = []
    refs = {r["name"]: r for r in dash["references"]}
    for name, ref in refs.items():
        if ":panel_" in name:
            obj = by_key[(ref["type"], ref["id"])]
            reads = _search_reads(obj) if ref["type"] == "search" else _lens_reads(obj)
            out += [(ref["id"], view, fields) for view, fields in reads]
    group = dash["attributes"].get("controlGroupInput") or {}
    for control_id, control in json.loads(group.get("panelsJSON") or "{}").items():
        field = control["explicitInput"].get("fieldName")
        if field:
            view = refs[f"controlGroup_{control_id}:optionsListDataView"]["id"]
            out.append((f"control {field}", view, {field}))
    return out


def test_every_dashboard_has_an_audience(objects: list[dict[str, Any]]) -> None:
    assert {o["id"] for o in objects if o["type"] == "dashboard"} == set(AUDIENCE)




@pytest.mark.parametrize("dashboard_id", sorted(AUDIENCE))
def test_dashboard_reads_only_what_its_audience_may_read(dashboard_id: str,
                                                         by_key: dict[tuple[str, str], dict[str, Any]]) -> None:
    role = AUDIENCE[dashboard_id]
    entries = _role(role)
    reads = dashboard_reads(by_key[("dashboard", dashboard_id)], by_key)
    assert reads
    for what, view_id, fields in reads:
        title = by_key[("index-pattern", view_id)]["attributes"]["title"]
        hidden = next((h for names, h in entries if any(fnmatch.fnmatchcase(title, n) for n in names)), None)
        assert hidden is not None, f"{dashboard_id}: {what} reads {title}, which {role} may not read"
        for field in fields:
            assert not any(fnmatch.fnmatchcase(field, h) for h in hidden), \
                f"{dashboard_id}: {what} uses {field}, which field-level security hides from {role}"


def test_the_rule_catches_a_panel_on_customers() -> None:
    """The analyst role cannot read es360-customers, the index the old "new customers by country" panel used."""
    entries = _role("es360_analyst")
    assert not any(fnmatch.fnmatchcase("es360-customers", n) for names, _ in entries for n in names)
    assert any(fnmatch.fnmatchcase("identity.email", h) for _, hidden in entries for h in hidden)
