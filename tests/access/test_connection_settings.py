"""Connection settings: each auth scheme, secrets from private files, TLS options, conflicts."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from es360.access.credentials import client_options
from es360.config import Settings
from es360.errors import Es360Error

URL = "https://es.example.com:9200"
FINGERPRINT = "AB:" * 31 + "CD"


def _secret_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "secret"
    path.write_text(text + "\n")
    path.chmod(mode)
    return path


def test_api_key_encoded_is_kept_and_id_key_is_encoded() -> None:
    encoded = base64.b64encode(b"abc:def").decode()
    assert Settings.from_env({"ES360_API_KEY": encoded}).api_key == encoded
    assert Settings.from_env({"ES360_API_KEY": "abc:def"}).api_key == encoded
    assert client_options(Settings.from_env({"ES360_API_KEY": "abc:def"}), URL) == {"api_key": encoded}


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"no-colon").decode(), "id:", ":key"])
def test_malformed_api_key_is_a_clear_error_without_the_value(value: str) -> None:
    with pytest.raises(Es360Error, match="ES360_API_KEY") as info:
        Settings.from_env({"ES360_API_KEY": value})
    assert value not in str(info.value) or value in ("id:", ":key")


def test_basic_and_bearer_become_client_options() -> None:
    basic = Settings.from_env({"ES360_USERNAME": "rep", "ES360_PASSWORD": "pw"})
    assert client_options(basic, URL) == {"basic_auth": ("rep", "pw")}
    bearer = Settings.from_env({"ES360_BEARER_TOKEN": "tok"})
    assert client_options(bearer, URL) == {"bearer_auth": "tok"}
    assert client_options(Settings.from_env({}), URL) == {}


@pytest.mark.parametrize("env", [
    {"ES360_API_KEY": "a:b", "ES360_USERNAME": "u", "ES360_PASSWORD": "p"},
    {"ES360_API_KEY": "a:b", "ES360_BEARER_TOKEN": "t"},
    {"ES360_BEARER_TOKEN": "t", "ES360_USERNAME": "u", "ES360_PASSWORD": "p"},
])
def test_two_auth_schemes_conflict(env: dict[str, str]) -> None:
    with pytest.raises(Es360Error, match="only one way to authenticate"):
        Settings.from_env(env)


def test_half_basic_auth_is_an_error() -> None:
    with pytest.raises(Es360Error, match="ES360_USERNAME is not"):
        Settings.from_env({"ES360_PASSWORD": "p"})
    with pytest.raises(Es360Error, match="without ES360_PASSWORD"):
        Settings.from_env({"ES360_USERNAME": "u"})


@pytest.mark.parametrize("var,field", [("ES360_API_KEY", "api_key"), ("ES360_PASSWORD", "password"),
                                       ("ES360_BEARER_TOKEN", "bearer_token")])
def test_secret_from_a_private_file(tmp_path: Path, var: str, field: str) -> None:
    path = _secret_file(tmp_path, "id9:file-secret")
    env = {f"{var}_FILE": str(path)} | ({"ES360_USERNAME": "u"} if var == "ES360_PASSWORD" else {})
    settings = Settings.from_env(env)
    expected = base64.b64encode(b"id9:file-secret").decode() if field == "api_key" else "id9:file-secret"
    assert getattr(settings, field) == expected
    assert settings.describe()["secret_file"] == str(path)
    assert "file-secret" not in repr(settings) + str(settings.describe())


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_group_or_world_readable_secret_file_is_refused(tmp_path: Path, mode: int) -> None:
    path = _secret_file(tmp_path, "id:file-secret", mode)
    with pytest.raises(Es360Error) as info:
        Settings.from_env({"ES360_API_KEY_FILE": str(path)})
    message = str(info.value)
    assert "ES360_API_KEY_FILE" in message and f"chmod 600 {path}" in message
    assert "file-secret" not in message
    assert message.count(". ") == 0  # one sentence


def test_missing_empty_and_doubled_secret_files(tmp_path: Path) -> None:
    with pytest.raises(Es360Error, match="does not exist"):
        Settings.from_env({"ES360_BEARER_TOKEN_FILE": str(tmp_path / "nope")})
    empty = _secret_file(tmp_path, "")
    with pytest.raises(Es360Error, match="is empty"):
        Settings.from_env({"ES360_BEARER_TOKEN_FILE": str(empty)})
    with pytest.raises(Es360Error, match="not both"):
        Settings.from_env({"ES360_BEARER_TOKEN_FILE": str(empty), "ES360_BEARER_TOKEN": "x"})


def test_ca_cert_and_fingerprint(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    with_ca = Settings.from_env({"ES360_ES_URL": URL, "ES360_CA_CERT": str(ca)})
    assert client_options(with_ca, URL) == {"ca_certs": str(ca)}
    pinned = Settings.from_env({"ES360_ES_URL": URL, "ES360_SSL_FINGERPRINT": FINGERPRINT})
    assert client_options(pinned, URL) == {"ssl_assert_fingerprint": "ab" * 31 + "cd"}
    assert pinned.describe()["ssl_fingerprint"] == "ab" * 31 + "cd"
    with pytest.raises(Es360Error, match="does not exist"):
        Settings.from_env({"ES360_ES_URL": URL, "ES360_CA_CERT": str(tmp_path / "missing.pem")})
    with pytest.raises(Es360Error, match="SHA-256"):
        Settings.from_env({"ES360_ES_URL": URL, "ES360_SSL_FINGERPRINT": "abcd"})
    with pytest.raises(Es360Error, match="not both"):
        Settings.from_env({"ES360_ES_URL": URL, "ES360_CA_CERT": str(ca), "ES360_SSL_FINGERPRINT": FINGERPRINT})
    with pytest.raises(Es360Error, match="https://"):
        Settings.from_env({"ES360_ES_URL": "http://es:9200", "ES360_SSL_FINGERPRINT": FINGERPRINT})


def test_verification_is_on_by_default_and_opting_out_warns(caplog: pytest.LogCaptureFixture) -> None:
    assert Settings.from_env({"ES360_ES_URL": URL}).verify_certs
    off = Settings.from_env({"ES360_ES_URL": URL, "ES360_VERIFY_CERTS": "false"})
    assert not off.verify_certs and off.describe()["verify_certs"] is False
    with caplog.at_level(logging.WARNING, logger="es360.config"):
        options = client_options(off, URL)
    assert options["verify_certs"] is False
    assert "verification is off" in caplog.text
    with pytest.raises(Es360Error, match="true or false"):
        Settings.from_env({"ES360_ES_URL": URL, "ES360_VERIFY_CERTS": "maybe"})
    with pytest.raises(Es360Error, match="contradicts"):
        Settings.from_env({"ES360_ES_URL": URL, "ES360_VERIFY_CERTS": "0", "ES360_SSL_FINGERPRINT": FINGERPRINT})


def test_url_with_credentials_or_a_bad_scheme_is_refused() -> None:
    with pytest.raises(Es360Error, match="must not contain credentials") as info:
        Settings.from_env({"ES360_ES_URL": "https://elastic:pa55word@es:9200"})
    assert "pa55word" not in str(info.value)
    with pytest.raises(Es360Error, match="http:// or https://"):
        Settings.from_env({"ES360_ES_URL": "es.example.com:9200"})


def test_tls_options_are_not_sent_to_a_plain_http_engine() -> None:
    settings = Settings.from_env({"ES360_USERNAME": "elastic", "ES360_PASSWORD": "pw"})
    assert settings.uses_embedded_engine
    assert client_options(settings, "http://127.0.0.1:9260") == {"basic_auth": ("elastic", "pw")}


def test_credentials_over_plain_http_to_a_remote_host_warn(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.from_env({"ES360_ES_URL": "http://es.example.com:9200", "ES360_BEARER_TOKEN": "t0k"})
    with caplog.at_level(logging.WARNING, logger="es360.config"):
        client_options(settings, "http://es.example.com:9200")
        assert "plain HTTP" in caplog.text and "t0k" not in caplog.text
        caplog.clear()
        client_options(settings, "http://127.0.0.1:9260")
        assert not caplog.text
    with pytest.raises(Es360Error, match="not a valid URL"):
        Settings.from_env({"ES360_ES_URL": "http://[::1"})
