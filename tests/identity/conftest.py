"""Shared helpers for identity tests: records built from a few fields, and one fitted resolution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from es360.identity.features import Rec, from_source
from es360.identity.matcher import Resolution, match
from es360.identity.synthetic import generate_world
from es360.ingest.mapping import load_mapping
from es360.ingest.run import ingest_files
from es360.setup import run_setup


def make_rec(idx: int, record_id: str, first: str = "", last: str = "", **fields: Any) -> Rec:
    """A record as the records pipeline stores it: `make_rec(0, "crm:C-1", "Sam", "Smith", email=...)`."""
    source, _, source_id = record_id.partition(":")
    doc: dict[str, Any] = {"record_id": record_id, "source": source, "source_id": source_id}
    if first or last:
        doc["name"] = {"first": first, "last": last, "full": f"{first} {last}".strip()}
    doc.update(fields)
    return from_source(idx, doc)


@pytest.fixture(scope="session")
def fitted() -> Resolution:
    """A resolution of 1,500 synthetic people: its model scores hand-made pairs in unit tests."""
    world = generate_world(1500, seed=21)
    return match([from_source(i, d) for i, d in enumerate(world.records)])


def ingest_sources(es: Elasticsearch, prefix: str, home: Path, sources: dict[str, list[dict[str, Any]] | str]) -> None:
    """Set up `prefix` and ingest each built-in source's rows (a list of JSON rows, or CSV text), in order."""
    run_setup(es, prefix)
    for source, rows in sources.items():
        path = home / (f"{source}.csv" if isinstance(rows, str) else f"{source}.jsonl")
        path.write_text(rows if isinstance(rows, str) else "".join(json.dumps(row) + "\n" for row in rows))
        ingest_files(es, load_mapping(source), [str(path)], prefix, home)
    es.indices.refresh(index=f"{prefix}*")


def customer_of(es: Elasticsearch, prefix: str) -> dict[str, str]:
    """record_id -> customer_id of every record under `prefix` (after a resolve)."""
    es.indices.refresh(index=f"{prefix}records")
    hits = es.search(index=f"{prefix}records", size=1000)["hits"]["hits"]
    return {h["_source"]["record_id"]: h["_source"].get("customer_id") for h in hits}
