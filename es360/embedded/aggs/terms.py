"""terms, rare_terms and significant_terms, with ES's include/exclude (regex, values, partitions)."""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Any

import numpy as np

from ..errors import EsError, illegal_argument
from .base import (
    Bucket,
    MultiBucketNode,
    Node,
    Params,
    failed_field,
    setter_error,
)
from .buckets import (
    BucketAgg,
    add_zero_candidates,
    bounds_by_bid,
    check_order_paths,
    count_candidates,
    entries_child_scope,
    needs_subs_for_order,
    order_keys,
    parse_order,
    path_values_for,
    with_key_tiebreak,
)
from .core import (
    EMPTY_I64,
    I64,
    Part,
    Scope,
    group_select,
)
from .formats import RAW, DateFormat, DocValueFormat, IpFormat
from .keys import KeySpace, key_entries, live_gids
from .spec import AggSpec, FnCollected, Run, register
from .values import INTEGRAL, VS_KEYS, ValuesConfig

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
