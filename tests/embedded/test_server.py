"""The engine's HTTP contract: client compatibility, error bodies, limits, durability, locking."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch

from es360.embedded import server as server_mod
from es360.embedded.server import start_server
from tests.helpers import free_port


def spawn_engine(data: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "es360.embedded", "--port", str(port), "--data", str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode()) from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("engine did not start")


def test_official_client_accepts_engine(es: Elasticsearch) -> None:
    info = es.info()
    assert info["version"]["number"].startswith("8.")
    assert info["tagline"] == "You Know, for Search"
    assert es.cluster.health(wait_for_status="yellow")["status"] in ("green", "yellow")


def test_wire_conventions(es_url: str) -> None:
    plain = httpx.get(f"{es_url}/")
    assert plain.headers["x-elastic-product"] == "Elasticsearch"
    assert plain.headers["content-type"].startswith("application/json")
    compat = httpx.get(f"{es_url}/", headers={"accept": "application/vnd.elasticsearch+json;compatible-with=8"})
    assert "compatible-with=8" in compat.headers["content-type"]


def test_malformed_json_is_rejected_with_es_error_body(es_url: str) -> None:
    resp = httpx.put(f"{es_url}/broken-json", content=b'{"mappings": ', headers={"content-type": "application/json"})
    assert resp.status_code == 400
    body = resp.json()
    assert body["status"] == 400
    assert body["error"]["type"] == "x_content_parse_exception"
    assert body["error"]["root_cause"][0]["type"] == "x_content_parse_exception"
    assert httpx.head(f"{es_url}/broken-json").status_code == 404  # nothing half-applied


def test_unknown_endpoint_and_wrong_method(es_url: str) -> None:
    resp = httpx.get(f"{es_url}/_cluster/no_such_api")
    assert resp.status_code == 400
    assert "no handler found" in resp.json()["error"]
    resp = httpx.request("DELETE", f"{es_url}/_cluster/health")
    assert resp.status_code == 405


def test_oversized_request_gets_413(es_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_mod, "MAX_BODY", 1024)
    resp = httpx.post(f"{es_url}/big/_doc", content=b"{" + b" " * 4096 + b"}",
                      headers={"content-type": "application/json"})
    assert resp.status_code == 413
    assert resp.json()["error"]["type"] == "content_too_long_exception"


def test_bulk_bad_source_line_fails_only_that_item(es: Elasticsearch) -> None:
    body = (
        '{"index": {"_index": "bulk-partial", "_id": "1"}}\n{"name": "Ann"}\n'
        '{"index": {"_index": "bulk-partial", "_id": "2"}}\n{"name": \n'
        '{"index": {"_index": "bulk-partial", "_id": "3"}}\n{"name": "Cy"}\n'
    )
    resp = es.bulk(body=body, refresh=True)
    assert resp["errors"] is True
    statuses = [item["index"]["status"] for item in resp["items"]]
    assert statuses == [201, 400, 201]
    assert es.count(index="bulk-partial")["count"] == 2


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    port = free_port()
    proc = spawn_engine(tmp_path, port)
    client = Elasticsearch(f"http://127.0.0.1:{port}")
    client.indices.create(index="durable", mappings={"properties": {"email": {"type": "keyword"}}})
    actions = "".join(f'{{"index": {{"_index": "durable", "_id": "{i}"}}}}\n{{"email": "u{i}@x.io"}}\n'
                      for i in range(500))
    assert client.bulk(body=actions)["errors"] is False
    client.index(index="durable", id="last", document={"email": "last@x.io"})
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc = spawn_engine(tmp_path, port)
    try:
        assert client.count(index="durable")["count"] == 501
        assert client.get(index="durable", id="last")["_source"] == {"email": "last@x.io"}
        mapping = client.indices.get_mapping(index="durable")
        assert mapping["durable"]["mappings"]["properties"]["email"]["type"] == "keyword"
    finally:
        proc.terminate()
        proc.wait()


def test_second_engine_on_same_data_dir_is_refused(tmp_path: Path) -> None:
    port = free_port()
    proc = spawn_engine(tmp_path, port)
    try:
        other = subprocess.run([sys.executable, "-m", "es360.embedded", "--port", str(free_port()), "--data",
                                str(tmp_path)], capture_output=True, text=True, timeout=30)
        assert other.returncode == 1
        assert "already running" in other.stderr
    finally:
        proc.terminate()
        proc.wait()


def test_in_process_server_restart_keeps_data(tmp_path: Path) -> None:
    srv = start_server(tmp_path)
    client = Elasticsearch(srv.url)
    client.index(index="restart", id="a", document={"n": 1})
    srv.stop()
    srv = start_server(tmp_path)
    try:
        assert Elasticsearch(srv.url).get(index="restart", id="a")["_source"] == {"n": 1}
    finally:
        srv.stop()
