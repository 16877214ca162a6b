"""Fixtures for the Kibana saved objects tests: the shipped objects, decoded and indexed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from es360.kibana.saved_objects import kibana_root, load_saved_objects


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    """Every shipped saved object as Kibana's import receives it (JSON-string attributes encoded)."""
    return load_saved_objects()


@pytest.fixture(scope="module")
def by_key(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(type, id) -> object."""
    return {(o["type"], o["id"]): o for o in objects}


@pytest.fixture(scope="module")
def decoded() -> list[dict[str, Any]]:
    """The on-disk objects (JSON-string attributes decoded)."""
    return [json.loads(p.read_text()) for p in sorted(kibana_root().glob("*/*.json"))]
