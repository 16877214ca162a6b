"""Index creation and indexing validation as Elasticsearch does it: field names, dense_vector
index_options, the per-document token limit, bulk op_type/dynamic_templates and mapping updates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import BadRequestError, Elasticsearch

PREFIX = "conf-mapping-v"


@pytest.fixture()
def client(es: Elasticsearch) -> Iterator[Elasticsearch]:
    yield es
    es.options(ignore_status=404).indices.delete(index=f"{PREFIX}*", expand_wildcards="all")


def _error(exc: BadRequestError) -> dict:
    return exc.body["error"]


# ---- field names ----------------------------------------------------------------------------------
def test_empty_field_name_is_refused_at_creation_and_update(client: Elasticsearch) -> None:
    with pytest.raises(BadRequestError) as created:
        client.indices.create(index=f"{PREFIX}names", mappings={"properties": {"": {"type": "keyword"}}})
    assert "field name cannot be an empty string" in str(created.value.body)
    assert "illegal_argument_exception" in str(created.value.body)
    assert not client.indices.exists(index=f"{PREFIX}names")

    client.indices.create(index=f"{PREFIX}names")
    with pytest.raises(BadRequestError) as updated:
        client.indices.put_mapping(index=f"{PREFIX}names", properties={"": {"type": "keyword"}})
    assert "illegal_argument_exception" in str(updated.value.body)
    assert client.indices.get_mapping(index=f"{PREFIX}names")[f"{PREFIX}names"]["mappings"] == {}


# ---- dense_vector index_options -------------------------------------------------------------------
@pytest.mark.parametrize("options", [
    {"type": "flat", "m": 42},
    {"type": "hnsw", "confidence_interval": 0.9},
    {"type": "no_such_kind"},
    {"m": 16},
    {"type": "hnsw", "m": 0},
])
def test_bad_dense_vector_index_options_are_refused(client: Elasticsearch, options: dict) -> None:
    with pytest.raises(BadRequestError) as err:
        client.indices.create(index=f"{PREFIX}vec", mappings={"properties": {
            "v": {"type": "dense_vector", "dims": 3, "index": True, "index_options": options}}})
    assert _error(err.value)["type"] == "mapper_parsing_exception"
    assert not client.indices.exists(index=f"{PREFIX}vec")


def test_quantized_index_options_need_float_vectors(client: Elasticsearch) -> None:
    with pytest.raises(BadRequestError):
        client.indices.create(index=f"{PREFIX}vec", mappings={"properties": {
            "v": {"type": "dense_vector", "dims": 3, "element_type": "byte",
                  "index_options": {"type": "int8_hnsw"}}}})
    client.indices.create(index=f"{PREFIX}vec", mappings={"properties": {
        "v": {"type": "dense_vector", "dims": 3, "similarity": "l2_norm",
              "index_options": {"type": "int8_hnsw", "m": 16, "ef_construction": 100,
                                "confidence_interval": 0.95}},
        "w": {"type": "dense_vector", "dims": 3, "similarity": "l2_norm", "index_options": {"type": "flat"}}}})
    got = client.indices.get_mapping(index=f"{PREFIX}vec")[f"{PREFIX}vec"]["mappings"]["properties"]
    assert got["v"]["index_options"]["type"] == "int8_hnsw"


# ---- total tokens per document ----------------------------------------------------------------------
def _token_limited(client: Elasticsearch, limit: int) -> str:
    name = f"{PREFIX}tokens"
    client.indices.create(index=name, settings={"index.mapping.total_tokens_per_document.limit": limit},
                          mappings={"properties": {"a": {"type": "text"}, "b": {"type": "text"},
                                                   "k": {"type": "keyword"}}})
    return name


def test_token_limit_counts_analysed_tokens_across_fields(client: Elasticsearch) -> None:
    name = _token_limited(client, 4)
    client.index(index=name, id="ok", document={"a": "one two", "b": "three four",
                                                "k": "keywords are not tokenized at all"})
    with pytest.raises(BadRequestError) as err:
        client.index(index=name, id="big", document={"a": "one two", "b": "three four five"})
    assert _error(err.value)["type"] == "illegal_argument_exception"
    assert "[index.mapping.total_tokens_per_document.limit]" in _error(err.value)["reason"]
    assert "maximum of [4]" in _error(err.value)["reason"]
    # a rejected update leaves the stored version alone
    with pytest.raises(BadRequestError):
        client.index(index=name, id="ok", document={"a": "one two three four five"})
    client.indices.refresh(index=name)
    assert client.get(index=name, id="ok")["_source"]["a"] == "one two"
    assert client.count(index=name)["count"] == 1


def test_token_limit_applies_to_bulk_items_and_follows_setting_updates(client: Elasticsearch) -> None:
    name = _token_limited(client, 1000)
    client.index(index=name, id="1", document={"a": "hello world"})
    client.indices.put_settings(index=name, settings={"index.mapping.total_tokens_per_document.limit": 1})
    result = client.bulk(operations=[{"index": {"_index": name, "_id": "2"}}, {"a": "hello world"},
                                     {"index": {"_index": name, "_id": "3"}}, {"a": "hello"}])
    assert result["errors"] is True
    assert result["items"][0]["index"]["status"] == 400
    assert result["items"][1]["index"]["status"] == 201
    client.indices.put_settings(index=name, settings={"index.mapping.total_tokens_per_document.limit": -1})
    client.index(index=name, id="4", document={"a": "no limit any more"})


# ---- bulk -----------------------------------------------------------------------------------------
def test_bulk_index_action_with_op_type_create_is_a_create(client: Elasticsearch) -> None:
    name = f"{PREFIX}bulk"
    result = client.bulk(refresh=True, operations=[
        {"index": {"_index": name, "op_type": "create"}}, {"f": 1},
        {"index": {"_index": name, "_id": "x", "op_type": "create"}}, {"f": 2},
        {"index": {"_index": name, "_id": "x", "op_type": "create"}}, {"f": 3},
    ])
    items = result["items"]
    assert [next(iter(i)) for i in items] == ["create", "create", "create"]
    assert items[0]["create"]["result"] == "created"
    assert items[1]["create"]["result"] == "created"
    assert items[2]["create"]["status"] == 409
    assert client.get(index=name, id="x")["_source"] == {"f": 2}


def _templated(client: Elasticsearch) -> str:
    name = f"{PREFIX}dyn"
    client.indices.create(index=name, mappings={"dynamic_templates": [
        {"location": {"mapping": {"type": "geo_point"}}},
        {"labels": {"match": "label_*", "mapping": {"type": "keyword"}}},
        {"string": {"mapping": {"type": "keyword"}}},
    ]})
    return name


def test_bulk_dynamic_templates_pick_templates_by_name(client: Elasticsearch) -> None:
    name = _templated(client)
    result = client.bulk(refresh=True, operations=[
        {"index": {"_index": name, "_id": "1", "dynamic_templates": {"here": "location"}}},
        {"here": "41.12,-71.34", "label_a": "x", "plain": "some text"},
        {"index": {"_index": name, "_id": "2", "dynamic_templates": {"nested.inner": "string"}}},
        {"nested": {"inner": "Value"}},
    ])
    assert result["errors"] is False
    props = client.indices.get_mapping(index=name)[name]["mappings"]["properties"]
    assert props["here"]["type"] == "geo_point"
    assert props["label_a"]["type"] == "keyword"
    # templates without match conditions apply only when named: `plain` gets the default mapping
    assert props["plain"]["type"] == "text"
    assert props["nested"]["properties"]["inner"]["type"] == "keyword"


def test_bulk_dynamic_templates_errors_are_per_item(client: Elasticsearch) -> None:
    name = _templated(client)
    result = client.bulk(operations=[
        {"index": {"_index": name, "_id": "1", "dynamic_templates": {"where": "nope"}}}, {"where": "1,2"},
        {"index": {"_index": name, "_id": "2", "dynamic_templates": {"foo": "string"}}}, {"foo.bar": "x"},
        {"index": {"_index": name, "_id": "3", "dynamic_templates": {"foo.bar": "string"}}}, {"foo.bar": "x"},
    ])
    items = [i["index"] for i in result["items"]]
    assert items[0]["error"]["type"] == "mapper_parsing_exception"
    assert items[0]["error"]["reason"] == ("Can't find dynamic template for dynamic template name [nope] of "
                                           "field [where]")
    assert items[1]["error"]["reason"] == ("Field [foo] must be an object; but it's configured as [keyword] in "
                                           "dynamic template [string]")
    assert items[2]["status"] == 201


# ---- mapping updates ------------------------------------------------------------------------------
def test_split_queries_on_whitespace_is_updatable(client: Elasticsearch) -> None:
    name = f"{PREFIX}kw"
    client.indices.create(index=name, mappings={"properties": {"k": {"type": "keyword"}}})
    client.indices.put_mapping(index=name, properties={"k": {"type": "keyword",
                                                             "split_queries_on_whitespace": True}})
    got = client.indices.get_mapping(index=name)[name]["mappings"]["properties"]["k"]
    assert got["split_queries_on_whitespace"] is True
    with pytest.raises(BadRequestError):  # parameters ES cannot update still conflict
        client.indices.put_mapping(index=name, properties={"k": {"type": "keyword", "doc_values": False}})
