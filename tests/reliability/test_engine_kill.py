"""kill -9 of the engine while a bulk request is in it: after a restart nothing acknowledged is lost and
nothing is duplicated, whether the ingest resumes from its checkpoint or rides out the restart by retrying.

(Engine-level durability of an acknowledged write across kill -9 is tested in
tests/embedded/test_server.py::test_acknowledged_writes_survive_kill_9.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.ingest.bulk import BulkWriter
from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun
from es360.setup import run_setup
from tests.reliability.conftest import crm_rows, source_id_counts, write_crm
from tests.reliability.engine_process import EngineProcess
from tests.reliability.proxy import FaultProxy

PREFIX = "relkill-"
ROWS = 300


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    proc = EngineProcess(tmp_path / "engine").start()
    run_setup(Elasticsearch(proc.url, request_timeout=60), PREFIX)
    yield proc
    proc.stop()


def _run(url: str, home: Path, path: Path, max_retries: int, backoff_s: float) -> IngestRun:
    client = Elasticsearch(url, request_timeout=60)
    run = IngestRun(client, load_mapping("crm"), PREFIX, home, batch_size=25)
    run.writer = BulkWriter(client, max_retries=max_retries, backoff_s=backoff_s)
    return run


def test_kill_mid_bulk_then_resume_from_checkpoint(engine: EngineProcess, tmp_path: Path) -> None:
    path = write_crm(tmp_path / "contacts.csv", crm_rows("KIL", ROWS))
    killed = threading.Event()

    def kill_on_fifth(n: int) -> None:
        if n == 5 and not killed.is_set():
            engine.kill()  # the fifth bulk request has reached the engine; no answer will come back
            killed.set()

    with FaultProxy(engine.url, on_bulk=kill_on_fifth) as proxy:
        with pytest.raises(Es360Error, match="Elasticsearch"):
            _run(proxy.url, tmp_path, path, max_retries=1, backoff_s=0.01).run([str(path)])
        assert killed.is_set() and proxy.counts["engine_lost_mid_request"] == 1
        engine.start()
        resumed = _run(proxy.url, tmp_path, path, max_retries=6, backoff_s=0.1).run([str(path)])
    (after_line,) = resumed.resumed.values()
    assert 0 < after_line <= 1 + 4 * 25  # at most the four acknowledged batches are skipped
    assert resumed.read == ROWS - (after_line - 1) and resumed.reconciles and resumed.rejected == 0
    counts = source_id_counts(Elasticsearch(engine.url), PREFIX, "KIL")
    assert len(counts) == ROWS and set(counts.values()) == {1}


def test_kill_mid_bulk_and_restart_while_the_ingest_retries(engine: EngineProcess, tmp_path: Path) -> None:
    path = write_crm(tmp_path / "contacts.csv", crm_rows("RST", ROWS))
    restarted = threading.Event()

    def kill_and_restart(n: int) -> None:
        if n == 3 and not restarted.is_set():
            engine.kill()
            threading.Thread(target=lambda: (engine.start(), restarted.set()), daemon=True).start()

    with FaultProxy(engine.url, on_bulk=kill_and_restart) as proxy:
        report = _run(proxy.url, tmp_path, path, max_retries=8, backoff_s=0.25).run([str(path)])
    assert restarted.is_set() and report.retries > 0
    assert report.read == ROWS and report.reconciles and report.rejected == 0
    counts = source_id_counts(Elasticsearch(engine.url), PREFIX, "RST")
    assert len(counts) == ROWS and set(counts.values()) == {1}
