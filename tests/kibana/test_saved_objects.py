"""The shipped saved objects: stable unique ids, resolvable references, import-ready NDJSON, canonical files."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from es360.errors import Es360Error
from es360.kibana.saved_objects import (
    decode_object,
    dump_object,
    encode_object,
    kibana_root,
    load_saved_objects,
    parse_ndjson,
    to_ndjson,
)

SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
DASHBOARDS = {"es360-dashboard-behavior", "es360-dashboard-spend", "es360-dashboard-churn", "es360-dashboard-customer"}


def test_ids_are_stable_unique_and_named_after_their_file(decoded: list[dict[str, Any]]) -> None:
    keys = [(o["type"], o["id"]) for o in decoded]
    assert len(keys) == len(set(keys))
    ids = [o["id"] for o in decoded]
    assert len(ids) == len(set(ids)), "ids are unique across types too, so panel references are unambiguous"
    for path in kibana_root().glob("*/*.json"):
        obj = json.loads(path.read_text())
        assert path.stem == obj["id"] and path.parent.name == obj["type"]
        assert re.fullmatch(r"es360-[a-z0-9-]+", obj["id"]), obj["id"]


def test_files_are_in_canonical_form(decoded: list[dict[str, Any]]) -> None:
    """Sorted keys, two-space indent: what `es360 kibana export` writes, so exports produce no spurious diff."""
    for path in kibana_root().glob("*/*.json"):
        obj = json.loads(path.read_text())
        assert path.read_text() == dump_object(decode_object(encode_object(obj))), path


def test_ndjson_is_what_kibana_import_expects(objects: list[dict[str, Any]]) -> None:
    text = to_ndjson(objects)
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == len(objects)
    for line in lines:
        obj = json.loads(line)
        assert {"id", "type", "attributes", "references", "coreMigrationVersion", "typeMigrationVersion"} <= obj.keys()
        assert SEMVER.match(obj["coreMigrationVersion"]) and obj["coreMigrationVersion"].startswith("8.")
        assert SEMVER.match(obj["typeMigrationVersion"])
        for ref in obj["references"]:
            assert set(ref) == {"id", "name", "type"}
    assert parse_ndjson(text) == objects


def test_json_string_attributes_are_strings_kibana_can_parse(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        attrs = obj["attributes"]
        strings: list[str] = []
        if obj["type"] == "dashboard":
            strings += [attrs["panelsJSON"], attrs["optionsJSON"], attrs["kibanaSavedObjectMeta"]["searchSourceJSON"]]
            if "controlGroupInput" in attrs:
                strings += [attrs["controlGroupInput"]["panelsJSON"],
                            attrs["controlGroupInput"]["ignoreParentSettingsJSON"]]
        if obj["type"] == "index-pattern":
            strings += [attrs[k] for k in ("fieldFormatMap", "fieldAttrs", "runtimeFieldMap", "fields", "typeMeta")]
        if obj["type"] == "search":
            strings.append(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
        if obj["type"] == "lens":
            assert isinstance(attrs["state"], dict), "Lens keeps its state as an object"
        for value in strings:
            assert isinstance(value, str), obj["id"]
            json.loads(value)


def test_every_reference_resolves(by_key: dict[tuple[str, str], dict[str, Any]]) -> None:
    for (kind, obj_id), obj in by_key.items():
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in by_key, f"{kind}/{obj_id} references missing {ref['type']}/{ref['id']}"


def test_dashboards_reference_every_panel_by_panel_ref_name(by_key: dict[tuple[str, str], dict[str, Any]]) -> None:
    dashboards = {i: o for (t, i), o in by_key.items() if t == "dashboard"}
    assert set(dashboards) == DASHBOARDS
    for dash_id, dash in dashboards.items():
        refs = {r["name"]: r for r in dash["references"]}
        panels = json.loads(dash["attributes"]["panelsJSON"])
        assert panels, dash_id
        for panel in panels:
            index = panel["panelIndex"]
            assert panel["gridData"]["i"] == index and panel["panelRefName"] == f"panel_{index}"
            ref = refs[f"{index}:panel_{index}"]
            assert ref["type"] == panel["type"] and ref["type"] in ("lens", "search")
            assert panel["gridData"]["x"] >= 0 and panel["gridData"]["x"] + panel["gridData"]["w"] <= 48
        panel_refs = {n for n in refs if ":panel_" in n}
        assert len(panel_refs) == len(panels), f"{dash_id}: a panel reference without a panel"


def test_lens_layers_reference_their_data_view(by_key: dict[tuple[str, str], dict[str, Any]]) -> None:
    for (kind, lens_id), lens in by_key.items():
        if kind != "lens":
            continue
        layers = lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
        names = {r["name"] for r in lens["references"] if r["type"] == "index-pattern"}
        assert names == {f"indexpattern-datasource-layer-{layer}" for layer in layers}, lens_id


def test_controls_and_drilldowns(by_key: dict[tuple[str, str], dict[str, Any]]) -> None:
    drilldowns = 0
    for (kind, _dash_id), dash in by_key.items():
        if kind != "dashboard":
            continue
        refs = {r["name"]: r for r in dash["references"]}
        for panel in json.loads(dash["attributes"]["panelsJSON"]):
            for event in panel["embeddableConfig"].get("enhancements", {}).get("dynamicActions", {}).get("events", []):
                assert event["action"]["factoryId"] == "DASHBOARD_TO_DASHBOARD_DRILLDOWN"
                name = f"{panel['panelIndex']}:drilldown:DASHBOARD_TO_DASHBOARD_DRILLDOWN:{event['eventId']}:dashboardId"
                assert refs[name]["id"] == "es360-dashboard-customer"
                drilldowns += 1
        group = dash["attributes"].get("controlGroupInput")
        if group:
            for control_id, control in json.loads(group["panelsJSON"]).items():
                assert control["explicitInput"]["id"] == control_id
                if control["type"] == "optionsListControl":
                    assert f"controlGroup_{control_id}:optionsListDataView" in refs
    assert drilldowns >= 2
    spend = json.loads(by_key[("dashboard", "es360-dashboard-spend")]["attributes"]["controlGroupInput"]["panelsJSON"])
    assert {c["type"] for c in spend.values()} == {"timeSlider", "optionsListControl"}


def test_encode_keeps_strings_and_round_trips(decoded: list[dict[str, Any]]) -> None:
    for obj in decoded:
        encoded = encode_object(obj)
        assert encode_object(encoded) == encoded, "encoding twice changes nothing"
        assert decode_object(encoded) == obj


def test_prefix_rewrites_ids_and_index_patterns() -> None:
    objects = load_saved_objects(prefix="acme-")
    assert all(o["id"].startswith("acme-") for o in objects)
    titles = {o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    assert titles == {"acme-customers", "acme-activity", "acme-tickets", "acme-rollup"}
    assert "es360-dv-" not in to_ndjson(objects)


def test_loader_rejects_bad_files(tmp_path: Path) -> None:
    root = tmp_path / "kibana"
    shutil.copytree(kibana_root(), root)
    bad = root / "lens" / "es360-lens-sessions.json"
    bad.write_text("{not json")
    with pytest.raises(Es360Error, match="not valid JSON"):
        load_saved_objects(root)
    bad.write_text(json.dumps({"id": "es360-other", "type": "lens", "attributes": {}, "references": []}))
    with pytest.raises(Es360Error, match="its file must be"):
        load_saved_objects(root)
    bad.write_text(json.dumps({"id": "es360-lens-sessions", "type": "lens"}))
    with pytest.raises(Es360Error, match="lacks attributes, references"):
        load_saved_objects(root)
    with pytest.raises(Es360Error, match="does not exist"):
        load_saved_objects(tmp_path / "nowhere")


def test_decode_handles_every_json_string_attribute_and_leaves_plain_strings() -> None:
    exported = {"id": "es360-x", "type": "visualization", "updated_at": "2026-01-01T00:00:00Z", "version": "WzEsMV0=",
                "managed": False, "references": [{"name": "b", "type": "t", "id": "2"}, {"name": "a", "type": "t", "id": "1"}],
                "attributes": {"visState": '{"type":"markdown"}', "uiStateJSON": "{}", "title": "{not json}",
                               "kibanaSavedObjectMeta": {"searchSourceJSON": "not json at all"}}}
    obj = decode_object(exported)
    assert obj["attributes"]["visState"] == {"type": "markdown"} and obj["attributes"]["uiStateJSON"] == {}
    assert obj["attributes"]["title"] == "{not json}"
    assert obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"] == "not json at all"
    assert [r["name"] for r in obj["references"]] == ["a", "b"]
    assert not {"updated_at", "version", "managed"} & obj.keys()
    assert encode_object(obj)["attributes"]["visState"] == '{"type":"markdown"}'
