"""Durable storage in SQLite (WAL): index metadata, documents and named cluster objects.

Every acknowledged write is committed before the response is sent; WAL mode keeps committed
transactions across a kill -9 of the engine process.
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

    # ---- transactions -----------------------------------------------------------------------
    def _begin(self) -> None:
        if not self._in_tx:
            self.conn.execute("BEGIN")
            self._in_tx = True

    def commit(self) -> None:
        """Make every write since the last commit durable."""
        with self._lock:
            if self._in_tx:
                self.conn.execute("COMMIT")
                self._in_tx = False

    def rollback(self) -> None:
        with self._lock:
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
        rows = self.conn.execute("SELECT uuid, name, meta FROM indices").fetchall()
        return [(u, n, orjson.loads(m)) for u, n, m in rows]

    # ---- documents --------------------------------------------------------------------------
    def put_doc(self, uuid: str, doc_id: str, seq_no: int, version: int, term: int, routing: str | None,
                source: bytes) -> None:
        with self._lock:
            self._begin()
            self.conn.execute("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (uuid, doc_id, seq_no, version, term, routing, source))

    def delete_doc(self, uuid: str, doc_id: str) -> None:
        with self._lock:
            self._begin()
            self.conn.execute("DELETE FROM docs WHERE uuid = ? AND id = ?", (uuid, doc_id))

    def iter_docs(self, uuid: str) -> Iterator[tuple[str, int, int, int, str | None, bytes]]:
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
        rows = self.conn.execute("SELECT name, body FROM objects WHERE kind = ?", (kind,)).fetchall()
        return {name: orjson.loads(body) for name, body in rows}

    def close(self) -> None:
        with self._lock:
            self.commit()
            self.conn.close()
