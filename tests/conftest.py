"""Shared fixtures: one embedded engine per test session (or a real cluster via ES360_TEST_ES_URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch


@pytest.fixture(scope="session")
def es_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The in-process embedded engine, or None when ES360_TEST_ES_URL points at a real cluster."""
    if os.environ.get("ES360_TEST_ES_URL"):
        yield None
        return
    from es360.embedded.server import start_server

    server = start_server(tmp_path_factory.mktemp("engine"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def es_url(es_server: Any) -> str:
    """URL of the cluster under test."""
    return es_server.url if es_server is not None else os.environ["ES360_TEST_ES_URL"]


@pytest.fixture(scope="session")
def es(es_url: str) -> Elasticsearch:
    """The official client pointed at the cluster under test."""
    return Elasticsearch(es_url, request_timeout=30)


@pytest.fixture()
def engine(es_server: Any) -> Any:
    """The embedded engine's domain object, for tests of engine internals (skipped on a real cluster)."""
    if es_server is None:
        pytest.skip("engine internals exist only on the embedded engine")
    return es_server.engine


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("ES360_TEST_ES_URL"):
        return
    skip = pytest.mark.skip(reason="needs a real cluster: set ES360_TEST_ES_URL")
    for item in items:
        if "realcluster" in item.keywords:
            item.add_marker(skip)
