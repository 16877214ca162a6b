"""Settings come from ES360_* variables and never reveal secrets."""

from __future__ import annotations

import pytest

from es360.config import Settings
from es360.errors import Es360Error


def test_settings_from_env() -> None:
    s = Settings.from_env({"ES360_ES_URL": "https://es.example:9200", "ES360_API_KEY": "c2VjcmV0OmtleQ==",
                           "ES360_PREFIX": "acme-"})
    assert s.es_url == "https://es.example:9200"
    assert s.prefix == "acme-"
    assert not s.uses_embedded_engine


def test_secrets_never_in_repr_or_describe() -> None:
    s = Settings.from_env({"ES360_USERNAME": "elastic", "ES360_PASSWORD": "hunter2-secret",
                           "ES360_API_KEY": "topsecretkey"})
    text = repr(s) + str(s.describe())
    assert "hunter2-secret" not in text
    assert "topsecretkey" not in text
    assert s.describe()["auth"] == "api_key"


def test_defaults_use_embedded_engine_on_9260() -> None:
    s = Settings.from_env({})
    assert s.uses_embedded_engine
    assert s.engine_port == 9260
    assert "9260" in s.describe()["es_url"]


def test_bad_port_is_a_clear_error() -> None:
    with pytest.raises(Es360Error, match="ES360_ENGINE_PORT"):
        Settings.from_env({"ES360_ENGINE_PORT": "x"})
