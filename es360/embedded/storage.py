"""Durable storage in SQLite (WAL): index metadata, documents and named cluster objects.

Every acknowledged write is committed before the response is sent; WAL mode keeps committed
transactions across a kill -9 of the engine process. Document writes are buffered in memory and
flushed with `executemany` (at commit, or before any other statement), so a bulk request costs one
batched insert rather than one statement per document.

Documents live in an append-only table keyed by a row number the store hands out (increasing):
a new version of a document is a new row, and the engine, which knows each document's current row,
deletes the old one by its row number. Every write therefore appends at the end of the table
instead of landing on a random page of a B-tree keyed by the (random) document id, which made
each stored document cost a page write once an index outgrew the page cache. Data directories
written with the former keyed table are converted when they are opened.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS indices (uuid TEXT PRIMARY KEY, name TEXT NOT NULL, meta BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS doc_rows (
    row INTEGER PRIMARY KEY, uuid TEXT NOT NULL, id TEXT NOT NULL, seq_no INTEGER NOT NULL,
    version INTEGER NOT NULL, primary_term INTEGER NOT NULL, routing TEXT, source BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS doc_rows_by_index ON doc_rows (uuid, seq_no);
CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, name TEXT NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (kind, name));
"""


class Store:
    """One SQLite database per data directory."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "engine.sqlite3"
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        self._convert_keyed_docs()
        self._lock = threading.RLock()
        self._in_tx = False
        self._next_row = int(self.conn.execute("SELECT coalesce(max(row), 0) + 1 FROM doc_rows").fetchone()[0])
        # buffered document writes, flushed before any other statement: rows to append, and rows to
        # delete (a row number is handed out once per run, so appending first and deleting after is right)
        self._puts: list[tuple[Any, ...]] = []
        self._deletes: list[tuple[int]] = []

    def _convert_keyed_docs(self) -> None:
        """Move documents from the former `docs` table (keyed by index and id) into `doc_rows`."""
        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'docs'").fetchone() is None:
            return
        self.conn.execute("BEGIN")
        self.conn.execute("INSERT INTO doc_rows (uuid, id, seq_no, version, primary_term, routing, source) "
                          "SELECT uuid, id, seq_no, version, primary_term, routing, source FROM docs "
                          "ORDER BY uuid, seq_no")
        self.conn.execute("DROP TABLE docs")
        self.conn.execute("COMMIT")

    # ---- transactions -----------------------------------------------------------------------
    def _begin(self) -> None:
        if self._puts or self._deletes:
            self._flush()
        if not self._in_tx:
            self.conn.execute("BEGIN")
            self._in_tx = True

    def _flush(self) -> None:
        """Apply the buffered document writes: one executemany for the appends, one for the deletes."""
        puts, self._puts = self._puts, []
        deletes, self._deletes = self._deletes, []
        if not self._in_tx:
            self.conn.execute("BEGIN")
            self._in_tx = True
        if puts:
            self.conn.executemany("INSERT INTO doc_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)", puts)
        if deletes:
            self.conn.executemany("DELETE FROM doc_rows WHERE row = ?", deletes)

    def commit(self) -> None:
        """Make every write since the last commit durable."""
        with self._lock:
            if self._puts or self._deletes:
                self._flush()
            if self._in_tx:
                self.conn.execute("COMMIT")
                self._in_tx = False

    def rollback(self) -> None:
        with self._lock:
            self._puts.clear()
            self._deletes.clear()
            if self._in_tx:
                self.conn.execute("ROLLBACK")
                self._in_tx = False

    # ---- indices ----------------------------------------------------------------------------
    def put_index(self, uuid: str, name: str, meta: dict[str, Any]) -> None:
        with self._lock:
            self._begin()
            self.conn.execute("INSERT OR REPLACE INTO indices VALUES (?, ?, ?)", (uuid, name, orjson.dumps(meta)))

    def delete_index(self, uuid: str) -> None:
        with self._lock:
            self._begin()
            self.conn.execute("DELETE FROM indices WHERE uuid = ?", (uuid,))
            self.conn.execute("DELETE FROM doc_rows WHERE uuid = ?", (uuid,))

    def load_indices(self) -> list[tuple[str, str, dict[str, Any]]]:
        self._flush_pending()
        rows = self.conn.execute("SELECT uuid, name, meta FROM indices").fetchall()
        return [(u, n, orjson.loads(m)) for u, n, m in rows]

    # ---- documents --------------------------------------------------------------------------
    def put_doc(self, uuid: str, doc_id: str, seq_no: int, version: int, term: int, routing: str | None,
                source: bytes, replaces: int = -1) -> int:
        """Store a document version; `replaces` is the row of the version it supersedes (-1: none).

        Returns the new version's row, which the caller keeps to delete or replace it later.
        """
        row = self._next_row
        self._next_row = row + 1
        self._puts.append((row, uuid, doc_id, seq_no, version, term, routing, source))
        if replaces >= 0:
            self._deletes.append((replaces,))
        return row

    def delete_doc(self, row: int) -> None:
        """Delete the stored document version at `row` (as returned by put_doc or iter_docs)."""
        if row >= 0:
            self._deletes.append((row,))

    def iter_docs(self, uuid: str) -> Iterator[tuple[int, str, int, int, int, str | None, bytes]]:
        """(row, id, seq_no, version, primary_term, routing, source) of an index's documents, in write order."""
        self._flush_pending()
        cur = self.conn.execute(
            "SELECT row, id, seq_no, version, primary_term, routing, source FROM doc_rows WHERE uuid = ? "
            "ORDER BY seq_no", (uuid,))
        yield from cur

    # ---- named objects (templates, pipelines, policies, ...) -------------------------------
    def put_object(self, kind: str, name: str, body: Any) -> None:
        with self._lock:
            self._begin()
            self.conn.execute("INSERT OR REPLACE INTO objects VALUES (?, ?, ?)", (kind, name, orjson.dumps(body)))

    def delete_object(self, kind: str, name: str) -> None:
        with self._lock:
            self._begin()
            self.conn.execute("DELETE FROM objects WHERE kind = ? AND name = ?", (kind, name))

    def load_objects(self, kind: str) -> dict[str, Any]:
        self._flush_pending()
        rows = self.conn.execute("SELECT name, body FROM objects WHERE kind = ?", (kind,)).fetchall()
        return {name: orjson.loads(body) for name, body in rows}

    def _flush_pending(self) -> None:
        """Reads see buffered writes: flush them first (inside the open transaction)."""
        if self._puts or self._deletes:
            with self._lock:
                if self._puts or self._deletes:
                    self._flush()

    def close(self) -> None:
        with self._lock:
            self.commit()
            self.conn.close()
