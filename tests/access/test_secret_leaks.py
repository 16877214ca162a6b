"""Secrets never appear in es360's output, logs, errors or `--json`, whatever the command or failure."""

from __future__ import annotations

import base64
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from es360.cli import app
from es360.config import Settings, connect
from es360.errors import Es360Error
from tests.helpers import free_port

API_KEY = "leak-id:LEAKED-api-secret-123"
PASSWORD = "LEAKED-pw-456"
TOKEN = "LEAKED-bearer-789"
SECRETS = [API_KEY, "LEAKED-api-secret-123", base64.b64encode(API_KEY.encode()).decode(), PASSWORD, TOKEN]
SCHEMES = {
    "api_key": {"ES360_API_KEY": API_KEY},
    "basic": {"ES360_USERNAME": "leak-user", "ES360_PASSWORD": PASSWORD},
    "bearer": {"ES360_BEARER_TOKEN": TOKEN},
}


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage() + repr(record.args) + (record.exc_text or ""))


@pytest.fixture()
def logs() -> Iterator[_Collect]:
    """Every log record of every logger (DEBUG and up) while the test runs."""
    handler = _Collect()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old)


def _assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret leaked into {where}"


def _run(args: list[str], env: dict[str, str]) -> str:
    result = CliRunner().invoke(app, args, env=env)
    parts = [result.stdout, result.stderr, repr(result.exception)]
    if result.exc_info is not None:
        parts.append("".join(traceback.format_exception(*result.exc_info)))
    return "\n".join(parts)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_no_command_prints_a_secret(scheme: str, es_url: str, tmp_path: Path, logs: _Collect) -> None:
    base = {"ES360_HOME": str(tmp_path), "ES360_ENGINE_PORT": str(free_port()), **SCHEMES[scheme]}
    dead = f"http://127.0.0.1:{free_port()}"
    https_to_http = es_url.replace("http://", "https://")
    runs = [
        (["status", "--json"], {"ES360_ES_URL": es_url}),
        (["setup", "--check", "--json"], {"ES360_ES_URL": es_url}),
        (["search", "customers", "anyone", "--json"], {"ES360_ES_URL": es_url}),
        (["security", "apply", "--dry-run", "--json"], {"ES360_ES_URL": es_url}),
        (["status", "--json"], {"ES360_ES_URL": dead}),
        (["setup"], {"ES360_ES_URL": dead}),
        (["status"], {"ES360_ES_URL": https_to_http}),
        (["--help"], {}),
        (["security", "--help"], {}),
        (["security", "api-key", "--help"], {}),
        (["status"], {"ES360_ES_URL": es_url, "ES360_VERIFY_CERTS": "maybe"}),
        (["status"], {"ES360_ES_URL": es_url, "ES360_BEARER_TOKEN_FILE": str(tmp_path / "missing")}),
    ]
    outputs = [_run(args, {**base, **extra}) for args, extra in runs]
    for (args, _), text in zip(runs, outputs, strict=True):
        _assert_clean(text, f"`es360 {' '.join(args)}`")
    assert any("Cannot reach Elasticsearch" in t for t in outputs)  # the failures really happened
    assert any("does not answer TLS" in t for t in outputs)
    _assert_clean("\n".join(logs.lines), "the logs")


def test_conflicts_and_bad_files_never_quote_the_secret(tmp_path: Path) -> None:
    loose = tmp_path / "pw"
    loose.write_text(PASSWORD)
    loose.chmod(0o644)
    envs = [
        {"ES360_API_KEY": API_KEY, "ES360_USERNAME": "u", "ES360_PASSWORD": PASSWORD},
        {"ES360_USERNAME": "u", "ES360_PASSWORD_FILE": str(loose)},
        {"ES360_PASSWORD": PASSWORD},
        {"ES360_API_KEY": "not-base64-" + PASSWORD},
        {"ES360_ES_URL": f"https://elastic:{PASSWORD}@es.example.com:9200"},
    ]
    for env in envs:
        with pytest.raises(Es360Error) as info:
            Settings.from_env(env)
        _assert_clean(str(info.value) + repr(info.value), "an error")
        text = _run(["status"], env)
        assert "error:" in text
        _assert_clean(text, "`es360 status`")


def test_connection_errors_and_settings_never_hold_the_value() -> None:
    """An unreachable cluster's error, the settings' repr and describe() carry no secret (401: see e2e)."""
    dead = f"http://127.0.0.1:{free_port()}"
    for env in SCHEMES.values():
        settings = Settings.from_env({"ES360_ES_URL": dead, **env})
        with pytest.raises(Es360Error) as info:
            connect(settings)
        _assert_clean(str(info.value), "a connection error")
        _assert_clean(repr(settings) + str(settings.describe()), "the settings")
