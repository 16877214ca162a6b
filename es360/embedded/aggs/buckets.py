"""Bucket aggregations: terms, histogram, date_histogram, range, date_range, ip_range, filter(s), missing,
global, nested, reverse_nested, sampler, adjacency_matrix, rare_terms, significant_terms, multi_terms,
auto_date_histogram."""

from __future__ import annotations

import ipaddress
import math
import re
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
    setter_error,
)
from .core import (
    EMPTY_I64,
    I64,
    MAX_BUCKETS,
    Part,
    Scope,
    child_scope,
    expand,
    factorize,
    group_select,
    rows_in,
    rows_without,
    too_many_buckets,
)
from .formats import RAW, DateFormat, DocValueFormat, IpFormat, NumberFormat, ip_to_int, java_double
from .keys import Entries, KeySpace, key_entries, live_gids
from .spec import AggSpec, FnCollected, Run, register
from .values import INTEGRAL, VS_KEYS, ValuesConfig, format_for

# ---- shared machinery ---------------------------------------------------------------------------------


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
        out[key] = np.array([order_value(subs.aggs(i), elements, key) for i in range(n)], dtype=np.float64)
    return out


def bounds_by_bid(bids: np.ndarray, n: int) -> np.ndarray:
    """Offsets of each parent's buckets in an array sorted by parent bucket id."""
    return np.searchsorted(bids, np.arange(n + 1))


# ---- include / exclude --------------------------------------------------------------------------------
_MURMUR_C1 = 0xCC9E2D51
_MURMUR_C2 = 0x1B873593


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """Lucene StringHelper.murmurhash3_x86_32 (signed int result)."""
    h = seed & 0xFFFFFFFF
    n = len(data) & ~3
    for i in range(0, n, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * _MURMUR_C1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * _MURMUR_C2) & 0xFFFFFFFF
        h ^= k
        h = ((h << 13) | (h >> 19)) & 0xFFFFFFFF
        h = (h * 5 + 0xE6546B64) & 0xFFFFFFFF
    k = 0
    rem = len(data) & 3
    if rem == 3:
        k = data[n + 2] << 16
    if rem >= 2:
        k |= data[n + 1] << 8
    if rem >= 1:
        k |= data[n]
        k = (k * _MURMUR_C1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * _MURMUR_C2) & 0xFFFFFFFF
        h ^= k
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h - (1 << 32) if h >= 1 << 31 else h


def mix64(z: int) -> int:
    """HPPC BitMixer.mix64 on a Java long (signed result)."""
    m = (1 << 64) - 1
    z &= m
    z = ((z ^ (z >> 32)) * 0x4CD6944C5CC20B6D) & m
    z = ((z ^ (z >> 29)) * 0xFC12C5B19D3259E9) & m
    z = z ^ (z >> 32)
    return z - (1 << 64) if z >= 1 << 63 else z


def lucene_regex(pattern: str) -> re.Pattern[str]:
    """Translate a Lucene RegExp (ES include/exclude syntax) into a Python regex for fullmatch."""
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]) if not pattern[i + 1].isalnum() else "\\" + pattern[i + 1])
            i += 2
            continue
        if in_class:
            out.append(c)
            if c == "]":
                in_class = False
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            if i + 1 < len(pattern) and pattern[i + 1] == "^":
                out.append("^")
                i += 1
        elif c == '"':
            end = pattern.find('"', i + 1)
            end = len(pattern) if end < 0 else end
            out.append(re.escape(pattern[i + 1:end]))
            i = end
        elif c == "@":
            out.append(".*")
        elif c == "#":
            out.append("(?!)")
        elif c == "<":
            end = pattern.find(">", i)
            m = re.fullmatch(r"(\d+)-(\d+)", pattern[i + 1:end]) if end > 0 else None
            if m:
                lo, hi = int(m.group(1)), int(m.group(2))
                if hi - lo <= 5000:
                    out.append("(?:" + "|".join(str(v) for v in range(lo, hi + 1)) + ")")
                else:
                    out.append(r"\d+")
                i = end
            else:
                out.append(re.escape(c))
        elif c in "^$":
            out.append("\\" + c)
        else:
            out.append(c)
        i += 1
    try:
        return re.compile("".join(out), re.S)
    except re.error as exc:
        raise illegal_argument(f"invalid regular expression [{pattern}]: {exc}") from None


class IncludeExclude:
    """terms include/exclude: regex strings, value arrays, or hash partitions."""

    def __init__(self, agg: AggSpec, include: Any, exclude: Any) -> None:
        self.agg = agg
        self.inc_regex = self.exc_regex = None
        self.inc_values: list[Any] | None = None
        self.exc_values: list[Any] | None = None
        self.partition: tuple[int, int] | None = None
        if isinstance(include, str):
            self.inc_regex = lucene_regex(include)
        elif isinstance(include, list):
            self.inc_values = include
        elif isinstance(include, dict):
            ip = Params("include", include, {"partition", "num_partitions"})
            if "num_partitions" not in include:
                raise illegal_argument("Missing [num_partitions] parameter for partition-based include")
            if "partition" not in include:
                raise illegal_argument("Missing [partition] parameter for partition-based include")
            num = ip.int("num_partitions") or 0
            part = ip.int("partition") or 0
            if num < 1:
                raise illegal_argument("[num_partitions] must be >0")
            if part < 0 or part >= num:
                raise illegal_argument(f"Invalid partition [{part}] - must be between 0 and {num - 1}")
            self.partition = (part, num)
        elif include is not None:
            raise failed_field(agg.type_name, "include")
        if isinstance(exclude, str):
            self.exc_regex = lucene_regex(exclude)
        elif isinstance(exclude, list):
            self.exc_values = exclude
        elif exclude is not None:
            raise failed_field(agg.type_name, "exclude")
        if (self.inc_regex is not None and self.exc_values is not None) or (
                self.inc_values is not None and self.exc_regex is not None):
            raise illegal_argument("Cannot mix a set-based include with a regex-based method")
        self.active = any(x is not None for x in (self.inc_regex, self.exc_regex, self.inc_values, self.exc_values,
                                                  self.partition))

    def mask(self, space: KeySpace, fmt: DocValueFormat, run: Run) -> np.ndarray:
        k = space.size
        mask = np.ones(k, dtype=bool)
        if not self.active or k == 0:
            return mask
        if (self.inc_regex is not None or self.exc_regex is not None) and (
                space.kind != "str" or isinstance(fmt, IpFormat)):
            raise illegal_argument(f"Aggregation [{self.agg.name}] cannot support regular expression style "
                                   f"include/exclude settings as they can only be applied to string fields. Use an "
                                   f"array of values for include/exclude clauses")
        keys = space.keys
        if self.inc_regex is not None:
            rx = self.inc_regex
            mask &= np.fromiter((rx.fullmatch(t) is not None for t in keys), dtype=bool, count=k)
        if self.exc_regex is not None:
            rx = self.exc_regex
            mask &= np.fromiter((rx.fullmatch(t) is None for t in keys), dtype=bool, count=k)
        if self.inc_values is not None:
            inc = np.zeros(k, dtype=bool)
            for v in self.inc_values:
                g = self._find(space, fmt, v, run)
                if g >= 0:
                    inc[g] = True
            mask &= inc
        if self.exc_values is not None:
            for v in self.exc_values:
                g = self._find(space, fmt, v, run)
                if g >= 0:
                    mask[g] = False
        if self.partition is not None:
            part, num = self.partition
            if space.kind == "str":
                hashes = [murmur3_32(t.encode(), 31) % num for t in keys]
            else:
                hashes = [mix64(_sortable_long(float(v), fmt)) % num for v in keys]
            mask &= np.asarray(hashes) == part
        return mask

    @staticmethod
    def _find(space: KeySpace, fmt: DocValueFormat, value: Any, run: Run) -> int:
        if space.kind == "str":
            if isinstance(fmt, IpFormat):
                try:
                    value = str(ipaddress.ip_address(str(value)))
                except ValueError:
                    return -1
            return space.find(value if isinstance(value, str) else _plain(value))
        try:
            if isinstance(fmt, DateFormat):
                num = fmt.parse(value, run.now)
            else:
                num = fmt.parse(value)
        except EsError:
            return -1
        return space.find(num)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _sortable_long(value: float, fmt: DocValueFormat) -> int:
    if value.is_integer() and abs(value) < 2**63:
        return int(value)
    bits = int(np.float64(value).view(np.int64))
    return bits ^ ((bits >> 63) & 0x7FFFFFFFFFFFFFFF)


# ---- terms ----------------------------------------------------------------------------------------------
def term_key(space: KeySpace, gid: int, integral: bool) -> Any:
    k = space.key(gid)
    if space.kind == "num" and integral:
        return int(k)
    return k


@register("terms")
class Terms(BucketAgg):
    type_name = "terms"
    allowed = VS_KEYS | {"format", "size", "shard_size", "min_doc_count", "shard_min_doc_count",
                         "show_term_doc_count_error", "order", "include", "exclude", "execution_hint",
                         "collect_mode"}

    def configure(self, p: Params) -> None:
        self.vs = ValuesConfig(self, p)
        self.size = p.int("size", 10)
        if self.size is None or self.size <= 0:
            raise setter_error(self.type_name, "size", f"[size] must be greater than 0. Found [{self.size}] in [{self.name}]")
        shard_size = p.int("shard_size")
        if shard_size is not None and shard_size <= 0:
            raise setter_error(self.type_name, "shard_size", f"[shardSize] must be greater than 0. Found [{shard_size}] in [{self.name}]")
        self.min_doc_count = p.int("min_doc_count", 1)
        if self.min_doc_count is not None and self.min_doc_count < 0:
            raise setter_error(self.type_name, "min_doc_count", f"[minDocCount] must be greater than or equal to 0. Found [{self.min_doc_count}] "
                                   f"in [{self.name}]")
        smdc = p.int("shard_min_doc_count")
        if smdc is not None and smdc < 0:
            raise setter_error(self.type_name, "shard_min_doc_count", f"[shardMinDocCount] must be greater than or equal to 0. Found [{smdc}] in "
                                   f"[{self.name}]")
        self.show_error = p.bool("show_term_doc_count_error", False)
        self.order = with_key_tiebreak(parse_order(self, p.get("order"), [("_count", False)]))
        self.incexc = IncludeExclude(self, p.get("include"), p.get("exclude"))
        hint = p.str("execution_hint")
        if hint is not None and hint not in ("map", "global_ordinals", "global_ordinals_hash",
                                             "global_ordinals_low_cardinality"):
            raise illegal_argument(f"Unknown `execution_hint`: [{hint}], expected any of [map, global_ordinals]")
        mode = p.str("collect_mode")
        if mode is not None and mode not in ("depth_first", "breadth_first"):
            raise illegal_argument(f"Unknown `collect_mode` [{mode}]: expected one of [breadth_first, depth_first]")

    def check(self) -> None:
        check_order_paths(self, self.order)

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        sources = [p.src for p in scope.parts] or run.sources
        fmt = self.vs.doc_format(sources)
        ftype = self.vs.field_type(sources)
        space, entries = key_entries(self.vs, scope, run, fmt)
        unmapped = ftype is None and not self.vs.has_missing
        integral = self._integral(scope) if space.kind == "num" else False
        typed, java = ("umterms", "UnmappedTerms") if unmapped else (
            ("sterms", "StringTerms") if space.kind == "str" else (
                ("lterms", "LongTerms") if integral else ("dterms", "DoubleTerms")))
        key_fmt = fmt if space.kind == "num" else RAW
        n = scope.n
        k = max(space.size, 1)
        cand_bid, cand_gid, cand_count = count_candidates(entries, k, n)
        if self.incexc.active:
            mask = self.incexc.mask(space, fmt, run)
            keep = mask[cand_gid] if len(cand_gid) else np.zeros(0, dtype=bool)
            cand_bid, cand_gid, cand_count = cand_bid[keep], cand_gid[keep], cand_count[keep]
        else:
            mask = None
        if self.min_doc_count == 0 and space.size:
            all_g = live_gids(self.vs, scope, space)
            if mask is not None:
                all_g = all_g[mask[all_g]]
            cand_bid, cand_gid, cand_count = add_zero_candidates(cand_bid, cand_gid, cand_count, all_g, n, k)
        keep = cand_count >= max(self.min_doc_count or 0, 0)
        if self.min_doc_count == 0:
            keep = np.ones(len(cand_count), dtype=bool)
        cand_bid, cand_gid, cand_count = cand_bid[keep], cand_gid[keep], cand_count[keep]
        totals = np.bincount(cand_bid, weights=cand_count, minlength=n)[:n] if len(cand_bid) else np.zeros(n)
        if needs_subs_for_order(self.order) and self.subs:
            child = entries_child_scope(scope, entries, k, cand_bid, cand_gid, np.arange(len(cand_bid)),
                                        len(cand_bid))
            subs = self.collect_subs(run, child)
            pv = path_values_for(self.order, subs, len(cand_bid))
            sel = group_select(cand_bid, order_keys(self.order, cand_count, cand_gid, pv), self.size, n)
            child_of = sel
        else:
            sel = group_select(cand_bid, order_keys(self.order, cand_count, cand_gid), self.size, n)
            child = entries_child_scope(scope, entries, k, cand_bid[sel], cand_gid[sel], np.arange(len(sel)),
                                        len(sel))
            subs = self.collect_subs(run, child)
            child_of = np.arange(len(sel))
        out_bid = cand_bid[sel]
        bounds = bounds_by_bid(out_bid, n)
        show_error = self.show_error

        def node(b: int) -> Node:
            buckets = []
            shown = 0
            for i in range(bounds[b], bounds[b + 1]):
                c = sel[i]
                gid = int(cand_gid[c])
                key = term_key(space, gid, integral)
                head: dict[str, Any] = {"key": key}
                if not key_fmt.raw:
                    head["key_as_string"] = key_fmt.format_key(space.key(gid), integral)
                count = int(cand_count[c])
                shown += count
                tail = {"doc_count_error_upper_bound": 0} if show_error else None
                buckets.append(Bucket(key, count, subs.aggs(int(child_of[i])), head, tail,
                                      key_string=head.get("key_as_string")))
            head = {"doc_count_error_upper_bound": 0, "sum_other_doc_count": int(totals[b]) - shown}
            return MultiBucketNode(typed, java, self.name, buckets, head=head)
        return FnCollected(node)

    def _integral(self, scope: Scope) -> bool:
        types = set()
        for part in scope.parts:
            r = self.vs.resolve(part)
            if r.ftype is not None:
                types.add(r.ftype)
        if not types:
            vt = self.vs.value_type
            return vt in ("long", "integer", "short", "byte", "date", "boolean")
        return all(t in INTEGRAL for t in types)


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


# ---- rare_terms -----------------------------------------------------------------------------------------
@register("rare_terms")
class RareTerms(BucketAgg):
    type_name = "rare_terms"
    allowed = VS_KEYS | {"max_doc_count", "precision", "include", "exclude", "format"}

    def configure(self, p: Params) -> None:
        self.vs = ValuesConfig(self, p)
        self.max_doc_count = p.int("max_doc_count", 1) or 0
        if self.max_doc_count < 1:
            raise setter_error(self.type_name, "max_doc_count", f"[maxDocCount] must be greater than 0. Found [{self.max_doc_count}] in "
                                   f"[{self.name}]")
        if self.max_doc_count > 100:
            raise illegal_argument("[max_doc_count] must be smaller than or equal to [100].")
        precision = p.float("precision")
        if precision is not None and precision < 0.00001:
            raise illegal_argument("[precision] must be greater than or equal to 0.00001")
        self.incexc = IncludeExclude(self, p.get("include"), p.get("exclude"))

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        sources = [p.src for p in scope.parts] or run.sources
        fmt = self.vs.doc_format(sources)
        ftype = self.vs.field_type(sources)
        space, entries = key_entries(self.vs, scope, run, fmt)
        integral = space.kind == "num" and (ftype in INTEGRAL)
        typed = "umrareterms" if ftype is None and not self.vs.has_missing else (
            "srareterms" if space.kind == "str" else "lrareterms")
        n = scope.n
        k = max(space.size, 1)
        cand_bid, cand_gid, cand_count = count_candidates(entries, k, n)
        keep = cand_count <= self.max_doc_count
        if self.incexc.active:
            keep &= self.incexc.mask(space, fmt, run)[cand_gid]
        cand_bid, cand_gid, cand_count = cand_bid[keep], cand_gid[keep], cand_count[keep]
        sel = group_select(cand_bid, [cand_count.astype(np.float64), cand_gid.astype(np.float64)], None, n)
        child = entries_child_scope(scope, entries, k, cand_bid[sel], cand_gid[sel], np.arange(len(sel)), len(sel))
        subs = self.collect_subs(run, child)
        bounds = bounds_by_bid(cand_bid[sel], n)

        def node(b: int) -> Node:
            buckets = []
            for i in range(bounds[b], bounds[b + 1]):
                c = sel[i]
                gid = int(cand_gid[c])
                key = term_key(space, gid, integral)
                head: dict[str, Any] = {"key": key}
                if space.kind == "num" and not fmt.raw:
                    head["key_as_string"] = fmt.format_key(space.key(gid), integral)
                buckets.append(Bucket(key, int(cand_count[c]), subs.aggs(i), head))
            return MultiBucketNode(typed, "InternalRareTerms", self.name, buckets)
        return FnCollected(node)


# ---- significant_terms ----------------------------------------------------------------------------------
def _jlh(sub_freq: float, sub_size: float, sup_freq: float, sup_size: float) -> float:
    if sub_size == 0 or sup_size == 0 or sup_freq == 0:
        return 0.0
    sub_p = sub_freq / sub_size
    sup_p = sup_freq / sup_size
    absolute = sub_p - sup_p
    if absolute <= 0:
        return 0.0
    return absolute * (sub_p / sup_p)


def _percentage(sub_freq: float, sub_size: float, sup_freq: float, sup_size: float) -> float:
    return sub_freq / sup_freq if sup_freq else 0.0


def _nxy(sub_freq: float, sub_size: float, sup_freq: float, sup_size: float, background_is_superset: bool
         ) -> tuple[float, float, float, float]:
    if background_is_superset:
        n11 = sub_freq
        n01 = sub_size - sub_freq
        n10 = sup_freq - sub_freq
        n00 = sup_size - sup_freq - n01
    else:
        n11 = sub_freq
        n01 = sub_size - sub_freq
        n10 = sup_freq
        n00 = sup_size - sup_freq
    return n11, n01, n10, n00


def _mutual_information(sub_freq: float, sub_size: float, sup_freq: float, sup_size: float,
                        include_negatives: bool, superset: bool) -> float:
    n11, n01, n10, n00 = _nxy(sub_freq, sub_size, sup_freq, sup_size, superset)
    n1_ = n11 + n10
    n0_ = n01 + n00
    n_1 = n11 + n01
    n_0 = n10 + n00
    n = n1_ + n0_

    def term(nxy: float, nx: float, ny: float) -> float:
        if nxy == 0 or nx == 0 or ny == 0:
            return 0.0
        return (nxy / n) * math.log2((n * nxy) / (nx * ny))
    if n == 0:
        return 0.0
    score = term(n11, n1_, n_1) + term(n01, n0_, n_1) + term(n10, n1_, n_0) + term(n00, n0_, n_0)
    if not include_negatives and n11 / max(n_1, 1) < n10 / max(n_0, 1):
        return -math.inf
    return score


def _chi_square(sub_freq: float, sub_size: float, sup_freq: float, sup_size: float, include_negatives: bool,
                superset: bool) -> float:
    n11, n01, n10, n00 = _nxy(sub_freq, sub_size, sup_freq, sup_size, superset)
    n1_, n0_ = n11 + n10, n01 + n00
    n_1, n_0 = n11 + n01, n10 + n00
    n = n1_ + n0_
    if not include_negatives and n_1 and n_0 and n11 / n_1 < n10 / n_0:
        return -math.inf
    denom = n1_ * n_1 * n0_ * n_0
    return (n * (n11 * n00 - n10 * n01) ** 2) / denom if denom else 0.0


def _gnd(sub_freq: float, sub_size: float, sup_freq: float, sup_size: float, superset: bool) -> float:
    fx = sup_freq
    fy = sub_size
    fxy = sub_freq
    n = sup_size
    if fxy == 0:
        return 0.0
    if not superset:
        fx += fxy
        n += sub_size
    if fx == fxy and fy == fxy:
        return 1.0
    score = (max(math.log(fx), math.log(fy)) - math.log(fxy)) / (math.log(n) - min(math.log(fx), math.log(fy)))
    return 1.0 - score if score < 1.0 else 0.0


@register("significant_terms")
class SignificantTerms(BucketAgg):
    type_name = "significant_terms"
    allowed = VS_KEYS | {"size", "shard_size", "min_doc_count", "shard_min_doc_count", "include", "exclude",
                         "execution_hint", "background_filter", "jlh", "mutual_information", "chi_square", "gnd",
                         "percentage", "script_heuristic", "format"}

    def configure(self, p: Params) -> None:
        self.vs = ValuesConfig(self, p)
        self.size = p.int("size", 10) or 10
        self.min_doc_count = p.int("min_doc_count", 3)
        self.incexc = IncludeExclude(self, p.get("include"), p.get("exclude"))
        self.background = p.get("background_filter")
        self.heuristic = "jlh"
        self.h_opts: dict[str, Any] = {}
        for h in ("jlh", "mutual_information", "chi_square", "gnd", "percentage", "script_heuristic"):
            if h in p.body:
                self.heuristic = h
                self.h_opts = p.body[h] or {}
        if self.heuristic == "script_heuristic":
            raise illegal_argument("[script_heuristic] is not supported by the embedded engine")

    def score(self, sub_freq: float, sub_size: float, sup_freq: float, sup_size: float) -> float:
        h = self.heuristic
        superset = self.h_opts.get("background_is_superset", True)
        neg = self.h_opts.get("include_negatives", False)
        if h == "jlh":
            return _jlh(sub_freq, sub_size, sup_freq, sup_size)
        if h == "percentage":
            return _percentage(sub_freq, sub_size, sup_freq, sup_size)
        if h == "mutual_information":
            return _mutual_information(sub_freq, sub_size, sup_freq, sup_size, neg, superset)
        if h == "chi_square":
            return _chi_square(sub_freq, sub_size, sup_freq, sup_size, neg, superset)
        return _gnd(sub_freq, sub_size, sup_freq, sup_size, superset)

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        sources = [p.src for p in scope.parts] or run.sources
        fmt = self.vs.doc_format(sources)
        ftype = self.vs.field_type(sources)
        space, entries = key_entries(self.vs, scope, run, fmt)
        integral = space.kind == "num" and ftype in INTEGRAL
        typed = "umsigterms" if ftype is None else ("sigsterms" if space.kind == "str" else "siglterms")
        n = scope.n
        k = max(space.size, 1)
        cand_bid, cand_gid, cand_count = count_candidates(entries, k, n)
        subset_sizes = scope.counts()
        # background: every live doc of the indices at the scope's level (or the background filter)
        bg_scope = Scope([], 1)
        for part in scope.parts:
            src = part.src
            if any(p.src is src for p in bg_scope.parts):
                continue
            if self.background is not None:
                docs = src.run_query(self.background, part.path)
            elif part.path is None:
                docs = np.flatnonzero(src.ctx.scope).astype(np.int32)
            else:
                docs = src.path_docs(part.path)
            bg_scope.parts.append(Part(src, docs, np.zeros(len(docs), dtype=I64), part.path))
        superset_size = sum(len(p.docs) for p in bg_scope.parts)
        bg_space, bg_entries = key_entries(self.vs, bg_scope, run, fmt, missing=False)
        bg_counts = np.zeros(k, dtype=I64)
        if len(bg_entries):
            bg_keys_counts = np.bincount(bg_entries.gids, minlength=bg_space.size)
            if bg_space.size:
                if space.kind == "num":
                    idx = np.searchsorted(space.keys, bg_space.keys)
                    ok = (idx < space.size)
                    ok[ok] &= np.asarray(space.keys)[idx[ok]] == np.asarray(bg_space.keys)[ok]
                    np.add.at(bg_counts, idx[ok], bg_keys_counts[ok])
                else:
                    for j, key in enumerate(bg_space.keys):
                        g = space.find(key)
                        if g >= 0:
                            bg_counts[g] += bg_keys_counts[j]
        mask = self.incexc.mask(space, fmt, run) if self.incexc.active else None
        scores = np.array([self.score(float(c), float(subset_sizes[b]), float(bg_counts[g]), float(superset_size))
                           for b, g, c in zip(cand_bid.tolist(), cand_gid.tolist(), cand_count.tolist(),
                                              strict=True)])
        keep = cand_count >= (self.min_doc_count or 0)
        if mask is not None and len(cand_gid):
            keep &= mask[cand_gid]
        if len(scores):
            keep &= scores > 0 if self.heuristic in ("jlh",) else ~np.isinf(scores)
        idx = np.flatnonzero(keep)
        sel = idx[group_select(cand_bid[idx], [-scores[idx], cand_gid[idx].astype(np.float64)], self.size, n)] \
            if len(idx) else EMPTY_I64
        child = entries_child_scope(scope, entries, k, cand_bid[sel], cand_gid[sel], np.arange(len(sel)), len(sel))
        subs = self.collect_subs(run, child)
        bounds = bounds_by_bid(cand_bid[sel], n)

        def node(b: int) -> Node:
            buckets = []
            for i in range(bounds[b], bounds[b + 1]):
                c = sel[i]
                gid = int(cand_gid[c])
                key = term_key(space, gid, integral)
                head: dict[str, Any] = {"key": key}
                if space.kind == "num" and not fmt.raw:
                    head["key_as_string"] = fmt.format_key(space.key(gid), integral)
                tail = {"score": float(scores[c]), "bg_count": int(bg_counts[gid])}
                buckets.append(Bucket(key, int(cand_count[c]), subs.aggs(i), head, tail))
            return MultiBucketNode(typed, "SignificantTerms", self.name, buckets,
                                   head={"doc_count": int(subset_sizes[b]), "bg_count": int(superset_size)})
        return FnCollected(node)


# ---- histogram -----------------------------------------------------------------------------------------
def _bounds_obj(agg: AggSpec, p: Params, key: str) -> tuple[Any, Any] | None:
    value = p.obj(key)
    if value is None:
        return None
    bp = Params(key, value, {"min", "max"})
    return bp.get("min"), bp.get("max")


@register("histogram")
class Histogram(BucketAgg):
    type_name = "histogram"
    allowed = VS_KEYS | {"format", "interval", "offset", "min_doc_count", "extended_bounds", "hard_bounds",
                         "keyed", "order"}

    def configure(self, p: Params) -> None:
        self.vs = ValuesConfig(self, p, numeric=True)
        interval = p.float("interval")
        if interval is None or interval <= 0 or math.isnan(interval):
            raise setter_error(self.type_name, "interval", f"[interval] must be >0 for histogram aggregation [{self.name}]")
        self.interval = interval
        self.offset = p.float("offset", 0.0) or 0.0
        self.min_doc_count = p.int("min_doc_count", 0) or 0
        if self.min_doc_count < 0:
            raise setter_error(self.type_name, "min_doc_count", f"[minDocCount] must be greater than or equal to 0. Found [{self.min_doc_count}] "
                                   f"in [{self.name}]")
        self.keyed = p.bool("keyed", False)
        self.order = parse_order(self, p.get("order"), [("_key", True)])
        ext = _bounds_obj(self, p, "extended_bounds")
        hard = _bounds_obj(self, p, "hard_bounds")
        self.ext = None if ext is None else tuple(None if v is None else float(v) for v in ext)
        self.hard = None if hard is None else tuple(None if v is None else float(v) for v in hard)
        if self.ext and self.ext[0] is not None and self.ext[1] is not None and self.ext[0] > self.ext[1]:
            raise illegal_argument(f"[extended_bounds.min][{self.ext[0]}] cannot be greater than "
                                   f"[extended_bounds.max][{self.ext[1]}] for histogram aggregation [{self.name}]")

    def check(self) -> None:
        check_order_paths(self, self.order)

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        interval, offset = self.interval, self.offset
        rf = range_field(self.vs, scope)
        if rf is not None:
            fmt = NumberFormat(self.vs.format) if self.vs.format else RAW
            parts_e, rows_e, idx_e = [], [], []
            integral = rf.type in ("integer_range", "long_range")
            for pi, part in enumerate(scope.parts):
                rows, idx = [], []
                for row, lo, hi in range_values(part, rf, float, integral):
                    if self.hard is not None:
                        lo = max(lo, self.hard[0]) if self.hard[0] is not None else lo
                        hi = min(hi, self.hard[1]) if self.hard[1] is not None else hi
                    if math.isinf(lo) or math.isinf(hi):
                        raise too_many_buckets(MAX_BUCKETS + 1)
                    first, last = math.floor((lo - offset) / interval), math.floor((hi - offset) / interval)
                    if last - first > MAX_BUCKETS:
                        raise too_many_buckets(int(last - first))
                    for i in range(int(first), int(last) + 1):
                        rows.append(row)
                        idx.append(float(i))
                if rows:
                    parts_e.append(np.full(len(rows), pi, dtype=I64))
                    rows_e.append(np.asarray(rows, dtype=I64))
                    idx_e.append(np.asarray(idx))
            return histogram_collect(self, run, scope, parts_e, rows_e, idx_e,
                                     key_of=lambda i: i * interval + offset, fmt=fmt, date=False)
        fmt = format_for(self.vs, run)
        missing = self.vs.missing_num(fmt, run.now) if self.vs.has_missing else None
        parts_e, rows_e, idx_e = [], [], []
        for pi, part in enumerate(scope.parts):
            rows, vals = self.vs.numbers(part, missing)
            if not len(rows):
                continue
            idx = np.floor((vals - offset) / interval)
            parts_e.append(np.full(len(rows), pi, dtype=I64))
            rows_e.append(rows)
            idx_e.append(idx)
        return histogram_collect(self, run, scope, parts_e, rows_e, idx_e,
                                 key_of=lambda i: i * interval + offset, fmt=fmt, date=False,
                                 dedup=multi_valued(self.vs, scope))


def histogram_collect(agg: Any, run: Run, scope: Scope, parts_e: list[np.ndarray], rows_e: list[np.ndarray],
                      idx_e: list[np.ndarray], key_of: Any, fmt: DocValueFormat, date: bool,
                      rounding: DateRounding | None = None, dedup: bool = True) -> FnCollected:
    """Shared by histogram and date_histogram: entries carry a bucket index (float index or date key)."""
    n = scope.n
    if parts_e:
        part_a = np.concatenate(parts_e)
        rows_a = np.concatenate(rows_e).astype(I64)
        vals_a = np.concatenate(idx_e)
    else:
        part_a = rows_a = EMPTY_I64
        vals_a = np.zeros(0)
    bids_a = np.zeros(len(rows_a), dtype=I64)
    for pi, part in enumerate(scope.parts):
        m = part_a == pi
        if m.any():
            bids_a[m] = part.bids[rows_a[m]]
    # hard bounds on keys
    if agg.hard is not None and len(vals_a):
        keys_a = key_of(vals_a)
        ok = np.ones(len(vals_a), dtype=bool)
        if agg.hard[0] is not None:
            ok &= keys_a >= agg.hard[0]
        if agg.hard[1] is not None:
            ok &= keys_a <= agg.hard[1]
        part_a, rows_a, vals_a, bids_a = part_a[ok], rows_a[ok], vals_a[ok], bids_a[ok]
    # key space: distinct bucket indices
    ukeys, gids = factorize(vals_a) if len(vals_a) else (np.zeros(0), EMPTY_I64)
    k = max(len(ukeys), 1)
    # dedup: a doc counts once per bucket (only multi-valued fields can repeat a row)
    if len(gids) and dedup:
        offsets = np.zeros(len(scope.parts) + 1, dtype=I64)
        offsets[1:] = np.cumsum([len(p.docs) for p in scope.parts])
        grow = offsets[part_a] + rows_a
        comb = grow * k + gids
        _, first = np.unique(comb, return_index=True)
        if len(first) != len(comb):
            first.sort()
            part_a, rows_a, bids_a, gids = part_a[first], rows_a[first], bids_a[first], gids[first]
    entries = Entries(part_a, rows_a, bids_a, gids)
    cand_bid, cand_gid, cand_count = count_candidates(entries, k, n)
    cand_idx = ukeys[cand_gid] if len(cand_gid) else np.zeros(0)
    # empty buckets
    if agg.min_doc_count == 0:
        cand_bid, cand_idx, cand_count = fill_gaps(agg, run, cand_bid, cand_idx, cand_count, n, date, rounding, fmt)
    else:
        keep = cand_count >= agg.min_doc_count
        cand_bid, cand_idx, cand_count = cand_bid[keep], cand_idx[keep], cand_count[keep]
    # map candidates back to entry gids (filled buckets have no entries)
    if len(cand_idx):
        pos = np.searchsorted(ukeys, cand_idx) if len(ukeys) else np.zeros(len(cand_idx), dtype=I64)
        pos = np.minimum(pos, max(len(ukeys) - 1, 0))
        cand_gid = np.where((len(ukeys) > 0) & (ukeys[pos] == cand_idx) if len(ukeys) else False, pos,
                            -1).astype(I64)
    else:
        cand_gid = EMPTY_I64
    key_rank = cand_idx
    if needs_subs_for_order(agg.order) and agg.subs:
        child = entries_child_scope(scope, entries, k, cand_bid, cand_gid, np.arange(len(cand_bid)), len(cand_bid))
        subs = agg.collect_subs(run, child)
        pv = path_values_for(agg.order, subs, len(cand_bid))
        sel = group_select(cand_bid, order_keys(with_key_tiebreak(agg.order), cand_count, key_rank, pv), None, n)
        child_of = sel
    else:
        sel = group_select(cand_bid, order_keys(with_key_tiebreak(agg.order), cand_count, key_rank), None, n)
        child = entries_child_scope(scope, entries, k, cand_bid[sel], cand_gid[sel], np.arange(len(sel)), len(sel))
        subs = agg.collect_subs(run, child)
        child_of = np.arange(len(sel))
    if len(sel) > MAX_BUCKETS:
        raise too_many_buckets(len(sel))
    bounds = bounds_by_bid(cand_bid[sel], n)
    typed = "date_histogram" if date else "histogram"
    java = "InternalDateHistogram" if date else "InternalHistogram"
    keyed = agg.keyed
    extra_head = getattr(agg, "extra_head", None)

    def node(b: int) -> Node:
        buckets = []
        for i in range(bounds[b], bounds[b + 1]):
            c = sel[i]
            raw = cand_idx[c]
            key = int(raw) if date else float(key_of(raw))
            head: dict[str, Any] = {}
            if date or not fmt.raw:
                head["key_as_string"] = fmt.format(key)
            head["key"] = key
            ks = head.get("key_as_string") if (date or not fmt.raw) else java_double(key)
            buckets.append(Bucket(key, int(cand_count[c]), subs.aggs(int(child_of[i])), head, keyed_key=ks,
                                  key_string=ks))
        return MultiBucketNode(typed, java, agg.name, buckets, keyed=keyed, histogram=True,
                               tail=extra_head(b) if extra_head else None)
    return FnCollected(node)


def fill_gaps(agg: Any, run: Run, cand_bid: np.ndarray, cand_idx: np.ndarray, cand_count: np.ndarray, n: int,
              date: bool, rounding: DateRounding | None, fmt: DocValueFormat
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """min_doc_count 0: every bucket between each parent's first and last key (and the extended bounds)."""
    ext = agg.ext_keys(run, fmt) if date else agg.ext
    if ext is not None and not date:
        lo, hi = ext
        ext = (None if lo is None else math.floor((lo - agg.offset) / agg.interval),
               None if hi is None else math.floor((hi - agg.offset) / agg.interval))
    hard = agg.hard
    out_bid, out_idx, out_count = [], [], []
    bounds = bounds_by_bid(cand_bid, n)
    total = 0
    for b in range(n):
        lo_i, hi_i = bounds[b], bounds[b + 1]
        present = cand_idx[lo_i:hi_i]
        counts = cand_count[lo_i:hi_i]
        lo = float(present.min()) if len(present) else None
        hi = float(present.max()) if len(present) else None
        if ext is not None:
            if ext[0] is not None:
                lo = ext[0] if lo is None else min(lo, ext[0])
            if ext[1] is not None:
                hi = ext[1] if hi is None else max(hi, ext[1])
            if lo is None and hi is not None and not len(present):
                lo = hi
            if hi is None and lo is not None and not len(present):
                hi = lo
        if hard is not None and lo is not None:
            if date:
                if hard[0] is not None:
                    lo = max(lo, float(rounding.round(int(hard[0]))))  # type: ignore[union-attr]
                if hard[1] is not None:
                    hi = min(hi, float(hard[1]))  # type: ignore[type-var]
            else:
                if hard[0] is not None:
                    lo = max(lo, math.ceil((hard[0] - agg.offset) / agg.interval))
                if hard[1] is not None:
                    hi = min(hi, math.floor((hard[1] - agg.offset) / agg.interval))  # type: ignore[type-var]
        if lo is None or hi is None or lo > hi:
            full = present
        elif date:
            full = _date_sequence(rounding, int(lo), int(hi), len(present))  # type: ignore[arg-type]
        else:
            span = int(hi - lo) + 1
            if span > MAX_BUCKETS:
                raise too_many_buckets(span)
            full = np.arange(int(lo), int(hi) + 1, dtype=np.float64)
        total += len(full)
        if total > MAX_BUCKETS:
            raise too_many_buckets(total)
        full = np.union1d(full, present)
        cnt = np.zeros(len(full), dtype=I64)
        if len(present):
            cnt[np.searchsorted(full, present)] = counts
        out_bid.append(np.full(len(full), b, dtype=I64))
        out_idx.append(full)
        out_count.append(cnt)
    if not out_bid:
        return cand_bid, cand_idx, cand_count
    return np.concatenate(out_bid), np.concatenate(out_idx), np.concatenate(out_count)


def _date_sequence(rounding: DateRounding, lo: int, hi: int, present: int) -> np.ndarray:
    approx = max(rounding.approx_millis, 1)
    if (hi - lo) // approx > MAX_BUCKETS * 2:
        raise too_many_buckets(int((hi - lo) // approx))
    if rounding.interval is not None and rounding.zone.fixed is not None:
        step = rounding.interval
        return np.arange(lo, hi + 1, step, dtype=np.float64)
    out = []
    key = int(rounding.round(lo))
    while key <= hi:
        out.append(key)
        if len(out) > MAX_BUCKETS:
            raise too_many_buckets(len(out))
        key = rounding.next(key)
    return np.asarray(out, dtype=np.float64)


def multi_valued(cfg: ValuesConfig, scope: Scope) -> bool:
    """Whether any index holds several values of the field in one doc."""
    for part in scope.parts:
        r = cfg.resolve(part)
        if r.ci is not None and not r.ci.single:
            return True
    return False


# ---- date_histogram ---------------------------------------------------------------------------------------
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


@register("date_histogram")
class DateHistogram(BucketAgg):
    type_name = "date_histogram"
    allowed = VS_KEYS | {"format", "calendar_interval", "fixed_interval", "offset", "time_zone", "min_doc_count",
                         "extended_bounds", "hard_bounds", "keyed", "order"}

    def configure(self, p: Params) -> None:
        self.tz = _tz(p)
        self.vs = ValuesConfig(self, p, numeric=True, tz=self.tz)
        self.rounding = build_rounding(self, p, self.tz)
        self.min_doc_count = p.int("min_doc_count", 0) or 0
        if self.min_doc_count < 0:
            raise setter_error(self.type_name, "min_doc_count", f"[minDocCount] must be greater than or equal to 0. Found [{self.min_doc_count}] "
                                   f"in [{self.name}]")
        self.keyed = p.bool("keyed", False)
        self.order = parse_order(self, p.get("order"), [("_key", True)])
        self.ext_raw = _bounds_obj(self, p, "extended_bounds")
        self.hard_raw = _bounds_obj(self, p, "hard_bounds")
        self.hard: tuple[Any, Any] | None = None

    def check(self) -> None:
        check_order_paths(self, self.order)

    def _parse_bound(self, value: Any, fmt: DocValueFormat, run: Run) -> float | None:
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(fmt, DateFormat):
            return fmt.parse(value, run.now)
        return DateFormat(None, self.tz).parse(value, run.now)

    def ext_keys(self, run: Run, fmt: DocValueFormat) -> tuple[float | None, float | None] | None:
        if self.ext_raw is None:
            return None
        lo = self._parse_bound(self.ext_raw[0], fmt, run)
        hi = self._parse_bound(self.ext_raw[1], fmt, run)
        if lo is not None and hi is not None and lo > hi:
            raise illegal_argument(f"[extended_bounds.min][{int(lo)}] cannot be greater than "
                                   f"[extended_bounds.max][{int(hi)}] for histogram aggregation [{self.name}]")
        return (None if lo is None else float(self.rounding.round(int(lo))),
                None if hi is None else float(self.rounding.round(int(hi))))

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        rf = range_field(self.vs, scope)
        if rf is not None:
            return self._collect_ranges(run, scope, rf)
        fmt = self.vs.doc_format(run.sources, unmapped_default="date")
        if self.hard_raw is not None:
            self.hard = (self._parse_bound(self.hard_raw[0], fmt, run), self._parse_bound(self.hard_raw[1], fmt, run))
        missing = self.vs.missing_num(fmt, run.now) if self.vs.has_missing else None
        parts_e, rows_e, idx_e = [], [], []
        for pi, part in enumerate(scope.parts):
            rows, vals = self.vs.numbers(part, missing)
            if not len(rows):
                continue
            keys = self.rounding.round_many(np.floor(vals).astype(np.int64)).astype(np.float64)
            parts_e.append(np.full(len(rows), pi, dtype=I64))
            rows_e.append(rows)
            idx_e.append(keys)
        return histogram_collect(self, run, scope, parts_e, rows_e, idx_e, key_of=lambda v: v, fmt=fmt, date=True,
                                 rounding=self.rounding, dedup=multi_valued(self.vs, scope))

    def _collect_ranges(self, run: Run, scope: Scope, rf: Any) -> FnCollected:
        """date_histogram over a date_range field: a document counts in every bucket its range overlaps."""
        fmt = DateFormat(self.vs.format or rf.params.get("format"), self.tz)
        parser = DateFormat(rf.params.get("format"), None)
        if self.hard_raw is not None:
            self.hard = (self._parse_bound(self.hard_raw[0], fmt, run), self._parse_bound(self.hard_raw[1], fmt, run))
        parts_e, rows_e, idx_e = [], [], []
        for pi, part in enumerate(scope.parts):
            rows, keys = [], []
            for row, lo, hi in range_values(part, rf, lambda v: parser.parse(v, run.now), integral=True):
                if self.hard is not None:
                    lo = max(lo, self.hard[0]) if self.hard[0] is not None else lo
                    hi = min(hi, self.hard[1]) if self.hard[1] is not None else hi
                if math.isinf(lo) or math.isinf(hi):
                    raise too_many_buckets(MAX_BUCKETS + 1)
                key = self.rounding.round(int(lo))
                end = self.rounding.round(int(hi))
                while key <= end:
                    rows.append(row)
                    keys.append(float(key))
                    if len(keys) > MAX_BUCKETS * 4:
                        raise too_many_buckets(len(keys))
                    key = self.rounding.next(key)
            if rows:
                parts_e.append(np.full(len(rows), pi, dtype=I64))
                rows_e.append(np.asarray(rows, dtype=I64))
                idx_e.append(np.asarray(keys))
        return histogram_collect(self, run, scope, parts_e, rows_e, idx_e, key_of=lambda v: v, fmt=fmt, date=True,
                                 rounding=self.rounding)


def range_field(cfg: ValuesConfig, scope: Scope) -> Any:
    """The mapped *_range field an aggregation reads, if it is one."""
    if not cfg.field:
        return None
    for part in scope.parts:
        f = part.src.field(cfg.field)
        if f is not None:
            return f if f.type.endswith("_range") else None
    return None


def range_values(part: Part, f: Any, parse: Any, integral: bool) -> list[tuple[int, float, float]]:
    """(row, inclusive from, inclusive to) of every range value of a range field."""
    from .sourcevals import source_values

    out = []
    step = 1.0
    for row, raw in source_values(part, f.path):
        if raw is None:
            continue
        items = raw if isinstance(raw, list) else [raw]
        for item in items:
            if not isinstance(item, dict):
                continue
            lo, hi = -math.inf, math.inf
            if item.get("gte") is not None:
                lo = float(parse(item["gte"]))
            elif item.get("gt") is not None:
                v = float(parse(item["gt"]))
                lo = v + step if integral else math.nextafter(v, math.inf)
            elif item.get("from") is not None:
                lo = float(parse(item["from"]))
            if item.get("lte") is not None:
                hi = float(parse(item["lte"]))
            elif item.get("lt") is not None:
                v = float(parse(item["lt"]))
                hi = v - step if integral else math.nextafter(v, -math.inf)
            elif item.get("to") is not None:
                hi = float(parse(item["to"]))
            if lo <= hi:
                out.append((row, lo, hi))
    return out


# ---- auto_date_histogram --------------------------------------------------------------------------------
_AUTO_ROUNDINGS = [("second", [1, 5, 10, 30], "s"), ("minute", [1, 5, 10, 30], "m"), ("hour", [1, 3, 12], "h"),
                   ("day", [1, 7], "d"), ("month", [1, 3], "M"), ("year", [1, 5, 10, 20, 50, 100], "y")]


@register("auto_date_histogram")
class AutoDateHistogram(BucketAgg):
    type_name = "auto_date_histogram"
    allowed = VS_KEYS | {"format", "buckets", "minimum_interval", "time_zone", "offset", "params"}

    def configure(self, p: Params) -> None:
        self.tz = _tz(p)
        self.vs = ValuesConfig(self, p, numeric=True, tz=self.tz)
        self.target = p.int("buckets", 10) or 10
        if self.target <= 0:
            raise illegal_argument(f"[buckets] must be greater than 0. Found [{self.target}] in [{self.name}]")
        mi = p.str("minimum_interval")
        units = [u for u, _, _ in _AUTO_ROUNDINGS]
        if mi is not None and mi not in units:
            raise illegal_argument(f"minimum_interval must be one of {units}")
        self.min_unit = units.index(mi) if mi is not None else 0

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt = self.vs.doc_format(run.sources, unmapped_default="date")
        missing = self.vs.missing_num(fmt, run.now) if self.vs.has_missing else None
        per_part = []
        all_vals = []
        for pi, part in enumerate(scope.parts):
            rows, vals = self.vs.numbers(part, missing)
            v = np.floor(vals).astype(np.int64)
            per_part.append((pi, rows, v))
            all_vals.append(v)
        values = np.concatenate(all_vals) if all_vals else np.zeros(0, dtype=np.int64)
        chosen = None
        for ui, (unit, inners, suffix) in enumerate(_AUTO_ROUNDINGS):
            if ui < self.min_unit:
                continue
            rounding = DateRounding.calendar(unit, self.tz)
            for inner in inners:
                keyed = _auto_keys(rounding, unit, inner, values)
                count = _auto_count(rounding, unit, inner, keyed) if len(values) else 0
                chosen = (rounding, unit, inner, suffix)
                if count <= self.target:
                    break
            else:
                continue
            break
        rounding, unit, inner, suffix = chosen  # type: ignore[misc]
        parts_e, rows_e, idx_e = [], [], []
        first = int(rounding.round(int(values.min()))) if len(values) else 0
        for pi, rows, v in per_part:
            if not len(rows):
                continue
            keys = _auto_bucket(rounding, unit, inner, v, first)
            parts_e.append(np.full(len(rows), pi, dtype=I64))
            rows_e.append(rows)
            idx_e.append(keys.astype(np.float64))
        interval = f"{inner}{suffix}"
        self.min_doc_count = 0
        self.ext = None
        self.hard = None
        self.keyed = False
        self.order = [("_key", True)]
        self.ext_keys = lambda run, fmt: None  # type: ignore[method-assign]
        self.extra_head = lambda b: {"interval": interval}
        seq_rounding = _AutoSeq(rounding, unit, inner)
        return histogram_collect(self, run, scope, parts_e, rows_e, idx_e, key_of=lambda v: v, fmt=fmt, date=True,
                                 rounding=seq_rounding)  # type: ignore[arg-type]


class _AutoSeq:
    """Rounding-like stepping for auto_date_histogram's multi-unit buckets."""

    def __init__(self, rounding: DateRounding, unit: str, inner: int) -> None:
        self.rounding = rounding
        self.unit = unit
        self.inner = inner
        self.interval = None
        self.zone = rounding.zone
        self.approx_millis = rounding.approx_millis * inner

    def round(self, key: int) -> int:
        return key

    def next(self, key: int) -> int:
        for _ in range(self.inner):
            key = self.rounding.next(key)
        return key


def _auto_keys(rounding: DateRounding, unit: str, inner: int, values: np.ndarray) -> np.ndarray:
    if not len(values):
        return values
    return np.unique(rounding.round_many(values))


def _auto_count(rounding: DateRounding, unit: str, inner: int, keys: np.ndarray) -> int:
    lo, hi = int(keys.min()), int(keys.max())
    approx = rounding.approx_millis * inner
    if (hi - lo) // max(approx, 1) > 100_000:
        return 10**9
    count = 1
    key = lo
    while True:
        for _ in range(inner):
            key = rounding.next(key)
        if key > hi:
            return count
        count += 1


def _auto_bucket(rounding: DateRounding, unit: str, inner: int, values: np.ndarray, first: int) -> np.ndarray:
    keys = rounding.round_many(values)
    if inner == 1:
        return keys
    starts = [first]
    hi = int(keys.max())
    key = first
    while key <= hi:
        for _ in range(inner):
            key = rounding.next(key)
        starts.append(key)
    starts_a = np.asarray(starts, dtype=np.int64)
    idx = np.searchsorted(starts_a, keys, side="right") - 1
    return starts_a[np.maximum(idx, 0)]


# ---- range / date_range / ip_range ----------------------------------------------------------------------
class RangeBase(BucketAgg):
    date = False

    def parse_ranges(self, p: Params) -> list[dict[str, Any]]:
        ranges = p.get("ranges")
        if ranges is None:
            raise illegal_argument(f"No [ranges] specified for the [{self.name}] aggregation")
        if not isinstance(ranges, list):
            raise failed_field(self.type_name, "ranges")
        if not ranges:
            raise illegal_argument(f"No [ranges] specified for the [{self.name}] aggregation")
        out = []
        for r in ranges:
            rp = Params("range", r, {"key", "from", "to", "mask"} if self.type_name == "ip_range" else
                        {"key", "from", "to"})
            out.append({"key": rp.str("key"), "from": rp.get("from"), "to": rp.get("to"), "mask": rp.get("mask")})
        return out


def _precision_cast(value: float, ftype: str | None) -> float:
    if ftype == "float":
        return float(np.float32(value))
    if ftype == "half_float":
        return float(np.float16(value))
    return value


@register("range", "date_range")
class Range(RangeBase):
    type_name = "range"
    allowed = VS_KEYS | {"format", "ranges", "keyed"}

    def configure(self, p: Params) -> None:
        self.tz = _tz(p) if self.date else None
        self.vs = ValuesConfig(self, p, numeric=True, tz=self.tz)
        self.ranges = self.parse_ranges(p)
        self.keyed = p.bool("keyed", False)

    def resolve_bounds(self, run: Run, fmt: DocValueFormat) -> list[tuple[str | None, float, float]]:
        out = []
        for r in self.ranges:
            lo = self._bound(r["from"], fmt, run, -math.inf)
            hi = self._bound(r["to"], fmt, run, math.inf)
            out.append((r["key"], lo, hi))
        out.sort(key=lambda t: (t[1], t[2]))
        return out

    def _bound(self, value: Any, fmt: DocValueFormat, run: Run, default: float) -> float:
        if value is None:
            return default
        if self.date and isinstance(fmt, DateFormat):
            return fmt.parse(value, run.now)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(fmt, DateFormat):
            return fmt.parse(value, run.now)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                if isinstance(fmt, NumberFormat):
                    return fmt.parse(value)
                raise EsError(400, "number_format_exception", f'For input string: "{value}"') from None
        return fmt.parse(value)

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt = self.vs.doc_format(run.sources, unmapped_default="date" if self.date else None)
        if self.date and isinstance(fmt, DateFormat) and self.tz is not None:
            fmt = DateFormat(fmt.pattern, self.tz)
        bounds = self.resolve_bounds(run, fmt)
        ftype = self.vs.field_type(run.sources)
        missing = self.vs.missing_num(fmt, run.now) if self.vs.has_missing else None
        nr = len(bounds)
        parts_e, rows_e, gid_e = [], [], []
        for pi, part in enumerate(scope.parts):
            rows, vals = self.vs.numbers(part, missing)
            if not len(rows):
                continue
            for ri, (_, lo, hi) in enumerate(bounds):
                lo_c = _precision_cast(lo, ftype) if not math.isinf(lo) else lo
                hi_c = _precision_cast(hi, ftype) if not math.isinf(hi) else hi
                m = (vals >= lo_c) & (vals < hi_c)
                if not m.any():
                    continue
                r = np.unique(rows[m])
                parts_e.append(np.full(len(r), pi, dtype=I64))
                rows_e.append(r)
                gid_e.append(np.full(len(r), ri, dtype=I64))
        return range_collect(self, run, scope, parts_e, rows_e, gid_e, nr,
                             lambda ri: self._head(bounds[ri], fmt), self.keyed,
                             "date_range" if self.date else "range")

    def _head(self, bound: tuple[str | None, float, float], fmt: DocValueFormat) -> tuple[dict[str, Any], str]:
        key, lo, hi = bound
        if key is None:
            lo_s = "*" if math.isinf(lo) else fmt.format(lo)
            hi_s = "*" if math.isinf(hi) else fmt.format(hi)
            key = f"{lo_s}-{hi_s}"
        head: dict[str, Any] = {"key": key}
        if not math.isinf(lo):
            head["from"] = float(lo)
            if not fmt.raw:
                head["from_as_string"] = fmt.format(lo)
        if not math.isinf(hi):
            head["to"] = float(hi)
            if not fmt.raw:
                head["to_as_string"] = fmt.format(hi)
        return head, key


class DateRange(Range):
    type_name = "date_range"
    date = True
    allowed = VS_KEYS | {"format", "ranges", "keyed", "time_zone"}


register("date_range")(DateRange)


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


@register("ip_range")
class IpRange(RangeBase):
    type_name = "ip_range"
    allowed = VS_KEYS | {"ranges", "keyed"}

    def configure(self, p: Params) -> None:
        self.vs = ValuesConfig(self, p, formattable=False)
        self.keyed = p.bool("keyed", False)
        self.bounds = []
        for r in self.parse_ranges(p):
            if r["mask"] is not None:
                try:
                    net = ipaddress.ip_network(str(r["mask"]), strict=False)
                except ValueError:
                    raise illegal_argument(f"Invalid mask [{r['mask']}]") from None
                lo_ip = net.network_address
                hi_ip = net.broadcast_address
                lo = ip_to_int(str(lo_ip))
                hi = ip_to_int(str(hi_ip)) + 1
                to_text = str(hi_ip + 1) if int(hi_ip) < (2**32 - 1 if net.version == 4 else 2**128 - 1) else None
                self.bounds.append((r["key"] or str(r["mask"]), lo, hi, str(lo_ip), to_text))
                continue
            lo_t = None if r["from"] is None else str(ipaddress.ip_address(str(r["from"])))
            hi_t = None if r["to"] is None else str(ipaddress.ip_address(str(r["to"])))
            lo = -1 if lo_t is None else ip_to_int(lo_t)
            hi = 2**129 if hi_t is None else ip_to_int(hi_t)
            key = r["key"] or f"{lo_t or '*'}-{hi_t or '*'}"
            self.bounds.append((key, lo, hi, lo_t, hi_t))

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        parts_e, rows_e, gid_e = [], [], []
        for pi, part in enumerate(scope.parts):
            r = self.vs.resolve(part)
            if r.ci is None or r.kind != "str":
                continue
            rows, entries = expand(part, r.ci, dedup=True)
            if not len(rows):
                continue
            ords = r.ci.ords[entries]
            key_ints = [ip_to_int(k) for k in r.ci.keys]
            for ri, (_, lo, hi, _, _) in enumerate(self.bounds):
                ok_keys = np.asarray([lo <= v < hi for v in key_ints], dtype=bool)
                m = ok_keys[ords]
                if not m.any():
                    continue
                rr = np.unique(rows[m])
                parts_e.append(np.full(len(rr), pi, dtype=I64))
                rows_e.append(rr)
                gid_e.append(np.full(len(rr), ri, dtype=I64))

        def head_of(ri: int) -> tuple[dict[str, Any], str]:
            key, _, _, lo_t, hi_t = self.bounds[ri]
            head: dict[str, Any] = {"key": key}
            if lo_t is not None:
                head["from"] = lo_t
            if hi_t is not None:
                head["to"] = hi_t
            return head, key
        return range_collect(self, run, scope, parts_e, rows_e, gid_e, len(self.bounds), head_of, self.keyed,
                             "ip_range")


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
        return FnCollected(lambda b: SingleBucketNode(typed, java, name, int(counts[b]), subs.aggs(b)))


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


def _nested_parent_path(spec: AggSpec) -> str | None:
    p = spec.parent
    while p is not None:
        if p.type_name == "nested":
            return p.path  # type: ignore[attr-defined]
        if p.type_name == "reverse_nested":
            return p.path  # type: ignore[attr-defined]
        p = p.parent
    return None


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
