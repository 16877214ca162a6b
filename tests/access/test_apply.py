"""`es360 security apply | api-key` on clusters without security, and their one-sentence errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError
from typer.testing import CliRunner

from es360.access.api_keys import check_request
from es360.access.apply import same_role
from es360.access.errors import security_error
from es360.access.roles import load_role
from es360.cli import app
from es360.errors import Es360Error


def _api_error(status: int, body: dict) -> ApiError:
    meta = ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(), duration=0.0,
                           node=NodeConfig("http", "localhost", 9200))
    return ApiError(message=str(body), meta=meta, body=body)


def test_apply_on_a_cluster_without_security_is_one_sentence(es_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["security", "apply"], env={"ES360_ES_URL": es_url, "ES360_HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert "security is not enabled on this cluster" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_api_key_on_a_cluster_without_security_is_one_sentence(es_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["security", "api-key", "es360_support", "--name", "x"],
                                env={"ES360_ES_URL": es_url, "ES360_HOME": str(tmp_path)})
    assert result.exit_code == 1 and "security is not enabled" in result.stderr and result.stdout == ""


def test_real_elasticsearch_answers_are_translated() -> None:
    disabled = _api_error(500, {"error": {"root_cause": [], "type": "exception", "reason": (
        "Security must be explicitly enabled when using a [basic] license. Enable security by setting "
        "[xpack.security.enabled] to [true] in the elasticsearch.yml file and restart the node.")}, "status": 500})
    assert "security is not enabled" in str(security_error(disabled, "install role es360_admin"))
    denied = _api_error(403, {"error": {"type": "security_exception", "reason": "action [cluster:admin/xpack/"
                                        "security/role/put] is unauthorized for user [rep]"}, "status": 403})
    assert "lacks the privilege" in str(security_error(denied, "install role es360_admin"))
    rejected = _api_error(401, {"error": {"type": "security_exception", "reason": "unable to authenticate"}})
    assert "rejected the credentials (401)" in str(security_error(rejected, "create an API key"))


def test_same_role_ignores_what_elasticsearch_adds() -> None:
    wanted = load_role("es360_support").body
    stored = {**wanted, "applications": [], "run_as": [], "transient_metadata": {"enabled": True},
              "indices": [{**e, "privileges": list(reversed(e["privileges"]))} for e in wanted["indices"]]}
    assert same_role(stored, wanted)
    narrower = {**wanted, "indices": [{**wanted["indices"][0], "privileges": ["read", "write"]}]}
    assert not same_role(narrower, wanted)


@pytest.mark.parametrize("name,expiration,message", [
    ("", None, "--name"), ("ok", "30 days", "--expiration"), ("ok", "0d", "--expiration"), ("ok", "1y", "unit")])
def test_bad_api_key_requests_are_refused_before_anything_is_sent(name: str, expiration: str | None,
                                                                   message: str) -> None:
    with pytest.raises(Es360Error, match=message):
        check_request(name, expiration)
    check_request("helpdesk", "30d")
