"""Unit tests of the conformance runner's pure parts (no engine needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conformance.api import ApiResult, ParamError, RouteTable, normalize_body
from tests.conformance.matching import (
    AssertionFailure,
    Stash,
    check_close_to,
    check_compare,
    check_contains,
    check_length,
    check_match,
    is_truthy,
    lookup,
    regex_matches,
    split_path,
    values_equal,
)
from tests.conformance.runner import (
    Executor,
    Result,
    format_report,
    patterns_for_ids,
    read_expected,
    regressions,
    summarize,
    write_expected,
)
from tests.conformance.skips import (
    Environment,
    file_requires_reason,
    requires_reason,
    skip_reason,
    version_in_ranges,
)
from tests.conformance.suite import case_id, folder_key, load_documents, matches_selection, parse_file

CORE = "elasticsearch/rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test"

SAMPLE_FILE = """
setup:
  - do:
      indices.create:
        index: widgets
---
teardown:
  - do:
      indices.delete:
        index: widgets
---
"first check":
  - do:
      count:
        index: widgets
  - match: { count: 0 }
---
second check:
  - skip:
      version: " - 7.99.99"
      reason: old
  - is_true: acknowledged
"""


def env(**kwargs: Any) -> Environment:
    """An environment with no declared cluster features."""
    return Environment(cluster_features=frozenset(), **kwargs)


# --- suite parsing ---------------------------------------------------------------------------


def test_parse_file_attaches_setup_and_teardown(tmp_path: Path) -> None:
    path = tmp_path / "10_widgets.yml"
    path.write_text(SAMPLE_FILE)
    cases = parse_file(path, f"{CORE}/widgets/10_widgets.yml", "abc123")
    assert [c.name for c in cases] == ["first check", "second check"]
    first = cases[0]
    assert first.id == "elasticsearch/core/widgets/10_widgets.yml::first check"
    assert first.folder == "core/widgets"
    assert first.setup[0]["do"]["indices.create"] == {"index": "widgets"}
    assert first.teardown and first.commit == "abc123"


def test_clients_file_keeps_top_level_requires(tmp_path: Path) -> None:
    path = tmp_path / "basic.yml"
    path.write_text("---\nrequires:\n  serverless: true\n  stack: false\n---\n'only one':\n  - is_true: x\n")
    (case,) = parse_file(path, "clients-tests/tests/gadgets/basic.yml")
    assert case.id == "clients/gadgets/basic.yml::only one"
    assert file_requires_reason(case.file_requires) == "serverless-only test"


def test_folder_keys() -> None:
    assert folder_key(f"{CORE}/search.vectors/x.yml") == "core/search.vectors"
    assert (
        folder_key("elasticsearch/modules/ingest-common/src/yamlRestTest/resources/t/ingest/a.yml")
        == "ingest"
    )
    assert folder_key("elasticsearch/x-pack/plugin/enrich/qa/rest/t/enrich/a.yml") == "enrich"
    assert folder_key("clients-tests/tests/cat/indices.yml") == "clients/cat"
    assert folder_key("clients-tests/tests/ping.yml") == "clients"
    assert case_id("clients-tests/tests/ping.yml", " name ") == "clients/ping.yml::name"


def test_yaml_keeps_dates_and_times_as_strings() -> None:
    (doc,) = load_documents("a: 2021-01-02\nb: 2021-01-02T03:04:05Z\nc: 12:30\nd: 42\ne: 1.5\nf: true\n")
    assert doc == {"a": "2021-01-02", "b": "2021-01-02T03:04:05Z", "c": "12:30", "d": 42, "e": 1.5, "f": True}


def test_selection_matching() -> None:
    assert matches_selection("core/indices.create", "10_basic.yml", ["core/indices.*"])
    assert matches_selection("clients", "msearch.yml", ["clients/msearch.yml"])
    assert not matches_selection("clients", "msearch.yml", ["clients/ms"])
    assert not matches_selection("core/search", "a.yml", ["core/search.vectors"])
    assert patterns_for_ids(["elasticsearch/core/get/10_basic.yml::x", "clients/get.yml::y"]) == [
        "clients/get.yml",
        "core/get/10_basic.yml",
    ]


# --- paths and the stash ---------------------------------------------------------------------


def test_split_path_with_escapes_and_body() -> None:
    assert split_path("a.b\\.c.0") == ["a", "b.c", "0"]
    assert split_path("") == []
    assert split_path("$body") == []
    assert split_path("$body.a") == ["a"]


def test_lookup_objects_arrays_and_missing() -> None:
    body = {"hits": {"hits": [{"_id": "1"}, {"_id": "2"}]}, "a.b": 3, "m": {"k1": {"v": 9}}}
    assert lookup(body, "hits.hits.1._id") == "2"
    assert lookup(body, "a\\.b") == 3
    assert lookup(body, "hits.hits.5") is None
    assert lookup(body, "nope.deeper") is None
    assert lookup(body, "m._arbitrary_key_.v") == 9
    assert lookup([{"index": "x"}], "0.index") == "x"
    assert lookup(True, "") is True


def test_stash_substitution_everywhere() -> None:
    stash = Stash()
    stash.set("id", "abc")
    stash.set("n", 3)
    stash.set("obj", {"inner": [1, 2]})
    value = {"$id": "$n", "list": ["${id}-x", "$obj.inner"], "text": "no stash", "keep": "$unknown"}
    assert stash.substitute(value) == {
        "abc": 3,
        "list": ["abc-x", [1, 2]],
        "text": "no stash",
        "keep": "$unknown",
    }
    assert lookup({"abc": {"v": 1}}, "$id.v", stash) == 1


def test_stash_body_falls_back_to_last_response() -> None:
    stash = Stash()
    stash.last_body = {"took": 5}
    assert stash.substitute("$body.took") == 5


# --- comparisons -------------------------------------------------------------------------------


def test_regex_uses_java_comments_mode() -> None:
    assert regex_matches("/^ green \\s+ open \\s+ idx  # a comment\n/", "green   open   idx  1")
    assert regex_matches("/[a b]+/", "ab")
    assert not regex_matches("/^x$/", "yx")
    assert regex_matches("/^1$/", 1)
    assert regex_matches("/true/", True)
    assert regex_matches("/^$/\n", "")
    assert not regex_matches("/a b/", "a b")
    assert regex_matches("/a b/", "xa by", comments=False)
    with pytest.raises(AssertionFailure):
        regex_matches("/(unclosed/", "x")


def test_values_equal_int_float_but_not_bool() -> None:
    assert values_equal(1, 1.0)
    assert values_equal({"a": [1, {"b": 2.0}]}, {"a": [1.0, {"b": 2}]})
    assert not values_equal(1, True)
    assert not values_equal("1", 1)
    assert not values_equal({"a": 1}, {"a": 1, "b": 2})


def test_match_and_length() -> None:
    check_match("a", "/^ab+$/", "abbb")
    check_match("a", None, None)
    with pytest.raises(AssertionFailure, match="expected 2, got 1"):
        check_match("a", 2, 1)
    check_length("a", 2, {"x": 1, "y": 2})
    with pytest.raises(AssertionFailure):
        check_length("a", 1, None)


def test_truthiness_follows_java_runner() -> None:
    assert not any(is_truthy(v) for v in (None, False, "", "false", "FALSE", 0))
    assert all(is_truthy(v) for v in (True, 1, "x", [], {}, 0.0))


def test_numeric_and_string_comparisons() -> None:
    check_compare("gt", "a", 1, 2.5)
    check_compare("lte", "a", "3", 3)
    check_compare("gte", "a", "2020-01-01", "2021-01-01")
    with pytest.raises(AssertionFailure):
        check_compare("lt", "a", 1, 2)
    with pytest.raises(AssertionFailure):
        check_compare("gt", "a", 1, None)
    check_close_to("a", {"value": 1.0, "error": 0.01}, 1.005)
    with pytest.raises(AssertionFailure):
        check_close_to("a", {"value": 1.0, "error": 0.001}, 1.005)


def test_contains() -> None:
    check_contains("a", {"k": 1}, [{"k": 1, "other": 2}, {"k": 3}])
    check_contains("a", "b", ["a", "b"])
    check_contains("a", "ell", "hello")
    with pytest.raises(AssertionFailure):
        check_contains("a", 4, [1, 2])


# --- skip logic ----------------------------------------------------------------------------------


def test_version_ranges() -> None:
    v = (8, 17, 0)
    assert version_in_ranges(" - 8.17.99", v)
    assert not version_in_ranges(" - 7.99.99", v)
    assert version_in_ranges("8.0.0 - ", v)
    assert version_in_ranges("all", v)
    assert version_in_ranges(" - 7.1.99, 8.10.0 - 8.20.0", v)


def test_skip_sections() -> None:
    e = env()
    assert skip_reason({"version": " - 7.99.99", "reason": "old"}, e) is None
    assert "version" in (skip_reason({"version": " - 8.99.99", "reason": "old"}, e) or "")
    assert skip_reason({"features": ["headers", "contains"]}, e) is None
    assert "not_a_feature" in (skip_reason({"features": "not_a_feature"}, e) or "")
    assert skip_reason({"cluster_features": ["gte_v9.1.0"]}, e) is None
    assert skip_reason({"cluster_features": ["gte_v8.1.0"]}, e)
    assert skip_reason({"awaits_fix": "some issue"}, e)


def test_requires_sections() -> None:
    e = env(capabilities=lambda checks: checks[0]["capabilities"] == ["known"])
    assert requires_reason({"cluster_features": ["gte_v8.4.0"]}, e) is None
    assert requires_reason({"cluster_features": ["gte_v8.18.0"]}, e)
    assert requires_reason({"cluster_features": ["mapper.some_feature"]}, e)
    assert (
        requires_reason(
            {"cluster_features": "mapper.x"}, Environment(cluster_features=frozenset({"mapper.x"}))
        )
        is None
    )
    assert (
        requires_reason(
            {"test_runner_features": ["capabilities"], "capabilities": [{"capabilities": ["known"]}]}, e
        )
        is None
    )
    assert requires_reason({"capabilities": [{"method": "GET", "path": "/", "capabilities": ["other"]}]}, e)


# --- API routing -----------------------------------------------------------------------------------

TINY_SPEC = {
    "paths": {
        "/{index}/_thing/{id}": {"put": {"operationId": "thing-put"}, "post": {"operationId": "thing-put-1"}},
        "/{index}/_thing": {"post": {"operationId": "thing-put-2"}},
        "/_things": {"get": {"operationId": "things-list"}},
    }
}


def test_route_table_picks_most_specific_template() -> None:
    routes = RouteTable.from_openapi(TINY_SPEC)
    assert routes.resolve("thing.put", {"index": "a b", "id": 1, "refresh": True}, True) == (
        "POST",
        "/a%20b/_thing/1",
        {"refresh": True},
    )
    assert routes.resolve("thing_put", {"index": ["x", "y"]}, True) == ("POST", "/x,y/_thing", {})
    assert routes.resolve("things.list", {"size": 3}, False) == ("GET", "/_things", {"size": 3})
    with pytest.raises(KeyError):
        routes.resolve("nothing.here", {}, False)


def test_normalize_body() -> None:
    assert normalize_body("bulk", '{"index":{}}\n{"a":1}') == '{"index":{}}\n{"a":1}\n'
    assert normalize_body("search", '{"size": 1}') == {"size": 1}
    assert normalize_body("search", "not json") == "not json"


# --- the executor, against a fake backend ----------------------------------------------------------


class FakeBackend:
    """Answers calls from a table of canned results and records them."""

    def __init__(self, answers: dict[str, ApiResult]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.wipes = 0

    def call(
        self, api: str, args: dict[str, Any], headers: Any = None, catch_param: bool = False
    ) -> ApiResult:
        self.calls.append((api, args))
        if api not in self.answers:
            raise ParamError(f"unknown API {api!r}")
        return self.answers[api]

    def wipe(self) -> None:
        self.wipes += 1


def run_yaml(text: str, answers: dict[str, ApiResult], tmp_path: Path) -> tuple[list[Result], FakeBackend]:
    path = tmp_path / "t.yml"
    path.write_text(text)
    backend = FakeBackend(answers)
    executor = Executor(backend, env())
    return [executor.run_case(c) for c in parse_file(path, f"{CORE}/demo/t.yml")], backend


def test_executor_pass_and_fail(tmp_path: Path) -> None:
    results, backend = run_yaml(
        SAMPLE_FILE,
        {
            "indices.create": ApiResult(200, {"acknowledged": True}),
            "indices.delete": ApiResult(200, {"acknowledged": True}),
            "count": ApiResult(200, {"count": 1}),
        },
        tmp_path,
    )
    assert [r.outcome for r in results] == ["fail", "pass"]
    assert results[0].reason == "test step 2: match count: expected 0, got 1"
    assert backend.wipes == 2


def test_executor_stash_catch_and_error_body(tmp_path: Path) -> None:
    text = """
"flow":
  - do:
      index: { index: i, id: "1", body: { a: 1 } }
  - set: { _id: doc_id }
  - do:
      catch: missing
      get: { index: i, id: "$doc_id" }
  - match: { error.type: not_found, _type: _doc }
  - is_true: _type
  - do:
      catch: /not_found/
      get: { index: i, id: "x" }
  - do:
      catch: param
      unknown.api: {}
"""
    answers = {
        "index": ApiResult(201, {"_id": "1"}),
        "get": ApiResult(
            404, {"error": {"type": "not_found", "reason": "gone"}}, '{"error":{"type":"not_found"}}'
        ),
    }
    results, backend = run_yaml(text, answers, tmp_path)
    assert results[0].outcome == "pass", results[0].reason
    assert not ApiResult(404, {}, ignored=True).is_error
    assert not ApiResult(404, False).is_error
    assert backend.calls[1] == ("get", {"index": "i", "id": "1"})


def test_executor_reports_unexpected_errors(tmp_path: Path) -> None:
    text = "'t':\n  - do:\n      get: { index: i, id: '1' }\n"
    answers = {
        "get": ApiResult(404, {"error": {"type": "index_not_found_exception", "reason": "no such index"}})
    }
    (result,), _ = run_yaml(text, answers, tmp_path)
    assert result.reason == "test step 1: get returned 404: 'index_not_found_exception: no such index'"


def test_executor_skips_without_calling(tmp_path: Path) -> None:
    text = """
setup:
  - requires:
      cluster_features: ["some.unknown_feature"]
      reason: needs it
  - do:
      indices.create: { index: i }
---
"t":
  - is_true: acknowledged
"""
    (result,), backend = run_yaml(text, {}, tmp_path)
    assert result.outcome == "skip"
    assert "some.unknown_feature" in result.reason
    assert backend.calls == [] and backend.wipes == 0


def test_report_lines() -> None:
    results = [
        Result("a::1", "core/a", "pass"),
        Result("a::2", "core/a", "fail", "boom"),
        Result("b::1", "core/b", "skip", "old"),
    ]
    assert summarize(results) == "1 passed, 1 failed, 1 skipped"
    assert format_report(results, verbose=True) == [
        "FAIL a::2: boom",
        "core/a: 1 passed, 1 failed, 0 skipped",
        "core/b: 0 passed, 0 failed, 1 skipped",
        "1 passed, 1 failed, 1 skipped",
    ]
    assert regressions(["a::1", "a::2", "c::1"], results) == [
        "a::2: fail: boom",
        "c::1: not found in the suite",
    ]


def test_write_expected_merges_with_ids_not_run(tmp_path: Path) -> None:
    path = tmp_path / "expected.txt"
    path.write_text("# header\nold::kept\nrun::now_failing\n")
    ids = write_expected([Result("run::now_failing", "f", "fail"), Result("run::passing", "f", "pass")], path)
    assert ids == ["old::kept", "run::passing"]
    assert read_expected(path) == ids
    assert path.read_text().startswith("#")
