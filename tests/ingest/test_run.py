"""An ingest run end to end: counts reconcile, re-runs are idempotent, failures are survived."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.ingest.bulk import Action, BulkWriter
from es360.ingest.mapping import load_mapping
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

    def flaky(self: BulkWriter, actions: list[Action]) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise Es360Error("Elasticsearch could not be reached after 6 retries: simulated outage")
        return original(self, actions)

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

    def bulk(self, operations: list[dict[str, Any]], require_alias: bool) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            raise EsConnectionError("connection refused")
        n = len(operations) // 2
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
