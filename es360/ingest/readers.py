"""Read source files row by row: CSV or JSONL, optionally gzipped, or stdin.

Every row carries its file and line number. A row that cannot be read (bad JSON, invalid
UTF-8, an oversized line, a CSV row with surplus values) is yielded as a `BadRow` with one
reason, so the caller can dead-letter it and go on: a bad row never stops the file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from es360.errors import Es360Error

DEFAULT_MAX_ROW_BYTES = 1_000_000
csv.field_size_limit(sys.maxsize)


@dataclass(slots=True)
class Row:
    """One parsed record: its values by column name, where it came from, and its raw text."""

    file: str
    line: int
    values: dict[str, Any]
    raw: str
    offset: int  # byte offset just after this row (for checkpoints)


@dataclass(slots=True)
class BadRow:
    """A row that could not be parsed, with the reason."""

    file: str
    line: int
    reason: str
    raw: str
    offset: int


def detect_format(name: str, explicit: str | None = None) -> str:
    """`csv` or `jsonl` from an explicit choice or the file name (.csv, .jsonl, .ndjson, .json, + .gz)."""
    if explicit:
        if explicit not in ("csv", "jsonl"):
            raise Es360Error(f"Unknown format {explicit!r}; use csv or jsonl.")
        return explicit
    base = name[:-3] if name.endswith(".gz") else name
    if base.endswith(".csv"):
        return "csv"
    if base.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    raise Es360Error(f"Cannot tell the format of {name}; name it .csv/.jsonl or pass --format.")


def _open_binary(path: str) -> tuple[IO[bytes], int | None]:
    if path == "-":
        return sys.stdin.buffer, None
    p = Path(path)
    if not p.is_file():
        raise Es360Error(f"{path} does not exist or is not a file.")
    raw = p.open("rb")
    magic = raw.read(2)
    raw.seek(0)
    size = p.stat().st_size
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw), size
    return raw, size


def _lines(stream: IO[bytes], start_offset: int) -> Iterator[tuple[int, bytes, int]]:
    """(line number, line bytes, offset after the line), skipping the first `start_offset` bytes."""
    offset = 0
    for number, line in enumerate(stream, start=1):
        offset += len(line)
        if offset <= start_offset:
            continue
        yield number, line, offset


def _decode(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_jsonl(stream: IO[bytes], name: str, start_offset: int = 0,
               max_row_bytes: int = DEFAULT_MAX_ROW_BYTES) -> Iterator[Row | BadRow]:
    for number, line, offset in _lines(stream, start_offset):
        if len(line) > max_row_bytes:
            yield BadRow(name, number, f"row is {len(line):,} bytes, over the {max_row_bytes:,}-byte limit",
                         line[:200].decode("utf-8", "replace"), offset)
            continue
        text = _decode(line)
        if text is None:
            yield BadRow(name, number, "invalid UTF-8", line[:200].decode("utf-8", "replace"), offset)
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield BadRow(name, number, f"invalid JSON: {exc.msg} at column {exc.colno}", text[:500], offset)
            continue
        if not isinstance(value, dict):
            yield BadRow(name, number, "a JSON line must be an object", text[:500], offset)
            continue
        yield Row(name, number, value, text.rstrip("\n"), offset)


def read_csv(stream: IO[bytes], name: str, start_offset: int = 0,
             max_row_bytes: int = DEFAULT_MAX_ROW_BYTES) -> Iterator[Row | BadRow]:
    """CSV with a header row; quoted fields may span lines (the row's line is where it starts)."""
    lines = _lines(stream, 0)
    header: list[str] | None = None
    pending: list[str] = []
    pending_start = 0
    for number, line, offset in lines:
        text = _decode(line)
        if text is None:
            if header is None:
                raise Es360Error(f"{name}: the header row is not valid UTF-8.")
            if offset > start_offset:
                yield BadRow(name, number, "invalid UTF-8", line[:200].decode("utf-8", "replace"), offset)
            pending = []
            continue
        if header is None:
            header = [h.strip().lstrip("\ufeff") for h in next(csv.reader([text]))]
            if len(set(header)) != len(header) or not all(header):
                raise Es360Error(f"{name}: the CSV header has empty or repeated column names.")
            continue
        if not pending:
            pending_start = number
        pending.append(text)
        joined = "".join(pending)
        if _open_quote(joined) and len(joined) <= max_row_bytes:
            continue  # a quoted field continues on the next line
        pending = []
        if offset <= start_offset:
            continue
        if len(joined.encode()) > max_row_bytes:
            yield BadRow(name, pending_start, f"row is {len(joined.encode()):,} bytes, over the "
                                              f"{max_row_bytes:,}-byte limit", joined[:200], offset)
            continue
        if not joined.strip():
            continue
        yield _csv_row(name, pending_start, header, joined, offset)
    if pending:
        joined = "".join(pending)
        yield BadRow(name, pending_start, "unterminated quoted field at end of file", joined[:500], 0)


def _open_quote(text: str) -> bool:
    return text.count('"') % 2 == 1


def _csv_row(name: str, number: int, header: list[str], text: str, offset: int) -> Row | BadRow:
    try:
        values = next(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        return BadRow(name, number, f"malformed CSV: {exc}", text[:500], offset)
    except StopIteration:
        return BadRow(name, number, "empty row", text[:500], offset)
    if len(values) > len(header):
        return BadRow(name, number, f"row has {len(values)} values but the header has {len(header)} columns",
                      text[:500], offset)
    row = {col: (values[i] if i < len(values) else None) for i, col in enumerate(header)}
    return Row(name, number, row, text.rstrip("\r\n"), offset)


def read_rows(path: str, fmt: str | None = None, start_offset: int = 0,
              max_row_bytes: int = DEFAULT_MAX_ROW_BYTES) -> tuple[Iterator[Row | BadRow], int | None]:
    """Rows of one file (or `-` for stdin) and the file's size in bytes (None for stdin)."""
    kind = detect_format(path, fmt)
    stream, size = _open_binary(path)
    reader = read_csv if kind == "csv" else read_jsonl

    def rows() -> Iterator[Row | BadRow]:
        try:
            yield from reader(stream, path, start_offset, max_row_bytes)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            yield BadRow(path, 0, f"file could not be read to the end: {exc}", "", 0)
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()

    return rows(), size
