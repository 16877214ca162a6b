"""Malformed rows of every built-in source type through `es360 ingest`: no crash, and counts reconcile
exactly, row by row (benchmarks/faults.py runs the same with >= 10,000 rows and prints the figures)."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from es360.ingest.mapping import builtin_sources, load_mapping
from es360.ingest.run import IngestRun
from tests.reliability.conftest import PREFIX
from tests.reliability.fuzz import verify_ingest, write_fuzz_file

ROWS = 250
ROW_LIMIT = 30_000  # so that some long fields are over the row size limit


@pytest.mark.parametrize("source", builtin_sources())
def test_fuzzed_file_never_crashes_ingest_and_reconciles(cluster: Elasticsearch, tmp_path: Path,
                                                         source: str) -> None:
    fuzz = write_fuzz_file(tmp_path, source, ROWS, seed=5, max_row_bytes=ROW_LIMIT)
    assert sum(fuzz.defects.values()) > ROWS // 2 and len(fuzz.clean_lines) > ROWS // 4
    report = IngestRun(cluster, load_mapping(source), PREFIX, tmp_path, batch_size=40,
                       max_row_bytes=ROW_LIMIT).run([str(fuzz.path)])
    verdict = verify_ingest(cluster, PREFIX, fuzz, report, f"FZ5-{source}-", max_row_bytes=ROW_LIMIT)
    assert verdict.ok, verdict.problems[:5]
    assert report.rejected > 0 and report.indexed >= len(fuzz.clean_lines) // 2


def test_builtin_sources_are_all_fuzzed() -> None:
    assert set(builtin_sources()) == {"crm", "shop-customers", "shop-orders", "support", "marketing-subscribers",
                                      "marketing-events", "web"}
