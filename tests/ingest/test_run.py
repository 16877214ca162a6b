"""An ingest run end to end: counts reconcile, re-runs are idempotent, failures are survived."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.ingest.bulk import Action, BulkWriter, Outcome
from es360.ingest.inflight import InFlight
from es360.ingest.mapping import SourceMapping, load_mapping
from es360.ingest.run import IngestRun
from es360.setup import run_setup

PREFIX = "ingtest-"
HEADER = ("contact_id,first_name,last_name,email,phone,street,city,postcode,country,birth_date,created_at,"
          "updated_at,email_opt_in,account_owner\n")


@pytest.fixture(scope="module")
def cluster(es: Elasticsearch) -> Elasticsearch:
    run_setup(es, PREFIX)
    return es


def crm_file(path: Path, n: int, tag: str) -> Path:
    rows = [f"{tag}-{i},Sam{i},Smith,sam{i}@x.io,020 7946 {i:04d},,London,,UK,1980-01-01,2021-01-01T00:00:00Z,,yes,"
            f"owner\n" for i in range(n)]
    path.write_text(HEADER + "".join(rows))
    return path


def count(es: Elasticsearch, source_id_prefix: str) -> int:
    es.indices.refresh(index=f"{PREFIX}records")
    return es.count(index=f"{PREFIX}records", query={"prefix": {"source_id": source_id_prefix}})["count"]


def test_reingest_is_idempotent(cluster: Elasticsearch, tmp_path: Path) -> None:
    path = crm_file(tmp_path / "a.csv", 120, "IDEM")
    first = IngestRun(cluster, load_mapping("crm"), PREFIX, tmp_path, batch_size=50).run([str(path)])
    assert (first.read, first.indexed, first.duplicates, first.rejected) == (120, 120, 0, 0)
    doc_before = cluster.search(index=f"{PREFIX}records", query={"term": {"source_id": "IDEM-7"}})["hits"]["hits"][0]
    second = IngestRun(cluster, load_mapping("crm"), PREFIX, tmp_path, batch_size=50).run([str(path)])
    assert (second.read, second.indexed, second.duplicates, second.rejected) == (120, 0, 120, 0)
    doc_after = cluster.search(index=f"{PREFIX}records", query={"term": {"source_id": "IDEM-7"}})["hits"]["hits"][0]
    assert doc_after["_source"] == doc_before["_source"]
    log = cluster.search(index=f"{PREFIX}ingest-log", query={"term": {"run_id": second.run_id}})["hits"]["hits"]
    assert log[0]["_source"]["duplicates"] == 120


def test_messy_file_reconciles_and_dead_letters(cluster: Elasticsearch, tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    good = "M-1,Ann,Lee,ann@x.io,,,,,,,,,,\n"
    bad_date = "M-2,Bo,Lee,bo@x.io,,,,,,31/31/2000,,,,\n"  # normalized away, not rejected
    too_many = "M-3,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o\n"
    no_key = ",Cy,Lee,cy@x.io,,,,,,,,,,\n"
    path.write_bytes((HEADER + good + bad_date + too_many + no_key).encode() + b"M-4,\xff,x,,,,,,,,,,,\n")
    report = IngestRun(cluster, load_mapping("crm"), PREFIX, tmp_path).run([str(path)])
    assert report.read == 5 and report.reconciles
    assert (report.indexed, report.rejected) == (2, 3)
    lines = [json.loads(x) for x in Path(report.dead_letter).read_text().splitlines()]
    assert [(d["line"], d["reason"].split(" ")[0]) for d in lines] == [(4, "row"), (5, "missing"), (6, "invalid")]


def test_dry_run_writes_nothing_but_validates_through_pipelines(cluster: Elasticsearch, tmp_path: Path) -> None:
    path = crm_file(tmp_path / "dry.csv", 10, "DRY")
    report = IngestRun(cluster, load_mapping("crm"), PREFIX, tmp_path, dry_run=True).run([str(path)])
    assert (report.read, report.indexed, report.rejected) == (10, 10, 0)
    assert count(cluster, "DRY-") == 0 and report.dead_letter is None


def test_interrupted_run_resumes_without_duplicating(cluster: Elasticsearch, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = crm_file(tmp_path / "resume.csv", 300, "RES")
    calls = {"n": 0}
    original = BulkWriter.write

    def flaky(self: BulkWriter, actions: list[Action], encoded: list[bytes] | None = None) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise Es360Error("Elasticsearch could not be reached after 6 retries: simulated outage")
        return original(self, actions, encoded)

    monkeypatch.setattr(BulkWriter, "write", flaky)
    with pytest.raises(Es360Error, match="simulated outage"):
        IngestRun(cluster, load_mapping("crm"), PREFIX, tmp_path, batch_size=100).run([str(path)])
    assert count(cluster, "RES-") == 200
    resumed = IngestRun(cluster, load_mapping("crm"), PREFIX, tmp_path, batch_size=100).run([str(path)])
    assert resumed.resumed == {str(path): 201} and resumed.read == 100 and resumed.indexed == 100
    assert count(cluster, "RES-") == 300


class FlakyClient:
    """Answers bulk with a connection error, then per-item 429s, then success."""

    def __init__(self) -> None:
        self.calls = 0

    def bulk(self, operations: bytes, require_alias: bool) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            raise EsConnectionError("connection refused")
        n = operations.count(b"\n") // 2
        status = 429 if self.calls == 2 else 201
        return {"items": [{"index": {"status": status, "result": "created"} if status == 201 else
                           {"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "busy"}}}
                          for _ in range(n)]}


def test_bulk_writer_retries_connection_errors_and_429() -> None:
    client = FlakyClient()
    writer = BulkWriter(client, sleep=lambda s: None)  # type: ignore[arg-type]
    outcomes = writer.write([Action("a", str(i), {}) for i in range(3)])
    assert all(o.ok and o.result == "created" for o in outcomes)
    assert client.calls == 3 and writer.retries == 2


ORDERS_HEADER = "order_id,customer_number,email,order_ts,type,refund_of,status,amount,currency,items\n"


def orders_file(path: Path, n: int, tag: str, bad: dict[int, str] | None = None) -> Path:
    """Shop orders; `bad` maps a row index to a replacement line (e.g. one the pipeline refuses)."""
    bad = bad or {}
    rows = [bad.get(i, f"{tag}-{i},S-{i:06d},u{i}@x.io,2025-03-0{1 + i % 9}T10:00:00Z,order,,paid,{10 + i}.50,"
                       f"EUR,2\n") for i in range(n)]
    path.write_text(ORDERS_HEADER + "".join(rows))
    return path


def count_activity(es: Elasticsearch, tag: str) -> int:
    es.indices.refresh(index=f"{PREFIX}activity")
    return es.count(index=f"{PREFIX}activity", query={"prefix": {"event.id": f"{tag}-"}})["count"]


def test_overlapped_batches_dead_letter_bulk_errors_in_line_order(cluster: Elasticsearch, tmp_path: Path) -> None:
    # rows refused by the pipeline (unknown currency) and rows refused before sending (missing key,
    # surplus values) spread over many small batches, each written while the next one is mapped
    bad = {3: "OV-3,S-3,a@x.io,2025-03-01T10:00:00Z,order,,paid,5.00,XYZ,1\n",
           7: ",S-7,b@x.io,2025-03-01T10:00:00Z,order,,paid,5.00,EUR,1\n",
           18: "OV-18,S-18,c@x.io,2025-03-01T10:00:00Z,order,,paid,5.00,QQQ,1\n",
           19: "OV-19,1,2,3,4,5,6,7,8,9,10\n",
           33: "OV-33,S-33,d@x.io,2025-03-01T10:00:00Z,order,,paid,5.00,XYZ,1\n"}
    path = orders_file(tmp_path / "overlap.csv", 40, "OV", bad)
    report = IngestRun(cluster, load_mapping("shop-orders"), PREFIX, tmp_path, batch_size=4).run([str(path)])
    assert (report.read, report.indexed, report.rejected) == (40, 35, 5) and report.reconciles
    lines = [json.loads(x) for x in Path(report.dead_letter).read_text().splitlines()]
    assert [d["line"] for d in lines] == [5, 9, 20, 21, 35]  # data row i is on line i + 2
    assert all(d["file"] == str(path) for d in lines)
    assert "rejected by Elasticsearch (400)" in lines[0]["reason"] and "unknown currency [XYZ]" in lines[0]["reason"]
    assert lines[1]["reason"].startswith("missing 'order_id'")
    assert "unknown currency [QQQ]" in lines[2]["reason"] and lines[2]["raw"].startswith("OV-18,")
    assert lines[3]["reason"].startswith("row has 11 values")
    assert count_activity(cluster, "OV") == 35


def test_interruption_while_a_batch_is_in_flight_resumes_exactly(cluster: Elasticsearch, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = orders_file(tmp_path / "inflight.csv", 300, "IF")
    original_write, original_apply = BulkWriter.write, SourceMapping.apply
    mapped = {"n": 0}

    def slow_write(self: BulkWriter, actions: list[Action], encoded: list[bytes] | None = None) -> Any:
        time.sleep(0.2)  # keep the batch in flight while the next one is mapped
        return original_write(self, actions, encoded)

    def interrupted_apply(self: SourceMapping, values: dict[str, Any]) -> Any:
        mapped["n"] += 1
        if mapped["n"] == 175:  # batches 1-3 (rows 1-150) sent, the third one still in flight
            raise KeyboardInterrupt
        return original_apply(self, values)

    monkeypatch.setattr(BulkWriter, "write", slow_write)
    monkeypatch.setattr(SourceMapping, "apply", interrupted_apply)
    with pytest.raises(KeyboardInterrupt):
        IngestRun(cluster, load_mapping("shop-orders"), PREFIX, tmp_path, batch_size=50).run([str(path)])
    assert count_activity(cluster, "IF") == 150  # the batch in flight was waited for, and checkpointed
    monkeypatch.setattr(SourceMapping, "apply", original_apply)
    resumed = IngestRun(cluster, load_mapping("shop-orders"), PREFIX, tmp_path, batch_size=50).run([str(path)])
    assert resumed.resumed == {str(path): 151}
    assert (resumed.read, resumed.indexed, resumed.duplicates, resumed.rejected) == (150, 150, 0, 0)
    assert count_activity(cluster, "IF") == 300


def test_a_failed_write_stops_the_run_before_the_next_batch_is_sent() -> None:
    sent: list[int] = []

    def write(n: int) -> list[Outcome]:
        if n == 2:
            raise Es360Error("simulated outage")
        sent.append(n)
        return [Outcome(201, "created")] * n

    inflight: InFlight[str] = InFlight()
    try:
        assert inflight.submit("first", lambda: write(1)) is None
        assert inflight.submit("second", lambda: write(2)) == ("first", [Outcome(201, "created")])
        with pytest.raises(Es360Error, match="simulated outage"):
            inflight.submit("third", lambda: write(3))
        assert inflight.wait() is None and sent == [1]
    finally:
        inflight.close()


def test_batches_of_only_rejected_rows_are_dead_lettered_in_order(cluster: Elasticsearch, tmp_path: Path) -> None:
    bad = {i: f",S-{i},x@x.io,2025-03-01T10:00:00Z,order,,paid,5.00,EUR,1\n" for i in (0, 1, 2, 3, 5)}  # no order_id
    path = orders_file(tmp_path / "mostly-bad.csv", 7, "MB", bad)
    report = IngestRun(cluster, load_mapping("shop-orders"), PREFIX, tmp_path, batch_size=2).run([str(path)])
    assert (report.read, report.indexed, report.rejected) == (7, 2, 5)
    lines = [json.loads(x)["line"] for x in Path(report.dead_letter).read_text().splitlines()]
    assert lines == [2, 3, 4, 5, 7]
