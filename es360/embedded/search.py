"""Search execution: query each target index, sort, paginate, fetch hits, aggregate.

Each index is searched like a shard (query phase: matching docs, sort keys, top N), then the
per-index results are merged (reduce phase) and the final page fetched. Around that core:
kNN (`vectors`), retrievers (`retrievers`), rescoring, field collapsing, highlighting
(`highlight`), the fields API (`fetch`), inner hits, named queries, scroll and point in time
(`contexts`).
"""

from __future__ import annotations

import bisect
import copy
import functools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from . import vectors
from .contexts import IndexView
from .engine import Engine, Target
from .errors import EsError, action_request_validation, illegal_argument, parsing_exception, x_content_parse
from .explain import explain_clause
from .fetch import (
    check_docvalue_limit,
    docvalue_values,
    fields_api,
    metadata_fields,
    objects_at,
    parse_field_requests,
    stored_field_values,
)
from .query import INT, DocSet, QueryContext, constant, empty, execute, intersect, union
from .runtime import RuntimeIndex, parse_section, with_runtime_fields
from .security import access as security
from .source_filter import filter_source, parse_source_param

BODY_KEYS = {
    "query", "from", "size", "sort", "_source", "track_total_hits", "search_after", "pit", "aggs",
    "aggregations", "highlight", "knn", "retriever", "rank", "min_score", "post_filter", "docvalue_fields",
    "fields", "stored_fields", "explain", "version", "seq_no_primary_term", "timeout", "terminate_after",
    "collapse", "rescore", "suggest", "script_fields", "indices_boost", "profile", "track_scores",
    "runtime_mappings", "ext", "stats", "slice", "sub_searches",
}
OBJECT_KEYS = {"query", "aggs", "aggregations", "highlight", "post_filter", "collapse", "suggest", "script_fields",
               "pit", "retriever", "rank", "runtime_mappings", "ext", "slice"}
DEFAULT_TRACK = 10_000
DEFAULT_MAX_RESULT_WINDOW = 10_000
DEFAULT_MAX_RESCORE_WINDOW = 10_000
DEFAULT_INNER_SIZE = 3
SHARD_DOC = "_shard_doc"


@dataclass
class SortField:
    field: str
    order: str = "asc"
    missing: Any = "_last"
    mode: str | None = None
    unmapped_type: str | None = None
    format: str | None = None
    numeric_type: str | None = None

    @property
    def is_score(self) -> bool:
        return self.field == "_score"

    @property
    def is_doc(self) -> bool:
        return self.field == "_doc"

    @property
    def is_shard_doc(self) -> bool:
        return self.field == SHARD_DOC


@dataclass
class ShardResult:
    """One index's query-phase output."""

    target: Target
    ctx: QueryContext
    docset: DocSet
    total: int
    top_docs: np.ndarray
    top_scores: np.ndarray
    top_sort: list[list[Any]] = field(default_factory=list)
    agg_docset: DocSet | None = None
    shard_index: int = 0
    terminated_early: bool = False
    knn_parts: list[DocSet] = field(default_factory=list)


def parse_sort(spec: Any) -> list[SortField]:
    """Normalize every sort syntax ES accepts into SortFields."""
    if spec is None:
        return []
    items = spec if isinstance(spec, list) else [spec]
    out: list[SortField] = []
    for item in items:
        if isinstance(item, str):
            name, _, order = item.partition(":")
            out.append(SortField(name, order or ("desc" if name == "_score" else "asc")))
            continue
        if not isinstance(item, dict) or not item:
            raise parsing_exception("[sort] malformed sort element")
        for name, options in item.items():
            if name in ("_geo_distance", "_script"):
                raise parsing_exception(f"[sort] sorting by [{name}] is not supported")
            if isinstance(options, str):
                options = {"order": options}
            if not isinstance(options, dict):
                raise parsing_exception(f"[{name}] sort option must be an object or a string")
            allowed = {"order", "missing", "mode", "unmapped_type", "format", "numeric_type", "nested"}
            for key in options:
                if key not in allowed:
                    raise parsing_exception(f"[field_sort] unknown field [{key}]")
            order = options.get("order", "desc" if name == "_score" else "asc")
            if order not in ("asc", "desc"):
                raise illegal_argument(f"Unknown SortOrder [{order}]")
            mode = options.get("mode")
            if mode is not None and mode not in ("min", "max", "sum", "avg", "median"):
                raise illegal_argument(f"Unknown SortMode [{mode}]")
            out.append(SortField(name, order, options.get("missing", "_last"), mode, options.get("unmapped_type"),
                                 options.get("format"), options.get("numeric_type")))
    return out


def _track_limit(value: Any) -> int | None:
    """None = exact count; 0 = don't track; N = count up to N."""
    if value is None:
        return DEFAULT_TRACK
    if value is True or value == "true":
        return None
    if value is False or value == "false":
        return 0
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise illegal_argument(f"Failed to parse value [{value}] for [track_total_hits]") from None
    if limit < -1:
        raise illegal_argument(f"[track_total_hits] parameter must be positive or equals to -1, got {limit}")
    return None if limit == -1 else limit


def _flag(params: dict[str, Any], body: dict[str, Any], key: str) -> bool:
    if key in body:
        value = body[key]
        return value is True or value == "true"
    return params.get(key) in ("true", "")


class Searcher:
    """One search request against resolved targets."""

    def __init__(self, engine: Engine, targets: list[Target], body: dict[str, Any], params: dict[str, Any],
                 snapshot: dict[str, Any] | None = None, *, pit: Any = None, scroll: bool = False,
                 views: list[tuple[Any, dict[str, Any] | None]] | None = None) -> None:
        self.engine = engine
        self.body = body
        self.params = params
        self.snapshot = snapshot or {}
        self.pit = pit
        self.scroll = scroll
        self.now = int(time.time() * 1000)
        if pit is not None:
            views = pit.views
        if views is not None:
            targets = [Target(view, alias_filter) for view, alias_filter in views]
        self.views = views
        self.targets = targets
        self.shard_numbers = {t.index.uuid: i for i, t in enumerate(targets)}
        self._validate_keys()
        self.agg_specs = self._parse_aggs()
        self.size = _int(body.get("size", params.get("size", 10)), "size")
        self.from_ = _int(body.get("from", params.get("from", 0)), "from")
        if self.size < 0:
            raise illegal_argument(f"[size] parameter cannot be negative, found [{self.size}]")
        if self.from_ < 0:
            raise illegal_argument(f"[from] parameter cannot be negative, found [{self.from_}]")
        sort_spec = body.get("sort")
        if sort_spec is None and params.get("sort"):
            sort_spec = params["sort"].split(",")
        self.sort = parse_sort(sort_spec)
        if any(s.is_shard_doc for s in self.sort) and pit is None:
            raise illegal_argument("[_shard_doc] sort field cannot be used without [point in time]")
        if pit is not None and not any(s.is_shard_doc for s in self.sort):
            if not self.sort:
                self.sort = [SortField("_score", "desc")]
            self.sort.append(SortField(SHARD_DOC, "asc"))
        self.track = _track_limit(body.get("track_total_hits", params.get("track_total_hits")))
        self.rest_int = params.get("rest_total_hits_as_int") in ("true", "")
        if self.rest_int and self.track not in (None, 0) and "track_total_hits" in {**params, **body}:
            raise illegal_argument(f"[rest_total_hits_as_int] cannot be used if the tracking of total hits is not "
                                   f"accurate, got {self.track}")
        if self.rest_int and self.track == DEFAULT_TRACK:
            self.track = None
        self.search_after = body.get("search_after")
        if self.search_after is not None:
            if not isinstance(self.search_after, list):
                raise parsing_exception("[search_after] must be an array")
            if self.from_ > 0:
                raise illegal_argument("[from] parameter must be set to 0 when [search_after] is used")
            if scroll:
                raise action_request_validation(["[search_after] cannot be used in a scroll context"])
        self.min_score = body.get("min_score")
        self.track_scores = _flag(params, body, "track_scores")
        self.query = body.get("query")
        if self.query is None and params.get("q"):
            self.query = {"query_string": {"query": params["q"], **_q_options(params)}}
        if "query" in body and not isinstance(body["query"], dict):
            raise parsing_exception("[query] query malformed, must start with start_object")
        # kNN section
        self.knn_specs: list[vectors.KnnSpec] = []
        if body.get("knn") is not None:
            if params.get("search_type"):
                raise illegal_argument("cannot set [search_type] when using [knn] search, since the search type is "
                                       "determined automatically")
            self.knn_specs = vectors.parse_section(body["knn"], self.size if "size" in body or "size" in params
                                                   else 10)
        # retrievers and legacy rank
        self.retriever = None
        if body.get("retriever") is not None or body.get("rank") is not None:
            from . import retrievers

            self.retriever = retrievers.parse_request(self, body)
        self.post_filter = body.get("post_filter")
        self.terminate_after = _int(body.get("terminate_after", params.get("terminate_after", 0)) or 0,
                                    "terminate_after")
        self.explain = _flag(params, body, "explain")
        self.version = _flag(params, body, "version")
        self.seq_no = _flag(params, body, "seq_no_primary_term")
        self.profile = bool(body.get("profile"))
        self._parse_fetch_options()
        self._parse_collapse()
        self._parse_rescore()
        self.indices_boost = self._parse_indices_boost(body.get("indices_boost"))
        self.slice = self._parse_slice(body.get("slice"))
        self._add_runtime_fields(body.get("runtime_mappings"))
        self.highlight = None
        if body.get("highlight") is not None:
            from .highlight import HighlightRequest

            self.highlight = HighlightRequest(body["highlight"])
        self._shard_cache: dict[tuple[str, str], Any] = {}

    # ---- request parsing --------------------------------------------------------------------------
    def _add_runtime_fields(self, spec: Any) -> None:
        """Search through runtime-field views of the targets (the mapping's `runtime` section and the
        request's `runtime_mappings`); a bad definition fails like a shard failure, as in ES."""
        requested = None
        if spec is not None:
            try:
                requested = parse_section(spec, in_mapping=False)
            except EsError as err:
                raise (wrap_shard_error(err, self.targets[0]) if self.targets else err) from None
        self.targets = [Target(with_runtime_fields(t.index, requested), t.alias_filter) for t in self.targets]

    def _parse_aggs(self) -> Any:
        """Parse `aggs` before any query runs: malformed aggregations fail unwrapped, as in ES."""
        agg_json = self.body.get("aggs", self.body.get("aggregations"))
        if agg_json is None:
            return None
        from .aggs import parse

        return parse(agg_json)

    def _validate_keys(self) -> None:
        for key, value in self.body.items():
            if key not in BODY_KEYS:
                token = "START_OBJECT" if isinstance(value, dict) else "START_ARRAY" if isinstance(value, list) \
                    else "VALUE_STRING" if isinstance(value, str) else "VALUE_NUMBER" if isinstance(
                        value, (int, float)) and not isinstance(value, bool) else "VALUE_BOOLEAN"
                raise parsing_exception(f"Unknown key for a {token} in [{key}].", line=1, col=1)
            if key in OBJECT_KEYS and value is not None and not isinstance(value, dict):
                raise parsing_exception(f"[{key}] must be an object" if key != "query" else
                                        "[query] query malformed, must start with start_object")

    def _parse_fetch_options(self) -> None:
        body, params = self.body, self.params
        url_filter = params.get("_source_includes") is not None or params.get("_source_excludes") is not None
        self.fetch_source, self.src_inc, self.src_exc = parse_source_param(
            params.get("_source") if url_filter else body.get("_source", params.get("_source")),
            params.get("_source_includes"), params.get("_source_excludes"))
        self.fields_req = parse_field_requests(body.get("fields"), "fields")
        dv = body.get("docvalue_fields")
        self.docvalue_req = parse_field_requests(dv, "docvalue_fields") if dv is not None else \
            parse_field_requests(params.get("docvalue_fields"), "param") if params.get("docvalue_fields") else []
        stored = body.get("stored_fields", params.get("stored_fields"))
        if isinstance(stored, str):
            stored = stored.split(",") if stored != "_none_" else "_none_"
        self.stored_fields = stored
        if stored == "_none_":
            if self.fetch_source and body.get("_source") not in (None, False):
                raise action_request_validation(["[stored_fields] cannot be disabled if [_source] is requested"])
            self.fetch_source = False
        elif isinstance(stored, list):
            if "_source" not in stored and body.get("_source") is None and params.get("_source") is None:
                self.fetch_source = False
        script_fields = body.get("script_fields")
        if script_fields:
            for t in self.targets:
                limit = int(t.index.setting("max_script_fields", 32))
                if len(script_fields) > limit:
                    raise illegal_argument(f"Trying to retrieve too many script_fields. Must be less than or equal "
                                           f"to: [{limit}] but was [{len(script_fields)}]. This limit can be set by "
                                           f"changing the [index.max_script_fields] index level setting.")
        if self.docvalue_req:
            for t in self.targets:
                check_docvalue_limit(t.index, len(self.docvalue_req))

    def _parse_collapse(self) -> None:
        spec = self.body.get("collapse")
        self.collapse: dict[str, Any] | None = None
        if spec is None:
            return
        for key in spec:
            if key not in ("field", "inner_hits", "max_concurrent_group_searches", "collapse"):
                raise x_content_parse(f"[collapse] unknown field [{key}]")
        if "field" not in spec:
            raise x_content_parse("[collapse] Required [field]")
        if self.scroll:
            raise illegal_argument("cannot use `collapse` in a scroll context")
        if self.body.get("rescore"):
            raise illegal_argument("cannot use `collapse` in conjunction with `rescore`")
        if self.search_after is not None:
            if len(self.sort) != 1 or self.sort[0].field != spec["field"]:
                raise illegal_argument("Cannot use [collapse] in conjunction with [search_after] unless the search "
                                       "is sorted on the same field. Multiple sort fields are not allowed.")
        inner = spec.get("inner_hits")
        inner_list = [] if inner is None else inner if isinstance(inner, list) else [inner]
        for item in inner_list:
            if not isinstance(item, dict):
                raise x_content_parse("[inner_hits] must be an object")
            sub = item.get("collapse")
            if isinstance(sub, dict) and ("inner_hits" in sub or "collapse" in sub):
                raise EsError(400, "x_content_parse_exception",
                              "[1:1] [collapse] failed to parse field [inner_hits]",
                              caused_by=EsError(400, "parse_exception",
                                                "inner_hits and nested collapse are not supported in an inner "
                                                "collapse"))
        self.collapse = {"field": spec["field"], "inner_hits": inner_list}

    def _parse_rescore(self) -> None:
        spec = self.body.get("rescore")
        self.rescore: list[dict[str, Any]] = []
        if spec is None:
            return
        items = spec if isinstance(spec, list) else [spec]
        for item in items:
            if not isinstance(item, dict):
                raise parsing_exception("[rescore] must be an object")
            for key in item:
                if key not in ("window_size", "query", "learning_to_rank"):
                    raise parsing_exception(f"rescore doesn't support [{key}]")
            if "query" not in item:
                raise parsing_exception("missing rescore type")
            q = item["query"]
            for key in q:
                if key not in ("rescore_query", "query_weight", "rescore_query_weight", "score_mode"):
                    raise parsing_exception(f"[query] unknown field [{key}]")
            if "rescore_query" not in q:
                raise parsing_exception("[query] rescore_query is required")
            mode = str(q.get("score_mode", "total")).lower()
            if mode not in ("total", "multiply", "avg", "max", "min"):
                raise illegal_argument(f"illegal score_mode [{mode}]")
            self.rescore.append({"window_size": int(item.get("window_size", 10)), "query": q["rescore_query"],
                                 "query_weight": float(q.get("query_weight", 1.0)),
                                 "rescore_query_weight": float(q.get("rescore_query_weight", 1.0)), "mode": mode})
        if self.rescore and self.sort and not (len(self.sort) == 1 and self.sort[0].is_score):
            raise action_request_validation(["Cannot use [sort] option in conjunction with [rescore]."])

    def _parse_indices_boost(self, spec: Any) -> dict[str, float]:
        if spec is None:
            return {}
        entries: list[tuple[str, float]] = []
        if isinstance(spec, dict):
            entries = [(k, float(v)) for k, v in spec.items()]
        elif isinstance(spec, list):
            for item in spec:
                if not isinstance(item, dict) or len(item) != 1:
                    raise parsing_exception("[indices_boost] expected an object with a single index name")
                k, v = next(iter(item.items()))
                entries.append((k, float(v)))
        else:
            raise parsing_exception("[indices_boost] must be an array or an object")
        boosts: dict[str, float] = {}
        ignore = self.params.get("ignore_unavailable") == "true"
        for name, boost in entries:
            try:
                resolved = self.engine.resolve(name, ignore_unavailable=ignore)
            except EsError:
                if ignore:
                    continue
                raise
            for t in resolved:
                boosts.setdefault(t.index.name, boost)
        return boosts

    def _parse_slice(self, spec: Any) -> dict[str, Any] | None:
        if spec is None:
            return None
        if not self.scroll and self.pit is None:
            raise action_request_validation(["[slice] can only be used with [scroll] or [point-in-time] requests"])
        try:
            sid, smax = int(spec["id"]), int(spec["max"])
        except (KeyError, TypeError, ValueError):
            raise parsing_exception("[slice] requires [id] and [max]") from None
        if smax <= 1:
            raise illegal_argument("max must be greater than 1")
        if sid < 0 or sid >= smax:
            raise illegal_argument("id must be lower than max" if sid >= 0 else "id must be greater than 0")
        for t in self.targets:
            limit = int(t.index.setting("max_slices_per_scroll", 1024))
            if smax > limit:
                raise illegal_argument(f"The number of slices [{smax}] is too large. It must be less than [{limit}]. "
                                       f"This limit can be set by changing the [index.max_slices_per_scroll] index "
                                       f"level setting.")
        return {"id": sid, "max": smax, "field": spec.get("field")}

    # ---- query phase ------------------------------------------------------------------------
    def context(self, target: Target) -> QueryContext:
        index = target.index
        if isinstance(_unwrapped(index), IndexView):
            scope = index.scope()
        else:
            snap = self.snapshot.get(index.uuid)
            if snap is not None:
                n = index.segment.max_doc
                scope = np.zeros(n, dtype=bool)
                both = np.asarray(snap["live"], dtype=bool) & np.asarray(snap["root"], dtype=bool)
                m = min(n, len(both))
                scope[:m] = both[:m]
            else:
                scope = index.segment.root_mask()
        return QueryContext(index, scope, self.now, runner=QueryHooks(self, target.alias_filter))

    def run_query(self, target: Target, knn_parts: list[DocSet] | None = None) -> tuple[QueryContext, DocSet]:
        ctx = self.context(target)
        query = self.query
        if knn_parts is not None and self.knn_specs:
            query_ds = execute(query, ctx) if query is not None else None
            docset = vectors.combine(query_ds, knn_parts)
        else:
            docset = execute(query, ctx) if query is not None else execute({"match_all": {}}, ctx)
        if target.alias_filter:
            docset = intersect(docset, execute(target.alias_filter, ctx), add_scores=False)
        if self.slice is not None:
            docset = self._apply_slice(ctx, docset)
        boost = self.indices_boost.get(target.index.name)
        if boost is not None and boost != 1.0:
            docset = DocSet(docset.docs, (docset.scores * np.float32(boost)).astype(np.float32))
        if self.min_score is not None:
            keep = docset.scores >= float(self.min_score)
            docset = DocSet(docset.docs[keep], docset.scores[keep])
        return ctx, docset

    def _apply_slice(self, ctx: QueryContext, docset: DocSet) -> DocSet:
        """ES's sliced scroll/PIT: whole (emulated) shards per slice when max <= shards, else hash split."""
        s = self.slice
        assert s is not None
        if not len(docset):
            return docset
        index = ctx.index
        num_shards = max(1, int(index.setting("number_of_shards", 1)))
        ids = ctx.seg.ids
        doc_list = docset.docs.tolist()
        shard_of = np.fromiter((es_shard_id(index, ids[d]) for d in doc_list), dtype=np.int64, count=len(doc_list))
        sid, smax = s["id"], s["max"]
        if smax >= num_shards:
            target_shard = sid % num_shards
            keep = shard_of == target_shard
            in_shard = smax // num_shards + (1 if smax % num_shards > target_shard else 0)
            if in_shard > 1:
                shard_slice = sid // num_shards
                keep &= self._slice_hash(ctx, docset.docs, s["field"]) % in_shard == shard_slice
        else:
            keep = shard_of % smax == sid
        return DocSet(docset.docs[keep], docset.scores[keep])

    @staticmethod
    def _slice_hash(ctx: QueryContext, docs: np.ndarray, field_name: str | None) -> np.ndarray:
        if field_name:
            col = ctx.seg.columns.get(field_name)
            out = np.zeros(len(docs), dtype=np.int64)
            if col is None:
                return out
            cdocs, cvalues = col.arrays()
            idx = np.searchsorted(cdocs, docs)
            has = (idx < len(cdocs)) & (cdocs[np.minimum(idx, len(cdocs) - 1)] == docs)
            out[has] = np.abs(cvalues[idx[has]].astype(np.int64))
            return out
        ids = ctx.seg.ids
        return np.fromiter((murmur3_32(str(ids[d]).encode(), 7919) & 0x7FFFFFFF for d in docs.tolist()),
                           dtype=np.int64, count=len(docs))

    def shard(self, target: Target, knn_parts: list[DocSet] | None = None,
              base: DocSet | None = None) -> ShardResult:
        if base is not None:
            ctx = self.context(target)
            docset = base
        else:
            ctx, docset = self.run_query(target, knn_parts)
        terminated = False
        if self.terminate_after and len(docset) > self.terminate_after:
            docset = DocSet(docset.docs[: self.terminate_after], docset.scores[: self.terminate_after])
            terminated = True
        elif self.terminate_after and len(docset) == self.terminate_after:
            terminated = True
        agg_docset = docset
        if self.post_filter is not None:
            post = execute(self.post_filter, ctx)
            docset = intersect(docset, post, add_scores=False)
        result = ShardResult(target, ctx, docset, len(docset), docset.docs, docset.scores, agg_docset=agg_docset,
                             shard_index=self.shard_numbers.get(target.index.uuid, 0), terminated_early=terminated,
                             knn_parts=knn_parts or [])
        return result

    def _check_window(self, target: Target) -> None:
        limit = int(target.index.setting("max_result_window", DEFAULT_MAX_RESULT_WINDOW))
        if self.scroll:
            if self.size > limit:
                raise illegal_argument(f"Batch size is too large, size must be less than or equal to: [{limit}] but "
                                       f"was [{self.size}]. Scroll batch sizes cost as much memory as result windows "
                                       f"so they are controlled by the [index.max_result_window] index level "
                                       f"setting.")
        elif self.from_ + self.size > limit:
            raise illegal_argument(f"Result window is too large, from + size must be less than or equal to: "
                                   f"[{limit}] but was [{self.from_ + self.size}]. See the scroll api for a more "
                                   f"efficient way to request large data sets. This limit can be set by changing the "
                                   f"[index.max_result_window] index level setting.")
        if self.rescore:
            rlimit = int(target.index.setting("max_rescore_window", DEFAULT_MAX_RESCORE_WINDOW))
            for r in self.rescore:
                if r["window_size"] > rlimit:
                    raise illegal_argument(f"Rescore window [{r['window_size']}] is too large. It must be less than "
                                           f"[{rlimit}]. This prevents allocating massive heaps for storing the "
                                           f"results to be rescored. This limit can be set by changing the "
                                           f"[index.max_rescore_window] index level setting.")

    # ---- ranking ------------------------------------------------------------------------------
    def _score_sorted(self) -> bool:
        return not self.sort or (len(self.sort) == 1 and self.sort[0].is_score and self.sort[0].order == "desc")

    def rank(self, result: ShardResult, limit: int | None) -> tuple[np.ndarray, np.ndarray, Any]:
        """The shard's docs in request order (top `limit`, or all): (docs, scores, sort-values source)."""
        docs, scores = result.docset.docs, result.docset.scores
        if self.rescore and len(docs):
            docs, scores = self._rescore(result.ctx, docs, scores)
            if self._score_sorted() and self.search_after is None:
                sel = slice(None) if limit is None else slice(0, limit)
                return docs[sel], scores[sel], None
        if self._score_sorted() and self.search_after is None:
            if limit is not None and len(docs) > 4 * limit + 64:
                part = np.argpartition(-scores, limit - 1)[:limit] if limit > 0 else np.zeros(0, dtype=np.int64)
                sub = np.lexsort((docs[part], -scores[part]))
                order = part[sub]
            else:
                order = np.lexsort((docs, -scores))
                if limit is not None:
                    order = order[:limit]
            return docs[order], scores[order], None
        columns = [SortColumn(result.ctx, docs, scores, s, result.shard_index) for s in self.sort]
        keys = [c.key for c in columns]
        order = np.lexsort([docs] + list(reversed(keys))) if len(docs) else np.zeros(0, dtype=np.int64)
        if self.search_after is not None:
            mask = after_mask(keys, self.search_after, self.sort, result.ctx, columns)
            order = order[mask[order]]
        if limit is not None:
            order = order[:limit]
        return docs[order], scores[order], (columns, order)

    def sort_values(self, source: Any, j: int) -> list[Any]:
        if source is None:
            return []
        columns, order = source
        i = int(order[j])
        return [c.value(i) for c in columns]

    def _rescore(self, ctx: QueryContext, docs: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.lexsort((docs, -scores))
        docs, scores = docs[order], scores[order].astype(np.float64)
        for r in self.rescore:
            window = min(r["window_size"], len(docs))
            if window <= 0:
                continue
            head_docs = docs[:window]
            rq = execute(r["query"], ctx)
            _, ia, ib = np.intersect1d(head_docs, rq.docs, assume_unique=True, return_indices=True)
            primary = scores[:window] * r["query_weight"]
            secondary = np.zeros(window)
            matched = np.zeros(window, dtype=bool)
            secondary[ia] = rq.scores[ib].astype(np.float64) * r["rescore_query_weight"]
            matched[ia] = True
            mode = r["mode"]
            if mode == "total":
                new = primary + secondary
            elif mode == "multiply":
                new = np.where(matched, primary * secondary, primary)
            elif mode == "avg":
                new = np.where(matched, (primary + secondary) / 2.0, primary)
            elif mode == "max":
                new = np.where(matched, np.maximum(primary, secondary), primary)
            else:
                new = np.where(matched, np.minimum(primary, secondary), primary)
            head_order = np.lexsort((head_docs, -new))
            docs = np.concatenate([head_docs[head_order], docs[window:]])
            scores = np.concatenate([new[head_order], scores[window:]])
        return docs, scores.astype(np.float32)

    # ---- reduce + fetch ---------------------------------------------------------------------
    def execute_shards(self) -> list[ShardResult]:
        for target in self.targets:
            try:
                self._check_window(target)
            except EsError as err:
                raise wrap_shard_error(err, target) from None
        if self.retriever is not None:
            from . import retrievers

            bases = retrievers.evaluate(self, self.retriever)
            shards = []
            for target in self.targets:
                try:
                    shards.append(self.shard(target, base=bases.get(target.index.uuid, empty())))
                except EsError as err:
                    raise wrap_shard_error(err, target) from None
            return shards
        knn_by_target: list[dict[str, DocSet]] = vectors.knn_docsets(self, self.knn_specs) if self.knn_specs else []
        shards = []
        for target in self.targets:
            parts = [per.get(target.index.uuid, empty()) for per in knn_by_target] if self.knn_specs else None
            try:
                shards.append(self.shard(target, parts))
            except EsError as err:
                raise wrap_shard_error(err, target) from None
            stats = getattr(target.index, "stats", None)
            if isinstance(stats, dict):
                stats["query_total"] = stats.get("query_total", 0) + 1
        return shards

    def run(self) -> dict[str, Any]:
        start = time.perf_counter()
        shards = self.execute_shards()
        n = self.from_ + self.size
        if self.collapse is not None:
            page = self._collapsed_page(shards)
        else:
            ranked = []
            for s in shards:
                try:
                    ranked.append(self.rank(s, n))
                except EsError as err:
                    raise wrap_shard_error(err, s.target) from None
            rows = self.merge(shards, ranked)
            page = rows[self.from_:self.from_ + self.size]
        return self.respond(shards, page, start)

    def respond(self, shards: list[ShardResult], page: list[tuple[int, int, float, list[Any]]], start: float,
                *, aggs: bool = True, total: int | None = None, max_score: Any = "auto",
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
        self._shard_positions = {id(s): i for i, s in enumerate(shards)}
        self.prepare_page(shards, page)
        hits = []
        for s, doc, score, sort_values in page:
            try:
                hits.append(self.fetch(shards[s], doc, score, sort_values))
            except EsError as err:
                raise wrap_shard_error(err, shards[s].target) from None
        if total is None:
            total = sum(s.total for s in shards)
        if max_score == "auto":
            max_score = self._max_score(shards, total)
        if getattr(self, "_legacy_rank", False):
            for i, h in enumerate(hits):
                h["_rank"] = self.from_ + i + 1
        hits_obj: dict[str, Any] = {}
        if self.track != 0:
            value, relation = total, "eq"
            if self.track is not None and total > self.track:
                value, relation = self.track, "gte"
            hits_obj["total"] = value if self.rest_int else {"value": value, "relation": relation}
        elif self.rest_int:
            hits_obj["total"] = -1
        hits_obj["max_score"] = max_score
        hits_obj["hits"] = hits
        n_shards = len(self.targets)
        response: dict[str, Any] = {"took": 0, "timed_out": False}
        if extra:
            response.update(extra)
        if any(s.terminated_early for s in shards):
            response["terminated_early"] = True
        response["_shards"] = {"total": n_shards, "successful": n_shards, "skipped": 0, "failed": 0}
        response["hits"] = hits_obj
        if aggs and self.agg_specs is not None:
            from .aggs import aggregate

            parts = [(s.ctx, s.agg_docset if s.agg_docset is not None else s.docset) for s in shards]
            try:
                response["aggregations"] = aggregate(self.agg_specs, parts, self)
            except EsError as err:
                if shards and err.status < 500 and err.type not in ("parsing_exception", "x_content_parse_exception",
                                                                    "action_request_validation_exception"):
                    raise wrap_shard_error(err, shards[0].target) from None
                raise
            failures = getattr(self, "agg_shard_failures", None)
            if failures:
                self._drop_failed_shards(response, shards, failures)
        if aggs and self.body.get("suggest") is not None:
            from .suggest import suggest

            response["suggest"] = suggest(self.body["suggest"], self)
        if self.profile:
            response["profile"] = self._profile(shards)
        for hook in RESPONSE_HOOKS:
            hook(self, shards, response)
        response["took"] = int((time.perf_counter() - start) * 1000)
        return response

    def _drop_failed_shards(self, response: dict[str, Any], shards: list[ShardResult],
                            failures: list[dict[str, Any]]) -> None:
        """Report shards that failed while aggregating as ES does: their hits and counts leave the
        response and `_shards.failures` lists them; when every shard failed the search fails."""
        failed = {f["index"] for f in failures}
        reason = failures[0]["reason"]
        cause = EsError(400, reason.get("type", "exception"), reason.get("reason", ""))
        total_shards = len(self.targets)
        if len(failed) >= total_shards or self.params.get("allow_partial_search_results") == "false":
            raise ShardSearchFailure(400, "search_phase_execution_exception",
                                     "all shards failed" if len(failed) >= total_shards else "Partial shards failure",
                                     phase="query", grouped=True, failed_shards=failures, caused_by=cause)
        response["_shards"] = {"total": total_shards, "successful": total_shards - len(failed), "skipped": 0,
                               "failed": len(failed), "failures": failures}
        hits = response["hits"]
        hits["hits"] = [h for h in hits["hits"] if h.get("_index") not in failed]
        if "total" in hits and hits["total"] != -1:
            total = sum(s.total for s in shards if s.target.index.name not in failed)
            if self.rest_int:
                hits["total"] = total
            else:
                value, relation = total, "eq"
                if self.track is not None and total > self.track:
                    value, relation = self.track, "gte"
                hits["total"] = {"value": value, "relation": relation}

    def _max_score(self, shards: list[ShardResult], total: int) -> float | None:
        tracked = not self.sort or any(s.is_score for s in self.sort) or self.track_scores
        if not tracked or not total or (self.size == 0 and self.collapse is None and not self.scroll):
            return None
        if self.size == 0:
            return None
        best = None
        for s in shards:
            if len(s.docset):
                m = float(s.docset.scores.max())
                best = m if best is None else max(best, m)
        if best is None:
            return None
        if self.rescore:
            return None if not shards else _f32(best)
        return _f32(best)

    def merge(self, shards: list[ShardResult], ranked: list[tuple[np.ndarray, np.ndarray, Any]]
              ) -> list[tuple[int, int, float, list[Any]]]:
        rows: list[tuple[int, int, float, list[Any]]] = []
        for s_i, (docs, scores, source) in enumerate(ranked):
            score_list = scores.tolist()
            for j, doc in enumerate(docs.tolist()):
                rows.append((s_i, doc, score_list[j], self.sort_values(source, j)))
        if len(ranked) <= 1:
            return rows
        if self._score_sorted() and not (self.sort and self.search_after is not None):
            rows.sort(key=lambda r: (-r[2], r[0], r[1]))
            return rows
        rows.sort(key=functools.cmp_to_key(lambda a, b: _compare_rows(a, b, self.sort)))
        return rows

    # ---- collapse ---------------------------------------------------------------------------
    def collapse_keys(self, ctx: QueryContext, docs: np.ndarray) -> list[Any]:
        assert self.collapse is not None
        name = self.collapse["field"]
        f = ctx.field(name)
        if f is None:
            return [None] * len(docs)
        if f.is_text or f.type not in ("keyword", "long", "integer", "short", "byte", "double", "float",
                                       "half_float", "scaled_float", "unsigned_long", "date", "date_nanos", "ip",
                                       "boolean", "constant_keyword", "version", "wildcard"):
            raise illegal_argument(f"collapse is not supported for the field [{f.path}] of the type [{f.type}]")
        col = ctx.seg.columns.get(f.path)
        if col is None:
            return [None] * len(docs)
        cdocs, cvalues = col.arrays()
        lo = np.searchsorted(cdocs, docs, "left")
        hi = np.searchsorted(cdocs, docs, "right")
        out: list[Any] = []
        integral = f.type in ("long", "integer", "short", "byte", "unsigned_long", "date", "date_nanos")
        for d, a, b in zip(docs.tolist(), lo.tolist(), hi.tolist(), strict=True):
            if b == a:
                out.append(None)
            elif b - a > 1 and col.kind == "num" and len(set(cvalues[a:b].tolist())) > 1:
                raise illegal_argument(f"failed to collapse {d}, the collapse field [{name}] must be single valued")
            elif col.kind == "str":
                out.append(col.vocab[int(cvalues[a])])
            else:
                v = float(cvalues[a])
                out.append(int(v) if integral else (bool(v) if f.type == "boolean" else v))
        return out

    def _collapsed_page(self, shards: list[ShardResult]) -> list[tuple[int, int, float, list[Any]]]:
        n = self.from_ + self.size
        rows: list[tuple[int, int, float, list[Any]]] = []
        self._collapse_values: dict[tuple[int, int], Any] = {}
        for s_i, s in enumerate(shards):
            try:
                docs, scores, source = self.rank(s, None)
                keys = self.collapse_keys(s.ctx, docs)
            except EsError as err:
                raise wrap_shard_error(err, s.target) from None
            seen: set[Any] = set()
            picked = 0
            for j, key in enumerate(keys):
                marker = ("__missing__",) if key is None else key
                if marker in seen:
                    continue
                seen.add(marker)
                doc = int(docs[j])
                rows.append((s_i, doc, float(scores[j]), self.sort_values(source, j)))
                self._collapse_values[(s_i, doc)] = key
                picked += 1
                if picked >= n:
                    break
        if len(shards) > 1:
            if self._score_sorted():
                rows.sort(key=lambda r: (-r[2], r[0], r[1]))
            else:
                rows.sort(key=functools.cmp_to_key(lambda a, b: _compare_rows(a, b, self.sort)))
        out = []
        seen_global: set[Any] = set()
        for row in rows:
            key = self._collapse_values[(row[0], row[1])]
            marker = ("__missing__",) if key is None else key
            if marker in seen_global:
                continue
            seen_global.add(marker)
            out.append(row)
        return out[self.from_:self.from_ + self.size]

    def _collapse_inner_hits(self, shard: ShardResult, docnum: int, key: Any) -> dict[str, Any]:
        assert self.collapse is not None
        out: dict[str, Any] = {}
        name = self.collapse["field"]
        for spec in self.collapse["inner_hits"]:
            label = spec.get("name", name)
            flt = {"bool": {"must_not": [{"exists": {"field": name}}]}} if key is None else \
                {"term": {name: key}}
            base = self.query if self.query is not None else {"match_all": {}}
            sub: dict[str, Any] = {"query": {"bool": {"must": [base], "filter": [flt]}},
                                   "size": int(spec.get("size", DEFAULT_INNER_SIZE)),
                                   "from": int(spec.get("from", 0))}
            for key_name in ("sort", "_source", "fields", "docvalue_fields", "version", "seq_no_primary_term",
                             "highlight", "explain", "stored_fields", "track_scores"):
                if key_name in spec:
                    sub[key_name] = spec[key_name]
            if isinstance(spec.get("collapse"), dict):
                sub["collapse"] = {"field": spec["collapse"]["field"]}
            params = {k: v for k, v in self.params.items() if k in ("rest_total_hits_as_int",)}
            inner = Searcher(self.engine, self.targets, sub, params, self.snapshot, views=self.views)
            inner.track = None
            result = inner.run()
            out[label] = {"hits": result["hits"]}
        return out

    # ---- fetch ------------------------------------------------------------------------------
    def fetch(self, shard: ShardResult, docnum: int, score: float, sort_values: list[Any]) -> dict[str, Any]:
        index = shard.target.index
        seg = shard.ctx.seg
        doc_id = seg.ids[docnum]
        state = index.docs.get(doc_id) if doc_id is not None else None
        if state is not None and state.docnum != docnum and not isinstance(_unwrapped(index), IndexView):
            state = None
        hit: dict[str, Any] = {"_index": index.name}
        if self.stored_fields != "_none_":
            hit["_id"] = doc_id
        scored = not self.sort or any(s.is_score for s in self.sort) or self.track_scores
        hit["_score"] = _f32(score) if scored else None
        if self.explain:
            hit["_shard"] = f"[{index.name}][0]"
            hit["_node"] = "es360-embedded-node"
        if self.version:
            hit["_version"] = state.version if state else 1
        if self.seq_no:
            hit["_seq_no"] = state.seq_no if state else 0
            hit["_primary_term"] = state.primary_term if state else 1
        if state is not None and state.routing is not None:
            hit["_routing"] = state.routing
        raw = index.source_bytes(docnum)
        source = orjson.loads(raw) if raw is not None else None
        if self.fetch_source and source is not None and index.mapping.source_enabled:
            hit["_source"] = filter_source(source, self.src_inc, self.src_exc)
        fields = self._hit_fields(shard, index, docnum, source, hit, state)
        if self.collapse is not None:
            key = getattr(self, "_collapse_values", {}).get((self._shard_pos(shard), docnum))
            fields[self.collapse["field"]] = [key]
        if self.body.get("script_fields"):
            fields.update(self._script_fields(shard, docnum, source))
        if fields:
            hit["fields"] = fields
        if self.highlight is not None:
            hl = self._highlighter(shard).highlight(source, docnum)
            if hl:
                hit["highlight"] = hl
        inner = self._inner_hits(shard, docnum, source)
        if self.collapse is not None and self.collapse["inner_hits"]:
            key = getattr(self, "_collapse_values", {}).get((self._shard_pos(shard), docnum))
            inner.update(self._collapse_inner_hits(shard, docnum, key))
        if inner:
            hit["inner_hits"] = inner
        matched = self._matched_queries(shard, docnum)
        if matched:
            hit["matched_queries"] = matched
        if self.sort:
            hit["sort"] = sort_values
        if self.explain:
            hit["_explanation"] = self._explanation(shard, docnum, score)
        for hook in HIT_HOOKS:
            hook(self, shard, docnum, source, hit)
        return hit

    def _shard_pos(self, shard: ShardResult) -> int:
        return self.shard_numbers.get(shard.target.index.uuid, 0)

    def _hit_fields(self, shard: ShardResult, index: Any, docnum: int, source: dict[str, Any] | None,
                    hit: dict[str, Any], state: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.fields_req:
            fields.update(fields_api(index, source, self.fields_req))
            if isinstance(index, RuntimeIndex):
                index.fetch_fields(docnum, self.fields_req, fields)
            fields.update(metadata_fields(self.fields_req, hit, index, state))
        if isinstance(self.stored_fields, list):
            fields.update(stored_field_values(index, source, self.stored_fields))
        for req in self.docvalue_req:
            names = index.mapping.resolve_pattern(req.pattern) if "*" in req.pattern else [req.pattern]
            for name in names:
                values = docvalue_values(shard.ctx.seg, index, docnum, name, index.mapping.field(name), req.format)
                if values:
                    fields[name] = values
        return fields

    def _highlighter(self, shard: ShardResult) -> Any:
        key = ("hl", shard.target.index.uuid)
        found = self._shard_cache.get(key)
        if found is None:
            from .highlight import Highlighter

            found = self._shard_cache[key] = Highlighter(self.highlight, shard.target.index, self.highlight_query())
        return found

    def highlight_query(self) -> Any:
        if self.retriever is not None:
            from . import retrievers

            return retrievers.highlight_query(self.retriever)
        return self.query

    # ---- named queries ------------------------------------------------------------------------
    def prepare_page(self, shards: list[ShardResult], page: list[tuple[int, int, float, list[Any]]]) -> None:
        """Per-page work done once per shard: which named queries each hit matched."""
        self._named_page: dict[tuple[int, int], dict[str, float]] = {}
        by_shard: dict[int, list[int]] = {}
        for s, doc, _score, _sv in page:
            by_shard.setdefault(s, []).append(doc)
        for s, docs in by_shard.items():
            shard = shards[s]
            entries: dict[int, dict[str, float]] = {}
            for spec, part in zip(self.knn_specs, shard.knn_parts, strict=False):
                if not spec.name:
                    continue
                for d in docs:
                    i = int(np.searchsorted(part.docs, d))
                    if i < len(part.docs) and part.docs[i] == d:
                        entries.setdefault(d, {}).setdefault(spec.name, float(part.scores[i]))
            if self.query is not None and "_name" in _describe_full(self.query):
                try:
                    from .query import matched_name_scores
                except ImportError:  # pragma: no cover - older query module
                    matched_name_scores = None
                if matched_name_scores is not None:
                    try:
                        found = matched_name_scores(self.query, shard.ctx, np.asarray(sorted(set(docs))))
                    except EsError:
                        found = {}
                    for d, names in found.items():
                        entry = entries.setdefault(d, {})
                        for name, score in names.items():
                            entry.setdefault(name, score)
            for d, names in entries.items():
                self._named_page[(s, d)] = names

    def _matched_queries(self, shard: ShardResult, docnum: int) -> Any:
        names = getattr(self, "_named_page", {}).get((self._page_shard(shard), docnum))
        if not names:
            return None
        if self.params.get("include_named_queries_score") in ("true", ""):
            return {name: _f32(score) for name, score in names.items()}
        return list(names)

    def _page_shard(self, shard: ShardResult) -> int:
        return self._shard_positions.get(id(shard), 0) if hasattr(self, "_shard_positions") else 0

    # ---- script fields ----------------------------------------------------------------------
    def _script_fields(self, shard: ShardResult, docnum: int, source: dict[str, Any] | None) -> dict[str, Any]:
        specs = self.body.get("script_fields") or {}
        if not specs:
            return {}
        from .painless import DocMap, compile_script, parse_script_spec

        index = shard.target.index
        seg = shard.ctx.seg

        class _Doc(DocMap):
            def load(self, name: str) -> list[Any] | None:
                f = index.mapping.field(name)
                if f is None:
                    return None
                col = seg.columns.get(f.path)
                if col is None:
                    return []
                values = col.values_of(docnum)
                if col.kind == "num" and f.type in ("long", "integer", "short", "byte", "date", "unsigned_long"):
                    return [int(v) for v in values]
                if f.type == "boolean":
                    return [bool(v) for v in values]
                return sorted(values) if col.kind == "str" else values

        out: dict[str, Any] = {}
        for name, spec in specs.items():
            if not isinstance(spec, dict) or "script" not in spec:
                raise parsing_exception(f"[script_fields] [{name}] requires a [script]")
            code, params = parse_script_spec(spec["script"])
            try:
                value = compile_script(code).execute(
                    {"doc": _Doc(), "params": {**params, "_source": source or {}}, "_source": source or {}})
            except EsError:
                if spec.get("ignore_failure"):
                    continue
                raise
            if value is None:
                continue
            out[name] = value if isinstance(value, list) else [value]
        return out

    # ---- inner hits (nested queries, nested knn) ---------------------------------------------
    def _inner_specs(self, shard: ShardResult) -> list[tuple[str, str, Any, dict[str, Any]]]:
        key = ("inner", shard.target.index.uuid)
        found = self._shard_cache.get(key)
        if found is None:
            found = []
            if self.query is not None:
                _collect_nested_inner(self.query, found)
            for spec in self.knn_specs:
                if spec.inner_hits is not None:
                    f = shard.ctx.field(spec.field)
                    if f is not None and f.nested_path:
                        found.append((spec.inner_hits.get("name", f.nested_path), f.nested_path, spec,
                                      spec.inner_hits))
            self._shard_cache[key] = found
        return found

    def _inner_hits(self, shard: ShardResult, docnum: int, source: dict[str, Any] | None) -> dict[str, Any]:
        specs = self._inner_specs(shard)
        if not specs:
            return {}
        out: dict[str, Any] = {}
        ctx = shard.ctx
        seg = ctx.seg
        for name, path, inner_q, spec in specs:
            children = _children_of(seg, docnum, path)
            if isinstance(inner_q, vectors.KnnSpec):
                cdocs, cscores = vectors.nested_inner_hits(ctx, inner_q, docnum)
                matched = list(zip(cdocs.tolist(), cscores.tolist(), strict=True))
            else:
                ds = self._nested_inner_docset(shard, path, inner_q)
                pos = np.searchsorted(ds.docs, np.asarray(children, dtype=INT)) if children else np.zeros(0, int)
                matched = []
                for c, p in zip(children, pos.tolist() if len(children) else [], strict=False):
                    if p < len(ds.docs) and ds.docs[p] == c:
                        matched.append((c, float(ds.scores[p])))
                matched.sort(key=lambda x: (-x[1], x[0]))
            out[name] = self._render_inner(shard, docnum, source, path, children, matched, spec, inner_q)
        return out

    def _nested_inner_docset(self, shard: ShardResult, path: str, inner_q: Any) -> DocSet:
        key = ("nested_ds", shard.target.index.uuid, id(inner_q))
        found = self._shard_cache.get(key)  # type: ignore[arg-type]
        if found is None:
            ctx = shard.ctx
            seg = ctx.seg
            n = seg.max_doc
            live = seg.live_mask()
            mask = np.zeros(n, dtype=bool)
            for d, p in seg.nested_path.items():
                if p == path and d < n:
                    mask[d] = live[d]
            child_ctx = QueryContext(ctx.index, mask, ctx.now, nested_path=path, runner=ctx.runner)
            found = execute(inner_q if inner_q is not None else {"match_all": {}}, child_ctx)
            self._shard_cache[key] = found  # type: ignore[index]
        return found

    def _render_inner(self, shard: ShardResult, parent: int, source: dict[str, Any] | None, path: str,
                      children: list[int], matched: list[tuple[int, float]], spec: dict[str, Any],
                      inner_q: Any) -> dict[str, Any]:
        index = shard.target.index
        size = int(spec.get("size", DEFAULT_INNER_SIZE))
        from_ = int(spec.get("from", 0))
        total = len(matched)
        sort = parse_sort(spec.get("sort")) if spec.get("sort") is not None else []
        if sort and matched:
            mdocs = np.asarray([m[0] for m in matched], dtype=INT)
            mscores = np.asarray([m[1] for m in matched], dtype=np.float32)
            nested_ctx = QueryContext(index, np.ones(shard.ctx.seg.max_doc, dtype=bool), shard.ctx.now,
                                      nested_path=path)
            cols = [SortColumn(nested_ctx, mdocs, mscores, s, 0) for s in sort]
            order = np.lexsort([mdocs] + [c.key for c in reversed(cols)])
            matched = [matched[i] for i in order.tolist()]
        page = matched[from_:from_ + size]
        objs = objects_at(source, path) if source is not None else []
        offsets = {c: i for i, c in enumerate(sorted(children))}
        fetch, inc, exc = parse_source_param(spec.get("_source"))
        field_reqs = parse_field_requests(spec.get("fields"), "fields")
        hl_req = None
        if spec.get("highlight") is not None:
            from .highlight import HighlightRequest

            hl_req = HighlightRequest(spec["highlight"])
        hits = []
        parent_id = shard.ctx.seg.ids[parent]
        for child, score in page:
            offset = offsets.get(child, 0)
            hit: dict[str, Any] = {"_index": index.name, "_id": parent_id,
                                   "_nested": {"field": path, "offset": offset}, "_score": _f32(score)}
            obj = objs[offset] if offset < len(objs) else None
            if fetch and isinstance(obj, dict):
                hit["_source"] = filter_source(obj, [_strip(p, path) for p in inc], [_strip(p, path) for p in exc])
            if field_reqs and isinstance(obj, dict):
                values = fields_api(index, {_leaf(path): obj} if "." not in path else _wrap_path(path, obj),
                                    field_reqs)
                if values:
                    hit["fields"] = values
            if hl_req is not None and isinstance(obj, dict):
                from .highlight import Highlighter

                q = inner_q if not isinstance(inner_q, vectors.KnnSpec) else None
                hl = Highlighter(hl_req, index, q).highlight(obj, child, prefix=path)
                if hl:
                    hit["highlight"] = hl
            if spec.get("version"):
                st = index.docs.get(parent_id)
                hit["_version"] = st.version if st else 1
            hits.append(hit)
        max_score = _f32(max(m[1] for m in matched)) if matched else None
        total_obj: Any = total if self.rest_int else {"value": total, "relation": "eq"}
        return {"hits": {"total": total_obj, "max_score": max_score, "hits": hits}}

    # ---- explain / profile -----------------------------------------------------------------
    def _explanation(self, shard: ShardResult, docnum: int, score: float) -> dict[str, Any]:
        q = self.query if self.query is not None else {"match_all": {}}
        details = []
        clauses: list[tuple[str, Any]] = []
        if isinstance(q, dict) and "bool" in q and isinstance(q["bool"], dict):
            for occur in ("must", "should", "filter"):
                value = q["bool"].get(occur)
                for clause in (value if isinstance(value, list) else [value] if value else []):
                    clauses.append((occur, clause))
        for occur, clause in clauses:
            try:
                ds = execute(clause, shard.ctx)
            except EsError:
                continue
            i = int(np.searchsorted(ds.docs, docnum))
            if i < len(ds.docs) and ds.docs[i] == docnum:
                value = 0.0 if occur == "filter" else _f32(float(ds.scores[i]))
                lucene = explain_clause(clause, shard.ctx, docnum) if occur != "filter" else None
                if lucene is not None and _close(lucene["value"], value):
                    details.append({**lucene, "value": value})
                else:
                    details.append({"value": value, "description": f"{_describe(clause)}", "details": []})
        for spec, part in zip(self.knn_specs, shard.knn_parts, strict=False):
            i = int(np.searchsorted(part.docs, docnum))
            if i < len(part.docs) and part.docs[i] == docnum:
                details.append({"value": _f32(float(part.scores[i])),
                                "description": f"within top k documents of knn on [{spec.field}]", "details": []})
        if not details:
            lucene = explain_clause(q, shard.ctx, docnum) if not clauses else None
            if lucene is not None and _close(lucene["value"], _f32(score)):
                return {**lucene, "value": _f32(score)}
            return {"value": _f32(score), "description": _describe(q), "details": []}
        return {"value": _f32(score), "description": "sum of:", "details": details}

    def _profile(self, shards: list[ShardResult]) -> dict[str, Any]:
        out = []
        q = self.query if self.query is not None else {"match_all": {}}
        for s in shards:
            out.append({
                "id": f"[es360-embedded-node][{s.target.index.name}][0]",
                "node_id": "es360-embedded-node", "shard_id": 0, "index": s.target.index.name, "cluster": "(local)",
                "searches": [{"query": [{"type": next(iter(q)) if isinstance(q, dict) and q else "MatchAllDocsQuery",
                                         "description": _describe(q), "time_in_nanos": 0, "breakdown": {}}],
                              "rewrite_time": 0,
                              "collector": [{"name": "QueryPhaseCollector", "reason": "search_query_phase",
                                             "time_in_nanos": 0}]}],
                "aggregations": [],
                "fetch": {"type": "fetch", "description": "", "time_in_nanos": 0, "breakdown": {}},
            })
        return {"shards": out}


class QueryHooks:
    """Callbacks queries use for features implemented at the search level (terms lookup, knn, ...)."""

    def __init__(self, searcher: Searcher, alias_filter: dict[str, Any] | None = None) -> None:
        self.searcher = searcher
        self.alias_filter = alias_filter

    def terms_lookup(self, spec: dict[str, Any]) -> list[Any] | None:
        if not {"index", "id", "path"} <= set(spec):
            return None
        security.guard_index(spec["index"], "indices:data/read/get")  # a lookup is a get, as in ES
        index = self.searcher.engine.indices.get(spec["index"])
        if index is None:
            targets = self.searcher.engine.resolve(spec["index"], ignore_unavailable=True)
            index = targets[0].index if len(targets) == 1 else None
        if index is not None:
            index = security.restrict(index, "indices:data/read/get")
        state = index.get(str(spec["id"])) if index else None
        if state is None:
            return []
        node: Any = index.source(state)
        values: list[Any] = []
        _collect_path(node, spec["path"].split("."), values)
        return values


def _unwrapped(index: Any) -> Any:
    """The index under a per-request runtime-field view."""
    return getattr(index, "inner", index)


def _collect_path(node: Any, parts: list[str], out: list[Any]) -> None:
    if not parts:
        if isinstance(node, list):
            out.extend(node)
        elif node is not None:
            out.append(node)
        return
    if isinstance(node, list):
        for item in node:
            _collect_path(item, parts, out)
    elif isinstance(node, dict):
        if parts[0] in node:
            _collect_path(node[parts[0]], parts[1:], out)
        for i in range(2, len(parts) + 1):
            dotted = ".".join(parts[:i])
            if dotted in node:
                _collect_path(node[dotted], parts[i:], out)


# ---- query walking helpers -------------------------------------------------------------------------
def _collect_nested_inner(q: Any, out: list[tuple[str, str, Any, dict[str, Any]]]) -> None:
    if isinstance(q, list):
        for item in q:
            _collect_nested_inner(item, out)
        return
    if not isinstance(q, dict):
        return
    for kind, body in q.items():
        if not isinstance(body, dict):
            continue
        if kind == "nested" and isinstance(body.get("inner_hits"), dict):
            spec = body["inner_hits"]
            out.append((spec.get("name", body.get("path")), body.get("path"), body.get("query"), spec))
        for key in ("must", "should", "filter", "query", "queries", "positive"):
            if key in body:
                _collect_nested_inner(body[key], out)


def _children_of(seg: Any, parent: int, path: str) -> list[int]:
    kids = []
    child = parent - 1
    while child >= 0 and seg.parent[child] == parent:
        if seg.nested_path.get(child) == path:
            kids.append(child)
        child -= 1
    kids.reverse()
    return kids


def _strip(pattern: str, path: str) -> str:
    return pattern[len(path) + 1:] if pattern.startswith(path + ".") else pattern


def _leaf(path: str) -> str:
    return path


def _wrap_path(path: str, obj: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = obj
    for part in reversed(path.split(".")):
        node = {part: node}
    return node


def _describe_full(q: Any) -> str:
    try:
        return orjson.dumps(q).decode()
    except TypeError:
        return str(q)


def _close(a: float, b: float) -> bool:
    """Two float32 scores equal up to rounding (an explanation must add up to the hit's score)."""
    return abs(a - b) <= 1e-5 * max(1.0, abs(b))


def _describe(q: Any) -> str:
    try:
        text = orjson.dumps(q).decode()
    except TypeError:
        text = str(q)
    return text if len(text) <= 200 else text[:197] + "..."


def _f32(value: float) -> float:
    v = np.float32(value)
    if not np.isfinite(v):
        return float(v)
    return float(str(v))


# ---- sorting ---------------------------------------------------------------------------------------
_MISSING_HIGH = float("inf")


class SortColumn:
    """One sort criterion over a shard's docs: an ascending-is-better key and lazily built output values."""

    def __init__(self, ctx: QueryContext, docs: np.ndarray, scores: np.ndarray, s: SortField, shard_index: int) -> None:
        self.ctx = ctx
        self.docs = docs
        self.scores = scores
        self.s = s
        self.shard_index = shard_index
        self.field: Any = None
        self.col: Any = None
        self.raw: np.ndarray | None = None
        self.missing: np.ndarray | None = None
        self.is_str = False
        desc = s.order == "desc"
        if s.is_score:
            key = scores.astype(np.float64)
            self.key = -key if desc else key
        elif s.is_doc:
            key = docs.astype(np.float64)
            self.key = -key if desc else key
        elif s.is_shard_doc:
            key = (np.int64(shard_index) << 32 | docs.astype(np.int64)).astype(np.float64)
            self.key = -key if desc else key
        else:
            self._field_key()

    def _field_key(self) -> None:
        s, ctx, docs = self.s, self.ctx, self.docs
        if s.field == "_id":
            raise illegal_argument("Fielddata access on the _id field is disallowed, you can re-enable it by "
                                   "updating the dynamic cluster setting: indices.id_field_data.enabled")
        if s.field == "_index":
            self.is_str = True
            self.raw = np.zeros(len(docs))
            self.missing = np.zeros(len(docs), dtype=bool)
            self.key = np.zeros(len(docs))
            self._index_name = ctx.index.name
            return
        f = ctx.field(s.field)
        col = ctx.seg.columns.get(f.path if f is not None else s.field)
        self.field, self.col = f, col
        if f is None and s.unmapped_type is None:
            raise EsError(400, "query_shard_exception", f"No mapping found for [{s.field}] in order to sort on",
                          index=ctx.index.name, index_uuid=ctx.index.uuid)
        if f is not None and f.is_text and not f.params.get("fielddata"):
            raise illegal_argument(
                f"Fielddata is disabled on [{s.field}] in [{ctx.index.name}]. Text fields are not optimised for "
                f"operations that require per-document field data like aggregations and sorting, so these "
                f"operations are disabled by default. Please use a keyword field instead. Alternatively, set "
                f"fielddata=true on [{s.field}] in order to load field data by uninverting the inverted index. "
                f"Note that this can use significant memory.")
        desc = s.order == "desc"
        mode = s.mode or ("max" if desc else "min")
        n = len(docs)
        raw = np.full(n, np.nan)
        self.first_pos = np.full(n, -1, dtype=np.int64)
        if col is not None and n:
            cdocs, cvalues = col.arrays()
            lo = np.searchsorted(cdocs, docs, "left")
            hi = np.searchsorted(cdocs, docs, "right")
            has = hi > lo
            vals = cvalues.astype(np.float64) if col.kind == "num" else col.ord_rank()[cvalues].astype(np.float64)
            if has.any():
                if mode in ("min", "max") and col.kind == "num":
                    pos = lo[has] if mode == "min" else hi[has] - 1
                    raw[has] = vals[pos]
                    self.first_pos[has] = pos
                elif mode in ("min", "max"):
                    raw[has] = _reduce(vals, lo[has], hi[has], mode)
                else:
                    raw[has] = _reduce(vals, lo[has], hi[has], mode)
        self.is_str = col is not None and col.kind == "str" or (f is not None and (f.is_keyword or f.type == "ip"))
        missing_mask = np.isnan(raw)
        key = -raw if desc else raw.copy()
        missing = s.missing
        if missing == "_last" or missing is None:
            key[missing_mask] = _MISSING_HIGH
        elif missing == "_first":
            key[missing_mask] = -_MISSING_HIGH
        else:
            key[missing_mask] = _missing_key(ctx, f, col, missing, desc)
        self.raw, self.missing, self.key = raw, missing_mask, key

    def value(self, i: int) -> Any:
        s = self.s
        if s.is_score:
            return _f32(float(self.scores[i]))
        if s.is_doc:
            return int(self.docs[i])
        if s.is_shard_doc:
            return (self.shard_index << 32) | int(self.docs[i])
        if s.field == "_index":
            return self._index_name
        assert self.raw is not None and self.missing is not None
        desc = s.order == "desc"
        f, col = self.field, self.col
        if self.is_str:
            if self.missing[i]:
                return s.missing if s.missing not in ("_last", "_first", None) else None
            vocab = self._sorted_vocab()
            return vocab[int(self.raw[i])]
        ftype = f.type if f is not None else s.unmapped_type or "long"
        integral = ftype in ("long", "integer", "short", "byte", "date", "unsigned_long", "date_nanos", "boolean")
        if self.missing[i]:
            if s.missing not in ("_last", "_first", None):
                return s.missing
            if integral:
                return -(2**63) if (s.missing == "_first") != desc else 2**63 - 1
            return float("-inf") if (s.missing == "_first") != desc else float("inf")
        v = float(self.raw[i])
        if ftype in ("date", "date_nanos") and s.format:
            from .dates import get_formatter

            return get_formatter(s.format).format(int(v))
        if integral:
            pos = int(self.first_pos[i])
            if col is not None and col.int_values and pos >= 0 and pos in col.int_values:
                return col.int_values[pos]
            if ftype == "date_nanos" and s.numeric_type != "date":
                return int(v) * 1_000_000 if abs(v) < 2**53 else int(v)
            return int(v)
        return v

    def _sorted_vocab(self) -> list[str]:
        cached = getattr(self, "_vocab", None)
        if cached is None:
            cached = self._vocab = sorted(self.col.vocab) if self.col is not None else []
        return cached


def sort_keys(ctx: QueryContext, docs: np.ndarray, scores: np.ndarray,
              sort: list[SortField]) -> tuple[list[np.ndarray], list[list[Any]]]:
    """Per sort field: a numeric key array (ascending = better) and the output values per doc."""
    columns = [SortColumn(ctx, docs, scores, s, 0) for s in sort]
    return [c.key for c in columns], [[c.value(i) for i in range(len(docs))] for c in columns]


def _reduce(vals: np.ndarray, lo: np.ndarray, hi: np.ndarray, mode: str) -> np.ndarray:
    out = np.empty(len(lo))
    for i, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        chunk = vals[a:b]
        out[i] = {"min": chunk.min, "max": chunk.max, "sum": chunk.sum, "avg": chunk.mean,
                  "median": lambda c=chunk: float(np.median(c))}[mode]()
    return out


def _missing_key(ctx: QueryContext, f: Any, col: Any, missing: Any, desc: bool) -> float:
    if col is not None and col.kind == "str":
        vocab_sorted = sorted(col.vocab)
        pos = bisect.bisect_left(vocab_sorted, str(missing))
        rank = pos if pos < len(vocab_sorted) and vocab_sorted[pos] == str(missing) else pos - 0.5
        return -rank if desc else rank
    try:
        value = float(missing)
    except (TypeError, ValueError):
        raise illegal_argument(f"Unsupported missing value [{missing}]") from None
    return -value if desc else value


def after_mask(keys: list[np.ndarray], after: list[Any], sort: list[SortField], ctx: QueryContext,
               columns: list[SortColumn] | None = None) -> np.ndarray:
    """Docs strictly after the `search_after` values in sort order."""
    if len(after) != len(sort):
        raise illegal_argument(f"search_after has {len(after)} value(s) but sort has {len(sort)}.")
    n = len(keys[0]) if keys else 0
    greater = np.zeros(n, dtype=bool)
    equal = np.ones(n, dtype=bool)
    for i, (key, value, s) in enumerate(zip(keys, after, sort, strict=True)):
        col = columns[i] if columns is not None else None
        target = _after_key(ctx, s, value, col)
        greater |= equal & (key > target)
        equal &= key == target
    return greater


def _after_key(ctx: QueryContext, s: SortField, value: Any, column: SortColumn | None = None) -> float:
    desc = s.order == "desc"
    if s.is_score or s.is_doc or s.is_shard_doc:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise illegal_argument(f"Failed to parse search_after value [{value}] for field [{s.field}]") from None
        return -v if desc else v
    if s.field == "_index":
        return 0.0
    f = ctx.field(s.field)
    col = ctx.seg.columns.get(f.path if f is not None else s.field)
    if value is None:
        return _MISSING_HIGH if s.missing in ("_last", None) else -_MISSING_HIGH
    if col is not None and col.kind == "str" or (f is not None and (f.is_keyword or f.type == "ip")):
        vocab_sorted = column._sorted_vocab() if column is not None and column.col is col else sorted(
            col.vocab if col is not None else [])
        pos = bisect.bisect_left(vocab_sorted, str(value))
        rank = pos if pos < len(vocab_sorted) and vocab_sorted[pos] == str(value) else pos - 0.5
        return -rank if desc else rank
    if f is not None and f.type in ("date", "date_nanos") and isinstance(value, str) and not _is_number(value):
        from .dates import get_formatter

        try:
            v = float(get_formatter(s.format or f.date_format).parse(value))
        except EsError as err:
            raise illegal_argument(f"failed to parse date field [{value}] with format "
                                   f"[{s.format or f.date_format}]: [{err.reason}]") from None
    else:
        try:
            v = float(value)
        except (TypeError, ValueError):
            if s.format and f is not None and f.type in ("date", "date_nanos"):
                raise illegal_argument(f"failed to parse date field [{value}] with format [{s.format}]") from None
            raise illegal_argument(f"Failed to parse search_after value [{value}] for field [{s.field}]") from None
        if f is not None and f.type == "date_nanos" and abs(v) > 1e15:
            v = v / 1_000_000.0
    if abs(v) >= 2**63 - 1:
        return _MISSING_HIGH if (v > 0) != desc else -_MISSING_HIGH
    return -v if desc else v


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _sortable(v: Any) -> tuple[int, Any]:
    if isinstance(v, bool):
        return (0, int(v))
    if isinstance(v, (int, float)):
        return (0, v)
    return (1, str(v))


def _compare_rows(a: tuple, b: tuple, sort: list[SortField]) -> int:
    for i, s in enumerate(sort):
        va, vb = a[3][i], b[3][i]
        if va == vb:
            continue
        if va is None:
            return 1
        if vb is None:
            return -1
        ka, kb = _sortable(va), _sortable(vb)
        if ka == kb:
            continue
        result = -1 if ka < kb else 1
        return -result if s.order == "desc" else result
    return (a[0] > b[0]) - (a[0] < b[0]) or (a[1] > b[1]) - (a[1] < b[1])


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise illegal_argument(f"Failed to parse int parameter [{name}] with value [{value}]")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise illegal_argument(f"Failed to parse int parameter [{name}] with value [{value}]") from None


def _q_options(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if params.get("df"):
        out["default_field"] = params["df"]
    if params.get("default_operator"):
        out["default_operator"] = params["default_operator"]
    if params.get("analyzer"):
        out["analyzer"] = params["analyzer"]
    if params.get("lenient"):
        out["lenient"] = params["lenient"] == "true"
    return out


# ---- errors ----------------------------------------------------------------------------------------
class ShardSearchFailure(EsError):
    """ES's search_phase_execution_exception: root causes are the shard failures' causes."""

    def body(self) -> dict[str, Any]:
        error = self.to_dict()
        cause = self.caused_by
        root = [cause.to_dict(with_cause=False)] if cause is not None else [self.to_dict(with_cause=False)]
        return {"error": {"root_cause": root, **error}, "status": self.status}


PASS_THROUGH = {"parsing_exception", "x_content_parse_exception", "action_request_validation_exception",
                "search_phase_execution_exception", "search_context_missing_exception", "index_not_found_exception",
                "index_closed_exception"}


def wrap_shard_error(err: EsError, target: Target) -> EsError:
    if (err.type in PASS_THROUGH or err.status >= 500 or isinstance(err, ShardSearchFailure)
            or getattr(err, "no_wrap", False)):  # request-parsing errors reach the client unwrapped, as in ES
        return err
    name = target.index.name
    err.extra.setdefault("index_uuid", target.index.uuid) if err.type == "query_shard_exception" else None
    err.extra.setdefault("index", name)
    return ShardSearchFailure(
        err.status, "search_phase_execution_exception", "all shards failed", phase="query", grouped=True,
        failed_shards=[{"shard": 0, "index": name, "node": "es360-embedded-node", "reason": err.to_dict()}],
        caused_by=err)


_wrap = wrap_shard_error


def count_docs(engine: Engine, targets: list[Target], query: Any) -> int:
    total = 0
    searcher = Searcher(engine, targets, {"query": query} if query is not None else {}, {})
    for target in searcher.targets:
        try:
            _, docset = searcher.run_query(target)
        except EsError as err:
            raise wrap_shard_error(err, target) from None
        total += len(docset)
    return total


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """Lucene's StringHelper.murmurhash3_x86_32 (signed 32-bit result)."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & 0xFFFFFFFF
    n = len(data)
    rounded = n & ~3
    for i in range(0, rounded, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
        h = ((h << 13) | (h >> 19)) & 0xFFFFFFFF
        h = (h * 5 + 0xE6546B64) & 0xFFFFFFFF
    k = 0
    tail = n & 3
    if tail == 3:
        k = data[rounded + 2] << 16
    if tail >= 2:
        k |= data[rounded + 1] << 8
    if tail >= 1:
        k |= data[rounded]
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def es_shard_id(index: Any, doc_id: str | None) -> int:
    """The shard ES would route a document to (Murmur3 of the UTF-16 id, routing shards / factor)."""
    num_shards = max(1, int(index.setting("number_of_shards", 1)))
    if num_shards == 1 or doc_id is None:
        return 0
    state = index.docs.get(doc_id)
    routing = state.routing if state is not None and state.routing is not None else doc_id
    routing_shards = int(index.setting("number_of_routing_shards", 0) or 0) or _default_routing_shards(num_shards)
    raw = bytearray()
    for ch in routing:
        c = ord(ch)
        if c > 0xFFFF:  # surrogate pair, as Java's UTF-16 chars
            c -= 0x10000
            for unit in (0xD800 | (c >> 10), 0xDC00 | (c & 0x3FF)):
                raw += bytes((unit & 0xFF, unit >> 8))
        else:
            raw += bytes((c & 0xFF, (c >> 8) & 0xFF))
    h = murmur3_32(bytes(raw), 0)
    return (h % routing_shards) // max(1, routing_shards // num_shards)


def _default_routing_shards(num_shards: int) -> int:
    if num_shards >= 1024:
        return num_shards
    k = 0
    while num_shards * (2 ** (k + 1)) <= 1024:
        k += 1
    return num_shards * (2 ** k)


def copy_body(body: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(body)


# ---- scroll ----------------------------------------------------------------------------------------
@dataclass
class ScrollCursor:
    """A scroll's ranked per-shard results and how far each shard has been consumed."""

    searcher: Searcher
    shards: list[ShardResult]
    ranked: list[tuple[np.ndarray, np.ndarray, Any]]
    cursors: list[int]
    total: int
    max_score: float | None


def start_scroll(engine: Engine, views: list[tuple[Any, Any]], body: dict[str, Any],
                 params: dict[str, Any]) -> tuple[ScrollCursor, dict[str, Any]]:
    """Run a scroll's search over frozen views; returns the cursor and the first page's response."""
    start = time.perf_counter()
    searcher = Searcher(engine, [], body, params, views=views, scroll=True)
    if searcher.size == 0:
        raise action_request_validation(["[size] cannot be [0] in a scroll context"])
    if searcher.from_ > 0:
        raise action_request_validation(["using [from] is not allowed in a scroll context"])
    shards = searcher.execute_shards()
    ranked = []
    for s in shards:
        try:
            ranked.append(searcher.rank(s, None))
        except EsError as err:
            raise wrap_shard_error(err, s.target) from None
    total = sum(s.total for s in shards)
    max_score = searcher._max_score(shards, total)
    cursor = ScrollCursor(searcher, shards, ranked, [0] * len(shards), total, max_score)
    page = next_page(cursor)
    return cursor, searcher.respond(shards, page, start, total=total, max_score=max_score)


def next_page(cursor: ScrollCursor) -> list[tuple[int, int, float, list[Any]]]:
    searcher = cursor.searcher
    size = searcher.size
    candidates: list[tuple[int, int, float, list[Any], int]] = []
    for s_i, (docs, scores, source) in enumerate(cursor.ranked):
        c = cursor.cursors[s_i]
        end = min(c + size, len(docs))
        doc_list = docs[c:end].tolist()
        score_list = scores[c:end].tolist()
        for k, j in enumerate(range(c, end)):
            candidates.append((s_i, doc_list[k], score_list[k], searcher.sort_values(source, j), j))
    if len(cursor.ranked) > 1:
        if searcher._score_sorted():
            candidates.sort(key=lambda r: (-r[2], r[0], r[1]))
        else:
            candidates.sort(key=functools.cmp_to_key(lambda a, b: _compare_rows(a, b, searcher.sort)))
    taken = candidates[:size]
    for s_i, _doc, _score, _sv, j in taken:
        cursor.cursors[s_i] = max(cursor.cursors[s_i], j + 1)
    return [(s_i, doc, score, sv) for s_i, doc, score, sv, _ in taken]


def continue_scroll(cursor: ScrollCursor) -> dict[str, Any]:
    start = time.perf_counter()
    page = next_page(cursor)
    return cursor.searcher.respond(cursor.shards, page, start, aggs=False, total=cursor.total,
                                   max_score=cursor.max_score)


# Extension points filled by other modules
SEARCH_HOOKS: dict[str, Any] = {}
HIT_HOOKS: list[Any] = []
RESPONSE_HOOKS: list[Any] = []

__all__ = ["Searcher", "count_docs", "SEARCH_HOOKS", "HIT_HOOKS", "RESPONSE_HOOKS", "empty", "INT", "constant",
           "union", "wrap_shard_error", "SortColumn", "parse_sort"]
