"""The console script turns an unanticipated cluster failure into one sentence, not a traceback."""

from __future__ import annotations

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError
from elasticsearch import ConnectionError as EsConnectionError

import es360.cli as cli


def _meta(status: int) -> ApiResponseMeta:
    return ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(), duration=0.0,
                           node=NodeConfig("http", "localhost", 9200))


@pytest.mark.parametrize("error, expected", [
    (ApiError("boom", _meta(503), {"error": {"type": "x", "reason": "the cluster is busy"}}),
     "Elasticsearch answered 503 (the cluster is busy)"),
    (EsConnectionError("Connection refused"), "Lost the connection to Elasticsearch (Connection refused)"),
])
def test_cluster_failures_become_one_sentence(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                               error: Exception, expected: str) -> None:
    def failing_app() -> None:
        raise error

    monkeypatch.setattr(cli, "app", failing_app)
    with pytest.raises(SystemExit) as exit_info:
        cli.run()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2  # one sentence (rich may wrap it)
