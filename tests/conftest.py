"""Shared fixtures: one embedded engine per test session (or a real cluster via ES360_TEST_ES_URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch


@pytest.fixture(scope="session")
def es_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the cluster under test: ES360_TEST_ES_URL if set, else a fresh embedded engine."""
    real = os.environ.get("ES360_TEST_ES_URL")
    if real:
        yield real
        return
    from es360.embedded.server import start_server

    server = start_server(tmp_path_factory.mktemp("engine"))
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def es(es_url: str) -> Elasticsearch:
    """The official client pointed at the cluster under test."""
    return Elasticsearch(es_url, request_timeout=30)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("ES360_TEST_ES_URL"):
        return
    skip = pytest.mark.skip(reason="needs a real cluster: set ES360_TEST_ES_URL")
    for item in items:
        if "realcluster" in item.keywords:
            item.add_marker(skip)
