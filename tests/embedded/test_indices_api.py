"""Index administration APIs as users notice them: templates, mappings, aliases, settings, durability."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError

from es360.embedded.server import RunningServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    srv = start_server(tmp_path_factory.mktemp("indices-api"))
    yield srv
    srv.stop()


@pytest.fixture()
def es(server: RunningServer) -> Iterator[Elasticsearch]:
    client = Elasticsearch(server.url)
    yield client
    client.options(ignore_status=404).indices.delete(index="*", expand_wildcards="all")
    client.options(ignore_status=404).indices.delete_index_template(name="*")
    client.options(ignore_status=404).cluster.delete_component_template(name="*")
    client.options(ignore_status=404).indices.delete_template(name="*")


def error_of(exc: ApiError) -> dict:
    return exc.body["error"]


# ---- create / get / delete --------------------------------------------------------------------------
def test_create_get_and_delete_index(es: Elasticsearch) -> None:
    created = es.indices.create(index="books", settings={"number_of_replicas": 0},
                                mappings={"properties": {"title": {"type": "text"}}}, aliases={"library": {}})
    assert created.body == {"acknowledged": True, "shards_acknowledged": True, "index": "books"}
    got = es.indices.get(index="books").body["books"]
    assert got["aliases"] == {"library": {}}
    assert got["mappings"] == {"properties": {"title": {"type": "text"}}}
    assert got["settings"]["index"]["number_of_replicas"] == "0"
    assert got["settings"]["index"]["provided_name"] == "books"
    assert es.indices.exists(index="books")
    assert not es.indices.exists(index="nope")
    assert es.indices.delete(index="books").body == {"acknowledged": True}
    assert not es.indices.exists(index="books")


def test_create_existing_index_is_rejected(es: Elasticsearch) -> None:
    es.indices.create(index="dup")
    with pytest.raises(BadRequestError) as info:
        es.indices.create(index="dup")
    assert error_of(info.value)["type"] == "resource_already_exists_exception"
    assert error_of(info.value)["reason"].startswith("index [dup/")


@pytest.mark.parametrize(("name", "why"), [
    ("UPPER", "must be lowercase"),
    ("_under", "must not start with '_', '-', or '+'"),
    ("a*b", "must not contain the following characters"),
    ("a:b", "must not contain ':'"),
    ("..", "must not be '.' or '..'"),
])
def test_index_name_validation(es: Elasticsearch, name: str, why: str) -> None:
    with pytest.raises(BadRequestError) as info:
        es.indices.create(index=name)
    err = error_of(info.value)
    assert err["type"] == "invalid_index_name_exception"
    assert err["reason"].startswith(f"Invalid index name [{name}], {why}")


def test_create_index_body_validation(es: Elasticsearch) -> None:
    with pytest.raises(BadRequestError) as info:
        es.perform_request("PUT", "/bad", headers={"content-type": "application/json"}, body={"setting": {}})
    assert error_of(info.value)["type"] == "parse_exception"
    assert error_of(info.value)["reason"] == "unknown key [setting] for create index"
    with pytest.raises(BadRequestError) as info:
        es.indices.create(index="bad", settings={"index.foo": 1})
    assert error_of(info.value)["type"] == "illegal_argument_exception"
    assert error_of(info.value)["reason"].startswith("unknown setting [index.foo]")
    with pytest.raises(BadRequestError) as info:
        es.indices.create(index="bad", settings={"number_of_replicas": -1})
    assert "must be >= 0" in error_of(info.value)["reason"]
    assert not es.indices.exists(index="bad")


def test_delete_through_alias_is_rejected(es: Elasticsearch) -> None:
    es.indices.create(index="real", aliases={"nick": {}})
    with pytest.raises(BadRequestError) as info:
        es.indices.delete(index="nick")
    assert error_of(info.value)["reason"] == ("The provided expression [nick] matches an alias, specify the "
                                              "corresponding concrete indices instead.")
    es.indices.delete(index="nick", ignore_unavailable=True)
    assert es.indices.exists(index="real")
    with pytest.raises(NotFoundError):
        es.indices.delete(index="missing")


def test_wildcards_and_hidden_indices(es: Elasticsearch) -> None:
    es.indices.create(index="logs-a")
    es.indices.create(index="logs-b", settings={"index.hidden": True})
    es.indices.create(index="logs-c")
    es.indices.close(index="logs-c")
    assert sorted(es.indices.get(index="logs-*").body) == ["logs-a"]
    assert sorted(es.indices.get(index="logs-*", expand_wildcards="all").body) == ["logs-a", "logs-b", "logs-c"]
    assert sorted(es.indices.get_mapping(index="logs-*,-logs-a", expand_wildcards="open,hidden").body) == ["logs-b"]
    with pytest.raises(NotFoundError):
        es.indices.get(index="nomatch-*", allow_no_indices=False)
    assert es.indices.get_mapping(index="nomatch-*").body == {}


# ---- templates ------------------------------------------------------------------------------------------
def test_create_applies_template_and_component_templates(es: Elasticsearch) -> None:
    es.cluster.put_component_template(name="base", template={
        "settings": {"number_of_replicas": 0},
        "mappings": {"properties": {"host": {"type": "keyword"}, "obj.a": {"type": "keyword"}}},
        "aliases": {"all-logs": {}}})
    es.cluster.put_component_template(name="extra", template={
        "mappings": {"properties": {"obj.a": {"type": "text"}, "msg": {"type": "text"}}}})
    es.indices.put_index_template(name="logs", index_patterns=["app-*"], composed_of=["base", "extra"], priority=10,
                                  template={"settings": {"number_of_shards": 2},
                                            "mappings": {"properties": {"level": {"type": "keyword"}}}})
    es.indices.put_index_template(name="catch-all", index_patterns=["*"], priority=1,
                                  template={"settings": {"index.max_result_window": 5}})
    es.indices.create(index="app-1", mappings={"properties": {"msg": {"type": "keyword"}}},
                      settings={"number_of_replicas": 1})
    got = es.indices.get(index="app-1").body["app-1"]
    props = got["mappings"]["properties"]
    assert props["host"] == {"type": "keyword"}
    assert props["obj"]["properties"]["a"] == {"type": "text"}  # later component replaces the field
    assert props["level"] == {"type": "keyword"}
    assert props["msg"] == {"type": "keyword"}  # the request wins
    assert got["settings"]["index"]["number_of_shards"] == "2"
    assert got["settings"]["index"]["number_of_replicas"] == "1"
    assert "max_result_window" not in got["settings"]["index"]  # only the highest-priority template applies
    assert got["aliases"] == {"all-logs": {}}
    simulated = es.indices.simulate_index_template(name="app-2").body
    assert simulated["template"]["settings"]["index"]["number_of_shards"] == "2"
    assert simulated["overlapping"] == [{"name": "catch-all", "index_patterns": ["*"]}]


def test_template_overlap_same_priority_rejected(es: Elasticsearch) -> None:
    es.indices.put_index_template(name="one", index_patterns=["metrics-*"])
    with pytest.raises(BadRequestError) as info:
        es.indices.put_index_template(name="two", index_patterns=["metrics-cpu*", "other"])
    assert error_of(info.value)["reason"] == (
        "index template [two] has index patterns [metrics-cpu*, other] matching patterns from existing templates "
        "[one] with patterns (one => [metrics-*]) that have the same priority [0], multiple index templates may not "
        "match during index creation, please use a different priority")
    es.indices.put_index_template(name="two", index_patterns=["metrics-cpu*"], priority=5)


def test_template_get_delete_and_component_in_use(es: Elasticsearch) -> None:
    es.cluster.put_component_template(name="ct", template={"mappings": {"properties": {"a": {"type": "long"}}}})
    es.indices.put_index_template(name="it", index_patterns=["x-*"], composed_of=["ct"],
                                  template={"settings": {"number_of_shards": 1}})
    listed = es.indices.get_index_template(name="i*").body["index_templates"]
    assert listed[0]["name"] == "it"
    assert listed[0]["index_template"]["template"]["settings"] == {"index": {"number_of_shards": "1"}}
    assert es.indices.exists_index_template(name="it")
    with pytest.raises(BadRequestError) as info:
        es.cluster.delete_component_template(name="ct")
    assert error_of(info.value)["reason"] == ("component templates [ct] cannot be removed as they are still in "
                                              "use by index templates [it]")
    with pytest.raises(BadRequestError) as info:
        es.indices.put_index_template(name="bad", index_patterns=["y-*"], composed_of=["nope"])
    assert error_of(info.value)["type"] == "invalid_index_template_exception"
    with pytest.raises(BadRequestError) as info:
        es.perform_request("PUT", "/_index_template/bad2", headers={"content-type": "application/json"},
                           body={"index_patterns": ["z"], "priorty": 3})
    assert "[index_template] unknown field [priorty] did you mean [priority]?" in error_of(info.value)["reason"]
    es.indices.delete_index_template(name="it")
    es.cluster.delete_component_template(name="ct")
    with pytest.raises(NotFoundError):
        es.indices.get_index_template(name="it")


# ---- mappings ---------------------------------------------------------------------------------------------
def test_put_mapping_adds_fields_and_rejects_conflicts_atomically(es: Elasticsearch) -> None:
    es.indices.create(index="m1", mappings={"properties": {"n": {"type": "long"}}})
    es.indices.create(index="m2", mappings={"properties": {"n": {"type": "keyword"}}})
    es.indices.put_mapping(index="m1", properties={"extra": {"type": "keyword"}})
    assert es.indices.get_mapping(index="m1").body["m1"]["mappings"]["properties"]["extra"] == {"type": "keyword"}
    with pytest.raises(BadRequestError) as info:
        es.indices.put_mapping(index="m1,m2", properties={"n": {"type": "long"}, "new": {"type": "text"}})
    err = error_of(info.value)
    assert err["type"] == "illegal_argument_exception"
    assert err["reason"] == "mapper [n] cannot be changed from type [keyword] to [long]"
    # validated on every index first: m1 did not get `new` either
    assert "new" not in es.indices.get_mapping(index="m1").body["m1"]["mappings"]["properties"]
    fields = es.indices.get_field_mapping(index="m1", fields="ext*").body
    assert fields == {"m1": {"mappings": {"extra": {"full_name": "extra", "mapping": {"extra": {"type": "keyword"}}}}}}


# ---- settings -----------------------------------------------------------------------------------------------
def test_settings_get_update_and_static_rejection(es: Elasticsearch) -> None:
    es.indices.create(index="s1", settings={"number_of_replicas": 0})
    es.indices.put_settings(index="s1", settings={"index": {"refresh_interval": "5s", "number_of_replicas": 1}})
    flat = es.indices.get_settings(index="s1", flat_settings=True).body["s1"]["settings"]
    assert flat["index.refresh_interval"] == "5s"
    assert flat["index.number_of_replicas"] == "1"
    named = es.indices.get_settings(index="s1", name="index.refresh_*").body
    assert named == {"s1": {"settings": {"index": {"refresh_interval": "5s"}}}}
    defaults = es.indices.get_settings(index="s1", include_defaults=True).body["s1"]["defaults"]
    assert defaults["index"]["max_result_window"] == "10000"
    with pytest.raises(BadRequestError) as info:
        es.indices.put_settings(index="s1", settings={"index.codec": "best_compression"})
    assert error_of(info.value)["reason"].startswith("Can't update non dynamic settings [[index.codec]] for open "
                                                     "indices [[s1/")
    es.indices.close(index="s1")
    es.indices.put_settings(index="s1", settings={"index.codec": "best_compression"})
    es.indices.open(index="s1")
    assert es.indices.get_settings(index="s1").body["s1"]["settings"]["index"]["codec"] == "best_compression"


def test_refresh_flush_forcemerge_and_stats(es: Elasticsearch) -> None:
    es.indices.create(index="st", settings={"number_of_replicas": 0})
    es.index(index="st", id="1", document={"a": 1})
    es.index(index="st", id="2", document={"a": 2})
    es.delete(index="st", id="2")
    assert es.indices.refresh(index="st").body == {"_shards": {"total": 1, "successful": 1, "failed": 0}}
    es.indices.create(index="st2")
    assert es.indices.refresh(index="st2").body["_shards"] == {"total": 2, "successful": 1, "failed": 0}
    assert es.indices.flush(index="st").body["_shards"]["failed"] == 0
    assert "_shards" in es.indices.forcemerge(index="st").body
    stats = es.indices.stats(index="st").body
    primaries = stats["indices"]["st"]["primaries"]
    assert primaries["docs"]["count"] == 1
    assert primaries["indexing"]["index_total"] == 2
    assert primaries["store"]["size_in_bytes"] > 0
    assert stats["_all"]["total"]["docs"]["count"] == 1
    only = es.indices.stats(index="st", metric="docs").body["indices"]["st"]["primaries"]
    assert list(only) == ["docs"]


# ---- aliases -------------------------------------------------------------------------------------------------
def test_atomic_alias_swap(es: Elasticsearch) -> None:
    es.indices.create(index="v1", aliases={"current": {}})
    es.indices.create(index="v2")
    es.indices.update_aliases(actions=[{"remove": {"index": "v1", "alias": "current"}},
                                       {"add": {"index": "v2", "alias": "current"}}])
    assert es.indices.get_alias(name="current").body == {"v2": {"aliases": {"current": {}}}}
    # a failing action applies nothing
    with pytest.raises(ApiError):
        es.indices.update_aliases(actions=[{"add": {"index": "v1", "alias": "other"}},
                                           {"remove": {"index": "v2", "alias": "current", "must_exist": True}},
                                           {"add": {"index": "missing-index", "alias": "x"}}])
    assert es.indices.get_alias(index="v1").body == {"v1": {"aliases": {}}}
    with pytest.raises(NotFoundError) as info:
        es.indices.update_aliases(actions=[{"remove": {"index": "v1", "alias": "current", "must_exist": True}},
                                           {"add": {"index": "v1", "alias": "other"}}])
    assert info.value.body["error"]["reason"] == "required alias [current] does not exist"
    assert not es.indices.exists_alias(name="other")


def test_alias_lookup_and_missing_alias_body(es: Elasticsearch) -> None:
    es.indices.create(index="a1")
    es.indices.put_alias(index="a1", name="first", filter={"term": {"k": "v"}}, routing="r")
    assert es.indices.exists_alias(name="first")
    assert not es.indices.exists_alias(name="second")
    got = es.indices.get_alias(index="a1", name="first").body
    assert got == {"a1": {"aliases": {"first": {"filter": {"term": {"k": "v"}}, "index_routing": "r",
                                                "search_routing": "r"}}}}
    resp = es.options(ignore_status=404).indices.get_alias(name="first,second")
    assert resp.meta.status == 404
    assert resp.body["error"] == "alias [second] missing"
    assert resp.body["status"] == 404
    assert "first" in resp.body["a1"]["aliases"]
    cat = es.cat.aliases(format="json").body
    assert cat == [{"alias": "first", "index": "a1", "filter": "*", "routing.index": "r", "routing.search": "r",
                    "is_write_index": "-"}]
    es.indices.delete_alias(index="a1", name="first")
    with pytest.raises(NotFoundError) as info:
        es.indices.delete_alias(index="a1", name="first")
    assert error_of(info.value)["type"] == "aliases_not_found_exception"


def test_write_through_alias_with_write_index(es: Elasticsearch) -> None:
    es.indices.create(index="w1", aliases={"writer": {"is_write_index": False}})
    es.indices.create(index="w2", aliases={"writer": {"is_write_index": True}})
    result = es.index(index="writer", id="1", document={"x": 1})
    assert result["_index"] == "w2"
    with pytest.raises(ApiError) as info:
        es.indices.put_alias(index="w1", name="writer", is_write_index=True)
    assert "has more than one write index" in error_of(info.value)["reason"]
    es.indices.update_aliases(actions=[{"add": {"index": "w1", "alias": "writer", "is_write_index": True}},
                                       {"add": {"index": "w2", "alias": "writer", "is_write_index": False}}])
    assert es.index(index="writer", id="2", document={"x": 2})["_index"] == "w1"
    es.indices.create(index="w3", aliases={"both": {}})
    es.indices.put_alias(index="w1", name="both")
    with pytest.raises(BadRequestError) as info:
        es.index(index="both", id="3", document={"x": 3})
    assert error_of(info.value)["reason"].startswith("no write index is defined for alias [both]")


def test_alias_name_validation(es: Elasticsearch) -> None:
    es.indices.create(index="idx")
    es.indices.create(index="other")
    with pytest.raises(BadRequestError) as info:
        es.indices.put_alias(index="idx", name="other")
    assert error_of(info.value)["type"] == "invalid_alias_name_exception"
    with pytest.raises(BadRequestError) as info:
        es.indices.put_alias(index="idx", name="bad*name")
    assert error_of(info.value)["type"] == "invalid_alias_name_exception"


# ---- blocks, analyze, resolve, rollover --------------------------------------------------------------------
def test_write_block(es: Elasticsearch) -> None:
    es.indices.create(index="blk")
    es.indices.add_block(index="blk", block="write")
    with pytest.raises(ApiError) as info:
        es.index(index="blk", id="1", document={"a": 1})
    assert info.value.meta.status == 403
    assert error_of(info.value)["type"] == "cluster_block_exception"
    es.indices.put_settings(index="blk", settings={"index.blocks.write": None})
    es.index(index="blk", id="1", document={"a": 1})


def test_analyze_with_field_and_index_analyzer(es: Elasticsearch) -> None:
    es.indices.create(index="an", settings={"analysis": {"analyzer": {"lower_kw": {
        "type": "custom", "tokenizer": "keyword", "filter": ["lowercase"]}}}},
        mappings={"properties": {"code": {"type": "text", "analyzer": "lower_kw"}, "tag": {"type": "keyword"}}})
    tokens = es.indices.analyze(index="an", field="code", text="AB Cd").body["tokens"]
    assert [t["token"] for t in tokens] == ["ab cd"]
    tokens = es.indices.analyze(index="an", analyzer="lower_kw", text="X Y").body["tokens"]
    assert [t["token"] for t in tokens] == ["x y"]
    tokens = es.indices.analyze(index="an", field="tag", text="Keep Me").body["tokens"]
    assert [t["token"] for t in tokens] == ["Keep Me"]
    tokens = es.indices.analyze(analyzer="standard", text="Hello World").body["tokens"]
    assert [t["token"] for t in tokens] == ["hello", "world"]


def test_resolve_index_and_rollover(es: Elasticsearch) -> None:
    es.indices.create(index="roll-000001", aliases={"roll": {"is_write_index": True}})
    es.index(index="roll", id="1", document={"a": 1}, refresh=True)
    resolved = es.indices.resolve_index(name="roll*").body
    assert resolved["indices"] == [{"name": "roll-000001", "aliases": ["roll"], "attributes": ["open"]}]
    assert resolved["aliases"] == [{"name": "roll", "indices": ["roll-000001"]}]
    result = es.indices.rollover(alias="roll", conditions={"max_docs": 1}).body
    assert result["rolled_over"] is True
    assert result["new_index"] == "roll-000002"
    assert result["conditions"] == {"[max_docs: 1]": True}
    assert es.index(index="roll", id="2", document={"a": 2})["_index"] == "roll-000002"


# ---- durability -------------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Legacy index templates are deprecated")
def test_metadata_survives_restart(tmp_path: Path) -> None:
    srv = start_server(tmp_path)
    try:
        es = Elasticsearch(srv.url)
        es.cluster.put_component_template(name="ct", template={"mappings": {"properties": {"c": {"type": "long"}}}})
        es.indices.put_index_template(name="t", index_patterns=["dur-*"], composed_of=["ct"])
        es.indices.put_template(name="legacy", index_patterns=["old-*"], settings={"number_of_shards": 1})
        es.indices.create(index="dur-1", mappings={"properties": {"f": {"type": "keyword"}}},
                          aliases={"dur": {"is_write_index": True}})
        es.indices.put_mapping(index="dur-1", properties={"g": {"type": "text"}})
        es.indices.put_settings(index="dur-1", settings={"index.max_result_window": 50})
        es.index(index="dur", id="1", document={"f": "x"})
        es.indices.create(index="closed-one")
        es.indices.close(index="closed-one")
    finally:
        srv.stop()
    srv = start_server(tmp_path)
    try:
        es = Elasticsearch(srv.url)
        got = es.indices.get(index="dur-1").body["dur-1"]
        assert set(got["mappings"]["properties"]) == {"c", "f", "g"}
        assert got["aliases"] == {"dur": {"is_write_index": True}}
        assert got["settings"]["index"]["max_result_window"] == "50"
        assert es.get(index="dur", id="1")["_source"] == {"f": "x"}
        assert es.indices.get_index_template(name="t").body["index_templates"][0]["index_template"][
            "composed_of"] == ["ct"]
        assert es.indices.get_template(name="legacy").body["legacy"]["index_patterns"] == ["old-*"]
        assert es.indices.get_settings(index="closed-one", flat_settings=True).body[
            "closed-one"]["settings"]["index.verified_before_close"] == "true"
        with pytest.raises(BadRequestError) as info:
            es.search(index="closed-one")
        assert error_of(info.value)["type"] == "index_closed_exception"
    finally:
        srv.stop()
