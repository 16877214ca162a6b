"""Objects without sub-objects (`subobjects: false` / `auto`) and the field capabilities API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import AuthorizationException, BadRequestError, Elasticsearch

from es360.embedded.server import start_server

PREFIX = "conf-mapping-s"
METRICS = {"metrics.host.name": "localhost", "metrics.host.id": 1, "metrics.time": 10, "metrics.time.max": 100,
           "metrics.time.min": 1}


@pytest.fixture()
def client(es: Elasticsearch) -> Iterator[Elasticsearch]:
    yield es
    es.options(ignore_status=404).indices.delete(index=f"{PREFIX}*", expand_wildcards="all")


def _leaf_types(client: Elasticsearch, index: str, pattern: str) -> dict[str, str]:
    caps = client.field_caps(index=index, fields=pattern)["fields"]
    return {name: next(iter(types)) for name, types in caps.items() if not name.startswith("_")}


@pytest.mark.parametrize("mode", [False, "auto"])
def test_dotted_leaves_next_to_each_other_in_an_object_without_subobjects(client: Elasticsearch,
                                                                           mode: bool | str) -> None:
    name = f"{PREFIX}metrics"
    client.indices.create(index=name, mappings={"dynamic_templates": [{"no_subobjects": {
        "match": "metrics",
        "mapping": {"type": "object", "subobjects": mode, "properties": {"host.name": {"type": "keyword"}}},
    }}]})
    client.index(index=name, id="1", document=METRICS, refresh=True)
    assert _leaf_types(client, name, "metrics*") == {
        "metrics": "object", "metrics.host.name": "keyword", "metrics.host.id": "long", "metrics.time": "long",
        "metrics.time.max": "long", "metrics.time.min": "long"}
    props = client.indices.get_mapping(index=name)[name]["mappings"]["properties"]["metrics"]["properties"]
    assert sorted(props) == ["host.id", "host.name", "time", "time.max", "time.min"]
    assert client.get(index=name, id="1")["_source"] == METRICS
    hits = client.search(index=name, query={"range": {"metrics.time.max": {"gte": 50}}})["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["1"]


def test_root_without_subobjects_flattens_inner_objects(client: Elasticsearch) -> None:
    name = f"{PREFIX}root"
    client.indices.create(index=name, mappings={"subobjects": False,
                                                "properties": {"host.name": {"type": "keyword"}}})
    client.index(index=name, id="1", refresh=True,
                 document={"host": {"name": "a", "ip": "10.0.0.1"}, "time": 10, "time.max": 100,
                           "tags": [{"k": "x"}, {"k": "y"}]})
    props = client.indices.get_mapping(index=name)[name]["mappings"]["properties"]
    assert sorted(props) == ["host.ip", "host.name", "tags.k", "time", "time.max"]
    assert client.count(index=name, query={"term": {"host.name": "a"}})["count"] == 1
    assert client.count(index=name, query={"term": {"tags.k.keyword": "y"}})["count"] == 1


def test_object_fields_in_an_object_without_subobjects_are_flattened(client: Elasticsearch) -> None:
    name = f"{PREFIX}flat"
    client.indices.create(index=name, mappings={"properties": {"m": {
        "type": "object", "subobjects": False, "properties": {"inner": {"properties": {"x": {"type": "long"}}}}}}})
    props = client.indices.get_mapping(index=name)[name]["mappings"]["properties"]["m"]["properties"]
    assert props == {"inner.x": {"type": "long"}}
    with pytest.raises(BadRequestError) as err:
        client.indices.create(index=f"{PREFIX}bad", mappings={"properties": {"m": {
            "type": "object", "subobjects": False, "properties": {"inner": {"type": "nested"}}}}})
    assert "Tried to add nested object [inner] to object [m] which does not support subobjects" in str(err.value.body)
    with pytest.raises(BadRequestError) as err:
        client.indices.create(index=f"{PREFIX}bad", mappings={"properties": {"m": {
            "type": "object", "subobjects": False, "properties": {"inner": {"enabled": False}}}}})
    assert "Auto-flattening [m.inner] failed" in str(err.value.body)
    with pytest.raises(BadRequestError):
        client.indices.create(index=f"{PREFIX}bad", mappings={"subobjects": "sometimes"})


def test_auto_subobjects_keeps_existing_objects(client: Elasticsearch) -> None:
    name = f"{PREFIX}auto"
    client.indices.create(index=name, mappings={"subobjects": "auto"})
    client.indices.put_mapping(index=name, properties={
        "host": {"properties": {"name": {"type": "keyword"}}}, "service.name": {"type": "keyword"}})
    client.index(index=name, id="1", refresh=True, document={"host.ip": "10.0.0.1", "service.name": "api"})
    props = client.indices.get_mapping(index=name)[name]["mappings"]["properties"]
    assert sorted(props) == ["host", "service.name"]
    assert sorted(props["host"]["properties"]) == ["ip", "name"]


def test_auto_subobjects_keeps_dotted_leaf_names_given_at_index_creation(client: Elasticsearch) -> None:
    """Creating the index (through the template merge) must not turn `auto`'s dotted names into objects."""
    name = f"{PREFIX}auto-create"
    client.indices.create(index=name, mappings={"subobjects": "auto", "properties": {
        "metrics.time": {"type": "long"}, "metrics.time.max": {"type": "long"}}})
    props = client.indices.get_mapping(index=name)[name]["mappings"]["properties"]
    assert sorted(props) == ["metrics.time", "metrics.time.max"]


# ---- field capabilities ---------------------------------------------------------------------------
def test_field_caps_across_indices(client: Elasticsearch) -> None:
    client.indices.create(index=f"{PREFIX}caps-a", mappings={"properties": {
        "title": {"type": "text", "fields": {"raw": {"type": "keyword"}}}, "n": {"type": "long"},
        "blob": {"type": "binary"}, "user": {"properties": {"id": {"type": "keyword", "index": False}}}}})
    client.indices.create(index=f"{PREFIX}caps-b", mappings={"properties": {
        "title": {"type": "keyword"}, "n": {"type": "long", "doc_values": False}}})
    body = client.field_caps(index=f"{PREFIX}caps-*", fields="title*,n,blob,user*,_id").body
    assert body["indices"] == [f"{PREFIX}caps-a", f"{PREFIX}caps-b"]
    fields = body["fields"]
    assert fields["title"]["text"] == {"type": "text", "metadata_field": False, "searchable": True,
                                       "aggregatable": False, "indices": [f"{PREFIX}caps-a"]}
    assert fields["title"]["keyword"]["indices"] == [f"{PREFIX}caps-b"]
    assert fields["title.raw"]["keyword"]["aggregatable"] is True
    assert fields["n"]["long"] == {"type": "long", "metadata_field": False, "searchable": True,
                                   "aggregatable": False, "non_aggregatable_indices": [f"{PREFIX}caps-b"]}
    assert fields["blob"]["binary"]["searchable"] is False
    assert fields["user"]["object"]["searchable"] is False
    assert fields["user.id"]["keyword"]["searchable"] is True  # through its doc values
    assert fields["_id"]["_id"]["metadata_field"] is True
    with_unmapped = client.field_caps(index=f"{PREFIX}caps-*", fields="blob", include_unmapped=True)
    assert with_unmapped["fields"]["blob"]["unmapped"]["indices"] == [f"{PREFIX}caps-b"]
    with pytest.raises(BadRequestError):
        client.perform_request("GET", f"/{PREFIX}caps-a/_field_caps", headers={"accept": "application/json"})


def test_field_caps_respects_field_level_security(tmp_path: Path) -> None:
    server = start_server(tmp_path, security=True, elastic_password="bootstrap-pw-1")
    try:
        admin = Elasticsearch(server.url, basic_auth=("elastic", "bootstrap-pw-1"))
        admin.indices.create(index="people", mappings={"properties": {
            "name": {"type": "keyword"}, "address": {"properties": {"street": {"type": "text"}}}}})
        admin.indices.create(index="payroll", mappings={"properties": {"salary": {"type": "long"}}})
        admin.security.put_role(name="support", indices=[{
            "names": ["people"], "privileges": ["read", "view_index_metadata"],
            "field_security": {"grant": ["*"], "except": ["address.street"]}}])
        admin.security.put_user(username="sam", password="sam-password", roles=["support"])
        sam = Elasticsearch(server.url, basic_auth=("sam", "sam-password"))
        caps = sam.field_caps(index="people", fields="*")
        assert "name" in caps["fields"] and "_id" in caps["fields"]
        assert "address.street" not in caps["fields"] and "address" not in caps["fields"]
        assert "address.street" in admin.field_caps(index="people", fields="*")["fields"]
        with pytest.raises(AuthorizationException):
            sam.field_caps(index="payroll", fields="*")
    finally:
        server.stop()
