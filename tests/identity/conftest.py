"""Shared helpers for identity tests: records built from a few fields, and one fitted resolution."""

from __future__ import annotations

from typing import Any

import pytest

from es360.identity.features import Rec, from_source
from es360.identity.matcher import Resolution, match
from es360.identity.synthetic import generate_world


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
