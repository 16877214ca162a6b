"""Concurrency: a reindex with its alias swap under continuous searches, and ingest racing resolve."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from es360.identity.resolve import resolve
from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun
from es360.reindex import reindex
from es360.search.customers import search_customers
from es360.setup import run_setup
from tests.reliability.conftest import crm_rows, write_crm

SEARCHERS = 4


class Searchers:
    """`SEARCHERS` threads calling `search(client)` without pause; each records the totals seen or its error."""

    def __init__(self, es_url: str, search: Callable[[Elasticsearch], int]) -> None:
        self.search = search
        self.stop = threading.Event()
        self.totals: list[int] = []
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._loop, args=(Elasticsearch(es_url, request_timeout=60),),
                                         daemon=True) for _ in range(SEARCHERS)]

    def _loop(self, es: Elasticsearch) -> None:
        while not self.stop.is_set():
            try:
                self.totals.append(self.search(es))
            except Exception as exc:  # noqa: BLE001 - every failure is what this test counts
                self.failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")

    def __enter__(self) -> Searchers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def _search_records(prefix: str) -> Callable[[Elasticsearch], int]:
    def search(es: Elasticsearch) -> int:
        resp = es.search(index=f"{prefix}records", size=5, track_total_hits=True,
                         query={"prefix": {"source_id": "RX-"}})
        return int(resp["hits"]["total"]["value"])
    return search


def _search_customers(prefix: str) -> Callable[[Elasticsearch], int]:
    return lambda es: search_customers(es, prefix, "Smith", size=5).total  # what a support rep runs


@pytest.mark.parametrize("kind", ["records", "customers"])
def test_reindex_with_alias_swap_under_four_searching_clients(es: Elasticsearch, es_url: str, tmp_path: Path,
                                                              kind: str) -> None:
    prefix, rows = f"relreidx-{kind}-", 200
    run_setup(es, prefix)
    path = write_crm(tmp_path / "contacts.csv", crm_rows("RX", rows))
    IngestRun(es, load_mapping("crm"), prefix, tmp_path).run([str(path)])
    if kind == "customers":
        resolve(es, prefix, tmp_path)
    es.indices.refresh(index=f"{prefix}{kind}")
    ids_before = _ids(es, f"{prefix}{kind}")
    search = _search_records(prefix) if kind == "records" else _search_customers(prefix)
    with Searchers(es_url, search) as searchers:
        while len(searchers.totals) < 20 and not searchers.failures:
            time.sleep(0.01)
        seen_before = len(searchers.totals)
        reports = [reindex(es, prefix, kind) for _ in range(2)]  # two swaps: 000001 -> 000002 -> 000003
        seen_during = len(searchers.totals) - seen_before
        time.sleep(0.2)
    assert searchers.failures == []
    assert seen_during > 0 and set(searchers.totals) == {rows}  # no search ever missed a document
    assert [r.to_index for r in reports] == [f"{prefix}{kind}-000002", f"{prefix}{kind}-000003"]
    assert all(r.from_count == r.to_count == len(ids_before) for r in reports)
    assert _ids(es, f"{prefix}{kind}") == ids_before and len(ids_before) == rows


def _ids(es: Elasticsearch, alias: str) -> set[str]:
    es.indices.refresh(index=alias)
    resp = es.search(index=alias, size=10_000, source=False, track_total_hits=True)
    assert resp["hits"]["total"]["value"] == len(resp["hits"]["hits"])  # and no id twice
    return {h["_id"] for h in resp["hits"]["hits"]}


def _consistency(es: Elasticsearch, prefix: str) -> dict[str, Any]:
    es.indices.refresh(index=f"{prefix}records,{prefix}customers,{prefix}identity")
    records = es.search(index=f"{prefix}records", size=10_000, source=["customer_id", "source_id"])["hits"]["hits"]
    customers = es.search(index=f"{prefix}customers", size=10_000, source=["customer_id", "record_ids"])["hits"]["hits"]
    identity = es.search(index=f"{prefix}identity", size=10_000, source=["customer_id"])["hits"]["hits"]
    customer_ids = {c["_source"]["customer_id"] for c in customers}
    return {"records": len(records),
            "records_without_customer": [r["_source"]["source_id"] for r in records
                                         if not r["_source"].get("customer_id")],
            "records_with_unknown_customer": [r["_source"]["source_id"] for r in records
                                              if r["_source"].get("customer_id") not in customer_ids],
            "identity_with_unknown_customer": [i["_id"] for i in identity
                                               if i["_source"]["customer_id"] not in customer_ids],
            "customers_without_records": [c["_source"]["customer_id"] for c in customers
                                          if c["_source"]["customer_id"] not in
                                          {r["_source"].get("customer_id") for r in records}],
            "record_ids_in_two_customers": sum(len(c["_source"].get("record_ids") or []) for c in customers)
            - len({x for c in customers for x in c["_source"].get("record_ids") or []})}


def test_ingest_and_resolve_at_the_same_time_leave_a_consistent_result(es: Elasticsearch, es_url: str,
                                                                     tmp_path: Path) -> None:
    prefix, rounds = "relrace-", 2
    run_setup(es, prefix)
    first = write_crm(tmp_path / "first.csv", crm_rows("RA", 150))
    IngestRun(es, load_mapping("crm"), prefix, tmp_path).run([str(first)])
    resolve(es, prefix, tmp_path)
    errors: list[str] = []
    for n in range(rounds):  # each round: a new file is ingested while resolve runs over what is there
        more = write_crm(tmp_path / f"more{n}.csv", crm_rows(f"RB{n}", 150))

        def ingest(path: Path = more) -> None:
            try:
                report = IngestRun(Elasticsearch(es_url, request_timeout=60), load_mapping("crm"), prefix, tmp_path,
                                   batch_size=20).run([str(path)])
                assert report.reconciles and report.indexed == 150
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(f"ingest: {exc!r}")

        thread = threading.Thread(target=ingest)
        thread.start()
        try:
            resolve(Elasticsearch(es_url, request_timeout=60), prefix, tmp_path)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"resolve: {exc!r}")
        thread.join()
    assert errors == []
    resolve(es, prefix, tmp_path)  # the final resolve sees everything
    state = _consistency(es, prefix)
    assert state["records"] == 150 * (rounds + 1)
    assert {k: v for k, v in state.items() if k != "records" and v} == {}
