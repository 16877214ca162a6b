"""Settings come from ES360_* variables and never reveal secrets."""

from __future__ import annotations

from pathlib import Path

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
    basic = Settings.from_env({"ES360_USERNAME": "elastic", "ES360_PASSWORD": "hunter2-secret"})
    key = Settings.from_env({"ES360_API_KEY": "key-id:topsecretkey"})
    bearer = Settings.from_env({"ES360_BEARER_TOKEN": "bearer-secret-token"})
    text = "".join(repr(s) + str(s.describe()) for s in (basic, key, bearer))
    for secret in ("hunter2-secret", "topsecretkey", key.api_key or "?", "bearer-secret-token"):
        assert secret not in text
    assert [s.describe()["auth"] for s in (basic, key, bearer)] == ["basic", "api_key", "bearer"]


def test_defaults_use_embedded_engine_on_9260() -> None:
    s = Settings.from_env({})
    assert s.uses_embedded_engine
    assert s.engine_port == 9260
    assert "9260" in s.describe()["es_url"]


def test_bad_port_is_a_clear_error() -> None:
    with pytest.raises(Es360Error, match="ES360_ENGINE_PORT"):
        Settings.from_env({"ES360_ENGINE_PORT": "x"})


def test_kibana_settings_from_env_keep_secrets_out_of_repr() -> None:
    s = Settings.from_env({"ES360_KIBANA_URL": "http://kibana:5601", "ES360_KIBANA_SPACE": "analytics",
                           "ES360_KIBANA_API_KEY": "kibana-secret-key", "ES360_KIBANA_USERNAME": "kb",
                           "ES360_KIBANA_PASSWORD": "kibana-secret-password"})
    assert (s.kibana_url, s.kibana_space, s.kibana_username) == ("http://kibana:5601", "analytics", "kb")
    text = repr(s) + str(s.describe())
    assert "kibana-secret-key" not in text and "kibana-secret-password" not in text
    assert Settings.from_env({}).kibana_space is None


def test_kibana_secrets_can_come_from_private_files(tmp_path: Path) -> None:
    key, password = tmp_path / "kibana.key", tmp_path / "kibana.password"
    for path, value in ((key, "kibana-file-key\n"), (password, "kibana-file-password")):
        path.write_text(value)
        path.chmod(0o600)
    s = Settings.from_env({"ES360_KIBANA_API_KEY_FILE": str(key), "ES360_KIBANA_USERNAME": "kb",
                           "ES360_KIBANA_PASSWORD_FILE": str(password)})
    assert (s.kibana_api_key, s.kibana_password) == ("kibana-file-key", "kibana-file-password")
    password.chmod(0o644)
    with pytest.raises(Es360Error, match="ES360_KIBANA_PASSWORD_FILE"):
        Settings.from_env({"ES360_KIBANA_PASSWORD_FILE": str(password)})
    with pytest.raises(Es360Error, match="not both"):
        Settings.from_env({"ES360_KIBANA_API_KEY": "x", "ES360_KIBANA_API_KEY_FILE": str(key)})
