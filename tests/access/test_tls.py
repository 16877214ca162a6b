"""TLS against the engine serving HTTPS: CA file, fingerprint, refusal of an unknown certificate, opt-out."""

from __future__ import annotations

import hashlib
import inspect
import logging
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from es360.config import Settings, connect
from es360.errors import Es360Error


def _tls_available() -> bool:
    from es360.embedded.server import start_server

    return "tls_cert" in inspect.signature(start_server).parameters and shutil.which("openssl") is not None


pytestmark = pytest.mark.skipif(not _tls_available(), reason="needs the engine's HTTPS mode "
                                                             "(start_server(tls_cert=...)) and openssl")


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """An engine on https://127.0.0.1 with a fresh self-signed certificate (which is also its CA)."""
    from es360.embedded.server import start_server

    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    server = start_server(tmp_path_factory.mktemp("tls-engine"), tls_cert=str(cert), tls_key=str(key))
    yield server, cert
    server.stop()


def _url(server: Any) -> str:
    return server.url.replace("http://", "https://")


def test_ca_file_verifies_the_cluster(https: tuple[Any, Path]) -> None:
    server, cert = https
    client = connect(Settings.from_env({"ES360_ES_URL": _url(server), "ES360_CA_CERT": str(cert)}))
    assert client.info()["version"]["number"]


def test_fingerprint_pins_the_certificate(https: tuple[Any, Path]) -> None:
    server, cert = https
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert.read_text())).hexdigest()
    pretty = ":".join(digest[i:i + 2] for i in range(0, 64, 2)).upper()
    assert connect(Settings.from_env({"ES360_ES_URL": _url(server), "ES360_SSL_FINGERPRINT": pretty})).info()
    wrong = "00" * 32
    with pytest.raises(Es360Error, match="TLS verification"):
        connect(Settings.from_env({"ES360_ES_URL": _url(server), "ES360_SSL_FINGERPRINT": wrong}))


def test_unknown_certificate_is_refused_by_default(https: tuple[Any, Path]) -> None:
    server, _ = https
    with pytest.raises(Es360Error, match="ES360_CA_CERT"):
        connect(Settings.from_env({"ES360_ES_URL": _url(server)}))


def test_verification_opt_out_connects_and_warns(https: tuple[Any, Path], caplog: pytest.LogCaptureFixture) -> None:
    server, _ = https
    with caplog.at_level(logging.WARNING, logger="es360.config"):
        client = connect(Settings.from_env({"ES360_ES_URL": _url(server), "ES360_VERIFY_CERTS": "false"}))
    assert client.info()
    assert "verification is off" in caplog.text
