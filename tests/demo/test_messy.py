"""write_messy_file produces exactly the defects it reports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from es360.demo.generator import write_messy_file
from es360.demo.messy import DEFECTS, HUGE
from es360.demo.sinks import CSV_HEADERS


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


@pytest.mark.parametrize("kind", ["crm", "orders", "tickets"])
def test_every_listed_defect_is_present(tmp_path: Path, kind: str) -> None:
    messy = write_messy_file(tmp_path / f"{kind}.txt", kind, rows=250, seed=3)
    assert set(messy.defects) == set(DEFECTS[kind])
    assert all(messy.defects[name] for name in DEFECTS[kind])
    lines = _lines(messy.path)
    for number in messy.defects["blank_lines"]:
        assert lines[number - 1].strip() == b""
    for number in messy.defects["invalid_utf8"]:
        with pytest.raises(UnicodeDecodeError):
            lines[number - 1].decode("utf-8")
    (huge,) = messy.defects["huge_line"]
    assert len(lines[huge - 1]) >= HUGE
    assert messy.records == 250 and 0 < messy.defective_records < 250


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = write_messy_file(tmp_path / "a.csv", "orders", rows=100, seed=1)
    b = write_messy_file(tmp_path / "b.csv", "orders", rows=100, seed=1)
    assert a.path.read_bytes() == b.path.read_bytes() and a.defects == b.defects


def _csv_records(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8", errors="replace")
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("kind", ["crm", "orders"])
def test_csv_defects_break_the_rows_they_claim(tmp_path: Path, kind: str) -> None:
    messy = write_messy_file(tmp_path / "f.csv", kind, rows=150, seed=9)
    raw = messy.path.read_bytes()
    width = len(CSV_HEADERS["crm/contacts.csv" if kind == "crm" else "shop/orders.csv"])
    if kind == "crm":
        assert raw.startswith(b"\xef\xbb\xbf")
    lines = _lines(messy.path)
    for number in messy.defects["extra_columns"]:
        (row,) = list(csv.reader([lines[number - 1].decode("utf-8", "replace").rstrip("\r")]))
        assert len(row) > width
    for number in messy.defects["missing_columns"]:
        (row,) = list(csv.reader([lines[number - 1].decode("utf-8", "replace").rstrip("\r")]))
        assert len(row) < width
    for number in messy.defects["invalid_email"]:
        text = lines[number - 1].decode("utf-8", "replace")
        assert not any(part.count("@") == 1 and "." in part.split("@")[1] and " " not in part
                       and part.split("@")[0] and not part.startswith("<") for part in text.split(","))
    (last,) = messy.defects["unterminated_quote"]
    assert lines[last - 1].count(b'"') % 2 == 1
    for number in messy.defects["bad_quoting"]:
        assert b'"' in lines[number - 1]
    if kind == "orders":
        for number in messy.defects["invalid_amount"]:
            (row,) = list(csv.reader([lines[number - 1].decode("utf-8", "replace").rstrip("\r")]))
            with pytest.raises(ValueError):
                amount = float(row[7])
                if amount < 0 or amount != amount or amount == float("inf"):
                    raise ValueError(row[7])


def test_tickets_defects_break_the_lines_they_claim(tmp_path: Path) -> None:
    messy = write_messy_file(tmp_path / "t.jsonl", "tickets", rows=150, seed=4)
    lines = _lines(messy.path)
    for number in messy.defects["bad_json"]:
        with pytest.raises(ValueError):
            json.loads(lines[number - 1])
    for number in messy.defects["not_object"]:
        assert not isinstance(json.loads(lines[number - 1]), dict)
    for number in messy.defects["missing_fields"]:
        assert not {"ticket_id", "subject", "created"} <= set(json.loads(lines[number - 1]))
    for number in messy.defects["extra_fields"]:
        assert "internal_notes" in json.loads(lines[number - 1])
    for number in messy.defects["wrong_types"]:
        assert json.loads(lines[number - 1])["csat"] == "five"
    clean = [n for n in range(1, len(lines)) if lines[n - 1].strip() and not any(
        n in where for where in messy.defects.values())]
    assert clean and all(isinstance(json.loads(lines[n - 1]), dict) for n in clean)


def test_unknown_kind_or_too_few_rows(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_messy_file(tmp_path / "x", "web", rows=100, seed=1)
    with pytest.raises(ValueError):
        write_messy_file(tmp_path / "x", "crm", rows=5, seed=1)
