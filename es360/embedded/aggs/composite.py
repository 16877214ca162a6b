"""composite (terms / histogram / date_histogram sources, paging with `after`) and multi_terms."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import EsError, illegal_argument
from .base import Bucket, MultiBucketNode, Node, Params, SubResults, failed_field, setter_error
from .buckets import (
    BucketAgg,
    _tz,
    build_rounding,
    check_order_paths,
    multi_valued,
    needs_subs_for_order,
    order_keys,
    parse_order,
    path_values_for,
    with_key_tiebreak,
)
from .core import EMPTY_I64, I64, MAX_BUCKETS, Scope, child_scope, factorize, group_select, too_many_buckets
from .formats import RAW, BooleanFormat, DateFormat, DocValueFormat, IpFormat, NumberFormat
from .keys import KeySpace, key_entries
from .spec import AggSpec, FnCollected, Run, register
from .values import INTEGRAL, ValuesConfig, format_for

SOURCE_KEYS = {"field", "script", "missing_bucket", "missing_order", "order", "value_type", "format", "missing"}
TYPE_KEYS = {
    "terms": SOURCE_KEYS,
    "histogram": SOURCE_KEYS | {"interval"},
    "date_histogram": SOURCE_KEYS | {"calendar_interval", "fixed_interval", "time_zone", "offset"},
    "geotile_grid": SOURCE_KEYS | {"precision", "bounds"},
}


@dataclass
class CompositePage:
    """The buckets a composite collected, as columns (child bucket i is keys[i]): for callers that read
    every bucket's values at once instead of rendering nodes (transforms)."""

    keys: list[dict[str, Any]]
    doc_counts: np.ndarray
    subs: SubResults


class Source:
    """One composite value source: per (row, value) entries with sortable ranks."""

    def __init__(self, owner: AggSpec, name: str, kind: str, body: Any) -> None:
        self.name = name
        self.kind = kind
        self.owner = owner
        if kind not in TYPE_KEYS:
            raise illegal_argument(f"Unknown CompositeValuesSourceBuilder type [{kind}]")
        p = Params(kind, body, TYPE_KEYS[kind])
        if "missing" in p.body and "missing_bucket" in p.body:
            raise illegal_argument("The following fields are not allowed together: [missing_bucket, missing]")
        self.tz = _tz(p) if kind == "date_histogram" else None
        self.vs = ValuesConfig(owner, p, numeric=kind != "terms", tz=self.tz, type_name=kind)
        self.missing_bucket = p.bool("missing_bucket", False)
        mo = p.str("missing_order", "default")
        if mo not in ("default", "first", "last"):
            raise illegal_argument(f"Unknown MissingOrder value [{mo}]")
        self.missing_order = mo
        order = (p.str("order", "asc") or "asc").lower()
        if order not in ("asc", "desc"):
            raise illegal_argument(f"Unknown SortOrder [{order}]")
        self.asc = order == "asc"
        if mo != "default" and not self.missing_bucket:
            raise illegal_argument("missingOrder can only be set if missingBucket is true")
        self.rounding = None
        self.interval = None
        self.precision = 7
        if kind == "geotile_grid":
            self.precision = p.int("precision", 7)
            if self.precision is None or not 0 <= self.precision <= 29:
                raise illegal_argument(f"Invalid geotile_grid precision of {self.precision}. Must be between 0 and 29.")
        elif kind == "date_histogram":
            self.rounding = build_rounding(owner, p, self.tz)
        elif kind == "histogram":
            interval = p.float("interval")
            if interval is None or interval <= 0:
                raise illegal_argument("[interval] must be greater than 0 for [histogram] source")
            self.interval = interval
        self.format = p.str("format")

    def missing_first(self) -> bool:
        if self.missing_order == "first":
            return True
        if self.missing_order == "last":
            return False
        return self.asc

    def doc_format(self, run: Run) -> DocValueFormat:
        if self.kind == "date_histogram":
            if self.format is None:
                return RAW
            return DateFormat(self.format, self.tz)
        if self.kind == "histogram":
            return NumberFormat(self.format) if self.format else RAW
        ftype = self.vs.field_type(run.sources)
        if self.format is None:
            if ftype == "ip":
                return IpFormat()
            if ftype == "boolean":
                return BooleanFormat()
            return RAW
        return self.vs.doc_format(run.sources)

    def entries(self, run: Run, scope: Scope) -> tuple[KeySpace, Any]:
        """(key space, Entries) with one entry per (row, distinct bucket value)."""
        if self.kind == "terms":
            fmt = format_for(self.vs, run) if self.vs.field_type(run.sources) != "ip" else RAW
            return key_entries(self.vs, scope, run, fmt)
        from .keys import Entries

        parts_e, rows_e, vals_e = [], [], []
        if self.kind == "geotile_grid":
            from .geo import scope_points, tile_code
            from .sourcevals import geotile_xy

            part_a, rows_a, lat, lon = scope_points(self.owner, scope, self.vs.field or "")
            if len(rows_a):
                x, y = geotile_xy(lat, lon, self.precision or 0)
                parts_e, rows_e, vals_e = [part_a], [rows_a], [tile_code(self.precision or 0, x, y)]
        fmt = format_for(self.vs, run) if self.kind != "geotile_grid" else RAW
        missing = self.vs.missing_num(fmt, run.now) if self.vs.has_missing else None
        for pi, part in enumerate(scope.parts):
            if self.kind == "geotile_grid":
                break
            rows, vals = self.vs.numbers(part, missing)
            if not len(rows):
                continue
            if self.kind == "date_histogram":
                keys = self.rounding.round_many(np.floor(vals).astype(np.int64)).astype(np.float64)  # type: ignore
            else:
                keys = np.floor(vals / self.interval) * self.interval  # type: ignore[operator]
            parts_e.append(np.full(len(rows), pi, dtype=I64))
            rows_e.append(rows)
            vals_e.append(keys)
        if not parts_e:
            return KeySpace("num", np.zeros(0)), Entries(EMPTY_I64, EMPTY_I64, EMPTY_I64, EMPTY_I64)
        part_a = np.concatenate(parts_e)
        rows_a = np.concatenate(rows_e).astype(I64)
        vals_a = np.concatenate(vals_e)
        ukeys, gids = factorize(vals_a)
        if self.kind == "geotile_grid" or multi_valued(self.vs, scope):
            offsets = np.zeros(len(scope.parts) + 1, dtype=I64)
            offsets[1:] = np.cumsum([len(p.docs) for p in scope.parts])
            comb = (offsets[part_a] + rows_a) * max(len(ukeys), 1) + gids
            _, first = np.unique(comb, return_index=True)
            first.sort()
            part_a, rows_a, gids = part_a[first], rows_a[first], gids[first]
        bids = np.zeros(len(rows_a), dtype=I64)
        for pi, part in enumerate(scope.parts):
            m = part_a == pi
            if m.any():
                bids[m] = part.bids[rows_a[m]]
        return KeySpace("num", ukeys), Entries(part_a, rows_a, bids, gids)

    def render(self, space: KeySpace, gid: int, run: Run, integral: bool) -> Any:
        if gid < 0:
            return None
        value = space.key(gid)
        if self.kind == "geotile_grid":
            from .geo import tile_text

            return tile_text(self.precision or 0, value)
        if self.kind == "terms" and space.kind == "str":
            return value
        fmt = self.doc_format(run)
        if fmt.raw:
            if self.kind == "date_histogram" or (self.kind == "terms" and integral):
                return int(value)
            return float(value)
        if isinstance(fmt, BooleanFormat):
            return bool(value)
        if self.kind == "terms" and not isinstance(fmt, (DateFormat, NumberFormat)):
            return fmt.format_key(value, integral)
        text = fmt.format(int(value) if self.kind != "histogram" and integral else value)
        if isinstance(fmt, DateFormat):
            try:
                parsed = int(fmt.parse(text))
            except EsError:
                parsed = None
            if parsed != int(value):
                raise illegal_argument(
                    f"Format [{fmt.pattern}] created output it couldn't parse for value [{int(value)}] of type "
                    f"[class java.lang.Long]. parsed value: [{parsed}(class java.lang.Long)]")
        return text

    def after_position(self, value: Any, space: KeySpace, run: Run) -> float:
        """Rank position of an `after` value in this source's sort order (x.5 between keys)."""
        if value is None:
            if not self.missing_bucket:
                raise illegal_argument(f"Invalid value for [{self.name}], missing_bucket is not enabled")
            return -1.0 if self.missing_first() else float(space.size)
        if self.kind == "geotile_grid":
            from .geo import parse_tile

            pos = space.position(parse_tile(value, self.precision or 0))
        elif space.kind == "str":
            pos = space.position(value if isinstance(value, str) else str(value))
        else:
            fmt = self.doc_format(run)
            if isinstance(fmt, BooleanFormat):
                num = fmt.parse(value)
            elif isinstance(value, str):
                if isinstance(fmt, DateFormat):
                    num = fmt.parse(value, run.now)
                elif self.kind == "date_histogram" or self.vs.field_type(run.sources) in ("date", "date_nanos"):
                    num = DateFormat(self.vs.field_format_pattern(run.sources), self.tz).parse(value, run.now)
                else:
                    try:
                        num = float(value)
                    except ValueError:
                        raise illegal_argument(f"Invalid value for [{self.name}]: [{value}]") from None
            elif isinstance(value, bool):
                num = 1.0 if value else 0.0
            else:
                num = float(value)
            pos = space.position(num)
        return pos if self.asc else (space.size - 1) - pos


def _ranks(source: Source, space: KeySpace, gids: np.ndarray) -> np.ndarray:
    """Sortable float rank per gid (missing = -1 first / size last)."""
    r = gids.astype(np.float64)
    if not source.asc:
        r = (space.size - 1) - r
    missing = gids < 0
    if missing.any():
        r[missing] = -1.0 if source.missing_first() else float(space.size)
    return r


def _combine(scope: Scope, per_source: list[tuple[KeySpace, Any]], sources: list[Source]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Cross product per row of every source's values: (part, row, bid, [gid per source])."""
    offsets = np.zeros(len(scope.parts) + 1, dtype=I64)
    offsets[1:] = np.cumsum([len(p.docs) for p in scope.parts])
    total_rows = int(offsets[-1])
    grow = np.arange(total_rows, dtype=I64)
    cols: list[np.ndarray] = []
    for src_spec, (_space, e) in zip(sources, per_source, strict=True):
        erow = offsets[e.part] + e.rows if len(e) else EMPTY_I64
        egid = e.gids
        if src_spec.missing_bucket:
            has = np.zeros(total_rows, dtype=bool)
            has[erow] = True
            empty = np.flatnonzero(~has)
            erow = np.concatenate([erow, empty])
            egid = np.concatenate([egid, np.full(len(empty), -1, dtype=I64)])
        if len(erow) > 1 and not bool(np.all(erow[1:] >= erow[:-1])):
            order = np.argsort(erow, kind="stable")
            erow, egid = erow[order], egid[order]
        per_row = np.bincount(erow, minlength=total_rows) if len(erow) else np.zeros(total_rows, dtype=I64)
        row_start = np.cumsum(per_row) - per_row
        cnt = per_row[grow]
        idx = np.repeat(np.arange(len(grow), dtype=I64), cnt)
        starts = np.repeat(row_start[grow] - (np.cumsum(cnt) - cnt), cnt)
        pick = starts + np.arange(int(cnt.sum()), dtype=I64)
        grow = grow[idx]
        cols = [c[idx] for c in cols] + [egid[pick]]
    part_idx = np.searchsorted(offsets, grow, side="right") - 1
    rows = grow - offsets[part_idx]
    bids = np.zeros(len(rows), dtype=I64)
    for pi, part in enumerate(scope.parts):
        m = part_idx == pi
        if m.any():
            bids[m] = part.bids[rows[m]]
    return part_idx, rows, bids, cols


def unique_tuples(bids: np.ndarray, ranks: list[np.ndarray], radices: list[int]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (bid, rank...) tuples in lexicographic order: (bid of each, inverse, counts)."""
    if not len(bids):
        return EMPTY_I64, EMPTY_I64, EMPTY_I64
    total = 1
    for r in radices:
        total *= r
    if total * (int(bids.max()) + 1) < 2**62:
        code = bids.astype(I64)
        for r, rad in zip(ranks, radices, strict=True):
            code = code * rad + (r.astype(I64) + 1)
        uniq, inverse, counts = np.unique(code, return_inverse=True, return_counts=True)
        return uniq // total, inverse.reshape(-1), counts
    table = np.stack([bids.astype(np.float64)] + ranks, axis=1)
    uniq, inverse, counts = np.unique(table, axis=0, return_inverse=True, return_counts=True)
    return uniq[:, 0].astype(I64), inverse.reshape(-1), counts


def _check_parent(spec: AggSpec) -> None:
    p = spec.parent
    while p is not None:
        if p.type_name not in ("nested", "reverse_nested", "filter"):
            raise illegal_argument(f"[composite] aggregation cannot be used with a parent aggregation of type: "
                                   f"[{p.factory_name()}]")
        p = p.parent


@register("composite")
class Composite(BucketAgg):
    type_name = "composite"
    allowed = {"sources", "size", "after"}

    def configure(self, p: Params) -> None:
        sources = p.get("sources")
        if "sources" not in p.body:
            raise illegal_argument("Required [sources]")
        if not isinstance(sources, list) or not sources:
            raise illegal_argument("Composite [sources] cannot be null or empty")
        self.sources: list[Source] = []
        names: list[str] = []
        for item in sources:
            if not isinstance(item, dict) or len(item) != 1:
                raise failed_field("composite", "sources")
            name, definition = next(iter(item.items()))
            if not isinstance(definition, dict) or len(definition) != 1:
                raise failed_field("composite", "sources")
            kind, body = next(iter(definition.items()))
            self.sources.append(Source(self, name, kind, body))
            names.append(name)
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise illegal_argument(f"Composite source names must be unique, found duplicates: [{', '.join(dups)}]")
        self.size = p.int("size", 10) or 0
        if self.size < 1:
            raise setter_error(self.type_name, "size", f"[size] must be greater than 0. Found [{self.size}] in [{self.name}]")
        if self.size > MAX_BUCKETS:
            raise too_many_buckets(self.size)
        after = p.get("after")
        if after is not None:
            if not isinstance(after, dict):
                raise failed_field("composite", "after")
            if set(after) != set(names):
                raise illegal_argument(f"[after] has {len(after)} value(s) but [sources] has {len(names)}")
        self.after = after
        _check_parent(self)

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        per_source = [s.entries(run, scope) for s in self.sources]
        part_idx, rows, bids, cols = _combine(scope, per_source, self.sources)
        ranks = [_ranks(s, sp, c) for s, (sp, _), c in zip(self.sources, per_source, cols, strict=True)]
        n = scope.n
        keep = np.ones(len(rows), dtype=bool)
        if self.after is not None and len(rows):
            greater = np.zeros(len(rows), dtype=bool)
            equal = np.ones(len(rows), dtype=bool)
            for s, (space, _), r in zip(self.sources, per_source, ranks, strict=True):
                a = s.after_position(self.after.get(s.name), space, run)
                greater |= equal & (r > a)
                equal &= r == a
            keep = greater
        sel_rows = np.flatnonzero(keep)
        radices = [sp.size + 2 for sp, _ in per_source]
        uniq_bid, inverse, counts = unique_tuples(bids[sel_rows], [r[sel_rows] for r in ranks], radices)
        ubid = uniq_bid
        chosen = group_select(ubid, [np.arange(len(ubid), dtype=np.float64)], self.size, n)
        chosen.sort()
        child_ids = np.full(len(ubid), -1, dtype=I64)
        child_ids[chosen] = np.arange(len(chosen))
        cid = child_ids[inverse] if len(inverse) else EMPTY_I64
        part_rows = []
        for pi in range(len(scope.parts)):
            m = (part_idx[sel_rows] == pi) & (cid >= 0) if len(cid) else np.zeros(0, dtype=bool)
            part_rows.append((rows[sel_rows][m], cid[m]) if len(cid) else (EMPTY_I64, EMPTY_I64))
        child = child_scope(scope, part_rows, len(chosen))
        subs = self.collect_subs(run, child)
        # recover gids per chosen tuple
        first_row = np.full(len(ubid), -1, dtype=I64)
        if len(inverse):
            first_row[inverse[::-1]] = np.arange(len(inverse))[::-1]
        integral = [s.kind == "terms" and s.vs.field_type(run.sources) in INTEGRAL for s in self.sources]
        keys: list[dict[str, Any]] = []
        for u in chosen.tolist():
            r = sel_rows[first_row[u]]
            keys.append({s.name: s.render(sp, int(c[r]), run, integral[i])
                         for i, (s, (sp, _), c) in enumerate(zip(self.sources, per_source, cols, strict=True))})
        chosen_bids = ubid[chosen]
        bounds = np.searchsorted(chosen_bids, np.arange(n + 1))

        def node(b: int) -> Node:
            buckets = []
            for i in range(bounds[b], bounds[b + 1]):
                key = keys[i]
                buckets.append(Bucket(key, int(counts[chosen[i]]), subs.aggs(i), {"key": key},
                                      key_string=str(key)))
            head = {"after_key": dict(buckets[-1].key)} if buckets else {}
            return MultiBucketNode("composite", "InternalComposite", self.name, buckets, head=head)
        return FnCollected(node, page=CompositePage(keys, counts[chosen], subs))


@register("multi_terms")
class MultiTerms(BucketAgg):
    type_name = "multi_terms"
    allowed = {"terms", "size", "shard_size", "min_doc_count", "shard_min_doc_count", "order",
               "show_term_doc_count_error", "collect_mode"}

    def configure(self, p: Params) -> None:
        terms = p.get("terms")
        if not isinstance(terms, list) or len(terms) < 2:
            raise illegal_argument("The [terms] parameter in the aggregation [" + self.name + "] must be present and "
                                   "have at least 2 fields or scripts.")
        self.sources = []
        for i, t in enumerate(terms):
            body = dict(t) if isinstance(t, dict) else t
            src = Source(self, str(i), "terms", {k: v for k, v in body.items() if k != "missing"})
            if isinstance(body, dict) and "missing" in body:
                src.vs.missing = body["missing"]
                src.vs.has_missing = body["missing"] is not None
            self.sources.append(src)
        self.size = p.int("size", 10) or 10
        self.min_doc_count = p.int("min_doc_count", 1)
        self.show_error = p.bool("show_term_doc_count_error", False)
        self.order = with_key_tiebreak(parse_order(self, p.get("order"), [("_count", False)]))

    def check(self) -> None:
        check_order_paths(self, self.order)

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        per_source = [s.entries(run, scope) for s in self.sources]
        part_idx, rows, bids, cols = _combine(scope, per_source, self.sources)
        n = scope.n
        radices = [sp.size + 2 for sp, _ in per_source]
        ubid, inverse, counts = unique_tuples(bids, [c.astype(np.float64) for c in cols], radices)
        keep = counts >= (self.min_doc_count or 1)
        cand = np.flatnonzero(keep)
        key_rank = np.arange(len(ubid), dtype=np.float64)
        totals = np.bincount(ubid[cand], weights=counts[cand], minlength=n)[:n] if len(cand) else np.zeros(n)

        def child_for(selected: np.ndarray) -> Scope:
            child_ids = np.full(len(ubid), -1, dtype=I64)
            child_ids[selected] = np.arange(len(selected))
            cid = child_ids[inverse] if len(inverse) else EMPTY_I64
            part_rows = []
            for pi in range(len(scope.parts)):
                m = (part_idx == pi) & (cid >= 0) if len(cid) else np.zeros(0, dtype=bool)
                part_rows.append((rows[m], cid[m]) if len(cid) else (EMPTY_I64, EMPTY_I64))
            return child_scope(scope, part_rows, len(selected))

        if needs_subs_for_order(self.order) and self.subs:
            subs = self.collect_subs(run, child_for(cand))
            pv = path_values_for(self.order, subs, len(cand))
            local = group_select(ubid[cand], order_keys(self.order, counts[cand], key_rank[cand], pv), self.size, n)
            sel = cand[local]
            child_of = local
        else:
            local = group_select(ubid[cand], order_keys(self.order, counts[cand], key_rank[cand]), self.size, n)
            sel = cand[local]
            subs = self.collect_subs(run, child_for(sel))
            child_of = np.arange(len(sel))
        first_row = np.full(len(ubid), -1, dtype=I64)
        if len(inverse):
            first_row[inverse[::-1]] = np.arange(len(inverse))[::-1]
        integral = [s.vs.field_type(run.sources) in INTEGRAL for s in self.sources]
        bounds = np.searchsorted(ubid[sel], np.arange(n + 1))
        show_error = self.show_error

        def node(b: int) -> Node:
            buckets = []
            shown = 0
            for i in range(bounds[b], bounds[b + 1]):
                u = sel[i]
                r = first_row[u]
                key = []
                strings = []
                for j, (s, (sp, _), c) in enumerate(zip(self.sources, per_source, cols, strict=True)):
                    v = s.render(sp, int(c[r]), run, integral[j])
                    key.append(v)
                    fmt = format_for(s.vs, run) if sp.kind == "num" else RAW
                    strings.append(v if isinstance(v, str) else (fmt.format_key(v, integral[j])
                                                                 if not fmt.raw else _plain_num(v)))
                ks = "|".join(strings)
                shown += int(counts[u])
                tail = {"doc_count_error_upper_bound": 0} if show_error else None
                buckets.append(Bucket(key, int(counts[u]), subs.aggs(int(child_of[i])),
                                      {"key": key, "key_as_string": ks}, tail, key_string=ks))
            head = {"doc_count_error_upper_bound": 0, "sum_other_doc_count": int(totals[b]) - shown}
            return MultiBucketNode("multi_terms", "InternalMultiTerms", self.name, buckets, head=head)
        return FnCollected(node)


def _plain_num(v: Any) -> str:
    if isinstance(v, float):
        from .formats import java_double

        return java_double(v) if not (math.isnan(v) or math.isinf(v)) else str(v)
    return str(v)
