"""Single-bucket and filter aggregations: filter, filters, adjacency_matrix, missing, global, nested,
reverse_nested, sampler."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import illegal_argument
from .base import (
    MultiBucketNode,
    Node,
    Params,
    SingleBucketNode,
    agg_exec_error,
    failed_field,
)
from .buckets import (
    BucketAgg,
    range_collect,
)
from .core import (
    EMPTY_I64,
    I64,
    Part,
    Scope,
    child_scope,
    rows_in,
    rows_without,
)
from .spec import AggSpec, FnCollected, Run, register


# ---- single-bucket aggregations -------------------------------------------------------------------------
class SingleBucketAgg(AggSpec):
    cardinality = "one"
    accepts_subs = True
    typed = ""
    java_name = ""

    def single(self, run: Run, scope: Scope, part_rows: list[tuple[np.ndarray, np.ndarray]],
               path: Any = "same") -> FnCollected:
        child = child_scope(scope, part_rows, scope.n, path)
        counts = child.counts()
        subs = self.collect_subs(run, child)
        typed, java, name = self.typed, self.java_name, self.name
        return FnCollected(lambda b: SingleBucketNode(typed, java, name, int(counts[b]), subs.aggs(b)),
                           {"doc_count": counts}, subs=subs)


@register("filter")
class Filter(SingleBucketAgg):
    type_name = "filter"
    typed = "filter"
    java_name = "InternalFilter"

    def __init__(self, name: str, body: Any, meta: Any, parent: Any) -> None:
        if not isinstance(body, dict):
            raise illegal_argument(f"[filter] must be an object in [{name}]")
        self.query = body
        self.name = name
        self.meta = meta
        self.parent = parent
        self.subs, self.pipes, self.children = [], [], []
        if not body:
            self.query = {"match_all": {}}

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        part_rows = []
        cache: dict[tuple[int, Any], np.ndarray] = {}
        for part in scope.parts:
            key = (id(part.src), part.path)
            docs = cache.get(key)
            if docs is None:
                docs = cache[key] = part.src.run_query(self.query, part.path)
            rows = rows_in(part, docs)
            part_rows.append((rows, part.bids[rows]))
        return self.single(run, scope, part_rows)


@register("filters")
class Filters(BucketAgg):
    type_name = "filters"
    allowed = {"filters", "other_bucket", "other_bucket_key", "keyed"}

    def configure(self, p: Params) -> None:
        filters = p.get("filters")
        if filters is None or (isinstance(filters, (dict, list)) and not filters):
            raise illegal_argument("[filters] cannot be empty.")
        if isinstance(filters, dict):
            self.named = True
            self.filters = sorted(filters.items(), key=lambda kv: kv[0])
        elif isinstance(filters, list):
            self.named = False
            self.filters = [(str(i), f) for i, f in enumerate(filters)]
        else:
            raise failed_field("filters", "filters")
        for key, q in self.filters:
            if not isinstance(q, dict):
                raise illegal_argument(f"[filters] filter [{key}] must be a query object")
        self.other_key = p.str("other_bucket_key")
        self.other = p.bool("other_bucket", False) or self.other_key is not None
        self.other_key = self.other_key or "_other_"
        self.keyed = p.bool("keyed", True) if self.named else False

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        n = scope.n
        nf = len(self.filters) + (1 if self.other else 0)
        parts_e, rows_e, gid_e = [], [], []
        for pi, part in enumerate(scope.parts):
            any_hit = np.zeros(len(part.docs), dtype=bool)
            for fi, (_, q) in enumerate(self.filters):
                docs = part.src.run_query(q or {"match_all": {}}, part.path)
                rows = rows_in(part, docs)
                any_hit[rows] = True
                parts_e.append(np.full(len(rows), pi, dtype=I64))
                rows_e.append(rows)
                gid_e.append(np.full(len(rows), fi, dtype=I64))
            if self.other:
                rows = np.flatnonzero(~any_hit)
                parts_e.append(np.full(len(rows), pi, dtype=I64))
                rows_e.append(rows)
                gid_e.append(np.full(len(rows), len(self.filters), dtype=I64))
        names = [k for k, _ in self.filters] + ([self.other_key] if self.other else [])
        named = self.named
        collected = range_collect(self, run, scope, parts_e, rows_e, gid_e, nf,
                                  lambda ri: ({"key": names[ri]} if named else {}, names[ri]), self.keyed, "range")

        def node(b: int) -> Node:
            inner = collected.node(b)
            buckets = inner.buckets  # type: ignore[attr-defined]
            if not named:
                for bucket in buckets:
                    bucket.head = {}
            return MultiBucketNode("filters", "InternalFilters", self.name, buckets, keyed=self.keyed)
        _ = n
        return FnCollected(node)


@register("adjacency_matrix")
class AdjacencyMatrix(BucketAgg):
    type_name = "adjacency_matrix"
    allowed = {"filters", "separator"}

    def configure(self, p: Params) -> None:
        filters = p.obj("filters")
        if not filters:
            raise illegal_argument("[filters] cannot be empty.")
        if len(filters) > 100:
            raise illegal_argument(f"Number of filters is too large, must be less than or equal to: [100] but was "
                                   f"[{len(filters)}].This limit can be set by changing the "
                                   f"[index.max_adjacency_matrix_filters] index level setting.")
        self.filters = sorted(filters.items())
        self.separator = p.str("separator", "&") or "&"

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        names: list[str] = []
        pairs: list[tuple[int, int]] = []
        nfilt = len(self.filters)
        for i in range(nfilt):
            names.append(self.filters[i][0])
            pairs.append((i, i))
            for j in range(i + 1, nfilt):
                names.append(self.filters[i][0] + self.separator + self.filters[j][0])
                pairs.append((i, j))
        parts_e, rows_e, gid_e = [], [], []
        for pi, part in enumerate(scope.parts):
            masks = []
            for _, q in self.filters:
                docs = part.src.run_query(q, part.path)
                m = np.zeros(len(part.docs), dtype=bool)
                m[rows_in(part, docs)] = True
                masks.append(m)
            for gi, (i, j) in enumerate(pairs):
                rows = np.flatnonzero(masks[i] & masks[j])
                parts_e.append(np.full(len(rows), pi, dtype=I64))
                rows_e.append(rows)
                gid_e.append(np.full(len(rows), gi, dtype=I64))
        collected = range_collect(self, run, scope, parts_e, rows_e, gid_e, len(names),
                                  lambda gi: ({"key": names[gi]}, names[gi]), False, "range")

        def node(b: int) -> Node:
            inner = collected.node(b)
            buckets = [bk for bk in inner.buckets if bk.doc_count > 0]  # type: ignore[attr-defined]
            return MultiBucketNode("adjacency_matrix", "InternalAdjacencyMatrix", self.name, buckets)
        return FnCollected(node)


@register("missing")
class Missing(SingleBucketAgg):
    type_name = "missing"
    typed = "missing"
    java_name = "InternalMissing"
    allowed = {"field", "missing", "script", "value_type"}

    def configure(self, p: Params) -> None:
        self.field = p.str("field")
        if self.field is None:
            raise illegal_argument("Required one of fields [field, script], but none were specified.")

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        part_rows = []
        for part in scope.parts:
            f = part.src.field(self.field)
            present = part.src.seg.present_docs(self.field) if f is not None else np.zeros(0, dtype=np.int32)
            rows = rows_without(part, present)
            part_rows.append((rows, part.bids[rows]))
        return self.single(run, scope, part_rows)


@register("global")
class Global(SingleBucketAgg):
    type_name = "global"
    typed = "global"
    java_name = "InternalGlobal"

    def configure(self, p: Params) -> None:
        if self.parent is not None:
            raise agg_exec_error(f"Aggregation [{self.parent.name}] cannot have a global sub-aggregation "
                                 f"[{self.name}]. Global aggregations can only be defined as top level aggregations")

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        parts = []
        seen: set[int] = set()
        for src in run.sources:
            if id(src) in seen:
                continue
            seen.add(id(src))
            docs = np.flatnonzero(src.ctx.scope).astype(np.int32)
            parts.append(Part(src, docs, np.zeros(len(docs), dtype=I64), None))
        child = Scope(parts, 1)
        count = int(child.counts()[0]) if parts else 0
        subs = self.collect_subs(run, child)
        return FnCollected(lambda b: SingleBucketNode("global", "InternalGlobal", self.name, count, subs.aggs(0)))


@register("nested")
class Nested(SingleBucketAgg):
    type_name = "nested"
    typed = "nested"
    java_name = "InternalNested"
    allowed = {"path"}

    def configure(self, p: Params) -> None:
        self.path = p.str("path")
        if self.path is None:
            raise illegal_argument(f"[nested] requires 'path' field in [{self.name}]")

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        new_parts = []
        for part in scope.parts:
            src = part.src
            kind = src.index.mapping.objects.get(self.path)
            if kind is None:
                new_parts.append(Part(src, np.zeros(0, dtype=np.int32), EMPTY_I64, self.path))
                continue
            if kind != "nested":
                raise illegal_argument(f"[nested] nested path [{self.path}] is not nested")
            children = src.path_docs(self.path)
            anc = src.ancestors(children, src.nested_depth_of(part.path))
            order = np.argsort(part.docs, kind="stable")
            rows_idx, child_idx = _join_many(part.docs[order], anc)
            rows = order[rows_idx]
            new_parts.append(Part(src, children[child_idx].astype(np.int32), part.bids[rows].astype(I64),
                                  self.path))
        child = Scope(new_parts, scope.n)
        counts = child.counts()
        subs = self.collect_subs(run, child)
        return FnCollected(lambda b: SingleBucketNode("nested", "InternalNested", self.name, int(counts[b]),
                                                      subs.aggs(b)))


def _join_many(sorted_keys: np.ndarray, probe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each probe value, every index of sorted_keys equal to it: (sorted index, probe index)."""
    if not len(sorted_keys) or not len(probe):
        return EMPTY_I64, EMPTY_I64
    lo = np.searchsorted(sorted_keys, probe, "left")
    hi = np.searchsorted(sorted_keys, probe, "right")
    cnt = hi - lo
    total = int(cnt.sum())
    if not total:
        return EMPTY_I64, EMPTY_I64
    probe_idx = np.repeat(np.arange(len(probe), dtype=I64), cnt)
    starts = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
    return starts + np.arange(total, dtype=I64), probe_idx


@register("reverse_nested")
class ReverseNested(SingleBucketAgg):
    type_name = "reverse_nested"
    typed = "reverse_nested"
    java_name = "InternalReverseNested"
    allowed = {"path"}

    def configure(self, p: Params) -> None:
        self.path = p.str("path")
        anc = self.parent
        while anc is not None and anc.type_name != "nested":
            anc = anc.parent
        if anc is None:
            raise illegal_argument(f"Reverse nested aggregation [{self.name}] can only be used inside a [nested] "
                                   f"aggregation")

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        new_parts = []
        for part in scope.parts:
            src = part.src
            if self.path is not None and src.index.mapping.objects.get(self.path) != "nested":
                if src.index.mapping.objects.get(self.path) is None:
                    new_parts.append(Part(src, np.zeros(0, dtype=np.int32), EMPTY_I64, self.path))
                    continue
                raise illegal_argument(f"[reverse_nested] nested path [{self.path}] is not nested")
            depth = src.nested_depth_of(self.path)
            anc = src.ancestors(part.docs, depth)
            if len(anc):
                comb = np.unique(part.bids * (src.max_doc + 1) + anc)
                bids, docs = comb // (src.max_doc + 1), comb % (src.max_doc + 1)
            else:
                bids, docs = EMPTY_I64, EMPTY_I64
            new_parts.append(Part(src, docs.astype(np.int32), bids.astype(I64), self.path))
        child = Scope(new_parts, scope.n)
        counts = child.counts()
        subs = self.collect_subs(run, child)
        return FnCollected(lambda b: SingleBucketNode("reverse_nested", "InternalReverseNested", self.name,
                                                      int(counts[b]), subs.aggs(b)))


@register("sampler", "diversified_sampler")
class Sampler(SingleBucketAgg):
    type_name = "sampler"
    typed = "sampler"
    java_name = "InternalSampler"
    allowed = {"shard_size"}

    def configure(self, p: Params) -> None:
        self.shard_size = p.int("shard_size", 100) or 100

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        part_rows = []
        for part in scope.parts:
            scores = part.src.scores_of(part.docs)
            order = np.lexsort((part.docs, -scores, part.bids))
            b = part.bids[order]
            starts = np.searchsorted(b, b, "left")
            rank = np.arange(len(order)) - starts
            rows = np.sort(order[rank < self.shard_size])
            part_rows.append((rows, part.bids[rows]))
        return self.single(run, scope, part_rows)


class DiversifiedSampler(Sampler):
    type_name = "diversified_sampler"
    typed = "sampler"
    allowed = {"shard_size", "field", "max_docs_per_value", "execution_hint", "script"}


register("diversified_sampler")(DiversifiedSampler)
