"""histogram, date_histogram (also over range fields) and auto_date_histogram."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..dates import DateRounding
from ..errors import illegal_argument
from .base import (
    Bucket,
    MultiBucketNode,
    Node,
    Params,
    setter_error,
)
from .buckets import (
    BucketAgg,
    _tz,
    bounds_by_bid,
    build_rounding,
    check_order_paths,
    count_candidates,
    entries_child_scope,
    multi_valued,
    needs_subs_for_order,
    order_keys,
    parse_order,
    path_values_for,
    with_key_tiebreak,
)
from .core import (
    EMPTY_I64,
    I64,
    MAX_BUCKETS,
    Part,
    Scope,
    factorize,
    group_select,
    too_many_buckets,
)
from .formats import RAW, DateFormat, DocValueFormat, NumberFormat, java_double
from .keys import Entries
from .spec import AggSpec, FnCollected, Run, register
from .values import VS_KEYS, ValuesConfig, format_for


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


# ---- date_histogram ---------------------------------------------------------------------------------------


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
