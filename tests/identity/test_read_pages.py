"""Reading through a point-in-time with the next page requested ahead: every hit once, in order, and
records numbered by record_id whatever order the cluster returns them in."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch, helpers

from es360.identity.source import read_records, scan_pages, scan_pit

INDEX = "read-pages-test"


@pytest.fixture(scope="module")
def loaded(es: Elasticsearch) -> Iterator[str]:
    es.options(ignore_status=404).indices.delete(index=INDEX)
    es.indices.create(index=INDEX, mappings={"properties": {"record_id": {"type": "keyword"}}})
    # written in an order unrelated to record_id
    docs = [{"_index": INDEX, "_id": f"d{(n * 37) % 101}",
             "_source": {"record_id": f"crm:C-{(n * 53) % 101:03d}", "source": "crm", "source_id": f"C-{n}",
                         "name": {"first": "Sam", "last": f"Smith{n}"}, "raw": "x" * 10}} for n in range(101)]
    helpers.bulk(es, docs, refresh=True)
    yield INDEX
    es.indices.delete(index=INDEX)


def scan_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("es360-scan")]


def test_pages_come_whole_and_in_order_with_the_next_one_requested_ahead(es: Elasticsearch, loaded: str) -> None:
    pages = list(scan_pages(es, loaded, page=10))
    assert [len(p) for p in pages] == [10] * 10 + [1]
    ids = [hit["_id"] for page in pages for hit in page]
    assert sorted(ids) == sorted(f"d{n}" for n in range(101))
    assert ids == [hit["_id"] for hit in scan_pit(es, loaded, page=7)]  # the same order whatever the page size
    assert not scan_threads()


def test_stopping_early_leaves_no_request_or_thread_behind(es: Elasticsearch, loaded: str) -> None:
    pages = scan_pages(es, loaded, page=10)
    first = next(pages)
    pages.close()  # a page was already requested ahead: it is waited for, then the point-in-time closed
    assert len(first) == 10
    assert not scan_threads()


def test_records_are_numbered_by_record_id(es: Elasticsearch, loaded: str) -> None:
    records = read_records(es, loaded)
    assert [r.record_id for r in records] == sorted(f"crm:C-{n:03d}" for n in range(101))
    assert [r.idx for r in records] == list(range(101))
    assert all("raw" not in r.doc for r in records)
