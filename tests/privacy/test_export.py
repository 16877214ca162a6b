"""`es360 export`: one JSON document with everything es360 holds about a person, and nothing of others."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.privacy import export as export_module
from es360.privacy.export import export_customer, export_to_file
from tests.privacy.conftest import World

SECTIONS = {"es360_export", "profile", "identifiers", "rollup", "records", "identity", "activity", "tickets",
            "merge_log", "consent", "counts"}


def test_export_to_file_holds_the_whole_story(es: Elasticsearch, world: World, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_module, "PAGE", 1)  # every document on its own search_after page
    path = tmp_path / "anna.json"
    report = export_to_file(es, world.prefix, "anna.jones@example.org", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and report.path == str(path)
    doc = json.loads(path.read_text())
    assert set(doc) == SECTIONS
    assert doc["es360_export"]["customer_id"] == world.anna == doc["profile"]["customer_id"]
    values = {(i["type"], i["value"]) for i in doc["identifiers"]}
    assert {("email", "anna.jones@example.org"), ("phone", "+49301234567"), ("record", "crm:C-2")} <= values
    assert {r["record_id"] for r in doc["records"]} == {"crm:C-2", "support:anna.jones@example.org"}
    assert doc["records"][0]["raw"]  # the source row as received
    assert sorted(a["event"]["id"] for a in doc["activity"]) == ["O-2", "T-2"]
    [ticket] = doc["tickets"]
    assert ticket["ticket_id"] == "T-2" and ticket["embedding"] == {"omitted": True, "dims": 384}
    assert doc["rollup"]["customer_id"] == world.anna and doc["rollup"]["spend"]["lifetime_net"] == 80.0
    assert [m["customer_id"] for m in doc["merge_log"]] == [world.anna]
    assert doc["consent"]["email"]["status"] == "opt_out"
    assert doc["consent"]["by_source"][0]["source"] == "crm"
    assert doc["counts"] == {"customers": 1, "rollup": 1, "records": 2, "identity": len(doc["identity"]),
                             "activity": 2, "tickets": 1, "merge-log": 1}
    text = path.read_text()
    assert "sam.smith" not in text and "piet@" not in text  # nobody else's data
    audit = es.search(index=f"{world.prefix}audit", query={"term": {"action": "export"}})["hits"]["hits"]
    assert [a["_source"]["customer_id"] for a in audit] == [world.anna]
    assert "anna" not in json.dumps(audit[0]["_source"]).lower().replace(world.anna, "")


def test_export_to_a_stream_and_unknown_customers(es: Elasticsearch, world: World, tmp_path: Path) -> None:
    out = io.StringIO()
    report = export_customer(es, world.prefix, world.sam, out)
    doc = json.loads(out.getvalue())
    assert doc["profile"]["customer_id"] == world.sam and report.counts["tickets"] == 1
    with pytest.raises(Es360Error, match="nothing was changed"):
        export_to_file(es, world.prefix, "ghost@example.com", tmp_path / "ghost.json")
    assert not list(tmp_path.iterdir())
