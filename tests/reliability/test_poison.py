"""A batch full of poison rows: only those rows are rejected, every other row of the batch is written.

Poison: rows the mapping or reader refuses (no key, surplus values, over the row size limit), rows the
pipelines refuse (unparseable amount or timestamp, unknown currency) and mapping conflicts (an object
or a boolean where a keyword belongs, NaN in a scaled_float). A whole bulk request refused because of
one document (a 500, or a 413 for a body over the cluster's limit) is split until that document is
isolated, instead of stopping the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, Elasticsearch

from es360.ingest.bulk import Action, BulkWriter
from es360.ingest.mapping import load_mapping, parse_mapping
from es360.ingest.run import IngestRun
from tests.reliability.conftest import PREFIX, dead_letters

ORDERS_HEADER = "order_id,customer_number,email,order_ts,type,refund_of,status,amount,currency,items\n"


def _order(i: int, amount: str = "19.90", currency: str = "EUR", ts: str = "2025-03-01T10:00:00Z") -> str:
    return f"PO-{i},S-{i},p{i}@x.io,{ts},order,,paid,{amount},{currency},1\n"


def _event_ids(es: Elasticsearch, marker: str) -> set[str]:
    es.indices.refresh(index=f"{PREFIX}activity")
    resp = es.search(index=f"{PREFIX}activity", size=1000, source=["event.id"],
                     query={"prefix": {"event.id": marker}})
    return {h["_source"]["event"]["id"] for h in resp["hits"]["hits"]}


def test_poison_orders_in_one_batch_reject_only_themselves(cluster: Elasticsearch, tmp_path: Path) -> None:
    rows = [_order(i) for i in range(60)]
    poison = {3: _order(3, amount="abc"), 9: _order(9, currency="XXX"), 15: _order(15, ts="not a date"),
              21: _order(21, amount="NaN"), 27: _order(27, amount="1e400"), 33: ",S-1,x@x.io,,,,,,,\n",
              39: _order(39).rstrip("\n") + ",surplus\n", 45: _order(45, amount="1" * 70_000)}
    for i, row in poison.items():
        rows[i] = row
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS_HEADER + "".join(rows))
    report = IngestRun(cluster, load_mapping("shop-orders"), PREFIX, tmp_path, batch_size=100,
                       max_row_bytes=50_000).run([str(path)])  # one batch
    assert (report.read, report.rejected, report.indexed) == (60, len(poison), 60 - len(poison))
    entries = dead_letters(report.dead_letter)
    assert sorted(e["line"] for e in entries) == sorted(i + 2 for i in poison)
    assert all(e["file"] == str(path) and e["reason"] for e in entries)
    assert _event_ids(cluster, "PO-") == {f"PO-{i}" for i in range(60) if i not in poison}


def test_poison_customers_mapping_conflicts_and_huge_fields(cluster: Elasticsearch, tmp_path: Path) -> None:
    docs: list[Any] = [{"customer_number": f"PC-{i}", "name": f"Ann Lee {i}", "email": f"ann{i}@x.io"}
                       for i in range(40)]
    docs[2]["email"] = {"nested": "object"}  # a keyword field given an object
    docs[5]["phone"] = True  # a keyword field given a boolean the pipeline cannot handle
    docs[8] = {"customer_number": {"an": "object"}, "name": "Key Object"}
    docs[11] = "not an object"
    docs[14]["name"] = "x" * 60_000  # over the row size limit
    docs[17]["name"] = "y" * 40_000  # under it, but an "immense term" for a real cluster's keyword sub-field
    path = tmp_path / "customers.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    report = IngestRun(cluster, load_mapping("shop-customers"), PREFIX, tmp_path, batch_size=100,
                       max_row_bytes=50_000).run([str(path)])
    rejected = {e["line"] for e in dead_letters(report.dead_letter)}
    must = {3, 6, 9, 12, 15}
    assert must <= rejected <= must | {18}, rejected  # line 18: Elasticsearch refuses it, the engine need not
    assert report.reconciles and report.rejected == len(rejected)
    cluster.indices.refresh(index=f"{PREFIX}records")
    resp = cluster.search(index=f"{PREFIX}records", size=100, source=["source_id"],
                          query={"bool": {"filter": [{"prefix": {"source_id": "PC-"}}, {"term": {"source": "shop"}}]}})
    present = {h["_source"]["source_id"] for h in resp["hits"]["hits"]}
    assert present == {f"PC-{i}" for i in range(40) if i + 1 not in rejected}


def _api_error(status: int, kind: str) -> ApiError:
    meta = ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(), duration=0.0,
                           node=NodeConfig("http", "localhost", 9200))
    body = {"error": {"type": kind, "reason": f"{kind} (stand-in)"}, "status": status}
    return ApiError(message=kind, meta=meta, body=body)


class RefusingClient:
    """Refuses a whole bulk request with 500 if a poison document is in it, 413 if it is over 1 kB."""

    def __init__(self) -> None:
        self.requests = 0

    def bulk(self, operations: bytes, require_alias: bool) -> dict[str, Any]:
        self.requests += 1
        if b"POISON" in operations:
            raise _api_error(500, "exception")
        if len(operations) > 1024:
            raise _api_error(413, "content_too_long_exception")
        n = operations.count(b"\n") // 2
        return {"items": [{"index": {"status": 201, "result": "created"}} for _ in range(n)]}


def test_bulk_writer_isolates_the_document_that_fails_a_whole_request() -> None:
    client = RefusingClient()
    docs = [{"n": i, "pad": "p" * 40} for i in range(32)]
    docs[5]["name"], docs[20]["name"] = "POISON", "POISON"
    outcomes = BulkWriter(client, sleep=lambda s: None).write(  # type: ignore[arg-type]
        [Action("a", str(i), d) for i, d in enumerate(docs)])
    failed = {i for i, o in enumerate(outcomes) if not o.ok}
    assert failed == {5, 20} and all(outcomes[i].status == 500 for i in failed)
    assert all(o.result == "created" for i, o in enumerate(outcomes) if i not in failed)
    big = BulkWriter(client, sleep=lambda s: None).write(  # type: ignore[arg-type]
        [Action("a", "big", {"pad": "b" * 2000}), Action("a", "small", {"n": 1})])
    assert big[0].status == 413 and "content_too_long" in (big[0].reason or "") and big[1].ok


def test_epoch_seconds_out_of_range_do_not_fail_the_bulk_request(cluster: Elasticsearch) -> None:
    """Regression: "1e309" as a UNIX date made the engine answer the whole bulk request with a 500."""
    pipeline = {"processors": [{"date": {"field": "d", "formats": ["UNIX"]}}]}
    docs = cluster.ingest.simulate(pipeline=pipeline, docs=[{"_source": {"d": v}} for v in ("1e309", "nan", "12.5")])
    dates = [d.get("doc", {}).get("_source", {}).get("@timestamp") for d in docs["docs"]]
    assert dates[0] == "+292278994-08-17T07:12:55.807Z"  # Java's (long) Infinity: Long.MAX_VALUE millis
    assert "error" in docs["docs"][1] and dates[2] == "1970-01-01T00:00:12.500Z"  # Java rejects "nan"
    resp = cluster.bulk(operations=[{"index": {"_index": f"{PREFIX}records", "_id": "crm:EPOCH-1"}},
                                    {"source": "crm", "source_id": "EPOCH-1", "created_at": "-1e400"},
                                    {"index": {"_index": f"{PREFIX}records", "_id": "crm:EPOCH-2"}},
                                    {"source": "crm", "source_id": "EPOCH-2"}], require_alias=True)
    assert [item["index"]["status"] for item in resp["items"]] == [201, 201]


OPTIONAL_ONLY = """
name = "optonly"
[[targets]]
kind = "records"
key = "id"
optional = true
[targets.constants]
source = "optonly"
[targets.fields]
source_id = "id"
"""


def test_row_that_maps_to_no_document_is_rejected_not_a_crash(cluster: Elasticsearch, tmp_path: Path) -> None:
    """Regression: with only optional targets, a row with an empty key crashed the run (IndexError)."""
    path = tmp_path / "opt.csv"
    path.write_text("id,name\nOPT-1,a\n,b\nOPT-3,c\n")
    report = IngestRun(cluster, parse_mapping(OPTIONAL_ONLY, "optonly.toml"), PREFIX, tmp_path).run([str(path)])
    assert (report.read, report.indexed, report.rejected) == (3, 2, 1)
    (entry,) = dead_letters(report.dead_letter)
    assert entry["line"] == 3 and "no document to write" in entry["reason"]
