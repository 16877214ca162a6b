"""Geo aggregations over geo_point fields: geotile_grid, geohash_grid, geo_bounds, geo_centroid."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import illegal_argument
from .base import Bucket, MultiBucketNode, Node, OpaqueNode, Params, fnum
from .buckets import BucketAgg, count_candidates, entries_child_scope
from .core import EMPTY_I64, I64, Scope, factorize, group_select
from .keys import Entries
from .sourcevals import geo_entries, geohash_encode, geotile_xy
from .spec import AggSpec, FnCollected, Run, register


def _geo_field(agg: AggSpec, scope: Scope, field: str) -> None:
    for part in scope.parts:
        f = part.src.field(field)
        if f is not None and f.type not in ("geo_point", "geo_shape"):
            raise illegal_argument(f"Field [{field}] of type [{f.type}] is not supported for aggregation "
                                   f"[{agg.type_name}]")


def scope_points(agg: AggSpec, scope: Scope, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(part index, row, lat, lon) over a scope."""
    _geo_field(agg, scope, field)
    parts, rows, lats, lons = [], [], [], []
    for pi, part in enumerate(scope.parts):
        if part.src.field(field) is None:
            continue
        r, la, lo = geo_entries(part, field)
        parts.append(np.full(len(r), pi, dtype=I64))
        rows.append(r)
        lats.append(la)
        lons.append(lo)
    if not parts:
        return EMPTY_I64, EMPTY_I64, np.zeros(0), np.zeros(0)
    return np.concatenate(parts), np.concatenate(rows), np.concatenate(lats), np.concatenate(lons)


class GridAgg(BucketAgg):
    allowed = {"field", "precision", "size", "shard_size", "bounds"}
    default_precision = 7
    max_precision = 29

    def configure(self, p: Params) -> None:
        self.field = p.str("field")
        if self.field is None:
            raise illegal_argument("Required one of fields [field, script], but none were specified.")
        self.precision = p.int("precision", self.default_precision)
        if self.precision is None or not 0 <= self.precision <= self.max_precision:
            raise illegal_argument(f"Invalid geo{'tile' if self.max_precision == 29 else 'hash'} aggregation "
                                   f"precision of {self.precision}. Must be between "
                                   f"{0 if self.max_precision == 29 else 1} and {self.max_precision}.")
        self.size = p.int("size", 10000) or 10000
        self.bounds = p.obj("bounds")

    def cell_keys(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def key_text(self, code: int) -> str:
        raise NotImplementedError

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        part_a, rows_a, lat, lon = scope_points(self, scope, self.field)  # type: ignore[arg-type]
        codes = self.cell_keys(lat, lon) if len(lat) else np.zeros(0)
        ukeys, gids = factorize(codes) if len(codes) else (np.zeros(0), EMPTY_I64)
        k = max(len(ukeys), 1)
        bids = np.zeros(len(rows_a), dtype=I64)
        for pi, part in enumerate(scope.parts):
            m = part_a == pi
            if m.any():
                bids[m] = part.bids[rows_a[m]]
        if len(gids):
            offsets = np.zeros(len(scope.parts) + 1, dtype=I64)
            offsets[1:] = np.cumsum([len(p.docs) for p in scope.parts])
            _, first = np.unique((offsets[part_a] + rows_a) * k + gids, return_index=True)
            first.sort()
            part_a, rows_a, bids, gids = part_a[first], rows_a[first], bids[first], gids[first]
        entries = Entries(part_a, rows_a, bids, gids)
        n = scope.n
        cand_bid, cand_gid, cand_count = count_candidates(entries, k, n)
        sel = group_select(cand_bid, [-cand_count.astype(np.float64), -cand_gid.astype(np.float64)], self.size, n)
        child = entries_child_scope(scope, entries, k, cand_bid[sel], cand_gid[sel], np.arange(len(sel)), len(sel))
        subs = self.collect_subs(run, child)
        bounds = np.searchsorted(cand_bid[sel], np.arange(n + 1))

        def node(b: int) -> Node:
            buckets = []
            for i in range(bounds[b], bounds[b + 1]):
                c = sel[i]
                key = self.key_text(int(ukeys[cand_gid[c]]))
                buckets.append(Bucket(key, int(cand_count[c]), subs.aggs(i), {"key": key}, key_string=key))
            return MultiBucketNode(self.type_name, "InternalGeoGrid", self.name, buckets)
        return FnCollected(node)


def tile_code(zoom: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x-major tile number (exact as float64 up to zoom 26), ordered like ES's tile hash."""
    return x.astype(np.float64) * float(1 << zoom) + y.astype(np.float64)


def tile_text(zoom: int, code: float) -> str:
    x, y = divmod(int(code), 1 << zoom)
    return f"{zoom}/{x}/{y}"


def parse_tile(text: Any, zoom: int) -> float:
    try:
        z, x, y = (int(v) for v in str(text).split("/"))
    except ValueError:
        raise illegal_argument(f"Invalid geotile_grid hash string of {text}. Must be three integers in a form "
                               f"\"zoom/x/y\".") from None
    if z != zoom:
        x, y = x << max(zoom - z, 0) >> max(z - zoom, 0), y << max(zoom - z, 0) >> max(z - zoom, 0)
    return float(x * (1 << zoom) + y)


@register("geotile_grid")
class GeoTileGrid(GridAgg):
    type_name = "geotile_grid"

    def cell_keys(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        x, y = geotile_xy(lat, lon, self.precision or 0)
        return tile_code(self.precision or 0, x, y)

    def key_text(self, code: int) -> str:
        return tile_text(self.precision or 0, code)


@register("geohash_grid")
class GeoHashGrid(GridAgg):
    type_name = "geohash_grid"
    default_precision = 5
    max_precision = 12

    def configure(self, p: Params) -> None:
        super().configure(p)
        if self.precision == 0:
            raise illegal_argument("Invalid geohash aggregation precision of 0. Must be between 1 and 12.")

    def cell_keys(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        hashes = [geohash_encode(a, o, self.precision or 5) for a, o in zip(lat.tolist(), lon.tolist(), strict=True)]
        self._names = sorted(set(hashes))
        index = {h: i for i, h in enumerate(self._names)}
        return np.asarray([index[h] for h in hashes], dtype=np.float64)

    def key_text(self, code: int) -> str:
        return self._names[int(code)]


@register("geo_bounds")
class GeoBounds(AggSpec):
    type_name = "geo_bounds"
    allowed = {"field", "wrap_longitude", "missing", "script"}

    def configure(self, p: Params) -> None:
        self.field = p.str("field")
        if self.field is None:
            raise illegal_argument("Required one of fields [field, script], but none were specified.")
        self.wrap = p.bool("wrap_longitude", True)

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        part_a, rows_a, lat, lon = scope_points(self, scope, self.field)  # type: ignore[arg-type]
        bids = np.zeros(len(rows_a), dtype=I64)
        for pi, part in enumerate(scope.parts):
            m = part_a == pi
            if m.any():
                bids[m] = part.bids[rows_a[m]]

        def node(b: int) -> Node:
            m = bids == b
            if not m.any():
                return OpaqueNode("geo_bounds", "InternalGeoBounds", {})
            la, lo = lat[m], lon[m]
            top, bottom = float(la.max()), float(la.min())
            pos, neg = lo[lo >= 0], lo[lo < 0]
            pos_l, pos_r = (float(pos.min()), float(pos.max())) if len(pos) else (math.inf, -math.inf)
            neg_l, neg_r = (float(neg.min()), float(neg.max())) if len(neg) else (math.inf, -math.inf)
            if math.isinf(pos_l):
                left, right = neg_l, neg_r
            elif math.isinf(neg_l):
                left, right = pos_l, pos_r
            elif self.wrap and (pos_r - neg_l) > ((180 - pos_l) - (-180 - neg_r)):
                left, right = pos_l, neg_r
            else:
                left, right = neg_l, pos_r
            body = {"bounds": {"top_left": {"lat": top, "lon": left}, "bottom_right": {"lat": bottom, "lon": right}}}
            return OpaqueNode("geo_bounds", "InternalGeoBounds", body)
        return FnCollected(node)


@register("geo_centroid")
class GeoCentroid(AggSpec):
    type_name = "geo_centroid"
    allowed = {"field", "missing", "script"}

    def configure(self, p: Params) -> None:
        self.field = p.str("field")
        if self.field is None:
            raise illegal_argument("Required one of fields [field, script], but none were specified.")

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        part_a, rows_a, lat, lon = scope_points(self, scope, self.field)  # type: ignore[arg-type]
        n = scope.n
        bids = np.zeros(len(rows_a), dtype=I64)
        for pi, part in enumerate(scope.parts):
            m = part_a == pi
            if m.any():
                bids[m] = part.bids[rows_a[m]]
        counts = np.bincount(bids, minlength=n)[:n] if len(bids) else np.zeros(n, dtype=I64)
        slat = np.bincount(bids, weights=lat, minlength=n)[:n] if len(bids) else np.zeros(n)
        slon = np.bincount(bids, weights=lon, minlength=n)[:n] if len(bids) else np.zeros(n)

        def node(b: int) -> Node:
            c = int(counts[b])
            body: dict[str, Any] = {}
            if c:
                body["location"] = {"lat": fnum(slat[b] / c), "lon": fnum(slon[b] / c)}
            body["count"] = c
            return OpaqueNode("geo_centroid", "InternalGeoCentroid", body,
                              {"lat": slat[b] / c if c else math.nan, "lon": slon[b] / c if c else math.nan,
                               "count": float(c)})
        return FnCollected(node)
