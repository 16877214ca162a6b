"""Commits outside the engine lock: a COMMIT never covers part of a request, and a response leaves
only once what its request wrote is committed (storage.py's docstring gives the reasoning)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

from es360.embedded.storage import Store


def committed_objects(store: Store) -> set[str]:
    """Names of the objects another connection sees: what is committed (WAL readers see no open transaction)."""
    with sqlite3.connect(store.path) as other:
        return {name for (name,) in other.execute("SELECT name FROM objects")}


def committed_docs(store: Store, uuid: str) -> set[str]:
    with sqlite3.connect(store.path) as other:
        return {doc_id for (doc_id,) in other.execute("SELECT id FROM doc_rows WHERE uuid = ?", (uuid,))}


def put_docs(store: Store, uuid: str, ids: list[str], first_seq: int = 0) -> None:
    for n, doc_id in enumerate(ids):
        store.put_doc(uuid, doc_id, first_seq + n, 1, 1, None, b'{"a":1}')


def test_a_sealed_request_is_committed_without_the_next_requests_unfinished_statements(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.put_object("policy", "a", {"v": 1})  # request A
    ticket_a = store.seal()
    assert committed_objects(store) == set()  # sealed, waiting for its COMMIT (outside the engine lock)
    # request B gets the lock before A's COMMIT ran, and starts a two-statement operation
    store.put_object("policy", "b1", {"v": 2})
    store.wait_durable(ticket_a)
    assert committed_objects(store) == {"a"}  # A alone: B's first statement is not half-committed with it
    store.put_object("policy", "b2", {"v": 3})
    assert committed_objects(store) == {"a"}
    ticket_b = store.seal()
    store.wait_durable(ticket_b)
    assert committed_objects(store) == {"a", "b1", "b2"}
    store.close()


def test_deleting_an_index_commits_its_metadata_and_documents_together(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.put_index("u1", "logs", {"settings": {}})
    put_docs(store, "u1", ["1", "2"])
    store.wait_durable(store.seal())
    put_docs(store, "u1", ["3"], first_seq=2)  # request A indexes a document ...
    ticket_a = store.seal()
    store.delete_index("u1")  # ... and request B deletes the index before A's COMMIT
    store.wait_durable(ticket_a)
    assert committed_docs(store, "u1") == {"1", "2", "3"}  # A's write, and nothing of B's yet
    store.wait_durable(store.seal())
    assert committed_docs(store, "u1") == set()
    with sqlite3.connect(store.path) as other:
        assert other.execute("SELECT count(*) FROM indices").fetchone()[0] == 0
    store.close()


def test_whole_requests_sealed_together_share_one_commit(tmp_path: Path) -> None:
    store = Store(tmp_path)
    put_docs(store, "u1", ["1", "2"])
    ticket_a = store.seal()
    put_docs(store, "u1", ["3"], first_seq=2)
    ticket_b = store.seal()
    assert ticket_b > ticket_a
    assert committed_docs(store, "u1") == set()
    store.wait_durable(ticket_b)  # the later waiter commits both: the earlier one then finds its writes durable
    assert committed_docs(store, "u1") == {"1", "2", "3"}
    store.wait_durable(ticket_a)
    assert store.seal() == 0  # a request that wrote nothing has nothing to wait for
    store.close()


def test_reads_see_the_requests_own_writes_without_committing_them_early(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.put_object("policy", "a", {"v": 1})
    ticket_a = store.seal()
    put_docs(store, "u1", ["1"])  # request B, buffered
    assert [row[1] for row in store.iter_docs("u1")] == ["1"]  # B reads its own write ...
    assert committed_objects(store) == {"a"}  # ... which committed A first, not B
    assert committed_docs(store, "u1") == set()
    store.wait_durable(ticket_a)
    store.commit()
    assert committed_docs(store, "u1") == {"1"}
    store.close()


def test_concurrent_commits_and_requests_keep_every_acknowledged_write(tmp_path: Path) -> None:
    """Requests under a lock, their COMMITs in their own threads (as the server does): every
    acknowledged write is committed, and each request's two objects are committed together."""
    store = Store(tmp_path)
    lock = threading.Lock()
    acknowledged: list[str] = []
    torn: list[set[str]] = []

    def request(n: int) -> None:
        with lock:
            store.put_object("pair", f"{n}-a", {})
            put_docs(store, "u1", [f"doc-{n}"], first_seq=n)
            store.put_object("pair", f"{n}-b", {})
            ticket = store.seal()
        store.wait_durable(ticket)
        seen = committed_objects(store)
        if any((f"{m}-a" in seen) != (f"{m}-b" in seen) for m in range(40)):
            torn.append(seen)
        acknowledged.append(f"doc-{n}")

    threads = [threading.Thread(target=request, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not torn
    assert committed_docs(store, "u1") == set(acknowledged) and len(acknowledged) == 40
    store.close()


def test_a_response_leaves_only_after_its_writes_are_committed(es: Any, engine: Any) -> None:
    es.options(ignore_status=404).indices.delete(index="commit-ack")
    es.indices.create(index="commit-ack")
    uuid = engine.indices["commit-ack"].uuid
    for n in range(5):
        es.index(index="commit-ack", id=str(n), document={"n": n})
        assert str(n) in committed_docs(engine.store, uuid)
    es.bulk(operations=[{"index": {"_index": "commit-ack", "_id": "b"}}, {"n": 9}])
    assert "b" in committed_docs(engine.store, uuid)
    es.indices.delete(index="commit-ack")


KILLED_WRITER = textwrap.dedent(r"""
    import os, sys, threading
    from es360.embedded.server import start_server
    import httpx
    server = start_server(sys.argv[1])
    print(server.url, flush=True)
    out = threading.Lock()
    def writer(w):
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for n in range(10_000):
                r = client.put(f"/killed/_doc/{w}-{n}", json={"n": n})
                r.raise_for_status()
                with out:
                    sys.stdout.write(f"{w}-{n}\n")  # acknowledged
                    sys.stdout.flush()
    for w in range(3):
        threading.Thread(target=writer, args=(w,), daemon=True).start()
    threading.Event().wait()
""")


def test_every_acknowledged_write_survives_a_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "engine"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(data)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # the URL: serving
    acknowledged = []
    try:
        for line in proc.stdout:
            acknowledged.append(line.strip())
            if len(acknowledged) >= 600:
                break
    finally:
        proc.kill()
    proc.wait()
    acknowledged.extend(line.strip() for line in proc.stdout if line.endswith("\n"))  # written before the kill
    store = Store(data)
    (uuid, _name, _meta), = store.load_indices()
    stored = {row[1] for row in store.iter_docs(uuid)}
    store.close()
    assert set(acknowledged) <= stored
