"""Durable storage in SQLite (WAL): index metadata, documents and named cluster objects.

Every acknowledged write is committed before the response is sent; WAL mode keeps committed
transactions across a kill -9 of the engine process. Document writes are buffered in memory and
flushed in order with `executemany` (at commit, or before any other statement), so a bulk request
costs one batched insert rather than one statement per document.
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
CREATE TABLE IF NOT EXISTS docs (
    uuid TEXT NOT NULL, id TEXT NOT NULL, seq_no INTEGER NOT NULL, version INTEGER NOT NULL,
    primary_term INTEGER NOT NULL, routing TEXT, source BLOB NOT NULL,
    PRIMARY KEY (uuid, id)
) WITHOUT ROWID;
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
        self._lock = threading.RLock()
        self._in_tx = False
        # buffered document writes, in order: (is_put, row); flushed before any other statement
        self._pending: list[tuple[bool, tuple[Any, ...]]] = []

    # ---- transactions -----------------------------------------------------------------------
    def _begin(self) -> None:
        if self._pending:
            self._flush()
        if not self._in_tx:
            self.conn.execute("BEGIN")
            self._in_tx = True

    def _flush(self) -> None:
        """Apply the buffered document writes (runs of puts and of deletes, each one executemany)."""
        pending, self._pending = self._pending, []
        if not self._in_tx:
            self.conn.execute("BEGIN")
            self._in_tx = True
        start = 0
        while start < len(pending):
            kind = pending[start][0]
            end = start
            while end < len(pending) and pending[end][0] == kind:
                end += 1
            rows = [row for _, row in pending[start:end]]
            if kind:
                self.conn.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            else:
                self.conn.executemany("DELETE FROM docs WHERE uuid = ? AND id = ?", rows)
            start = end

    def commit(self) -> None:
        """Make every write since the last commit durable."""
        with self._lock:
            if self._pending:
                self._flush()
            if self._in_tx:
                self.conn.execute("COMMIT")
                self._in_tx = False

    def rollback(self) -> None:
        with self._lock:
            self._pending.clear()
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
            self.conn.execute("DELETE FROM docs WHERE uuid = ?", (uuid,))

    def load_indices(self) -> list[tuple[str, str, dict[str, Any]]]:
        self._flush_pending()
        rows = self.conn.execute("SELECT uuid, name, meta FROM indices").fetchall()
        return [(u, n, orjson.loads(m)) for u, n, m in rows]

    # ---- documents --------------------------------------------------------------------------
    def put_doc(self, uuid: str, doc_id: str, seq_no: int, version: int, term: int, routing: str | None,
                source: bytes) -> None:
        self._pending.append((True, (uuid, doc_id, seq_no, version, term, routing, source)))

    def delete_doc(self, uuid: str, doc_id: str) -> None:
        self._pending.append((False, (uuid, doc_id)))

    def iter_docs(self, uuid: str) -> Iterator[tuple[str, int, int, int, str | None, bytes]]:
        self._flush_pending()
        cur = self.conn.execute(
            "SELECT id, seq_no, version, primary_term, routing, source FROM docs WHERE uuid = ? ORDER BY seq_no",
            (uuid,))
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
        if self._pending:
            with self._lock:
                if self._pending:
                    self._flush()

    def close(self) -> None:
        with self._lock:
            self.commit()
            self.conn.close()
