"""The embedded engine's security mode: authentication, roles, API keys, tokens, FLS/DLS, TLS, persistence."""

from __future__ import annotations

import base64
import hashlib
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import ApiError, AuthenticationException, AuthorizationException, Elasticsearch

from es360.embedded.server import RunningServer, start_server

PASSWORD = "bootstrap-pw-1"
CUSTOMERS = {"properties": {"name": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
                            "date_of_birth": {"type": "date"},
                            "address": {"properties": {"city": {"type": "keyword"}, "street": {"type": "text"}}},
                            "tier": {"type": "keyword"}}}


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("secure-engine"), security=True, elastic_password=PASSWORD)
    admin = Elasticsearch(server.url, basic_auth=("elastic", PASSWORD))
    admin.indices.create(index="customers", mappings=CUSTOMERS)
    admin.indices.put_alias(index="customers", name="customers-alias")
    admin.bulk(refresh=True, operations=[
        {"index": {"_index": "customers", "_id": "1"}},
        {"name": "Ann Lee", "date_of_birth": "1980-01-02", "address": {"city": "Paris", "street": "1 rue Haute"},
         "tier": "gold"},
        {"index": {"_index": "customers", "_id": "2"}},
        {"name": "Bob Ray", "date_of_birth": "1990-05-06", "address": {"city": "Lyon", "street": "2 rue Basse"},
         "tier": "silver"},
        {"index": {"_index": "payroll", "_id": "1"}}, {"salary": 100},
    ])
    admin.security.put_role(name="support", cluster=["monitor"], indices=[
        {"names": ["customers*"], "privileges": ["read", "view_index_metadata"],
         "field_security": {"grant": ["*"], "except": ["date_of_birth", "address.street"]}}])
    admin.security.put_user(username="sam", password="sam-password", roles=["support"], full_name="Sam Support")
    admin.security.put_role(name="writer", indices=[{"names": ["customers"], "privileges": ["read", "write"]}])
    admin.security.put_user(username="wanda", password="wanda-password", roles=["writer"])
    yield server
    server.stop()


def client(server: RunningServer, **auth: Any) -> Elasticsearch:
    return Elasticsearch(server.url, request_timeout=30, **auth)


@pytest.fixture(scope="module")
def admin(secure: RunningServer) -> Elasticsearch:
    return client(secure, basic_auth=("elastic", PASSWORD))


@pytest.fixture(scope="module")
def sam(secure: RunningServer) -> Elasticsearch:
    return client(secure, basic_auth=("sam", "sam-password"))


# ---- authentication ---------------------------------------------------------------------------------
def test_missing_credentials_is_401_with_es_challenges(secure: RunningServer) -> None:
    response = httpx.get(f"{secure.url}/customers/_search?q=ann")
    assert response.status_code == 401
    challenges = ['Basic realm="security" charset="UTF-8"', 'Bearer realm="security"', "ApiKey"]
    assert response.headers.get_list("www-authenticate") == challenges
    error = response.json()["error"]
    assert error["type"] == "security_exception"
    assert error["reason"] == "missing authentication credentials for REST request [/customers/_search?q=ann]"
    assert error["header"] == {"WWW-Authenticate": challenges}
    assert error["root_cause"][0]["type"] == "security_exception"


def test_bad_credentials_are_401(secure: RunningServer) -> None:
    response = httpx.get(f"{secure.url}/", auth=("sam", "wrong-password"))
    assert response.status_code == 401
    assert response.json()["error"]["reason"] == "unable to authenticate user [sam] for REST request [/]"
    for header in (f"ApiKey {base64.b64encode(b'nope:nope').decode()}", "Bearer not-a-token", "Basic %%%"):
        assert httpx.get(f"{secure.url}/", headers={"Authorization": header}).status_code == 401
    with pytest.raises(AuthenticationException):
        client(secure, basic_auth=("nobody", "whatever1")).info()


def test_basic_auth_and_authenticate(sam: Elasticsearch, secure: RunningServer) -> None:
    me = sam.security.authenticate()
    assert me["username"] == "sam" and me["roles"] == ["support"] and me["full_name"] == "Sam Support"
    assert me["authentication_realm"] == {"name": "default_native", "type": "native"}
    assert me["authentication_type"] == "realm"
    assert sam.info()["version"]["number"]  # GET / is cluster:monitor/main, granted by `monitor`
    wanda = client(secure, basic_auth=("wanda", "wanda-password"))
    with pytest.raises(AuthorizationException) as info:
        wanda.info()
    assert info.value.body["error"]["reason"] == (
        "action [cluster:monitor/main] is unauthorized for user [wanda] with effective roles [writer], this action "
        "is granted by the cluster privileges [monitor,manage,all]")


# ---- roles and users --------------------------------------------------------------------------------
def test_role_crud_and_validation(admin: Elasticsearch) -> None:
    body = {"cluster": ["monitor"], "indices": [{"names": ["logs-*"], "privileges": ["read"]}]}
    assert admin.security.put_role(name="tmp_role", **body)["role"]["created"] is True
    assert admin.security.put_role(name="tmp_role", **body)["role"]["created"] is False
    got = admin.security.get_role(name="tmp_role")["tmp_role"]
    assert got["cluster"] == ["monitor"] and got["indices"][0]["names"] == ["logs-*"]
    assert "superuser" in admin.security.get_role()
    cases = [
        ({"bogus": 1}, "parse_exception", "failed to parse role [bad]. unexpected field [bogus]"),
        ({"indices": [{"names": ["x"], "privileges": ["read"], "colour": 1}]}, "parse_exception",
         "failed to parse indices privileges for role [bad]. unexpected field [colour]"),
        ({"indices": [{"privileges": ["read"]}]}, "parse_exception",
         "failed to parse indices privileges for role [bad]. missing required [names] field"),
        ({"cluster": ["fly"]}, "action_request_validation_exception", "unknown cluster privilege [fly]"),
        ({"indices": [{"names": ["x"], "privileges": ["peek"]}]}, "action_request_validation_exception",
         "unknown index privilege [peek]"),
    ]
    for bad, kind, reason in cases:
        with pytest.raises(ApiError) as info:
            admin.perform_request("PUT", "/_security/role/bad", body=bad,
                                  headers={"content-type": "application/json", "accept": "application/json"})
        assert info.value.meta.status == 400
        assert info.value.body["error"]["type"] == kind
        assert reason in info.value.body["error"]["reason"]
    assert admin.security.delete_role(name="tmp_role")["found"] is True
    with pytest.raises(ApiError) as info:
        admin.security.get_role(name="tmp_role")
    assert info.value.meta.status == 404


def test_user_validation_and_disable(admin: Elasticsearch, secure: RunningServer) -> None:
    with pytest.raises(ApiError) as info:
        admin.security.put_user(username="short", password="12345", roles=[])
    assert "passwords must be at least [6] characters long" in info.value.body["error"]["reason"]
    with pytest.raises(ApiError) as info:
        admin.security.put_user(username="elastic", password="another-pw", roles=["superuser"])
    assert "is reserved" in info.value.body["error"]["reason"]
    admin.security.put_user(username="temp", password="temp-password", roles=["support"])
    temp = client(secure, basic_auth=("temp", "temp-password"))
    assert temp.security.authenticate()["username"] == "temp"
    admin.security.disable_user(username="temp")
    with pytest.raises(AuthenticationException):
        temp.security.authenticate()
    assert admin.security.delete_user(username="temp")["found"] is True
    assert admin.security.get_user(username="sam")["sam"]["roles"] == ["support"]


def test_security_apis_need_manage_security(sam: Elasticsearch) -> None:
    with pytest.raises(AuthorizationException) as info:
        sam.security.put_role(name="escalate", cluster=["all"])
    assert info.value.body["error"]["reason"] == (
        "action [cluster:admin/xpack/security/role/put] is unauthorized for user [sam] with effective roles "
        "[support], this action is granted by the cluster privileges [manage_security,all]")


# ---- index privileges ---------------------------------------------------------------------------------
def test_read_only_role_cannot_write(sam: Elasticsearch) -> None:
    with pytest.raises(AuthorizationException) as info:
        sam.index(index="customers", id="9", document={"name": "Eve"})
    assert info.value.meta.status == 403
    assert info.value.body["error"]["reason"] == (
        "action [indices:data/write/index] is unauthorized for user [sam] with effective roles [support] on "
        "indices [customers], this action is granted by the index privileges [index,write,all]")
    with pytest.raises(AuthorizationException):
        sam.indices.delete(index="customers")
    with pytest.raises(AuthorizationException):  # bulk needs a write privilege somewhere
        sam.bulk(operations=[{"delete": {"_index": "customers", "_id": "1"}}])


def test_explicit_unauthorized_index_is_403_and_wildcards_drop_it(sam: Elasticsearch) -> None:
    with pytest.raises(AuthorizationException) as info:
        sam.search(index="payroll")
    assert "action [indices:data/read/search] is unauthorized for user [sam]" in info.value.body["error"]["reason"]
    assert "granted by the index privileges [read,all]" in info.value.body["error"]["reason"]
    hits = sam.search(index="*", size=10)["hits"]["hits"]
    assert {h["_index"] for h in hits} == {"customers"}
    assert sam.search(index="pay*")["hits"]["total"]["value"] == 0
    assert sam.count()["count"] == 2
    assert sam.search(index="payroll,customers", ignore_unavailable=True)["hits"]["total"]["value"] == 2
    assert sam.search(index="customers-alias")["hits"]["total"]["value"] == 2


def test_bulk_items_fail_one_by_one(secure: RunningServer) -> None:
    wanda = client(secure, basic_auth=("wanda", "wanda-password"))
    result = wanda.bulk(operations=[
        {"index": {"_index": "customers", "_id": "w1"}}, {"name": "Wes", "tier": "gold"},
        {"index": {"_index": "payroll", "_id": "w1"}}, {"salary": 1},
        {"delete": {"_index": "payroll", "_id": "1"}},
    ])
    first, second, third = (next(iter(i.values())) for i in result["items"])
    assert result["errors"] is True and first["status"] == 201
    assert second["status"] == 403 and second["error"]["type"] == "security_exception"
    assert "on indices [payroll]" in second["error"]["reason"]
    assert third["status"] == 403
    wanda.delete(index="customers", id="w1", refresh=True)


# ---- field- and document-level security -------------------------------------------------------------
def test_fls_hides_fields_everywhere(sam: Elasticsearch) -> None:
    hit = sam.search(index="customers", query={"match": {"name": "ann"}})["hits"]["hits"][0]
    assert hit["_source"] == {"name": "Ann Lee", "address": {"city": "Paris"}, "tier": "gold"}
    assert sam.get(index="customers", id="1")["_source"] == hit["_source"]
    docs = sam.mget(index="customers", ids=["1", "2"])["docs"]
    assert all("date_of_birth" not in d["_source"] and "street" not in d["_source"]["address"] for d in docs)
    # queries on hidden fields match nothing; aggregations see no values; sorts see them as missing
    assert sam.count(index="customers", query={"range": {"date_of_birth": {"gte": "1900-01-01"}}})["count"] == 0
    assert sam.count(index="customers", query={"match": {"address.street": "rue"}})["count"] == 0
    assert sam.count(index="customers", query={"exists": {"field": "date_of_birth"}})["count"] == 0
    aggs = sam.search(index="customers", size=0, aggs={"dob": {"max": {"field": "date_of_birth"}},
                                                       "city": {"terms": {"field": "address.city"}}})["aggregations"]
    assert aggs["dob"]["value"] is None
    assert {b["key"] for b in aggs["city"]["buckets"]} == {"Paris", "Lyon"}
    fields = sam.search(index="customers", fields=["*"], query={"ids": {"values": ["1"]}})["hits"]["hits"][0]
    assert "date_of_birth" not in fields["fields"] and "address.city" in fields["fields"]
    highlighted = sam.search(index="customers", query={"query_string": {"query": "rue OR ann"}},
                             highlight={"fields": {"*": {}}})["hits"]["hits"]
    assert all("address.street" not in h.get("highlight", {}) for h in highlighted)


def test_fls_hides_fields_from_get_mapping(sam: Elasticsearch, admin: Elasticsearch) -> None:
    visible = sam.indices.get_mapping(index="customers")["customers"]["mappings"]["properties"]
    assert "date_of_birth" not in visible and "street" not in visible["address"]["properties"]
    assert {"name", "tier"} <= set(visible) and "city" in visible["address"]["properties"]
    fields = sam.indices.get_field_mapping(index="customers", fields="*")["customers"]["mappings"]
    assert "date_of_birth" not in fields and "address.street" not in fields and "address.city" in fields
    full = admin.indices.get_field_mapping(index="customers", fields="date_of_birth")["customers"]["mappings"]
    assert "date_of_birth" in full
    full = admin.indices.get_mapping(index="customers")["customers"]["mappings"]["properties"]
    assert "date_of_birth" in full and "street" in full["address"]["properties"]


def test_fls_leaves_the_superuser_and_the_data_untouched(admin: Elasticsearch) -> None:
    source = admin.get(index="customers", id="1")["_source"]
    assert source["date_of_birth"] == "1980-01-02" and source["address"]["street"] == "1 rue Haute"
    assert admin.count(index="customers", query={"exists": {"field": "date_of_birth"}})["count"] == 2


def test_document_level_security(admin: Elasticsearch, secure: RunningServer) -> None:
    admin.security.put_role(name="gold_only", indices=[
        {"names": ["customers"], "privileges": ["read"], "query": {"term": {"tier": "gold"}}}])
    admin.security.put_user(username="goldie", password="goldie-password", roles=["gold_only"])
    goldie = client(secure, basic_auth=("goldie", "goldie-password"))
    assert [h["_id"] for h in goldie.search(index="customers")["hits"]["hits"]] == ["1"]
    assert goldie.get(index="customers", id="1")["found"] is True
    with pytest.raises(ApiError) as info:
        goldie.get(index="customers", id="2")
    assert info.value.meta.status == 404


# ---- API keys and tokens ------------------------------------------------------------------------------
def test_api_key_is_limited_by_its_role_descriptors(admin: Elasticsearch, secure: RunningServer) -> None:
    key = admin.security.create_api_key(name="reader", expiration="1d", role_descriptors={
        "r": {"indices": [{"names": ["customers"], "privileges": ["read"],
                           "field_security": {"grant": ["name*", "tier"]}}]}})
    assert set(key) >= {"id", "name", "api_key", "encoded", "expiration"}
    keyed = client(secure, api_key=key["encoded"])
    me = keyed.security.authenticate()
    assert me["authentication_type"] == "api_key" and me["api_key"]["id"] == key["id"]
    assert keyed.get(index="customers", id="1")["_source"] == {"name": "Ann Lee", "tier": "gold"}
    with pytest.raises(AuthorizationException) as info:
        keyed.search(index="payroll")  # the owner (elastic) could; the key cannot
    assert f"API key id [{key['id']}] of user [elastic]" in info.value.body["error"]["reason"]
    with pytest.raises(AuthorizationException):
        keyed.index(index="customers", document={"name": "x"})
    listed = admin.security.get_api_key(id=key["id"])["api_keys"][0]
    assert listed["name"] == "reader" and listed["invalidated"] is False and "api_key" not in listed
    assert admin.security.invalidate_api_key(ids=[key["id"]])["invalidated_api_keys"] == [key["id"]]
    with pytest.raises(AuthenticationException):
        keyed.info()


def test_api_key_cannot_exceed_its_owner(admin: Elasticsearch, sam: Elasticsearch, secure: RunningServer) -> None:
    admin.security.put_role(name="support_keys", cluster=["manage_own_api_key"])
    admin.security.put_user(username="sam2", password="sam2-password", roles=["support", "support_keys"])
    sam2 = client(secure, basic_auth=("sam2", "sam2-password"))
    key = sam2.security.create_api_key(name="greedy", role_descriptors={
        "all": {"cluster": ["all"], "indices": [{"names": ["*"], "privileges": ["all"]}]}})
    greedy = client(secure, api_key=(key["id"], key["api_key"]))
    with pytest.raises(AuthorizationException):
        greedy.search(index="payroll")
    assert "date_of_birth" not in greedy.get(index="customers", id="1")["_source"]
    assert [k["id"] for k in sam2.security.get_api_key(owner=True)["api_keys"]] == [key["id"]]
    with pytest.raises(AuthorizationException):
        sam.security.create_api_key(name="no-privilege")


def test_bearer_tokens_expire_and_can_be_invalidated(admin: Elasticsearch, secure: RunningServer) -> None:
    token = admin.security.get_token(grant_type="password", username="sam", password="sam-password")
    assert token["type"] == "Bearer" and token["expires_in"] == 1200 and token["refresh_token"]
    bearer = client(secure, bearer_auth=token["access_token"])
    me = bearer.security.authenticate()
    assert me["username"] == "sam" and me["authentication_type"] == "token"
    realm = secure.engine.extensions["security"].realm
    realm.clock = lambda: time.time() + 1201
    try:
        with pytest.raises(AuthenticationException) as info:
            bearer.security.authenticate()
        assert info.value.body["error"]["reason"] == "token expired"
    finally:
        realm.clock = time.time
    assert bearer.security.authenticate()["username"] == "sam"
    assert admin.security.invalidate_token(token=token["access_token"])["invalidated_tokens"] == 1
    with pytest.raises(AuthenticationException):
        bearer.security.authenticate()
    mine = admin.security.get_token(grant_type="client_credentials")
    assert "refresh_token" not in mine
    assert client(secure, bearer_auth=mine["access_token"]).security.authenticate()["username"] == "elastic"


def test_has_privileges(sam: Elasticsearch) -> None:
    result = sam.security.has_privileges(cluster=["monitor", "manage"], index=[
        {"names": ["customers", "payroll"], "privileges": ["read", "write"]}])
    assert result["cluster"] == {"monitor": True, "manage": False}
    assert result["index"] == {"customers": {"read": True, "write": False},
                               "payroll": {"read": False, "write": False}}
    assert result["has_all_requested"] is False


# ---- persistence, TLS, startup --------------------------------------------------------------------------
def test_security_objects_persist_hashed_across_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path, security=True, elastic_password=PASSWORD)
    admin = client(server, basic_auth=("elastic", PASSWORD))
    admin.security.put_role(name="r1", indices=[{"names": ["a*"], "privileges": ["read"]}])
    admin.security.put_user(username="u1", password="persisted-secret", roles=["r1"])
    key = admin.security.create_api_key(name="k1")
    admin.security.change_password(password="new-elastic-pw")
    server.stop()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("engine.sqlite3*"))
    assert b"persisted-secret" not in raw and key["api_key"].encode() not in raw and b"new-elastic-pw" not in raw
    server = start_server(tmp_path, security=True, elastic_password=PASSWORD)
    try:
        assert client(server, basic_auth=("u1", "persisted-secret")).security.authenticate()["roles"] == ["r1"]
        assert client(server, api_key=key["encoded"]).security.authenticate()["api_key"]["name"] == "k1"
        assert client(server, basic_auth=("elastic", "new-elastic-pw")).info()["tagline"]
        with pytest.raises(AuthenticationException):  # the changed password replaced the bootstrap one
            client(server, basic_auth=("elastic", PASSWORD)).info()
    finally:
        server.stop()


def test_security_off_by_default(es: Elasticsearch) -> None:
    assert es.info()["version"]["number"]
    with pytest.raises(ApiError) as info:
        es.security.authenticate()
    assert info.value.meta.status == 500


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line tool is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-addext", "basicConstraints=critical,CA:TRUE"], check=True, capture_output=True)
    return cert, key


def test_https_with_ca_file_and_fingerprint(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server = start_server(tmp_path, security=True, elastic_password=PASSWORD, tls_cert=cert, tls_key=key)
    try:
        assert server.url.startswith("https://")
        with_ca = Elasticsearch(server.url, ca_certs=str(cert), basic_auth=("elastic", PASSWORD))
        assert with_ca.security.authenticate()["username"] == "elastic"
        der = ssl.PEM_cert_to_DER_cert(cert.read_text())
        fingerprint = hashlib.sha256(der).hexdigest()
        pinned = Elasticsearch(server.url, ssl_assert_fingerprint=fingerprint, basic_auth=("elastic", PASSWORD))
        assert pinned.info()["version"]["number"]
        with pytest.raises(Exception):  # noqa: B017 - verification on by default: an unknown CA is refused
            Elasticsearch(server.url, basic_auth=("elastic", PASSWORD), retry_on_timeout=False,
                          max_retries=0).info()
    finally:
        server.stop()


def test_security_mode_refuses_to_start_without_password(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "es360.embedded", "--security", "--data", str(tmp_path),
                           "--port", "0"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "ES360_ENGINE_ELASTIC_PASSWORD" in done.stderr
    with pytest.raises(ValueError, match="ES360_ENGINE_ELASTIC_PASSWORD"):
        start_server(tmp_path / "other", security=True)


def test_msearch_terms_lookup_and_updates_respect_privileges(admin: Elasticsearch, sam: Elasticsearch,
                                                             secure: RunningServer) -> None:
    responses = sam.msearch(searches=[{"index": "customers"}, {}, {"index": "payroll"}, {}])["responses"]
    assert responses[0]["hits"]["total"]["value"] == 2
    assert responses[1]["status"] == 403 and responses[1]["error"]["type"] == "security_exception"
    with pytest.raises(ApiError) as info:  # a terms lookup reads another index: it is a get there
        sam.search(index="customers", query={"terms": {"tier": {"index": "payroll", "id": "1", "path": "salary"}}})
    assert "action [indices:data/read/get] is unauthorized for user [sam]" in str(info.value)
    admin.security.put_role(name="fls_writer", indices=[
        {"names": ["customers"], "privileges": ["read", "write"], "field_security": {"grant": ["name", "tier"]}}])
    admin.security.put_user(username="fred", password="fred-password", roles=["fls_writer"])
    fred = client(secure, basic_auth=("fred", "fred-password"))
    with pytest.raises(ApiError) as info:  # never write a partial view back over the hidden fields
        fred.update(index="customers", id="1", doc={"tier": "platinum"})
    assert info.value.meta.status == 400
    assert "field or document level security is enabled" in info.value.body["error"]["reason"]
    item = fred.bulk(operations=[{"update": {"_index": "customers", "_id": "1"}}, {"doc": {"tier": "x"}}])["items"][0]
    assert item["update"]["status"] == 400
    assert admin.get(index="customers", id="1")["_source"]["tier"] == "gold"


def test_engine_start_command_runs_security_mode_over_https(tmp_path: Path, certificate: tuple[Path, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from es360.engine_control import start_engine, stop_engine
    from es360.errors import Es360Error
    from tests.helpers import free_port

    cert, key = certificate
    monkeypatch.delenv("ES360_ENGINE_ELASTIC_PASSWORD", raising=False)
    with pytest.raises(Es360Error, match="ES360_ENGINE_ELASTIC_PASSWORD"):
        start_engine(tmp_path, free_port(), security=True)
    monkeypatch.setenv("ES360_ENGINE_ELASTIC_PASSWORD", PASSWORD)
    status = start_engine(tmp_path, free_port(), security=True, tls_cert=cert, tls_key=key)
    try:
        assert status.running and status.url is not None and status.url.startswith("https://")
        response = httpx.get(f"{status.url}/", verify=ssl.create_default_context(cafile=str(cert)))
        assert response.status_code == 401
        es = Elasticsearch(status.url, ca_certs=str(cert), basic_auth=("elastic", PASSWORD))
        assert es.security.authenticate()["username"] == "elastic"
    finally:
        assert stop_engine(tmp_path)


def test_every_route_maps_to_an_es_action(secure: RunningServer) -> None:
    """A new REST route must declare its ES action in security/actions.py (else only `all`/`manage` pass)."""
    from es360.embedded.rest import router
    from es360.embedded.security.actions import FALLBACK, rule_for

    unmapped = sorted({f"{r[1]} {r[5]}" for r in router._routes if rule_for(r[1], r[5]) is FALLBACK})
    assert unmapped == []


def test_scroll_and_point_in_time_keep_field_level_security(sam: Elasticsearch) -> None:
    page = sam.search(index="customers", scroll="1m", size=1, query={"match_all": {}})
    sources = [h["_source"] for h in page["hits"]["hits"]]
    sources += [h["_source"] for h in sam.scroll(scroll_id=page["_scroll_id"], scroll="1m")["hits"]["hits"]]
    assert len(sources) == 2 and all("date_of_birth" not in s for s in sources)
    pit = sam.open_point_in_time(index="customers", keep_alive="1m")["id"]
    hits = sam.search(pit={"id": pit, "keep_alive": "1m"}, sort=["_doc"])["hits"]["hits"]
    assert len(hits) == 2 and all("street" not in h["_source"]["address"] for h in hits)
    assert sam.search(pit={"id": pit}, query={"exists": {"field": "date_of_birth"}})["hits"]["total"]["value"] == 0
    sam.close_point_in_time(id=pit)


def test_scrolls_and_points_in_time_belong_to_their_owner(sam: Elasticsearch, secure: RunningServer) -> None:
    wanda = client(secure, basic_auth=("wanda", "wanda-password"))
    page = sam.search(index="customers", scroll="1m", size=1)
    with pytest.raises(ApiError) as info:
        wanda.scroll(scroll_id=page["_scroll_id"], scroll="1m")
    assert info.value.meta.status == 404
    assert info.value.body["error"]["caused_by"]["type"] == "search_context_missing_exception"
    assert len(sam.scroll(scroll_id=page["_scroll_id"], scroll="1m")["hits"]["hits"]) == 1
    pit = sam.open_point_in_time(index="customers", keep_alive="1m")["id"]
    with pytest.raises(ApiError) as info:
        wanda.search(pit={"id": pit})
    assert info.value.meta.status == 404
    with pytest.raises(ApiError):
        wanda.close_point_in_time(id=pit)
    sam.close_point_in_time(id=pit)
    sam.clear_scroll(scroll_id=page["_scroll_id"])
