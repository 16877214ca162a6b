"""Reading CSV/JSONL: bad rows become BadRow with a reason; good rows keep file and line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from es360.errors import Es360Error
from es360.ingest.readers import BadRow, Row, read_rows


def rows_of(path: Path, **kw: object) -> list[Row | BadRow]:
    rows, _ = read_rows(str(path), **kw)  # type: ignore[arg-type]
    return list(rows)


def test_csv_quoting_multiline_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b'id,name,note\n1,"Smith, Sam","said ""hi""\non two lines"\n2,Ann\n3,a,b,c,d\n'
                     b'4,\xff\xfe,x\n\n5,"unterminated\n')
    out = rows_of(path)
    good = [r for r in out if isinstance(r, Row)]
    bad = [r for r in out if isinstance(r, BadRow)]
    assert good[0].values == {"id": "1", "name": "Smith, Sam", "note": 'said "hi"\non two lines'}
    assert good[0].line == 2
    assert good[1].values == {"id": "2", "name": "Ann", "note": None}  # missing column -> None
    assert [b.line for b in bad] == [5, 6, 8]
    assert "header has 3 columns" in bad[0].reason and bad[1].reason == "invalid UTF-8"
    assert "unterminated" in bad[2].reason


def test_jsonl_gzip_and_oversized_rows(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl.gz"
    big = '{"id": "x", "blob": "' + "a" * 2_000_000 + '"}\n'
    with gzip.open(path, "wt") as fh:
        fh.write('{"id": "1"}\nnot json\n[1, 2]\n' + big + '{"id": "2"}\n')
    out = rows_of(path)
    assert [type(r).__name__ for r in out] == ["Row", "BadRow", "BadRow", "BadRow", "Row"]
    assert "invalid JSON" in out[1].reason and "must be an object" in out[2].reason
    assert "over the 1,000,000-byte limit" in out[3].reason


def test_resume_offset_skips_done_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id\n1\n2\n3\n")
    first = rows_of(path)
    resumed = rows_of(path, start_offset=first[1].offset)
    assert [r.values["id"] for r in resumed] == ["3"]


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Es360Error, match="Cannot tell the format"):
        read_rows(str(tmp_path / "data.txt"))
