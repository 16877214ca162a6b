"""Durable storage: documents are appended as rows, superseded rows go, and old data dirs convert."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
from elasticsearch import Elasticsearch

from es360.embedded.server import start_server
from es360.embedded.storage import Store


def _rows(data: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data / "engine.sqlite3") as conn:
        return conn.execute("SELECT uuid, id, version, source FROM doc_rows ORDER BY row").fetchall()


def test_updates_and_deletes_leave_one_row_per_live_document_across_restarts(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        es = Elasticsearch(server.url)
        ops: list[dict[str, Any]] = []
        for i in range(6):
            ops += [{"index": {"_index": "st", "_id": f"d{i}"}}, {"n": i}]
        assert es.bulk(operations=ops)["errors"] is False
        es.index(index="st", id="d1", document={"n": 10})  # replaced in a later request
        es.bulk(operations=[{"index": {"_index": "st", "_id": "d2"}}, {"n": 20},  # replaced twice in one
                            {"index": {"_index": "st", "_id": "d2"}}, {"n": 21},
                            {"delete": {"_index": "st", "_id": "d3"}},
                            {"index": {"_index": "st", "_id": "d9"}}, {"n": 9},
                            {"delete": {"_index": "st", "_id": "d9"}}])
        es.index(index="gone", id="x", document={"n": 1})
        es.indices.delete(index="gone")
    finally:
        server.stop()
    rows = _rows(tmp_path)
    assert sorted(r[1] for r in rows) == ["d0", "d1", "d2", "d4", "d5"]  # no superseded or deleted rows
    server = start_server(tmp_path)
    try:
        es = Elasticsearch(server.url)
        assert es.count(index="st")["count"] == 5
        assert es.get(index="st", id="d1")["_source"] == {"n": 10} and es.get(index="st", id="d1")["_version"] == 2
        assert es.get(index="st", id="d2")["_source"] == {"n": 21} and es.get(index="st", id="d2")["_version"] == 3
        es.index(index="st", id="d0", document={"n": 100}, refresh=True)  # rows recovered at start are replaced too
        assert es.count(index="st", query={"term": {"n": 0}})["count"] == 0
    finally:
        server.stop()
    assert sorted((r[1], orjson.loads(r[3])["n"]) for r in _rows(tmp_path)) == [
        ("d0", 100), ("d1", 10), ("d2", 21), ("d4", 4), ("d5", 5)]


def test_a_data_dir_with_the_former_keyed_table_is_converted(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        es = Elasticsearch(server.url)
        es.bulk(operations=[{"index": {"_index": "old", "_id": "a"}}, {"n": 1},
                            {"index": {"_index": "old", "_id": "b"}}, {"n": 2}], refresh=True)
    finally:
        server.stop()
    with sqlite3.connect(tmp_path / "engine.sqlite3") as conn:  # rewrite it as the former schema held it
        conn.executescript("""
            CREATE TABLE docs (uuid TEXT NOT NULL, id TEXT NOT NULL, seq_no INTEGER NOT NULL,
                version INTEGER NOT NULL, primary_term INTEGER NOT NULL, routing TEXT, source BLOB NOT NULL,
                PRIMARY KEY (uuid, id)) WITHOUT ROWID;
            INSERT INTO docs SELECT uuid, id, seq_no, version, primary_term, routing, source FROM doc_rows;
            DROP TABLE doc_rows;
        """)
    server = start_server(tmp_path)
    try:
        es = Elasticsearch(server.url)
        assert es.count(index="old")["count"] == 2
        es.index(index="old", id="a", document={"n": 3}, refresh=True)
        assert es.get(index="old", id="a")["_version"] == 2
    finally:
        server.stop()
    with sqlite3.connect(tmp_path / "engine.sqlite3") as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "docs" not in tables
    assert sorted((r[1], orjson.loads(r[3])["n"]) for r in _rows(tmp_path)) == [("a", 3), ("b", 2)]


def test_row_numbers_only_grow_while_the_store_is_open(tmp_path: Path) -> None:
    store = Store(tmp_path)
    try:
        first = store.put_doc("u", "a", 0, 1, 1, None, b"{}")
        store.commit()
        second = store.put_doc("u", "a", 1, 2, 1, None, b"{}", replaces=first)
        store.commit()
        store.delete_doc(second)
        store.commit()
        assert store.put_doc("u", "a", 2, 3, 1, None, b"{}") > second > first
        store.commit()
        assert [row for (row, *_rest) in store.iter_docs("u")] == [second + 1]
    finally:
        store.close()
