"""Search execution: query each target index, sort, paginate, fetch hits, aggregate.

Each index is searched like a shard (query phase: matching docs, sort keys, top N), then the
per-index results are merged (reduce phase) and the final page fetched.
"""

from __future__ import annotations

import bisect
import functools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine import Engine, Target
from .errors import EsError, illegal_argument, parsing_exception, search_phase_failure
from .query import INT, DocSet, QueryContext, empty, execute, intersect
from .source_filter import filter_source, parse_source_param

BODY_KEYS = {
    "query", "from", "size", "sort", "_source", "track_total_hits", "search_after", "pit", "aggs",
    "aggregations", "highlight", "knn", "retriever", "rank", "min_score", "post_filter", "docvalue_fields",
    "fields", "stored_fields", "explain", "version", "seq_no_primary_term", "timeout", "terminate_after",
    "collapse", "rescore", "suggest", "script_fields", "indices_boost", "profile", "track_scores",
    "runtime_mappings", "ext", "stats", "slice",
}
DEFAULT_TRACK = 10_000


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
        if not isinstance(item, dict) or len(item) != 1:
            raise parsing_exception("[sort] malformed sort element")
        name, options = next(iter(item.items()))
        if name in ("_geo_distance", "_script"):
            raise parsing_exception(f"[sort] sorting by [{name}] is not supported")
        if isinstance(options, str):
            options = {"order": options}
        allowed = {"order", "missing", "mode", "unmapped_type", "format", "numeric_type", "nested"}
        for key in options:
            if key not in allowed:
                raise parsing_exception(f"[field_sort] unknown field [{key}]")
        order = options.get("order", "desc" if name == "_score" else "asc")
        if order not in ("asc", "desc"):
            raise illegal_argument(f"Unknown SortOrder [{order}]")
        out.append(SortField(name, order, options.get("missing", "_last"), options.get("mode"),
                             options.get("unmapped_type"), options.get("format"), options.get("numeric_type")))
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
        raise illegal_argument("[track_total_hits] parameter must be positive or equals to -1")
    return None if limit == -1 else limit


class Searcher:
    """One search request against resolved targets."""

    def __init__(self, engine: Engine, targets: list[Target], body: dict[str, Any], params: dict[str, Any],
                 snapshot: dict[str, Any] | None = None) -> None:
        self.engine = engine
        self.targets = targets
        self.body = body
        self.params = params
        self.snapshot = snapshot or {}
        self.now = int(time.time() * 1000)
        for key in body:
            if key not in BODY_KEYS:
                raise parsing_exception(f"Unknown key for a START_OBJECT in [{key}].") if isinstance(
                    body[key], dict) else parsing_exception(f"Unknown key for a VALUE_STRING in [{key}].")
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
        self.track = _track_limit(body.get("track_total_hits", params.get("track_total_hits")))
        self.search_after = body.get("search_after")
        if self.search_after is not None and self.from_ > 0:
            raise illegal_argument("[from] parameter must be set to 0 when [search_after] is used")
        self.min_score = body.get("min_score")

    # ---- query phase ------------------------------------------------------------------------
    def context(self, target: Target) -> QueryContext:
        index = target.index
        snap = self.snapshot.get(index.uuid)
        if snap is not None:
            scope = snap["live"] & snap["root"]
        else:
            scope = index.segment.root_mask()
        return QueryContext(index, scope, self.now, runner=QueryHooks(self))

    def run_query(self, target: Target) -> tuple[QueryContext, DocSet]:
        ctx = self.context(target)
        query = self.body.get("query")
        if query is None and self.params.get("q"):
            query = {"query_string": {"query": self.params["q"], **_q_options(self.params)}}
        docset = execute(query, ctx) if query is not None else execute({"match_all": {}}, ctx)
        if target.alias_filter:
            docset = intersect(docset, execute(target.alias_filter, ctx), add_scores=False)
        knn_hook = SEARCH_HOOKS.get("knn")
        if knn_hook is not None and (self.body.get("knn") is not None):
            docset = knn_hook(self, ctx, docset, query is not None)
        if self.min_score is not None:
            keep = docset.scores >= float(self.min_score)
            docset = DocSet(docset.docs[keep], docset.scores[keep])
        return ctx, docset

    def shard(self, target: Target) -> ShardResult:
        ctx, docset = self.run_query(target)
        agg_docset = docset
        if self.body.get("post_filter") is not None:
            post = execute(self.body["post_filter"], ctx)
            docset = intersect(docset, post, add_scores=False)
        result = ShardResult(target, ctx, docset, len(docset), docset.docs, docset.scores)
        result.agg_docset = agg_docset  # type: ignore[attr-defined]
        self._top(result)
        return result

    def _top(self, result: ShardResult) -> None:
        docs, scores = result.docset.docs, result.docset.scores
        n = self.from_ + self.size
        if not self.sort or (len(self.sort) == 1 and self.sort[0].is_score and self.sort[0].order == "desc"):
            order = np.lexsort((docs, -scores))
            if self.search_after is not None:
                after = float(self.search_after[0])
                keep = (scores < after) | ((scores == after) & (docs > int(self.search_after[1])
                                                                 if len(self.search_after) > 1 else False))
                order = order[keep[order]]
            top = order[:n]
            result.top_docs = docs[top]
            result.top_scores = scores[top]
            result.top_sort = [[float(s)] for s in result.top_scores] if self.sort else []
            return
        keys, outputs = sort_keys(result.ctx, docs, scores, self.sort)
        mask = np.ones(len(docs), dtype=bool)
        if self.search_after is not None:
            mask = after_mask(keys, self.search_after, self.sort, result.ctx)
        lex = [docs] + [k for k in reversed(keys)]
        order = np.lexsort(lex)
        order = order[mask[order]]
        top = order[:n]
        result.top_docs = docs[top]
        result.top_scores = scores[top]
        result.top_sort = [[out[i] for out in outputs] for i in top]

    # ---- reduce + fetch ---------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        start = time.perf_counter()
        shards: list[ShardResult] = []
        for target in self.targets:
            try:
                shards.append(self.shard(target))
            except EsError as err:
                raise _wrap(err, target) from None
            target.index.stats["query_total"] += 1
        merged = self._merge(shards)
        page = merged[self.from_:self.from_ + self.size]
        hits = [self.fetch(shards[s], doc, score, sort_values) for s, doc, score, sort_values in page]
        total = sum(s.total for s in shards)
        max_score = None
        track_scores = not self.sort or any(s.is_score for s in self.sort) or self.body.get("track_scores")
        if shards and track_scores and total:
            all_scores = np.concatenate([s.docset.scores for s in shards])
            max_score = float(all_scores.max()) if len(all_scores) else None
        hits_obj: dict[str, Any] = {}
        if self.track != 0:
            value, relation = total, "eq"
            if self.track is not None and total > self.track:
                value, relation = self.track, "gte"
            if self.params.get("rest_total_hits_as_int") in ("true", ""):
                hits_obj["total"] = total
            else:
                hits_obj["total"] = {"value": value, "relation": relation}
        hits_obj["max_score"] = max_score
        hits_obj["hits"] = hits
        response: dict[str, Any] = {
            "took": int((time.perf_counter() - start) * 1000),
            "timed_out": False,
            "_shards": {"total": len(self.targets), "successful": len(self.targets), "skipped": 0, "failed": 0},
            "hits": hits_obj,
        }
        aggs = self.body.get("aggs", self.body.get("aggregations"))
        if aggs is not None:
            from .aggs import aggregate

            parts = [(s.ctx, s.agg_docset) for s in shards]  # type: ignore[attr-defined]
            response["aggregations"] = aggregate(aggs, parts, self)
        for hook in RESPONSE_HOOKS:
            hook(self, shards, response)
        return response

    def _merge(self, shards: list[ShardResult]) -> list[tuple[int, int, float, list[Any]]]:
        rows = []
        for s_i, shard in enumerate(shards):
            for j, doc in enumerate(shard.top_docs.tolist()):
                sort_values = shard.top_sort[j] if shard.top_sort else []
                rows.append((s_i, doc, float(shard.top_scores[j]), sort_values))
        if len(shards) <= 1:
            return rows
        if not self.sort:
            rows.sort(key=lambda r: (-r[2], r[0], r[1]))
            return rows
        rows.sort(key=functools.cmp_to_key(lambda a, b: _compare_rows(a, b, self.sort)))
        return rows

    def fetch(self, shard: ShardResult, docnum: int, score: float, sort_values: list[Any]) -> dict[str, Any]:
        index = shard.target.index
        doc_id = index.segment.ids[docnum]
        state = index.docs.get(doc_id) if doc_id is not None else None
        hit: dict[str, Any] = {"_index": index.name, "_id": doc_id}
        scored = not self.sort or any(s.is_score for s in self.sort) or self.body.get("track_scores")
        hit["_score"] = float(np.float32(score)) if scored else None
        if self.body.get("version") or self.params.get("version") in ("true", ""):
            hit["_version"] = state.version if state else 1
        if self.body.get("seq_no_primary_term") or self.params.get("seq_no_primary_term") in ("true", ""):
            hit["_seq_no"] = state.seq_no if state else 0
            hit["_primary_term"] = state.primary_term if state else 1
        if state is not None and state.routing is not None:
            hit["_routing"] = state.routing
        fetch, inc, exc = parse_source_param(
            self.body.get("_source", self.params.get("_source")),
            self.params.get("_source_includes"), self.params.get("_source_excludes"))
        if self.body.get("stored_fields") == "_none_" or self.params.get("stored_fields") == "_none_":
            fetch = False
            hit.pop("_id", None) if False else None
        raw = index.source_bytes(docnum)
        source = None
        if raw is not None:
            import orjson

            source = orjson.loads(raw)
        if fetch and source is not None and index.mapping.source_enabled:
            hit["_source"] = filter_source(source, inc, exc)
        for hook in HIT_HOOKS:
            hook(self, shard, docnum, source, hit)
        if self.sort:
            hit["sort"] = sort_values
        return hit


class QueryHooks:
    """Callbacks queries use for features implemented at the search level (terms lookup, knn, ...)."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher

    def terms_lookup(self, spec: dict[str, Any]) -> list[Any] | None:
        if not {"index", "id", "path"} <= set(spec):
            return None
        index = self.searcher.engine.indices.get(spec["index"])
        state = index.get(str(spec["id"])) if index else None
        if state is None:
            return []
        node: Any = index.source(state)
        values: list[Any] = []
        _collect_path(node, spec["path"].split("."), values)
        return values


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
    elif isinstance(node, dict) and parts[0] in node:
        _collect_path(node[parts[0]], parts[1:], out)


# ---- sorting ---------------------------------------------------------------------------------------
_MISSING_HIGH = float("inf")


def sort_keys(ctx: QueryContext, docs: np.ndarray, scores: np.ndarray,
              sort: list[SortField]) -> tuple[list[np.ndarray], list[list[Any]]]:
    """Per sort field: a numeric key array (ascending = better) and the output values per doc."""
    keys: list[np.ndarray] = []
    outputs: list[list[Any]] = []
    for s in sort:
        if s.is_score:
            key = scores.astype(np.float64)
            keys.append(-key if s.order == "desc" else key)
            outputs.append([float(v) for v in scores])
            continue
        if s.is_doc:
            key = docs.astype(np.float64)
            keys.append(-key if s.order == "desc" else key)
            outputs.append([int(d) for d in docs])
            continue
        key, out = field_sort_values(ctx, docs, s)
        keys.append(key)
        outputs.append(out)
    return keys, outputs


def field_sort_values(ctx: QueryContext, docs: np.ndarray, s: SortField) -> tuple[np.ndarray, list[Any]]:
    if s.field in ("_id",):
        raise illegal_argument("Fielddata access on the _id field is disallowed, you can re-enable it by updating "
                               "the dynamic cluster setting: indices.id_field_data.enabled")
    f = ctx.field(s.field)
    col = ctx.seg.columns.get(s.field)
    if f is None and s.unmapped_type is None:
        raise EsError(400, "query_shard_exception", f"No mapping found for [{s.field}] in order to sort on",
                      index=ctx.index.name, index_uuid=ctx.index.uuid)
    if f is not None and f.is_text and not f.params.get("fielddata"):
        raise illegal_argument(
            f"Fielddata is disabled on [{s.field}] in [{ctx.index.name}]. Text fields are not optimised for "
            f"operations that require per-document field data like aggregations and sorting, so these operations "
            f"are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on "
            f"[{s.field}] in order to load field data by uninverting the inverted index. Note that this can use "
            f"significant memory.")
    desc = s.order == "desc"
    mode = s.mode or ("max" if desc else "min")
    n = len(docs)
    raw = np.full(n, np.nan)
    if col is not None and n:
        cdocs, cvalues = col.arrays()
        lo = np.searchsorted(cdocs, docs, "left")
        hi = np.searchsorted(cdocs, docs, "right")
        has = hi > lo
        vals = cvalues.astype(np.float64) if col.kind == "num" else col.ord_rank()[cvalues].astype(np.float64)
        if has.any():
            if mode in ("min", "max") and col.kind == "num":
                raw[has] = vals[lo[has]] if mode == "min" else vals[hi[has] - 1]
            else:
                starts = lo[has]
                reducer = {"min": np.minimum, "max": np.maximum}.get(mode)
                if reducer is not None:
                    raw[has] = reducer.reduceat(vals, starts)[: has.sum()] if False else _reduce(
                        vals, lo[has], hi[has], mode)
                else:
                    raw[has] = _reduce(vals, lo[has], hi[has], mode)
    missing_mask = np.isnan(raw)
    key = -raw if desc else raw.copy()
    missing = s.missing
    if missing == "_last" or missing is None:
        key[missing_mask] = _MISSING_HIGH
    elif missing == "_first":
        key[missing_mask] = -_MISSING_HIGH
    else:
        key[missing_mask] = _missing_key(ctx, f, col, missing, desc)
    outputs = _sort_outputs(ctx, f, col, raw, missing_mask, s, desc)
    return key, outputs


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


def _sort_outputs(ctx: QueryContext, f: Any, col: Any, raw: np.ndarray, missing: np.ndarray, s: SortField,
                  desc: bool) -> list[Any]:
    out: list[Any] = []
    is_str = col is not None and col.kind == "str" or (f is not None and (f.is_keyword or f.type == "ip"))
    if is_str:
        sorted_vocab = sorted(col.vocab) if col is not None else []
        for v, m in zip(raw.tolist(), missing.tolist(), strict=True):
            out.append(None if m else sorted_vocab[int(v)])
        return out
    ftype = f.type if f is not None else s.unmapped_type or "long"
    integral = ftype in ("long", "integer", "short", "byte", "date", "unsigned_long", "date_nanos", "boolean")
    for v, m in zip(raw.tolist(), missing.tolist(), strict=True):
        if m:
            if s.missing not in ("_last", "_first", None):
                out.append(s.missing)
            elif integral:
                out.append(-(2**63) if (s.missing == "_first") != desc else 2**63 - 1)
            else:
                out.append(float("-inf") if (s.missing == "_first") != desc else float("inf"))
        elif ftype in ("date", "date_nanos") and s.format:
            from .dates import get_formatter

            out.append(get_formatter(s.format).format(int(v)))
        elif integral:
            out.append(int(v))
        else:
            out.append(float(v))
    return out


def after_mask(keys: list[np.ndarray], after: list[Any], sort: list[SortField], ctx: QueryContext) -> np.ndarray:
    """Docs strictly after the `search_after` values in sort order."""
    if len(after) != len(sort):
        raise illegal_argument(f"search_after has {len(after)} value(s) but sort has {len(sort)}.")
    n = len(keys[0]) if keys else 0
    greater = np.zeros(n, dtype=bool)
    equal = np.ones(n, dtype=bool)
    for key, value, s in zip(keys, after, sort, strict=True):
        target = _after_key(ctx, s, value)
        greater |= equal & (key > target)
        equal &= key == target
    return greater


def _after_key(ctx: QueryContext, s: SortField, value: Any) -> float:
    desc = s.order == "desc"
    if s.is_score or s.is_doc:
        v = float(value)
        return -v if desc else v
    col = ctx.seg.columns.get(s.field)
    if value is None:
        return _MISSING_HIGH if s.missing in ("_last", None) else -_MISSING_HIGH
    if col is not None and col.kind == "str":
        vocab_sorted = sorted(col.vocab)
        pos = bisect.bisect_left(vocab_sorted, str(value))
        rank = pos if pos < len(vocab_sorted) and vocab_sorted[pos] == str(value) else pos - 0.5
        return -rank if desc else rank
    f = ctx.field(s.field)
    if f is not None and f.type in ("date", "date_nanos") and isinstance(value, str):
        from .dates import get_formatter

        v = float(get_formatter(s.format or f.date_format).parse(value))
    else:
        v = float(value)
    if abs(v) >= 2**63 - 1:
        return _MISSING_HIGH if (v > 0) != desc else -_MISSING_HIGH
    return -v if desc else v


def _compare_rows(a: tuple, b: tuple, sort: list[SortField]) -> int:
    for i, s in enumerate(sort):
        va, vb = a[3][i], b[3][i]
        if va == vb:
            continue
        if va is None:
            return 1
        if vb is None:
            return -1
        result = -1 if va < vb else 1
        return -result if s.order == "desc" else result
    return (a[0] > b[0]) - (a[0] < b[0]) or (a[1] > b[1]) - (a[1] < b[1])


def _int(value: Any, name: str) -> int:
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


def _wrap(err: EsError, target: Target) -> EsError:
    if err.type in ("parsing_exception", "x_content_parse_exception", "action_request_validation_exception",
                    "search_phase_execution_exception") or err.status >= 500:
        return err
    err.extra.setdefault("index", target.index.name)
    return search_phase_failure(err)


def count_docs(engine: Engine, targets: list[Target], query: Any) -> int:
    total = 0
    searcher = Searcher(engine, targets, {"query": query} if query is not None else {}, {})
    for target in targets:
        try:
            _, docset = searcher.run_query(target)
        except EsError as err:
            raise _wrap(err, target) from None
        total += len(docset)
    return total


# Extension points filled by other modules (highlight, knn, inner hits, ...)
SEARCH_HOOKS: dict[str, Any] = {}
HIT_HOOKS: list[Any] = []
RESPONSE_HOOKS: list[Any] = []

__all__ = ["Searcher", "count_docs", "SEARCH_HOOKS", "HIT_HOOKS", "RESPONSE_HOOKS", "empty", "INT"]
