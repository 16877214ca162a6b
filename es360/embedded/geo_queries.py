"""Geo queries on geo_point fields: geo_bounding_box and geo_distance (constant score, as in ES).

Points are read from `_source` (lat/lon objects, [lon, lat] arrays, "lat,lon" strings, geohashes,
WKT POINTs) into a per-segment cache that grows with the segment: docnums are append-only and a
docnum's source never changes, so already-read docs stay valid.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import orjson

from .errors import EsError, parsing_exception
from .query import INT, DocSet, QueryContext, bool_param, boost_of, constant, empty, query, seg_cache

EARTH_MEAN_RADIUS = 6371008.7714  # meters, as ES's GeoUtils
_GEOHASH = "0123456789bcdefghjkmnpqrstuvwxyz"
_UNITS = {"mi": 1609.344, "miles": 1609.344, "yd": 0.9144, "yards": 0.9144, "ft": 0.3048, "feet": 0.3048,
          "in": 0.0254, "inch": 0.0254, "km": 1000.0, "kilometers": 1000.0, "m": 1.0, "meters": 1.0,
          "cm": 0.01, "centimeters": 0.01, "mm": 0.001, "millimeters": 0.001, "nmi": 1852.0, "NM": 1852.0,
          "nauticalmiles": 1852.0}


def parse_distance(value: Any) -> float:
    """A distance in meters from "12km", "1.5mi", "200" (meters) or a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    m = re.fullmatch(r"([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)", text)
    if not m:
        raise EsError(400, "illegal_argument_exception", f"failed to parse distance [{text}]")
    unit = m.group(2)
    factor = _UNITS.get(unit, _UNITS.get(unit.lower())) if unit else 1.0
    if factor is None:
        raise EsError(400, "illegal_argument_exception", f"No distance unit match [{unit}]")
    return float(m.group(1)) * factor


def decode_geohash(text: str) -> tuple[float, float]:
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    even = True
    for ch in text.lower():
        idx = _GEOHASH.find(ch)
        if idx < 0:
            raise ValueError(f"unsupported symbol [{ch}] in geohash [{text}]")
        for bit in (16, 8, 4, 2, 1):
            if even:
                mid = (lon_lo + lon_hi) / 2
                if idx & bit:
                    lon_lo = mid
                else:
                    lon_hi = mid
            else:
                mid = (lat_lo + lat_hi) / 2
                if idx & bit:
                    lat_lo = mid
                else:
                    lat_hi = mid
            even = not even
    return (lat_lo + lat_hi) / 2, (lon_lo + lon_hi) / 2


def parse_point(value: Any) -> tuple[float, float]:
    """(lat, lon) of one geo point in any ES syntax; ValueError when malformed."""
    if isinstance(value, dict):
        if "lat" in value and "lon" in value:
            return float(value["lat"]), float(value["lon"])
        if value.get("type", "").lower() == "point" and isinstance(value.get("coordinates"), list):
            lon, lat = value["coordinates"][:2]
            return float(lat), float(lon)
        raise ValueError("field [lat] and [lon] must be set")
    if isinstance(value, (list, tuple)):
        if len(value) < 2:
            raise ValueError("geo point array needs [lon, lat]")
        return float(value[1]), float(value[0])
    if isinstance(value, str):
        text = value.strip()
        m = re.fullmatch(r"(?i)POINT\s*\(\s*([-+\d.eE]+)\s+([-+\d.eE]+)(?:\s+[-+\d.eE]+)?\s*\)", text)
        if m:
            return float(m.group(2)), float(m.group(1))
        if "," in text:
            lat, lon = text.split(",")[:2]
            return float(lat), float(lon)
        return decode_geohash(text)
    raise ValueError(f"cannot parse geo point [{value}]")


def _points_of(value: Any) -> list[tuple[float, float]]:
    if value is None:
        return []
    if isinstance(value, list) and not (len(value) in (2, 3) and all(isinstance(v, (int, float)) and
                                                                     not isinstance(v, bool) for v in value)):
        out = []
        for item in value:
            out.extend(_points_of(item))
        return out
    try:
        return [parse_point(value)]
    except (ValueError, TypeError, KeyError):
        return []


def _values_at(node: Any, parts: list[str]) -> list[Any]:
    if not parts:
        return [node]
    if isinstance(node, list) and not (len(node) in (2, 3) and all(isinstance(v, (int, float)) for v in node)):
        out: list[Any] = []
        for item in node:
            out.extend(_values_at(item, parts))
        return out
    if not isinstance(node, dict):
        return []
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in node:
            return _values_at(node[key], parts[i:])
    return []


def geo_column(ctx: QueryContext, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(docnums, lats, lons) of every point of `field`, read from sources and cached per segment."""
    seg = ctx.seg
    cache = seg_cache(seg)
    entry = cache.get(("geo", field))
    if entry is None:
        entry = cache[("geo", field)] = {"upto": 0, "docs": [], "lat": [], "lon": []}
    present = seg.present_docs(field)
    todo = present[np.searchsorted(present, entry["upto"]):] if len(present) else present
    if len(todo):
        parts = field.split(".")
        for d in todo.tolist():
            raw = ctx.index.source_bytes(d) if d < len(ctx.index.sources) else None
            if raw is None:
                continue
            for value in _values_at(orjson.loads(raw), parts):
                for lat, lon in _points_of(value):
                    entry["docs"].append(d)
                    entry["lat"].append(lat)
                    entry["lon"].append(lon)
        entry["upto"] = int(todo[-1]) + 1
        entry.pop("arrays", None)
    arrays = entry.get("arrays")
    if arrays is None:
        arrays = entry["arrays"] = (np.asarray(entry["docs"], dtype=INT), np.asarray(entry["lat"], dtype=np.float64),
                                    np.asarray(entry["lon"], dtype=np.float64))
    return arrays


def _geo_field(ctx: QueryContext, query_name: str, name: str, body: dict[str, Any]) -> bool:
    f = ctx.field(name)
    if f is None:
        if bool_param(body, "ignore_unmapped", False):
            return False
        from .query import shard_error

        raise shard_error(ctx, f"failed to find geo field [{name}]")
    if f.type != "geo_point":
        from .query import shard_error

        raise shard_error(ctx, f"field [{name}] is of type [{f.type}], but only geo_point and geo_shape fields "
                               f"are supported" if query_name == "geo_distance" else
                          f"Field [{name}] is of unsupported type [{f.type}] for [{query_name}] query")
    return True


def _field_and_spec(query_name: str, body: dict[str, Any], options: set[str]) -> tuple[str, Any]:
    fields = [k for k in body if k not in options]
    if len(fields) != 1:
        raise parsing_exception(f"[{query_name}] query requires exactly one field" if not fields else
                                f"[{query_name}] query doesn't support multiple fields, found [{fields[0]}] and "
                                f"[{fields[1]}]")
    return fields[0], body[fields[0]]


BBOX_OPTIONS = {"boost", "_name", "ignore_unmapped", "validation_method", "type", "coerce", "ignore_malformed"}


@query("geo_bounding_box")
def q_geo_bounding_box(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = _field_and_spec("geo_bounding_box", body, BBOX_OPTIONS)
    if not isinstance(spec, dict):
        raise parsing_exception("failed to parse [geo_bbox] query. expected an object")
    top = bottom = left = right = None
    try:
        for key, value in spec.items():
            if key == "top_left":
                top, left = parse_point(value)
            elif key == "bottom_right":
                bottom, right = parse_point(value)
            elif key == "top_right":
                top, right = parse_point(value)
            elif key == "bottom_left":
                bottom, left = parse_point(value)
            elif key in ("top", "bottom", "left", "right"):
                v = float(value)
                if key == "top":
                    top = v
                elif key == "bottom":
                    bottom = v
                elif key == "left":
                    left = v
                else:
                    right = v
            elif key == "wkt":
                m = re.fullmatch(r"(?i)\s*BBOX\s*\(\s*([-\d.eE+]+)\s*,\s*([-\d.eE+]+)\s*,\s*([-\d.eE+]+)\s*,\s*"
                                 r"([-\d.eE+]+)\s*\)\s*", str(value))
                if not m:
                    raise ValueError("failed to parse WKT bounding box")
                left, right, top, bottom = (float(g) for g in m.groups())
            else:
                raise parsing_exception(f"failed to parse [geo_bbox] query. unexpected field [{key}]")
    except (ValueError, TypeError) as exc:
        raise parsing_exception(f"failed to parse [geo_bbox] query. {exc}") from None
    if None in (top, bottom, left, right):
        raise parsing_exception("failed to parse [geo_bbox] query. missing bounding box corners")
    if not _geo_field(ctx, "geo_bounding_box", name, body):
        return empty()
    docs, lats, lons = geo_column(ctx, name)
    assert top is not None and bottom is not None and left is not None and right is not None
    hit = (lats <= top) & (lats >= bottom)
    if left <= right:
        hit &= (lons >= left) & (lons <= right)
    else:  # crosses the dateline
        hit &= (lons >= left) | (lons <= right)
    matched = np.unique(docs[hit]).astype(INT)
    return constant(ctx.in_scope(matched), boost_of(body))


DISTANCE_OPTIONS = {"distance", "distance_type", "boost", "_name", "ignore_unmapped", "validation_method",
                    "coerce", "ignore_malformed", "optimize_bbox", "unit"}


def haversine(lat1: float, lon1: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    p1, p2 = math.radians(lat1), np.radians(lats)
    dlat = p2 - p1
    dlon = np.radians(lons) - math.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS * np.arcsin(np.sqrt(np.minimum(1.0, a)))


@query("geo_distance")
def q_geo_distance(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    if "distance" not in body:
        raise parsing_exception("geo_distance requires 'distance' to be specified")
    name, spec = _field_and_spec("geo_distance", body, DISTANCE_OPTIONS)
    try:
        lat, lon = parse_point(spec)
    except (ValueError, TypeError) as exc:
        raise parsing_exception(f"failed to parse [geo_distance] query. {exc}") from None
    distance = parse_distance(body["distance"])
    if not _geo_field(ctx, "geo_distance", name, body):
        return empty()
    docs, lats, lons = geo_column(ctx, name)
    if str(body.get("distance_type", "arc")).lower() == "plane":
        x = np.radians(lons - lon) * math.cos(math.radians((lat + lats.mean()) / 2 if len(lats) else lat))
        y = np.radians(lats - lat)
        dist = np.sqrt(x * x + y * y) * EARTH_MEAN_RADIUS
    else:
        dist = haversine(lat, lon, lats, lons)
    matched = np.unique(docs[dist <= distance]).astype(INT)
    return constant(ctx.in_scope(matched), boost_of(body))


__all__ = ["q_geo_bounding_box", "q_geo_distance", "parse_point", "parse_distance", "geo_column", "haversine"]
