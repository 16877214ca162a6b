"""range, date_range and ip_range."""

from __future__ import annotations

import ipaddress
import math
from typing import Any

import numpy as np

from ..errors import EsError, illegal_argument
from .base import (
    Params,
    failed_field,
)
from .buckets import (
    BucketAgg,
    _tz,
    range_collect,
)
from .core import (
    I64,
    Scope,
    expand,
)
from .formats import DateFormat, DocValueFormat, NumberFormat, ip_to_int
from .spec import FnCollected, Run, register
from .values import VS_KEYS, ValuesConfig


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
