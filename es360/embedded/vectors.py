"""Dense-vector search: the top-level `knn` search section and the `knn` / `vector_similarity` queries.

Search is exact (brute force) with numpy: each field's vectors are stacked into one float32 matrix
(`VectorColumn.matrix()`), and per-column derived data (row norms for cosine, squared norms for l2)
is cached until the column grows. Scores follow Elasticsearch:

- cosine            (1 + cos) / 2
- dot_product       (1 + dot) / 2
- l2_norm           1 / (1 + d²)
- max_inner_product dot < 0 ? 1 / (1 - dot) : dot + 1

`similarity` thresholds are given in the raw similarity space (cosine, dot product, or the l2
distance), as in ES.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import EsError, illegal_argument, mapper_parsing, parsing_exception
from .query import INT, DocSet, QueryContext, empty, execute, intersect, query

NUM_CANDIDATES_LIMIT = 10_000
KNN_KEYS = {"field", "query_vector", "k", "num_candidates", "filter", "similarity", "boost", "_name",
            "inner_hits", "query_vector_builder", "rescore_vector"}
KNN_QUERY_KEYS = {"field", "query_vector", "k", "num_candidates", "filter", "similarity", "boost", "_name",
                  "query_vector_builder", "rescore_vector"}
SIMILARITY_QUERY_KEYS = {"field", "query_vector", "num_candidates", "similarity", "boost", "_name", "filter"}


@dataclass
class KnnSpec:
    """One parsed kNN clause (top-level section or query).

    `squared_l2`: the `similarity` threshold of an l2_norm field is a squared distance (the
    vector_similarity query); otherwise it is the distance itself, as for knn.
    """

    field: str
    vector: np.ndarray
    k: int
    num_candidates: int
    filters: list[dict[str, Any]] = field(default_factory=list)
    similarity: float | None = None
    boost: float = 1.0
    name: str | None = None
    inner_hits: dict[str, Any] | None = None
    squared_l2: bool = False


# ---- mapping validation --------------------------------------------------------------------------
# dense_vector `index_options` types and the parameters each accepts (besides `type`), as in ES
_HNSW = {"m", "ef_construction"}
INDEX_OPTION_PARAMS: dict[str, set[str]] = {
    "hnsw": _HNSW,
    "int8_hnsw": _HNSW | {"confidence_interval", "rescore_vector"},
    "int4_hnsw": _HNSW | {"confidence_interval", "rescore_vector"},
    "bbq_hnsw": _HNSW | {"rescore_vector"},
    "flat": set(),
    "int8_flat": {"confidence_interval", "rescore_vector"},
    "int4_flat": {"confidence_interval", "rescore_vector"},
    "bbq_flat": {"rescore_vector"},
}
_FLOAT_ONLY = {"int8_hnsw", "int4_hnsw", "bbq_hnsw", "int8_flat", "int4_flat", "bbq_flat"}


def validate_index_options(name: str, options: Any, element_type: str) -> None:
    """Reject a dense_vector `index_options` ES would refuse (unknown type, foreign parameters)."""
    if not isinstance(options, dict):
        raise mapper_parsing(f"Failed to parse mapping: [index_options] on field [{name}] must be an object")
    kind = options.get("type")
    if kind is None:
        raise mapper_parsing("Failed to parse mapping: [index_options] requires field [type] to be configured")
    if kind not in INDEX_OPTION_PARAMS:
        raise mapper_parsing(f"Failed to parse mapping: Unknown vector index options type [{kind}] for field "
                             f"[{name}]")
    extra = [key for key in options if key != "type" and key not in INDEX_OPTION_PARAMS[kind]]
    if extra:
        items = ", ".join(f"{key} : {options[key]}" for key in extra)
        raise mapper_parsing(f"Failed to parse mapping: Mapping definition for [{name}] has unsupported "
                             f"parameters:  [{items}]")
    for key in ("m", "ef_construction"):
        value = options.get(key)
        if value is not None and (type(value) is not int or value < 1):
            raise mapper_parsing(f"Failed to parse mapping: [{key}] must be a positive integer but was [{value}]")
    if element_type != "float" and kind in _FLOAT_ONLY:
        raise mapper_parsing(f"Failed to parse mapping: [element_type] cannot be [{element_type}] when using "
                             f"index type [{kind}]")


# ---- parsing -------------------------------------------------------------------------------------
def _parse_error(reason: str, what: str = "knn") -> EsError:
    """Builder validation failures surface as x_content_parse_exception caused by illegal_argument."""
    return EsError(400, "x_content_parse_exception", f"[1:1] [{what}] failed to parse field [{what}]",
                   line=1, col=1, caused_by=illegal_argument(reason))


def parse_knn(spec: Any, default_k: int, *, what: str = "knn", allowed: set[str] = KNN_KEYS,
              is_query: bool = False) -> KnnSpec:
    if not isinstance(spec, dict):
        raise parsing_exception(f"[{what}] malformed, expected an object")
    for key in spec:
        if key not in allowed:
            raise parsing_exception(f"[{what}] unknown field [{key}]")
    if "query_vector_builder" in spec:
        if "query_vector" in spec:
            raise _parse_error("cannot provide both [query_vector_builder] and [query_vector]", what)
        raise illegal_argument("[query_vector_builder] is not supported by the embedded engine: no inference "
                               "models are available; pass a [query_vector] instead")
    if "field" not in spec:
        raise _parse_error("[field] must not be null", what)
    if "query_vector" not in spec:
        raise _parse_error("either [query_vector] or [query_vector_builder] must be provided", what)
    raw = spec["query_vector"]
    if isinstance(raw, str):
        vector = _hex_vector(raw)
    elif isinstance(raw, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw):
        vector = np.asarray(raw, dtype=np.float32)
    else:
        raise parsing_exception(f"[{what}] failed to parse field [query_vector]")
    k_given = spec.get("k")
    nc_given = spec.get("num_candidates")
    k = _positive_int(k_given, "k", what) if k_given is not None else None
    num_candidates = _positive_int(nc_given, "num_candidates", what, allow_zero=True) if nc_given is not None \
        else None
    if k is not None and k < 1:
        raise _parse_error("[k] must be greater than 0", what)
    if num_candidates is not None:
        if num_candidates > NUM_CANDIDATES_LIMIT:
            raise _parse_error(f"[num_candidates] cannot exceed [{NUM_CANDIDATES_LIMIT}]", what)
        if num_candidates < 1:
            raise _parse_error("[num_candidates] must be greater than 0", what)
    if k is None:
        # the knn query collects num_candidates docs per shard when k is not given
        k = num_candidates if is_query and num_candidates is not None else max(1, default_k)
    if num_candidates is None:
        num_candidates = min(NUM_CANDIDATES_LIMIT, max(k, math.ceil(1.5 * k)))
    if num_candidates < k:
        raise _parse_error("[num_candidates] cannot be less than [k]", what)
    filters = spec.get("filter")
    filter_list = [] if filters is None else filters if isinstance(filters, list) else [filters]
    similarity = spec.get("similarity")
    if similarity is not None:
        try:
            similarity = float(similarity)
        except (TypeError, ValueError):
            raise parsing_exception(f"[{what}] failed to parse field [similarity]") from None
    try:
        boost = float(spec.get("boost", 1.0))
    except (TypeError, ValueError):
        raise parsing_exception(f"[{what}] failed to parse field [boost]") from None
    inner = spec.get("inner_hits")
    return KnnSpec(str(spec["field"]), vector, k, num_candidates, filter_list, similarity, boost,
                   spec.get("_name"), inner if isinstance(inner, dict) else None)


def _positive_int(value: Any, name: str, what: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise parsing_exception(f"[{what}] failed to parse field [{name}]")
    try:
        return int(value)
    except ValueError:
        raise parsing_exception(f"[{what}] failed to parse field [{name}]") from None


def _hex_vector(text: str) -> np.ndarray:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise illegal_argument(f"Failed to parse hex query vector [{text}]") from None
    return np.frombuffer(raw, dtype=np.int8).astype(np.float32)


def parse_section(value: Any, default_k: int) -> list[KnnSpec]:
    """The top-level `knn` search section: an object or a list of objects."""
    items = value if isinstance(value, list) else [value]
    return [parse_knn(item, default_k) for item in items]


# ---- scoring -------------------------------------------------------------------------------------
class _ColumnCache:
    """Derived matrices per vector column, rebuilt when the column grows (bounded LRU)."""

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = capacity
        self.entries: OrderedDict[int, tuple[Any, int, dict[str, Any]]] = OrderedDict()

    def get(self, column: Any) -> dict[str, Any]:
        key = id(column)
        n = len(column.rows)
        entry = self.entries.get(key)
        if entry is not None and entry[0] is column and entry[1] == n:
            self.entries.move_to_end(key)
            return entry[2]
        docs, matrix = column.matrix()
        data: dict[str, Any] = {"docs": docs, "matrix": np.ascontiguousarray(matrix, dtype=np.float32)}
        self.entries[key] = (column, n, data)
        self.entries.move_to_end(key)
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)
        return data


_CACHE = _ColumnCache()


def column_data(column: Any) -> dict[str, Any]:
    return _CACHE.get(column)


def _norms(data: dict[str, Any]) -> np.ndarray:
    """Row norms (zero rows count as 1), cached: cosine = (m @ q) / (|m| |q|) without a normalized copy."""
    out = data.get("norms")
    if out is None:
        norms = np.sqrt(_sq_norms(data))
        norms[norms == 0] = 1.0
        out = data["norms"] = norms
    return out


def _sq_norms(data: dict[str, Any]) -> np.ndarray:
    out = data.get("sq_norms")
    if out is None:
        m = data["matrix"]
        out = data["sq_norms"] = np.einsum("ij,ij->i", m, m).astype(np.float64)
    return out


def similarity_name(f: Any) -> str:
    sim = f.params.get("similarity")
    if sim:
        return str(sim)
    return "l2_norm" if f.params.get("element_type") in ("bit",) else "cosine"


def score_rows(data: dict[str, Any], rows: np.ndarray | None, q: np.ndarray, sim: str,
               byte: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(scores, raw similarities) for the given matrix rows (None = all rows).

    `byte`: byte vectors score dot_product as 0.5 + dot / (32768 * dims), as ES does.
    """
    q = q.astype(np.float32)
    if sim == "cosine":
        mat = data["matrix"]
        norms = _norms(data)
        qn = float(np.linalg.norm(q)) or 1.0
        m = mat if rows is None else mat[rows]
        n = norms if rows is None else norms[rows]
        raw = (m @ (q / qn)).astype(np.float64) / n
        raw = np.clip(raw, -1.0, 1.0)
        return (1.0 + raw) / 2.0, raw
    mat = data["matrix"]
    m = mat if rows is None else mat[rows]
    dot = (m @ q).astype(np.float64)
    if sim == "dot_product":
        if byte:
            return 0.5 + dot / (32768.0 * max(1, len(q))), dot
        return (1.0 + dot) / 2.0, dot
    if sim == "max_inner_product":
        return np.where(dot < 0, 1.0 / (1.0 - dot), dot + 1.0), dot
    # l2_norm
    sq = _sq_norms(data)
    sq = sq if rows is None else sq[rows]
    d2 = np.maximum(sq - 2.0 * dot + float(np.dot(q.astype(np.float64), q.astype(np.float64))), 0.0)
    return 1.0 / (1.0 + d2), np.sqrt(d2)


def _passes(raw: np.ndarray, sim: str, threshold: float) -> np.ndarray:
    if sim == "l2_norm":
        return raw <= threshold
    return raw >= threshold


def vector_field(ctx: QueryContext, name: str, *, strict_unmapped: bool = False, what: str = "knn") -> Any:
    """The mapped dense_vector field, None when unmapped (match none), or an error."""
    f = ctx.field(name)
    if f is None:
        if strict_unmapped or ctx.index.setting("query.parse.allow_unmapped_fields") == "false":
            raise EsError(400, "query_shard_exception",
                          f"No field mapping can be found for the field with name [{name}]",
                          index=ctx.index.name, index_uuid=ctx.index.uuid)
        return None
    if f.type != "dense_vector":
        raise illegal_argument(f"[{what}] queries are only supported on [dense_vector] fields")
    if f.params.get("index") is False:
        raise illegal_argument(f"to perform knn search on field [{name}], its mapping must have [index] set to "
                               f"[true]")
    return f


def check_dims(f: Any, q: np.ndarray, data: dict[str, Any] | None) -> None:
    dims = f.params.get("dims")
    if dims is None and data is not None and data["matrix"].ndim == 2 and data["matrix"].shape[0]:
        dims = data["matrix"].shape[1]
    if dims is not None and int(dims) != len(q):
        raise illegal_argument(f"The query vector has a different number of dimensions [{len(q)}] than the "
                               f"document vectors [{int(dims)}].")
    if f.params.get("element_type") == "byte":
        if np.any(q != np.round(q)) or np.any(q < -128) or np.any(q > 127):
            bad = next(float(v) for v in q.tolist() if v != round(v) or not -128 <= v <= 127)
            raise illegal_argument(f"element_type [byte] vectors only support integers between [-128, 127] but "
                                   f"found [{bad}] at dim [{int(np.flatnonzero(q == bad)[0])}]; Preview "
                                   f"[{', '.join(str(v) for v in q.tolist()[:10])}]")
    if similarity_name(f) == "cosine" and not np.any(q):
        raise illegal_argument("The [cosine] similarity does not support vectors with zero magnitude. "
                               "Preview of invalid vector: " + str(q.tolist()[:10]))


def candidate_scores(ctx: QueryContext, f: Any, spec: KnnSpec, allowed: np.ndarray) -> tuple[np.ndarray,
                                                                                          np.ndarray]:
    """Scores of every vector whose doc is in the `allowed` bool mask (docs, scores), unordered."""
    column = ctx.seg.vectors.get(spec.field)
    if column is None or len(column.rows) == 0:
        check_dims(f, spec.vector, None)
        return np.zeros(0, dtype=INT), np.zeros(0)
    data = column_data(column)
    check_dims(f, spec.vector, data)
    docs = data["docs"]
    n_mask = len(allowed)
    inside = docs < n_mask
    ok = np.zeros(len(docs), dtype=bool)
    ok[inside] = allowed[docs[inside]]
    count = int(ok.sum())
    if count == 0:
        return np.zeros(0, dtype=INT), np.zeros(0)
    sim = similarity_name(f)
    byte = f.params.get("element_type") == "byte"
    if count < 0.5 * len(docs):
        rows = np.flatnonzero(ok)
        scores, raw = score_rows(data, rows, spec.vector, sim, byte)
        cand_docs = docs[rows]
    else:
        scores, raw = score_rows(data, None, spec.vector, sim, byte)
        scores, raw, cand_docs = scores[ok], raw[ok], docs[ok]
    if spec.similarity is not None:
        threshold = spec.similarity
        if sim == "l2_norm" and spec.squared_l2:
            threshold = math.sqrt(max(threshold, 0.0))
        keep = _passes(raw, sim, threshold)
        scores, cand_docs = scores[keep], cand_docs[keep]
    return cand_docs.astype(INT), scores


def top_k(docs: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (docs, scores), best first; ties broken by lower docnum."""
    if len(docs) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        docs, scores = docs[part], scores[part]
    order = np.lexsort((docs, -scores))
    return docs[order], scores[order]


def _filter_mask(ctx: QueryContext, filters: list[dict[str, Any]], base: np.ndarray) -> np.ndarray:
    mask = base.copy()
    for clause in filters:
        ds = execute(clause, ctx)
        keep = np.zeros(len(mask), dtype=bool)
        keep[ds.docs] = True
        mask &= keep
    return mask


def prefilter_mask(ctx: QueryContext, filters: list[dict[str, Any]]) -> np.ndarray:
    """Eligible docs at the context's level: scope, alias filter (a pre-filter as in ES) and `filter`."""
    mask = ctx.scope.copy()
    runner = ctx.runner
    alias_filter = getattr(runner, "alias_filter", None) if runner is not None else None
    if alias_filter is not None and ctx.nested_path is None:
        mask = _filter_mask(ctx, [alias_filter], mask)
    if filters:
        mask = _filter_mask(ctx, filters, mask)
    return mask


def nested_path_of(ctx: QueryContext, f: Any) -> str | None:
    path = getattr(f, "nested_path", None)
    if path is None:
        return None
    if ctx.nested_path == path:
        return None  # already searching the children (knn inside a nested query)
    return path


def child_candidates(ctx: QueryContext, f: Any, spec: KnnSpec, path: str,
                     parent_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores of nested vectors under `path` whose root parent is allowed: (child docs, scores)."""
    seg = ctx.seg
    n = seg.max_doc
    parents = np.frombuffer(seg.parent.tobytes(), dtype=np.int32)[:n]
    live = seg.live_mask()[:n]
    pmask = np.zeros(n, dtype=bool)
    pmask[: len(parent_mask)] = parent_mask[:n]
    child_ok = live & (parents >= 0)
    child_ok[child_ok] = pmask[parents[child_ok]]
    return candidate_scores(ctx, f, spec, child_ok)


def best_per_parent(ctx: QueryContext, child_docs: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray,
                                                                                            np.ndarray]:
    parents = np.frombuffer(ctx.seg.parent.tobytes(), dtype=np.int32)[child_docs]
    if not len(parents):
        return np.zeros(0, dtype=INT), np.zeros(0)
    uniq, inverse = np.unique(parents, return_inverse=True)
    best = np.full(len(uniq), -np.inf)
    np.maximum.at(best, inverse, scores)
    return uniq.astype(INT), best


def shard_knn(ctx: QueryContext, spec: KnnSpec, *, strict_unmapped: bool = False) -> DocSet:
    """Top-k docs of one shard for a kNN clause (top-level docs, or children in a nested context)."""
    f = vector_field(ctx, spec.field, strict_unmapped=strict_unmapped)
    if f is None:
        return empty()
    path = nested_path_of(ctx, f)
    if path is not None:
        parent_mask = prefilter_mask(ctx, spec.filters)
        cdocs, cscores = child_candidates(ctx, f, spec, path, parent_mask)
        docs, scores = best_per_parent(ctx, cdocs, cscores)
    else:
        mask = prefilter_mask(ctx, spec.filters)
        docs, scores = candidate_scores(ctx, f, spec, mask)
        if ctx.nested_path is not None and len(docs):
            # knn inside a nested query: diversify by parent (best child per parent)
            parents = np.frombuffer(ctx.seg.parent.tobytes(), dtype=np.int32)[docs]
            order = np.lexsort((docs, -scores))
            _, first = np.unique(parents[order], return_index=True)
            pick = order[first]
            docs, scores = docs[pick], scores[pick]
    docs, scores = top_k(docs, scores, spec.k)
    order = np.argsort(docs, kind="stable")
    return DocSet(docs[order].astype(INT), (scores[order] * spec.boost).astype(np.float32))


def nested_inner_hits(ctx: QueryContext, spec: KnnSpec, parent: int) -> tuple[np.ndarray, np.ndarray]:
    """Children of one parent scored against a nested kNN clause, best first (for knn inner_hits)."""
    f = ctx.field(spec.field)
    if f is None:
        return np.zeros(0, dtype=INT), np.zeros(0)
    seg = ctx.seg
    child = parent - 1
    kids = []
    while child >= 0 and seg.parent[child] == parent:
        if seg.nested_path.get(child) == f.nested_path:
            kids.append(child)
        child -= 1
    if not kids:
        return np.zeros(0, dtype=INT), np.zeros(0)
    mask = np.zeros(seg.max_doc, dtype=bool)
    mask[np.asarray(kids)] = True
    docs, scores = candidate_scores(ctx, f, spec, mask)
    order = np.lexsort((docs, -scores))
    return docs[order], scores[order] * spec.boost


# ---- the knn and vector_similarity queries --------------------------------------------------------
def _default_k(ctx: QueryContext) -> int:
    searcher = getattr(ctx.runner, "searcher", None)
    size = getattr(searcher, "size", None)
    return int(size) if size is not None and size > 0 else 10


@query("knn")
def q_knn(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    spec = parse_knn(body, _default_k(ctx), what="knn", allowed=KNN_QUERY_KEYS, is_query=True)
    return shard_knn(ctx, spec)


@query("vector_similarity")
def q_vector_similarity(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    if not isinstance(body, dict):
        raise parsing_exception("[vector_similarity] malformed")
    for key in body:
        if key not in SIMILARITY_QUERY_KEYS:
            raise parsing_exception(f"[vector_similarity] unknown field [{key}]")
    for required in ("field", "query_vector", "similarity", "num_candidates"):
        if required not in body:
            raise _parse_error(f"[{required}] must be provided", "vector_similarity")
    nc = body["num_candidates"]
    if not isinstance(nc, int) or nc < 1:
        raise _parse_error("[num_candidates] must be greater than 0", "vector_similarity")
    f = vector_field(ctx, str(body["field"]), strict_unmapped=True, what="vector_similarity")
    spec = parse_knn({**body, "k": nc}, nc, what="vector_similarity", allowed=SIMILARITY_QUERY_KEYS | {"k"})
    spec.squared_l2 = True
    del f
    return shard_knn(ctx, spec)


def knn_docsets(searcher: Any, specs: list[KnnSpec]) -> list[dict[str, DocSet]]:
    """DFS phase of the top-level knn section: per clause, the global top k split per index uuid."""
    out: list[dict[str, DocSet]] = []
    for spec in specs:
        per_target: list[tuple[str, DocSet]] = []
        for target in searcher.targets:
            ctx = searcher.context(target)
            try:
                ds = shard_knn(ctx, spec)
            except EsError as err:
                from .search import wrap_shard_error

                raise wrap_shard_error(err, target) from None
            per_target.append((target.index.uuid, ds))
        # global top k across shards
        all_scores = np.concatenate([ds.scores for _, ds in per_target]) if per_target else np.zeros(0)
        keep: dict[str, DocSet] = {}
        if len(all_scores) > spec.k:
            owners = np.concatenate([np.full(len(ds), i) for i, (_, ds) in enumerate(per_target)])
            docs_all = np.concatenate([ds.docs for _, ds in per_target])
            order = np.lexsort((docs_all, owners, -all_scores))[: spec.k]
            chosen = np.zeros(len(all_scores), dtype=bool)
            chosen[order] = True
            start = 0
            for uuid, ds in per_target:
                sel = chosen[start:start + len(ds)]
                keep[uuid] = DocSet(ds.docs[sel], ds.scores[sel])
                start += len(ds)
        else:
            keep = dict(per_target)
        out.append(keep)
    return out


def combine(query_ds: DocSet | None, knn_sets: list[DocSet]) -> DocSet:
    """Top-level query + knn: a disjunction whose scores add up (ES's bool should)."""
    from .query import union

    parts = ([query_ds] if query_ds is not None else []) + knn_sets
    if not parts:
        return empty()
    combined, _ = union(parts)
    return combined


__all__ = ["KnnSpec", "parse_knn", "parse_section", "shard_knn", "knn_docsets", "combine", "score_rows",
           "nested_inner_hits", "intersect"]
