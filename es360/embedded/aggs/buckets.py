"""Machinery shared by the bucket aggregations: child scopes, candidate buckets, ordering."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dates import DateRounding
from ..errors import EsError, illegal_argument
from .base import (
    Bucket,
    InvalidPath,
    MultiBucketNode,
    MultiValueNode,
    Node,
    Params,
    PathElement,
    SingleBucketNode,
    SubResults,
    ValueNode,
    agg_exec_error,
    failed_field,
    parse_path,
)
from .core import (
    EMPTY_I64,
    I64,
    Scope,
    child_scope,
    too_many_buckets,
)
from .keys import Entries
from .spec import AggSpec, FnCollected, Run
from .values import ValuesConfig


class BucketAgg(AggSpec):
    cardinality = "many"
    accepts_subs = True
    java_name = "InternalMultiBucketAggregation"


def entries_child_scope(scope: Scope, entries: Entries, k: int, cand_bid: np.ndarray, cand_gid: np.ndarray,
                        child_ids: np.ndarray, n_child: int) -> Scope:
    """Child scope: every entry whose (parent bucket, key) is a selected candidate joins that child bucket."""
    part_rows: list[tuple[np.ndarray, np.ndarray]] = []
    if len(entries) and len(cand_bid):
        comb_c = cand_bid.astype(I64) * k + cand_gid.astype(I64)
        comb_e = entries.bids * k + entries.gids
        valid = cand_gid >= 0
        if scope.n * k <= 8_000_000:
            lut = np.full(scope.n * k, -1, dtype=I64)
            lut[comb_c[valid]] = child_ids[valid]
            cid = lut[comb_e]
        else:
            comb_v, ids_v = comb_c[valid], child_ids[valid]
            order = np.argsort(comb_v, kind="stable")
            sorted_c = comb_v[order]
            cid = np.full(len(entries), -1, dtype=I64)
            if len(sorted_c):
                pos = np.searchsorted(sorted_c, comb_e)
                pos = np.minimum(pos, len(sorted_c) - 1)
                hit = sorted_c[pos] == comb_e
                cid[hit] = ids_v[order[pos[hit]]]
        keep = cid >= 0
    for pi in range(len(scope.parts)):
        if len(entries) and len(cand_bid):
            m = keep & (entries.part == pi)
            part_rows.append((entries.rows[m], cid[m]))
        else:
            part_rows.append((EMPTY_I64, EMPTY_I64))
    return child_scope(scope, part_rows, n_child)


def parse_order(agg: AggSpec, value: Any, default: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    if value is None:
        return list(default)
    items = value if isinstance(value, list) else [value]
    out: list[tuple[str, bool]] = []
    for item in items:
        if not isinstance(item, dict):
            raise failed_field(agg.type_name, "order")
        for key, direction in item.items():
            if isinstance(direction, dict):
                direction = direction.get("order", "asc")
            if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
                raise failed_field(agg.type_name, "order", EsError(400, "parsing_exception",
                                                                    f"Unknown order direction [{direction}]"))
            if key == "_term":
                key = "_key"
            out.append((key, direction.lower() == "asc"))
    if not out:
        raise failed_field(agg.type_name, "order", EsError(400, "parsing_exception", "Must specify at least one order"))
    return out


def with_key_tiebreak(order: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    if any(k == "_key" for k, _ in order):
        return order
    return order + [("_key", True)]


def check_order_paths(agg: AggSpec, order: list[tuple[str, bool]]) -> None:
    for key, _ in order:
        if key in ("_key", "_count"):
            continue
        elements = parse_path(key)
        level: list[AggSpec] = agg.children
        for i, e in enumerate(elements):
            found = next((s for s in level if s.name == e.name), None)
            if found is None or found.is_pipeline:
                raise agg_exec_error(f"Invalid aggregation order path [{key}]. The provided aggregation [{e.name}] "
                                     f"either does not exist, or is a pipeline aggregation and cannot be used to "
                                     f"sort the buckets.")
            last = i == len(elements) - 1
            if found.cardinality == "many":
                raise agg_exec_error(f"Invalid aggregation order path [{key}]. Buckets can only be sorted on a "
                                     f"sub-aggregator path that is built out of zero or more single-bucket "
                                     f"aggregations within the path and a final single-bucket or a metrics "
                                     f"aggregation at the path end.")
            if not last and found.cardinality == "none":
                raise agg_exec_error(f"Invalid aggregation order path [{key}]. Buckets can only be sorted on a "
                                     f"sub-aggregator path that is built out of zero or more single-bucket "
                                     f"aggregations within the path and a final single-bucket or a metrics "
                                     f"aggregation at the path end.")
            level = found.children


def order_value(aggs: dict[str, Node], elements: list[PathElement], path: str) -> float:
    e = elements[0]
    node = aggs.get(e.name)
    if node is None:
        raise agg_exec_error(f"Invalid aggregation order path [{path}]. Unknown aggregation [{e.name}]")
    last = len(elements) == 1
    if isinstance(node, SingleBucketNode):
        if last:
            if e.key in (None, "doc_count", "_count"):
                return float(node.doc_count)
            raise agg_exec_error(f"Invalid aggregation order path [{path}]. Unknown value key [{e.key}] for "
                                 f"single-bucket aggregation [{e.name}]. It can only be [doc_count]")
        return order_value(node.aggs, elements[1:], path)
    if isinstance(node, ValueNode):
        if e.key not in (None, "value"):
            raise agg_exec_error(f"Invalid aggregation order path [{path}]. Unknown value key [{e.key}] for "
                                 f"single-value metric aggregation [{e.name}]")
        return node.number()
    if isinstance(node, MultiValueNode):
        if e.key is None:
            raise agg_exec_error(f"Invalid aggregation order path [{path}]. When ordering on a multi-value metrics "
                                 f"aggregation a metric name must be specified.")
        try:
            return float(node.prop([e.key]))
        except InvalidPath:
            raise agg_exec_error(f"Invalid aggregation order path [{path}]. Unknown metric name [{e.key}] on "
                                 f"multi-value metrics aggregation [{e.name}]") from None
    values = getattr(node, "values", None)
    if isinstance(values, dict) and e.key in values:
        return float(values[e.key])
    raise agg_exec_error(f"Invalid aggregation order path [{path}]. Buckets can only be sorted on a sub-aggregator "
                         f"path that is built out of zero or more single-bucket aggregations within the path and a "
                         f"final single-bucket or a metrics aggregation at the path end.")


def needs_subs_for_order(order: list[tuple[str, bool]]) -> bool:
    return any(k not in ("_key", "_count") for k, _ in order)


def order_keys(order: list[tuple[str, bool]], counts: np.ndarray, key_rank: np.ndarray,
               path_values: dict[str, np.ndarray] | None = None) -> list[np.ndarray]:
    """Sort keys (ascending = first) for lexsort, one per order element."""
    keys: list[np.ndarray] = []
    for key, asc in order:
        if key == "_count":
            v = counts.astype(np.float64)
        elif key == "_key":
            v = key_rank.astype(np.float64)
        else:
            v = path_values[key] if path_values is not None else np.zeros(len(counts))
        v = v if asc else -v
        keys.append(np.where(np.isnan(v), np.inf, v))
    return keys


def path_values_for(order: list[tuple[str, bool]], subs: SubResults, n: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for key, _ in order:
        if key in ("_key", "_count"):
            continue
        elements = parse_path(key)
        if len(elements) == 1:  # a direct metric: use its per-bucket array when it has one
            arrays = getattr(subs.collected.get(elements[0].name), "arrays", None)
            name = elements[0].key or "value"
            if arrays and name in arrays and len(arrays[name]) >= n:
                out[key] = np.asarray(arrays[name][:n], dtype=np.float64)
                continue
        out[key] = np.array([order_value(subs.aggs(i), elements, key) for i in range(n)], dtype=np.float64)
    return out


def bounds_by_bid(bids: np.ndarray, n: int) -> np.ndarray:
    """Offsets of each parent's buckets in an array sorted by parent bucket id."""
    return np.searchsorted(bids, np.arange(n + 1))


def count_candidates(entries: Entries, k: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (parent bucket, key) pairs with their doc counts, ordered by (bid, key)."""
    if not len(entries):
        return EMPTY_I64, EMPTY_I64, EMPTY_I64
    if n == 1:
        counts = np.bincount(entries.gids, minlength=k)
        gids = np.flatnonzero(counts).astype(I64)
        return np.zeros(len(gids), dtype=I64), gids, counts[gids].astype(I64)
    comb = entries.bids * k + entries.gids
    if n * k <= 4_000_000:
        counts = np.bincount(comb, minlength=n * k)
        u = np.flatnonzero(counts).astype(I64)
        c = counts[u]
    else:
        u, c = np.unique(comb, return_counts=True)
    return u // k, u % k, c.astype(I64)


def add_zero_candidates(cand_bid: np.ndarray, cand_gid: np.ndarray, cand_count: np.ndarray, all_g: np.ndarray,
                        n: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not len(all_g):
        return cand_bid, cand_gid, cand_count
    if n * len(all_g) > 10_000_000:
        raise too_many_buckets(n * len(all_g))
    grid_bid = np.repeat(np.arange(n, dtype=I64), len(all_g))
    grid_gid = np.tile(all_g.astype(I64), n)
    existing = cand_bid * k + cand_gid
    grid = grid_bid * k + grid_gid
    missing = ~np.isin(grid, existing)
    bid = np.concatenate([cand_bid, grid_bid[missing]])
    gid = np.concatenate([cand_gid, grid_gid[missing]])
    count = np.concatenate([cand_count, np.zeros(int(missing.sum()), dtype=I64)])
    order = np.lexsort((gid, bid))
    return bid[order], gid[order], count[order]


def multi_valued(cfg: ValuesConfig, scope: Scope) -> bool:
    """Whether any index holds several values of the field in one doc."""
    for part in scope.parts:
        r = cfg.resolve(part)
        if r.ci is not None and not r.ci.single:
            return True
    return False


def build_rounding(agg: AggSpec, p: Params, tz: str | None) -> DateRounding:
    cal = p.str("calendar_interval")
    fixed = p.str("fixed_interval")
    if cal is not None and fixed is not None:
        raise illegal_argument("Cannot use [fixed_interval] with [calendar_interval] configuration option.")
    if cal is None and fixed is None:
        raise illegal_argument("Invalid interval specified, must be non-null and non-empty")
    offset = p.get("offset")
    if cal is not None:
        if cal == "":
            raise illegal_argument("Invalid interval specified, must be non-null and non-empty")
        return DateRounding.calendar(cal, tz, offset)
    if fixed == "":
        raise illegal_argument("Invalid interval specified, must be non-null and non-empty")
    return DateRounding.fixed(fixed, tz, offset)


def _tz(p: Params) -> str | None:
    tz = p.str("time_zone")
    if tz is None:
        return None
    from ..dates import resolve_time_zone

    resolve_time_zone(tz)
    return tz


def range_collect(agg: Any, run: Run, scope: Scope, parts_e: list[np.ndarray], rows_e: list[np.ndarray],
                  gid_e: list[np.ndarray], nr: int, head_of: Any, keyed: bool, typed: str) -> FnCollected:
    n = scope.n
    if parts_e:
        part_a = np.concatenate(parts_e)
        rows_a = np.concatenate(rows_e).astype(I64)
        gid_a = np.concatenate(gid_e)
    else:
        part_a = rows_a = gid_a = EMPTY_I64
    bids_a = np.zeros(len(rows_a), dtype=I64)
    for pi, part in enumerate(scope.parts):
        m = part_a == pi
        if m.any():
            bids_a[m] = part.bids[rows_a[m]]
    entries = Entries(part_a, rows_a, bids_a, gid_a)
    k = max(nr, 1)
    counts = np.bincount(bids_a * k + gid_a, minlength=n * k)[: n * k] if len(gid_a) else np.zeros(n * k, dtype=I64)
    cand_bid = np.repeat(np.arange(n, dtype=I64), nr)
    cand_gid = np.tile(np.arange(nr, dtype=I64), n)
    child = entries_child_scope(scope, entries, k, cand_bid, cand_gid, np.arange(n * nr), n * nr)
    subs = agg.collect_subs(run, child)
    heads = [head_of(ri) for ri in range(nr)]
    java = {"range": "InternalRange", "date_range": "InternalDateRange", "ip_range": "InternalBinaryRange"}[typed]

    def node(b: int) -> Node:
        buckets = []
        for ri in range(nr):
            head, key = heads[ri]
            i = b * nr + ri
            h = dict(head)
            if keyed:
                h.pop("key", None)
            buckets.append(Bucket(key, int(counts[b * k + ri]), subs.aggs(i), h, keyed_key=key, key_string=key))
        return MultiBucketNode(typed, java, agg.name, buckets, keyed=keyed)
    return FnCollected(node)
