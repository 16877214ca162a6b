"""Who performed a privacy action: the Elasticsearch user when security says so, else the OS user."""

from __future__ import annotations

import getpass
from typing import Any

import pytest
from elastic_transport import TransportError
from elasticsearch import Elasticsearch

from es360.embedded.server import start_server
from es360.privacy.audit import current_actor


class _Security:
    def __init__(self, answer: dict[str, Any] | None) -> None:
        self.answer = answer

    def authenticate(self) -> dict[str, Any]:
        if self.answer is None:
            raise TransportError("security is not enabled")
        return self.answer


class _Client:
    def __init__(self, answer: dict[str, Any] | None) -> None:
        self.security = _Security(answer)


def test_actor_is_the_authenticated_user() -> None:
    es: Any = _Client({"username": "dpo-alice", "authentication_realm": {"name": "native1"}})
    assert current_actor(es) == {"name": "dpo-alice", "source": "elasticsearch", "realm": "native1"}


def test_actor_falls_back_to_the_os_user() -> None:
    es: Any = _Client(None)
    assert current_actor(es) == {"name": getpass.getuser(), "source": "os", "realm": ""}


def test_actor_from_a_secured_engine(tmp_path_factory: pytest.TempPathFactory) -> None:
    server = start_server(tmp_path_factory.mktemp("secured"), security=True, elastic_password="privacy-bootstrap-pw")
    try:
        es = Elasticsearch(server.url, basic_auth=("elastic", "privacy-bootstrap-pw"), request_timeout=30)
        actor = current_actor(es)
        assert actor["name"] == "elastic" and actor["source"] == "elasticsearch"
    finally:
        server.stop()
