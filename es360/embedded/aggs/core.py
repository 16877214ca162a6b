"""Vectorized data access for aggregations.

A *scope* is the set of documents an aggregation level sees, for all parent buckets at once: per index
(a `Part`), parallel arrays of docnums and parent-bucket ids ("rows"). A doc appears once per bucket it
belongs to. Bucket aggregations turn a scope into a child scope; metrics reduce a scope per bucket id.
Everything stays in numpy so that a terms aggregation over a million documents is a handful of passes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from ..errors import EsError, illegal_argument
from ..query import QueryContext, execute
from .formats import ip_sort_key

I64 = np.int64
I32 = np.int32
EMPTY_I32 = np.zeros(0, dtype=I32)
EMPTY_I64 = np.zeros(0, dtype=I64)
MAX_BUCKETS = 65536


def too_many_buckets(count: int) -> EsError:
    return EsError(400, "too_many_buckets_exception",
                   f"Trying to create too many buckets. Must be less than or equal to: [{MAX_BUCKETS}] but was "
                   f"[{count}]. This limit can be set by changing the [search.max_buckets] cluster level setting.",
                   max_buckets=MAX_BUCKETS)


# ---- per-column derived data, cached while the column is unchanged ------------------------------------
class ColInfo:
    """A column's arrays plus what aggregations derive from them (dedup mask, sorted-key ordinals)."""

    __slots__ = ("col", "kind", "docs", "values", "single", "_first", "_ords", "_keys", "ip")

    def __init__(self, col: Any, ip: bool = False) -> None:
        self.col = col
        self.kind = col.kind
        self.docs, self.values = col.arrays()
        d = self.docs
        self.single = bool(len(d) < 2 or np.all(d[1:] > d[:-1]))
        self._first: np.ndarray | None = None
        self._ords: np.ndarray | None = None
        self._keys: Any = None
        self.ip = ip

    @property
    def first(self) -> np.ndarray | None:
        """True for the first occurrence of each (doc, value); None when every doc has one value."""
        if self.single:
            return None
        if self._first is None:
            order = np.lexsort((self.values, self.docs))
            d = self.docs[order]
            v = self.values[order]
            dup = np.zeros(len(d), dtype=bool)
            dup[1:] = (d[1:] == d[:-1]) & (v[1:] == v[:-1])
            first = np.empty(len(d), dtype=bool)
            first[order] = ~dup
            self._first = first
        return self._first

    def _ordinals(self) -> None:
        if self.kind == "str":
            vocab = self.col.vocab
            if self.ip:
                order = sorted(range(len(vocab)), key=lambda i: ip_sort_key(vocab[i]))
            else:
                order = sorted(range(len(vocab)), key=vocab.__getitem__)
            rank = np.empty(len(order), dtype=I32)
            rank[np.asarray(order, dtype=I64)] = np.arange(len(order), dtype=I32)
            self._ords = rank[self.values] if len(self.values) else EMPTY_I32
            self._keys = [vocab[i] for i in order]
        else:
            keys, inverse = np.unique(self.values, return_inverse=True)
            self._ords = inverse.astype(I32).reshape(-1)
            self._keys = keys

    @property
    def ords(self) -> np.ndarray:
        """Per entry: the rank of its value among the column's sorted distinct values."""
        if self._ords is None:
            self._ordinals()
        return self._ords  # type: ignore[return-value]

    @property
    def keys(self) -> Any:
        """Sorted distinct values: list[str] for strings, float64 array for numbers."""
        if self._keys is None:
            self._ordinals()
        return self._keys


class ArrayColumn:
    """A column built from arrays (meta fields such as `_index`), usable wherever a Column is."""

    def __init__(self, kind: str, docs: np.ndarray, values: np.ndarray, vocab: list[str] | None = None) -> None:
        self.kind = kind
        self.docs = docs
        self.values = values
        self.vocab = vocab or []

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.docs, self.values

    def values_of(self, doc: int) -> list[Any]:
        lo = int(np.searchsorted(self.docs, doc, "left"))
        hi = int(np.searchsorted(self.docs, doc, "right"))
        if self.kind == "num":
            return [float(v) for v in self.values[lo:hi]]
        return [self.vocab[int(v)] for v in self.values[lo:hi]]


_COLS: OrderedDict[int, tuple[Any, int, ColInfo]] = OrderedDict()


_COLS_LOCK = threading.Lock()
_STRUCT: OrderedDict[int, tuple[Any, tuple[int, int], dict[str, Any]]] = OrderedDict()
_STRUCT_LOCK = threading.Lock()


def col_info(col: Any, ip: bool = False) -> ColInfo:
    """The (cached) ColInfo of a column; rebuilt when the column has grown."""
    n = len(col.docs)
    with _COLS_LOCK:
        hit = _COLS.get(id(col))
        if hit is not None and hit[0] is col and hit[1] == n and hit[2].ip == ip:
            _COLS.move_to_end(id(col))
            return hit[2]
    info = ColInfo(col, ip)
    with _COLS_LOCK:
        _COLS[id(col)] = (col, n, info)
        while len(_COLS) > 64:
            _COLS.popitem(last=False)
    return info


# ---- one searched index -------------------------------------------------------------------------------
_SET_ALGEBRA_KEYS = {"must", "filter", "must_not"}


def _clause_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class Source:
    """One target index of the search: its query context, query matches (for scores) and level caches."""

    def __init__(self, ctx: QueryContext, docset: Any, target: Any, position: int) -> None:
        self.ctx = ctx
        self.index = ctx.index
        self.seg = ctx.seg
        self.max_doc = ctx.seg.max_doc
        self.docset = docset
        self.target = target
        self.position = position
        self._depth: np.ndarray | None = None
        self._paths: dict[str, np.ndarray] = {}
        self._level_ctx: dict[str | None, QueryContext] = {None: ctx}
        self._live: np.ndarray | None = None
        self._queries: dict[tuple[str | None, bytes], np.ndarray] = {}  # see run_query

    def field(self, name: str) -> Any:
        return self.ctx.field(name)

    @property
    def live(self) -> np.ndarray:
        if self._live is None:
            live = self.seg.live_mask()
            if len(live) < self.max_doc:
                live = np.concatenate([live, np.zeros(self.max_doc - len(live), dtype=bool)])
            self._live = live[: self.max_doc]
        return self._live

    # -- nesting -------------------------------------------------------------------------------------
    def nested_depth_of(self, path: str | None) -> int:
        if path is None:
            return 0
        objects = self.index.mapping.objects
        parts = path.split(".")
        return sum(1 for i in range(1, len(parts) + 1) if objects.get(".".join(parts[:i])) == "nested")

    def _structure(self) -> dict[str, Any]:
        """Per segment (cached while no doc is added): nesting depth of every doc, docs of every path."""
        seg = self.seg
        key = (len(seg.nested_path), self.max_doc)
        with _STRUCT_LOCK:
            hit = _STRUCT.get(id(seg))
            if hit is not None and hit[0] is seg and hit[1] == key:
                return hit[2]
        depth = np.zeros(self.max_doc, dtype=np.int8)
        by_path: dict[str, list[int]] = {}
        for d, p in seg.nested_path.items():
            if d < self.max_doc:
                by_path.setdefault(p, []).append(d)
        paths: dict[str, np.ndarray] = {}
        for p, docs in by_path.items():
            arr = np.asarray(sorted(docs), dtype=I32)
            paths[p] = arr
            depth[arr] = self.nested_depth_of(p)
        struct = {"depth": depth, "paths": paths}
        with _STRUCT_LOCK:
            _STRUCT[id(seg)] = (seg, key, struct)
            while len(_STRUCT) > 32:
                _STRUCT.popitem(last=False)
        return struct

    @property
    def depth(self) -> np.ndarray:
        """Nesting depth of every docnum (0 = root document)."""
        if self._depth is None:
            self._depth = self._structure()["depth"]
        return self._depth

    def path_docs(self, path: str) -> np.ndarray:
        """Live nested docs at exactly `path`."""
        hit = self._paths.get(path)
        if hit is None:
            docs = self._structure()["paths"].get(path, EMPTY_I32)
            hit = docs[self.live[docs]] if len(docs) else EMPTY_I32
            self._paths[path] = hit
        return hit

    def ancestors(self, docs: np.ndarray, depth: int) -> np.ndarray:
        """For docs deeper than `depth`: their enclosing document at `depth` (Lucene block order)."""
        if not len(docs):
            return docs
        own = self.depth[docs] <= depth
        candidates = np.flatnonzero(self.depth <= depth)
        idx = np.searchsorted(candidates, docs, side="right")
        idx = np.minimum(idx, len(candidates) - 1)
        return np.where(own, docs, candidates[idx]).astype(I32)

    def level_ctx(self, path: str | None) -> QueryContext:
        """A query context whose scope is the docs of one nesting level (for filter aggs inside nested)."""
        ctx = self._level_ctx.get(path)
        if ctx is None:
            scope = np.zeros(self.max_doc, dtype=bool)
            scope[self.path_docs(path or "")] = True
            ctx = QueryContext(self.index, scope, self.ctx.now, nested_path=path, runner=self.ctx.runner)
            self._level_ctx[path] = ctx
        return ctx

    def run_query(self, query: Any, path: str | None) -> np.ndarray:
        """Docnums (sorted, unique) matching a query at a nesting level.

        A bool query of only must/filter/must_not clauses is combined from its clauses' matches, and
        every clause or query runs once per request: the many filter aggregations of a pivot repeat
        the same clauses (`range @timestamp gte now-90d`), each a pass over the whole index.
        """
        ctx = self.level_ctx(path)
        body = query.get("bool") if isinstance(query, dict) and len(query) == 1 else None
        if isinstance(body, dict) and body and set(body) <= _SET_ALGEBRA_KEYS:
            must = [*_clause_list(body.get("must")), *_clause_list(body.get("filter"))]
            must_not = _clause_list(body.get("must_not"))
            if all(isinstance(c, dict) and c for c in (*must, *must_not)) and (must or must_not):
                docs = None
                for clause in must:
                    hit = self._memo_query(clause, path, ctx)
                    docs = hit if docs is None else np.intersect1d(docs, hit, assume_unique=True)
                excluded = [self._memo_query(clause, path, ctx) for clause in must_not]
                if docs is None:
                    docs = ctx.all_docs()  # a purely negative bool matches everything else, as ES's
                for hit in excluded:
                    docs = np.setdiff1d(docs, hit, assume_unique=True)
                return docs.astype(I32, copy=False)
        return self._memo_query(query, path, ctx)

    def _memo_query(self, query: Any, path: str | None, ctx: QueryContext) -> np.ndarray:
        key = (path, orjson.dumps(query, option=orjson.OPT_SORT_KEYS))
        hit = self._queries.get(key)
        if hit is None:
            hit = self._queries[key] = execute(query, ctx).docs
        return hit

    def scores_of(self, docs: np.ndarray) -> np.ndarray:
        ds = self.docset
        if ds is None or not len(ds.docs) or not len(docs):
            return np.zeros(len(docs), dtype=np.float32)
        idx = np.searchsorted(ds.docs, docs)
        idx = np.minimum(idx, len(ds.docs) - 1)
        hit = ds.docs[idx] == docs
        return np.where(hit, ds.scores[idx], np.float32(0)).astype(np.float32)


# ---- scopes -------------------------------------------------------------------------------------------
@dataclass
class Part:
    src: Source
    docs: np.ndarray  # int32 docnums, one per (doc, bucket) row
    bids: np.ndarray  # int64 parent bucket id of each row
    path: str | None = None  # nesting level of the docs (None = root docs)
    _unique: bool | None = field(default=None, repr=False)

    @property
    def unique(self) -> bool:
        """Every doc appears in at most one row."""
        if self._unique is None:
            if len(self.docs) < 2:
                self._unique = True
            else:
                mark = np.zeros(self.src.max_doc, dtype=bool)
                mark[self.docs] = True
                self._unique = int(mark.sum()) == len(self.docs)
        return self._unique


@dataclass
class Scope:
    parts: list[Part]
    n: int  # number of parent buckets

    @property
    def path(self) -> str | None:
        return self.parts[0].path if self.parts else None

    def counts(self) -> np.ndarray:
        """Rows (docs) per parent bucket."""
        out = np.zeros(self.n, dtype=I64)
        for p in self.parts:
            if len(p.bids):
                out += np.bincount(p.bids, minlength=self.n)[: self.n]
        return out


def join(col_docs: np.ndarray, row_docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equi-join of row docnums against a sorted (repeating) docnum array: (row index, entry index)."""
    if not len(col_docs) or not len(row_docs):
        return EMPTY_I64, EMPTY_I64
    lo = np.searchsorted(col_docs, row_docs, "left")
    hi = np.searchsorted(col_docs, row_docs, "right")
    cnt = hi - lo
    total = int(cnt.sum())
    if total == 0:
        return EMPTY_I64, EMPTY_I64
    rows = np.repeat(np.arange(len(row_docs), dtype=I64), cnt)
    starts = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
    entries = starts + np.arange(total, dtype=I64)
    return rows, entries


def expand(part: Part, ci: ColInfo, dedup: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a part joined with a column's entries: (row index, entry index), one per value.

    With `dedup`, a value repeated within one doc counts once (as ES's doc-values iteration does).
    """
    if not len(part.docs) or not len(ci.docs):
        return EMPTY_I64, EMPTY_I64
    if part.unique:
        pos = np.full(part.src.max_doc, -1, dtype=I64)
        pos[part.docs] = np.arange(len(part.docs), dtype=I64)
        cdocs = ci.docs
        if int(cdocs[-1]) < len(pos):
            r = pos[cdocs]
            sel = r >= 0
        else:  # entries of docs added after this request started
            inside = cdocs < len(pos)
            r = np.where(inside, pos[np.minimum(cdocs, len(pos) - 1)], -1)
            sel = r >= 0
        first = ci.first if dedup else None
        if first is not None:
            sel &= first
        entries = np.flatnonzero(sel)
        return r[entries], entries
    rows, entries = join(ci.docs, part.docs)
    if dedup:
        first = ci.first
        if first is not None and len(entries):
            keep = first[entries]
            rows, entries = rows[keep], entries[keep]
    return rows, entries


def rows_without(part: Part, present_docs: np.ndarray) -> np.ndarray:
    """Indices of the rows whose doc is not among `present_docs`."""
    if not len(part.docs):
        return EMPTY_I64
    mark = np.zeros(part.src.max_doc, dtype=bool)
    if len(present_docs):
        mark[present_docs[present_docs < part.src.max_doc]] = True
    return np.flatnonzero(~mark[part.docs])


def rows_in(part: Part, docs: np.ndarray) -> np.ndarray:
    """Indices of the rows whose doc is among `docs`."""
    if not len(part.docs) or not len(docs):
        return EMPTY_I64
    mark = np.zeros(part.src.max_doc, dtype=bool)
    mark[docs] = True
    return np.flatnonzero(mark[part.docs])


def child_scope(scope: Scope, part_rows: list[tuple[np.ndarray, np.ndarray]], n: int,
                path: Any = "same") -> Scope:
    """A child scope from, per part, (row indices into the parent part, child bucket ids)."""
    parts = []
    for p, (rows, bids) in zip(scope.parts, part_rows, strict=True):
        new_path = p.path if path == "same" else path
        parts.append(Part(p.src, p.docs[rows].astype(I32, copy=False), bids.astype(I64, copy=False), new_path))
    return Scope(parts, n)


def group_select(bids: np.ndarray, order_keys: list[np.ndarray], limit: int | None, n: int
                 ) -> np.ndarray:
    """Indices of candidates sorted by (bid, *order_keys), keeping the first `limit` per bid."""
    if not len(bids):
        return EMPTY_I64
    order = np.lexsort(tuple(reversed(order_keys)) + (bids,)) if order_keys else np.argsort(bids, kind="stable")
    if limit is None:
        return order
    sorted_bids = bids[order]
    starts = np.searchsorted(sorted_bids, sorted_bids, "left")
    rank = np.arange(len(order)) - starts
    return order[rank < limit]


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, index of each value) -- np.unique with a fast path for few distinct values."""
    if len(values) < 50_000:
        uniq, inverse = np.unique(values, return_inverse=True)
        return uniq, inverse.reshape(-1).astype(I64)
    uniq = np.unique(values[:: max(1, len(values) // 8192)])
    for _ in range(3):
        idx = np.searchsorted(uniq, values)
        idx = np.minimum(idx, len(uniq) - 1)
        miss = uniq[idx] != values
        if not miss.any():
            return uniq, idx.astype(I64)
        extra = values[miss]
        if len(extra) > len(values) // 4:
            break
        uniq = np.union1d(uniq, np.unique(extra))
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.reshape(-1).astype(I64)


def numeric_value(value: Any, name: str = "missing") -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise EsError(400, "number_format_exception", f'For input string: "{value}"') from None


def fielddata_error(index_name: str, field: str) -> EsError:
    return illegal_argument(
        f"Fielddata is disabled on [{field}] in [{index_name}]. Text fields are not optimised for operations "
        f"that require per-document field data like aggregations and sorting, so these operations are disabled "
        f"by default. Please use a keyword field instead. Alternatively, set fielddata=true on [{field}] in "
        f"order to load field data by uninverting the inverted index. Note that this can use significant memory.")
