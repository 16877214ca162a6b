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

Committing outside the engine lock. A request's writes go into the open SQLite transaction
(statements run at once, document writes are buffered); when the request ends, still under the
engine lock, it *seals* the transaction (`seal`: flush its buffered documents, take a ticket) and
releases the lock; its response waits (`wait_durable`) until a COMMIT covering its ticket is done.
That COMMIT runs outside the engine lock, while the next request already works on the index data:
CPython's sqlite3 releases the GIL inside `sqlite3_step`, and a COMMIT is a single step, so it uses
the other core. Crash consistency rests on one invariant: **a COMMIT never covers part of a
request**. It holds because

- the transaction is committed outside the engine lock only when sealed, that is when it holds
  whole requests only (a request ends by sealing; a sealed transaction that the next request adds
  its document rows to at its own seal is still whole: group commit);
- before a request runs a statement of its own (index metadata, a named object, a read that needs
  its buffered documents flushed), it commits a sealed transaction that is still open itself, so its
  statements always start a transaction of their own and a multi-statement operation (deleting an
  index deletes its metadata and its documents) cannot be split by another request's COMMIT;
- transactions commit in the order requests hold the engine lock, so the committed state is always
  the state after some request, never one with a later request's writes but not an earlier one's;
- `commit()` (a background job at a consistent point, shutdown) commits everything at once, as the
  engine lock's holder.

So after a kill -9 the data directory holds exactly the requests up to some point in lock order,
and every acknowledged write among them: a response is sent only after its COMMIT. (A job that
calls `commit()` in the middle of its own work, as the security realm does after each change,
makes that part durable on purpose.) Buffered document rows are flushed at the seal, under the
lock, not with the COMMIT: `executemany` gives up and takes back the GIL once per row, and outside
the lock each take-back would wait behind the thread indexing the next request.
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
        # `_db` guards the connection and the transaction state; `_lock` the buffers. Lock order: _db, then _lock.
        self._db = threading.RLock()
        self._lock = threading.RLock()
        self._in_tx = False
        self._sealed = 0  # ticket of the open transaction when it holds whole requests only (0: open to a request)
        self._tickets = 0  # tickets handed out
        self._durable = 0  # every ticket up to this one is committed (or lost)
        self._lost: list[tuple[int, int]] = []  # ranges of tickets whose COMMIT failed and rolled back
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
        """Open a transaction for the current request's own statements (hold `_db`): a sealed one
        (earlier requests, whole) is committed first, and buffered documents are flushed into it."""
        if self._sealed:
            self._commit_open()
        if not self._in_tx:
            self.conn.execute("BEGIN")
            self._in_tx = True
        if self._puts or self._deletes:
            self._flush()

    def _flush(self) -> None:
        """Apply the buffered document writes (hold `_db`, inside a transaction): one executemany for
        the appends, one for the deletes."""
        with self._lock:
            puts, self._puts = self._puts, []
            deletes, self._deletes = self._deletes, []
        if puts:
            self.conn.executemany("INSERT INTO doc_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)", puts)
        if deletes:
            self.conn.executemany("DELETE FROM doc_rows WHERE row = ?", deletes)

    def _commit_open(self) -> None:
        """COMMIT the open transaction (hold `_db`); every ticket handed out so far is then durable.

        A COMMIT that fails but leaves the transaction open is retried by the next one; one that
        fails and rolls the transaction back lost those tickets' writes: their waiters get the error.
        """
        if self._in_tx:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                if not self.conn.in_transaction:
                    self._lost.append((self._durable + 1, self._tickets))
                    self._in_tx = False
                    self._sealed = 0
                    self._durable = self._tickets
                raise
            self._in_tx = False
            self._sealed = 0
        self._durable = self._tickets

    def seal(self) -> int:
        """End the current request's writes (under the engine lock): flush its buffered documents and
        return the ticket to pass to `wait_durable`, or 0 when the request wrote nothing."""
        with self._db:
            if self._puts or self._deletes:
                if not self._in_tx:
                    self.conn.execute("BEGIN")
                    self._in_tx = True
                self._flush()
                self._sealed = 0
            if not self._in_tx or self._sealed:
                return 0  # nothing of this request's is in the open transaction
            self._tickets += 1
            self._sealed = self._tickets
            return self._tickets

    def wait_durable(self, ticket: int) -> None:
        """Return once the writes of the request that got `ticket` are committed (committing them,
        and every whole request sealed with them, when no one has yet). Call it without the engine
        lock. Raises sqlite3.Error when that COMMIT failed."""
        if ticket > self._durable:
            with self._db:
                if ticket > self._durable:
                    self._commit_open()  # sealed: a request's own statements commit a sealed transaction first
        if self._lost and any(lo <= ticket <= hi for lo, hi in self._lost):
            raise sqlite3.OperationalError(f"the commit of write {ticket} failed; it is not durable")

    def commit(self) -> None:
        """Make every write since the last commit durable (as the engine lock's holder, or at shutdown)."""
        with self._db:
            self.seal()
            self._commit_open()

    def rollback(self) -> None:
        """Drop the writes not committed yet (whole requests sealed earlier included)."""
        with self._db, self._lock:
            self._puts.clear()
            self._deletes.clear()
            if self._in_tx:
                self.conn.execute("ROLLBACK")
                self._in_tx = False
            self._sealed = 0

    # ---- indices ----------------------------------------------------------------------------
    def put_index(self, uuid: str, name: str, meta: dict[str, Any]) -> None:
        with self._db:
            self._begin()
            self.conn.execute("INSERT OR REPLACE INTO indices VALUES (?, ?, ?)", (uuid, name, orjson.dumps(meta)))

    def delete_index(self, uuid: str) -> None:
        with self._db:
            self._begin()
            self.conn.execute("DELETE FROM indices WHERE uuid = ?", (uuid,))
            self.conn.execute("DELETE FROM doc_rows WHERE uuid = ?", (uuid,))

    def load_indices(self) -> list[tuple[str, str, dict[str, Any]]]:
        with self._db:
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
        """(row, id, seq_no, version, primary_term, routing, source) of an index's documents, in write order
        (read at recovery, before anything commits concurrently)."""
        with self._db:
            self._flush_pending()
            cur = self.conn.execute(
            "SELECT row, id, seq_no, version, primary_term, routing, source FROM doc_rows WHERE uuid = ? "
                "ORDER BY seq_no", (uuid,))
        yield from cur

    # ---- named objects (templates, pipelines, policies, ...) -------------------------------
    def put_object(self, kind: str, name: str, body: Any) -> None:
        with self._db:
            self._begin()
            self.conn.execute("INSERT OR REPLACE INTO objects VALUES (?, ?, ?)", (kind, name, orjson.dumps(body)))

    def delete_object(self, kind: str, name: str) -> None:
        with self._db:
            self._begin()
            self.conn.execute("DELETE FROM objects WHERE kind = ? AND name = ?", (kind, name))

    def load_objects(self, kind: str) -> dict[str, Any]:
        with self._db:
            self._flush_pending()
            rows = self.conn.execute("SELECT name, body FROM objects WHERE kind = ?", (kind,)).fetchall()
        return {name: orjson.loads(body) for name, body in rows}

    def _flush_pending(self) -> None:
        """Reads see buffered writes (hold `_db`): flush them first, into the request's own transaction."""
        if self._puts or self._deletes:
            self._begin()

    def close(self) -> None:
        with self._db:
            self.commit()
            self.conn.close()
