"""Customer search tests share one small world, installed once under its own prefix."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from tests.search.data import load_world

PREFIX = "srchtest-"


@pytest.fixture(scope="package")
def world(es: Elasticsearch) -> str:
    """The test world's index prefix."""
    load_world(es, PREFIX)
    return PREFIX
