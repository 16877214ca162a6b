"""Field values read back from `_source`, for field types the segment keeps no doc values for
(geo_point, range fields)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson

from .core import EMPTY_I64, I64, Part

LAT_DECODE = 180.0 / (1 << 32)
LON_DECODE = 360.0 / (1 << 32)
GEOHASH_CHARS = "0123456789bcdefghjkmnpqrstuvwxyz"


def _walk(node: Any, parts: list[str], out: list[Any]) -> None:
    if not parts:
        out.append(node)
        return
    if isinstance(node, list):
        for item in node:
            _walk(item, parts, out)
        return
    if not isinstance(node, dict):
        return
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in node:
            _walk(node[key], parts[i:], out)


def source_values(part: Part, path: str) -> list[tuple[int, Any]]:
    """(row index, raw source value) for every row whose document has a value at `path`."""
    index = part.src.index
    out: list[tuple[int, Any]] = []
    present = part.src.seg.present_docs(path)
    if not len(present) or not len(part.docs):
        return out
    mark = np.zeros(part.src.max_doc, dtype=bool)
    mark[present] = True
    rows = np.flatnonzero(mark[part.docs])
    cache: dict[int, list[Any]] = {}
    parts = path.split(".")
    for r in rows.tolist():
        doc = int(part.docs[r])
        vals = cache.get(doc)
        if vals is None:
            raw = index.source_bytes(doc)
            vals = []
            if raw is not None:
                _walk(orjson.loads(raw), parts, vals)
            cache[doc] = vals
        for v in vals:
            out.append((r, v))
    return out


# ---- geo points -----------------------------------------------------------------------------------------
def quantize(lat: float, lon: float) -> tuple[float, float]:
    """Lucene's 32-bit lat/lon encoding round trip (what doc values hold)."""
    lat = math.nextafter(lat, -math.inf) if lat == 90.0 else lat
    lon = math.nextafter(lon, -math.inf) if lon == 180.0 else lon
    return math.floor(lat / LAT_DECODE) * LAT_DECODE, math.floor(lon / LON_DECODE) * LON_DECODE


def geohash_decode(text: str) -> tuple[float, float]:
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    even = True
    for ch in text.lower():
        idx = GEOHASH_CHARS.find(ch)
        if idx < 0:
            raise ValueError(text)
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


def geohash_encode(lat: float, lon: float, precision: int) -> str:
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    out = []
    bits = 0
    ch = 0
    even = True
    while len(out) < precision:
        if even:
            mid = (lon_lo + lon_hi) / 2
            if lon >= mid:
                ch = ch * 2 + 1
                lon_lo = mid
            else:
                ch *= 2
                lon_hi = mid
        else:
            mid = (lat_lo + lat_hi) / 2
            if lat >= mid:
                ch = ch * 2 + 1
                lat_lo = mid
            else:
                ch *= 2
                lat_hi = mid
        even = not even
        bits += 1
        if bits == 5:
            out.append(GEOHASH_CHARS[ch])
            bits = ch = 0
    return "".join(out)


def parse_points(raw: Any) -> list[tuple[float, float]]:
    """Every (lat, lon) in a geo_point source value (object, [lon, lat], "lat,lon", WKT, geohash, arrays)."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        if "lat" in raw and "lon" in raw:
            return [(float(raw["lat"]), float(raw["lon"]))]
        if raw.get("type", "").lower() == "point" and isinstance(raw.get("coordinates"), list):
            c = raw["coordinates"]
            return [(float(c[1]), float(c[0]))]
        return []
    if isinstance(raw, list):
        if 2 <= len(raw) <= 3 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw):
            return [(float(raw[1]), float(raw[0]))]
        out: list[tuple[float, float]] = []
        for item in raw:
            out.extend(parse_points(item))
        return out
    if isinstance(raw, str):
        text = raw.strip()
        if text.upper().startswith("POINT"):
            inner = text[text.find("(") + 1:text.rfind(")")].split()
            return [(float(inner[1]), float(inner[0]))]
        if "," in text:
            a, _, b = text.partition(",")
            return [(float(a), float(b))]
        try:
            return [geohash_decode(text)]
        except ValueError:
            return []
    return []


def geo_entries(part: Part, path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row index, lat, lon) of every point of the rows, quantized like doc values."""
    rows, lats, lons = [], [], []
    f = part.src.field(path)
    null_value = f.params.get("null_value") if f is not None else None
    for r, raw in source_values(part, path):
        if isinstance(raw, list):
            raw = [null_value if v is None else v for v in raw]
        elif raw is None:
            raw = null_value
        for lat, lon in parse_points(raw):
            qlat, qlon = quantize(lat, lon)
            rows.append(r)
            lats.append(qlat)
            lons.append(qlon)
    if not rows:
        return EMPTY_I64, np.zeros(0), np.zeros(0)
    return np.asarray(rows, dtype=I64), np.asarray(lats), np.asarray(lons)


def geotile_xy(lat: np.ndarray, lon: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    tiles = 1 << zoom
    x = np.floor((lon + 180.0) / 360.0 * tiles)
    x = np.clip(x, 0, tiles - 1)
    lat_sin = np.cos(math.pi / 2 - np.radians(lat))
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.floor((0.5 - np.log((1 + lat_sin) / (1 - lat_sin)) / (4 * math.pi)) * tiles)
    y = np.nan_to_num(y, nan=0.0, posinf=tiles - 1, neginf=0.0)
    y = np.clip(y, 0, tiles - 1)
    return x.astype(I64), y.astype(I64)
