"""Issue 4 acceptance: a malformed file never crashes ingest, and its counts reconcile exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from es360.demo.generator import write_messy_file
from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun
from es360.setup import run_setup

PREFIX = "messytest-"
SOURCES = {"crm": ("crm", "contacts.csv"), "orders": ("shop-orders", "orders.csv"),
           "tickets": ("support", "tickets.jsonl")}
# defects a correct pipeline repairs or records in quality.issues instead of rejecting the row
REPAIRED = {"blank_lines", "multiline_field", "duplicate_row", "bom", "invalid_email", "invalid_date",
            "extra_columns", "missing_columns", "extra_fields", "missing_fields", "wrong_types"}


@pytest.fixture(scope="module")
def cluster(es: Elasticsearch) -> Elasticsearch:
    run_setup(es, PREFIX)
    return es


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_messy_file_reconciles_and_dead_letters_only_bad_rows(cluster: Elasticsearch, tmp_path: Path,
                                                              kind: str) -> None:
    source, name = SOURCES[kind]
    messy = write_messy_file(tmp_path / name, kind, rows=300, seed=11)
    report = IngestRun(cluster, load_mapping(source), PREFIX, tmp_path, batch_size=100).run([str(messy.path)])
    assert report.reconciles, report
    assert report.read >= messy.records - len(messy.defects.get("multiline_field", []))
    rejected_lines = set()
    if report.dead_letter:
        for line in Path(report.dead_letter).read_text().splitlines():
            entry = json.loads(line)
            assert entry["reason"] and entry["file"] == str(messy.path)
            rejected_lines.add(entry["line"])
    assert len(rejected_lines) == report.rejected
    for defect, lines in messy.defects.items():
        if defect in ("invalid_utf8", "unterminated_quote", "huge_line", "bad_json", "not_object"):
            assert set(lines) <= rejected_lines, (defect, lines)  # unreadable rows are dead-lettered
    assert report.indexed + report.duplicates > 0.8 * messy.records


def test_bad_quoting_is_rejected_or_parsed_without_shifting_columns(tmp_path: Path) -> None:
    from es360.ingest.readers import Row, read_rows

    messy = write_messy_file(tmp_path / "contacts.csv", "crm", rows=300, seed=11)
    rows, _ = read_rows(str(messy.path), "csv")
    by_line = {r.line: r for r in rows}
    for line in messy.defects["bad_quoting"]:
        row = by_line[line]
        if isinstance(row, Row):  # a literal quote inside an unquoted field: kept, columns intact
            assert row.values["contact_id"].startswith("C-") and "@" in (row.values["email"] or "@")
