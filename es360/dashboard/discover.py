"""A saved search (Discover) panel: its newest documents as a table, with the saved columns and sort."""

from __future__ import annotations

from typing import Any

from es360.dashboard.lens import Column, DataView, Table, base_body, source_value

DOC_OPERATION = "document"
SAMPLE_SIZE = 50  # rows shown in the snapshot (Discover pages through up to 500)


def doc_columns(attrs: dict[str, Any]) -> list[Column]:
    """The saved search's columns (Discover's default `_source` becomes the whole document)."""
    names = [c for c in attrs.get("columns") or [] if c != "_source"] or ["_source"]
    return [Column(name, name, DOC_OPERATION, "string", name, {}) for name in names]


def doc_search(attrs: dict[str, Any], data_view: DataView, time_range: Any, queries: list[dict[str, Any]],
               size: int = SAMPLE_SIZE) -> dict[str, Any]:
    """The search a saved search panel runs: time range and queries, its sort (default: time, newest first)."""
    body = base_body(data_view, time_range, queries)
    body["size"] = size
    sort = [{field: {"order": str(direction)}} for field, direction in attrs.get("sort") or []]
    if not sort and data_view.time_field:
        sort = [{data_view.time_field: {"order": "desc"}}]
    if sort:
        body["sort"] = sort
    return body


def parse_docs(columns: list[Column], response: dict[str, Any]) -> Table:
    """One row per hit, the saved columns read from `_source` (dotted paths reach into objects)."""
    rows = []
    for hit in response.get("hits", {}).get("hits", []):
        source = hit.get("_source") or {}
        rows.append({c.id: (source if c.id == "_source" else source_value(source, c.id)) for c in columns})
    return Table(columns, rows)
