"""Metric aggregations: avg, sum, min, max, value_count, cardinality, stats, extended_stats, percentiles,
percentile_ranks, median_absolute_deviation, weighted_avg, boxplot, top_metrics."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import illegal_argument
from .base import MultiValueNode, Params, ValueNode, failed_field, fnum, setter_error
from .core import EMPTY_I64, I64, Scope, expand
from .formats import RAW, DocValueFormat, java_double
from .keys import key_entries
from .spec import AggSpec, FnCollected, Run, register
from .values import AGGREGATE_METRIC, VS_KEYS, ValuesConfig, format_for, metric_value_counts, scope_numbers

# ---- vectorized group reductions ---------------------------------------------------------------------


def group_count(bids: np.ndarray, n: int) -> np.ndarray:
    if not len(bids):
        return np.zeros(n, dtype=I64)
    return np.bincount(bids, minlength=n)[:n].astype(I64)


def group_sum(bids: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    if not len(bids):
        return np.zeros(n)
    if n == 1:
        total = math.fsum(values.tolist()) if len(values) <= 200_000 else float(np.sum(values))
        return np.array([total])
    return np.bincount(bids, weights=values, minlength=n)[:n]


def group_minmax(bids: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    mins = np.full(n, np.inf)
    maxs = np.full(n, -np.inf)
    if not len(bids):
        return mins, maxs
    if n == 1:
        mins[0] = values.min()
        maxs[0] = values.max()
        return mins, maxs
    order = np.argsort(bids, kind="stable")
    b = bids[order]
    v = values[order]
    starts = np.flatnonzero(np.concatenate(([True], b[1:] != b[:-1])))
    mins[b[starts]] = np.minimum.reduceat(v, starts)
    maxs[b[starts]] = np.maximum.reduceat(v, starts)
    return mins, maxs


def group_sorted(bids: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Values sorted within each bucket, and each bucket's [start, end) offsets (n + 1 array)."""
    if not len(bids):
        return values, np.zeros(n + 1, dtype=I64)
    if n == 1:
        return np.sort(values), np.array([0, len(values)], dtype=I64)
    order = np.lexsort((values, bids))
    b = bids[order]
    bounds = np.searchsorted(b, np.arange(n + 1))
    return values[order], bounds


# ---- tdigest-compatible quantiles on exact data ------------------------------------------------------
def quantile(sorted_values: np.ndarray, q: float) -> float:
    """ES's TDigest quantile on a fully-retained (sorting) digest: centroid midpoints, linear between."""
    n = len(sorted_values)
    if n == 0:
        return math.nan
    if n == 1:
        return float(sorted_values[0])
    index = q * n - 0.5
    if index <= 0:
        return float(sorted_values[0])
    if index >= n - 1:
        return float(sorted_values[-1])
    lo = int(math.floor(index))
    frac = index - lo
    a, b = float(sorted_values[lo]), float(sorted_values[lo + 1])
    return a + frac * (b - a)


def cdf(sorted_values: np.ndarray, x: float) -> float:
    n = len(sorted_values)
    if n == 0:
        return math.nan
    vals = sorted_values
    if x < vals[0]:
        return 0.0
    if n == 1:
        return 0.5 if x == vals[0] else 1.0
    n1 = 0.5
    n2 = 0
    for i in range(1, n):
        value = float(vals[i])
        if value > x:
            if n2 > 0:
                return (n1 + 0.5 * n2) / n
            prev = float(vals[i - 1])
            factor = (x - prev) / (value - prev) if value != prev else 0.0
            return (n1 + factor) / n
        if value < x:
            n1 += 1
        else:
            n2 += 1
    return (n - 0.5 * n2) / n


# ---- base --------------------------------------------------------------------------------------------
class NumericMetric(AggSpec):
    allowed = VS_KEYS | {"format"}
    numeric = True
    required = True

    def configure(self, p: Params) -> None:
        self.vs = ValuesConfig(self, p, numeric=self.numeric, required=self.required)

    def values(self, run: Run, scope: Scope) -> tuple[DocValueFormat, np.ndarray, np.ndarray]:
        fmt = format_for(self.vs, run)
        bids, vals = scope_numbers(self.vs, scope, run, fmt)
        return fmt, bids, vals


@register("avg")
class Avg(NumericMetric):
    type_name = "avg"
    aggregate_metric = "sum"  # over an aggregate_metric_double: sum of sums / sum of value_counts

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt, bids, vals = self.values(run, scope)
        counts = metric_value_counts(self.vs, scope, run, fmt)
        if counts is None:
            counts = group_count(bids, scope.n)
        sums = group_sum(bids, vals, scope.n)

        with np.errstate(invalid="ignore", divide="ignore"):
            avgs = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

        def node(b: int) -> ValueNode:
            c = counts[b]
            return ValueNode("avg", sums[b] / c if c else math.nan, fmt)
        return FnCollected(node, {"value": avgs}, fmt=fmt)


@register("sum")
class Sum(NumericMetric):
    type_name = "sum"
    aggregate_metric = "sum"

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt, bids, vals = self.values(run, scope)
        sums = group_sum(bids, vals, scope.n)
        return FnCollected(lambda b: ValueNode("sum", float(sums[b]), fmt, show=True), {"value": sums}, fmt=fmt)


class MinMax(NumericMetric):
    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt, bids, vals = self.values(run, scope)
        mins, maxs = group_minmax(bids, vals, scope.n)
        arr = mins if self.type_name == "min" else maxs
        typed = self.type_name
        return FnCollected(lambda b: ValueNode(typed, float(arr[b]), fmt), {"value": arr}, fmt=fmt)


class Min(MinMax):
    type_name = "min"
    aggregate_metric = "min"


class Max(MinMax):
    type_name = "max"
    aggregate_metric = "max"


register("min")(Min)
register("max")(Max)


@register("value_count")
class ValueCount(NumericMetric):
    type_name = "value_count"
    numeric = False
    aggregate_metric = "value_count"  # over an aggregate_metric_double: the sum of its value_counts

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        n = scope.n
        counts = np.zeros(n, dtype=I64)
        fmt = RAW
        for part in scope.parts:
            r = self.vs.resolve(part)
            rows = EMPTY_I64
            if r.ftype == AGGREGATE_METRIC:
                if r.ci is not None:
                    rows, entries = expand(part, r.ci, dedup=False)
                    counts += np.bincount(part.bids[rows], weights=r.ci.values[entries],
                                          minlength=n)[:n].astype(I64)
                continue
            if r.ci is not None:
                rows, _ = expand(part, r.ci, dedup=r.kind == "str")
                counts += group_count(part.bids[rows], n)
            if self.vs.has_missing:
                has = np.zeros(len(part.docs), dtype=bool)
                has[rows] = True
                counts += group_count(part.bids[~has], n)
        if self.vs.format:
            fmt = format_for(self.vs, run)
        return FnCollected(lambda b: ValueNode("value_count", float(counts[b]), fmt, integral=True),
                           {"value": counts.astype(np.float64)}, fmt=fmt)


@register("cardinality")
class Cardinality(NumericMetric):
    type_name = "cardinality"
    numeric = False
    allowed = VS_KEYS | {"precision_threshold", "rehash", "execution_hint"}

    def configure(self, p: Params) -> None:
        self.vs = ValuesConfig(self, p, formattable=False)
        pt = p.int("precision_threshold")
        if pt is not None and pt < 0:
            raise setter_error(self.type_name, "precision_threshold", f"[precisionThreshold] must be greater than or equal to 0. Found [{pt}] in "
                                   f"[{self.name}]")
        hint = p.str("execution_hint")
        if hint is not None and hint not in ("global_ordinals", "segment_ordinals", "direct", "save_memory_heuristic",
                                             "save_time_heuristic"):
            raise illegal_argument(f"Invalid execution mode for cardinality aggregation.  Got [{hint}]expected one "
                                   f"of [global_ordinal, segment_ordinal, direct]")

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        n = scope.n
        space, entries = key_entries(self.vs, scope, run)
        counts = np.zeros(n, dtype=I64)
        if len(entries.gids):
            k = max(space.size, 1)
            combined = np.unique(entries.bids * k + entries.gids)
            counts = group_count(combined // k, n)
        return FnCollected(lambda b: ValueNode("cardinality", float(counts[b]), RAW, integral=True),
                           {"value": counts.astype(np.float64)})


@register("stats")
class Stats(NumericMetric):
    type_name = "stats"

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt, bids, vals = self.values(run, scope)
        n = scope.n
        counts = group_count(bids, n)
        sums = group_sum(bids, vals, n)
        mins, maxs = group_minmax(bids, vals, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            avgs = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        arrays = {"count": counts.astype(np.float64), "sum": sums, "avg": avgs,
                  "min": mins, "max": maxs}
        return FnCollected(lambda b: stats_node("stats", int(counts[b]), float(sums[b]), float(mins[b]),
                                                float(maxs[b]), fmt), arrays)


def stats_node(typed: str, count: int, total: float, mn: float, mx: float, fmt: DocValueFormat) -> MultiValueNode:
    avg = total / count if count else math.nan
    rendered: dict[str, Any] = {
        "count": count,
        "min": fnum(mn) if count else None,
        "max": fnum(mx) if count else None,
        "avg": fnum(avg) if count else None,
        "sum": float(total),
    }
    if count and not fmt.raw:
        rendered["min_as_string"] = fmt.format(mn)
        rendered["max_as_string"] = fmt.format(mx)
        rendered["avg_as_string"] = fmt.format(avg)
        rendered["sum_as_string"] = fmt.format(total)
    values = {"count": float(count), "min": mn, "max": mx,
              "avg": avg, "sum": total}
    return MultiValueNode(typed, rendered, values)


@register("extended_stats")
class ExtendedStats(NumericMetric):
    type_name = "extended_stats"
    allowed = VS_KEYS | {"format", "sigma"}

    def configure(self, p: Params) -> None:
        super().configure(p)
        sigma = p.float("sigma", 2.0)
        if sigma is not None and sigma < 0:
            raise failed_field("extended_stats", "sigma", illegal_argument(
                f"[sigma] must be greater than or equal to 0. Found [{sigma}] in [{self.name}]"))
        self.sigma = float(sigma if sigma is not None else 2.0)

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt, bids, vals = self.values(run, scope)
        n = scope.n
        counts = group_count(bids, n)
        sums = group_sum(bids, vals, n)
        sqs = group_sum(bids, vals * vals, n)
        mins, maxs = group_minmax(bids, vals, n)
        sigma = self.sigma
        return FnCollected(lambda b: extended_stats_node("extended_stats", int(counts[b]), float(sums[b]),
                                                         float(mins[b]), float(maxs[b]), float(sqs[b]), sigma, fmt))


def extended_stats_node(typed: str, count: int, total: float, mn: float, mx: float, sq: float, sigma: float,
                        fmt: DocValueFormat) -> MultiValueNode:
    base = stats_node(typed, count, total, mn, mx, fmt)
    rendered = {k: v for k, v in base.rendered.items() if not k.endswith("_as_string")}
    values = dict(base.values)
    if count:
        avg = total / count
        var_pop = (sq - (total * total) / count) / count
        var_pop = 0.0 if var_pop < 0 else var_pop
        var_samp = (sq - (total * total) / count) / (count - 1) if count > 1 else math.inf
        var_samp = 0.0 if var_samp < 0 else var_samp
        std_pop = math.sqrt(var_pop)
        std_samp = math.sqrt(var_samp) if not math.isinf(var_samp) else math.inf
        bounds = {
            "upper": avg + std_pop * sigma, "lower": avg - std_pop * sigma,
            "upper_population": avg + std_pop * sigma, "lower_population": avg - std_pop * sigma,
            "upper_sampling": avg + std_samp * sigma, "lower_sampling": avg - std_samp * sigma,
        }
        rendered.update({
            "sum_of_squares": sq, "variance": var_pop, "variance_population": var_pop,
            "variance_sampling": fnum(var_samp), "std_deviation": std_pop, "std_deviation_population": std_pop,
            "std_deviation_sampling": fnum(std_samp),
            "std_deviation_bounds": {k: fnum(v) for k, v in bounds.items()},
        })
        if not fmt.raw:
            for key in ("min", "max", "avg", "sum"):
                rendered[f"{key}_as_string"] = base.rendered[f"{key}_as_string"]
            rendered["sum_of_squares_as_string"] = fmt.format(sq)
            rendered["variance_as_string"] = fmt.format(var_pop)
            rendered["variance_population_as_string"] = fmt.format(var_pop)
            rendered["variance_sampling_as_string"] = fmt.format(var_samp)
            rendered["std_deviation_as_string"] = fmt.format(std_pop)
            rendered["std_deviation_population_as_string"] = fmt.format(std_pop)
            rendered["std_deviation_sampling_as_string"] = fmt.format(std_samp)
            rendered["std_deviation_bounds_as_string"] = {k: fmt.format(v) for k, v in bounds.items()}
        values.update({"sum_of_squares": sq, "variance": var_pop, "variance_population": var_pop,
                       "variance_sampling": var_samp, "std_deviation": std_pop,
                       "std_deviation_population": std_pop, "std_deviation_sampling": std_samp,
                       "std_upper": bounds["upper"], "std_lower": bounds["lower"],
                       "std_upper_population": bounds["upper_population"],
                       "std_lower_population": bounds["lower_population"],
                       "std_upper_sampling": bounds["upper_sampling"],
                       "std_lower_sampling": bounds["lower_sampling"]})
    else:
        for key in ("sum_of_squares", "variance", "variance_population", "variance_sampling", "std_deviation",
                    "std_deviation_population", "std_deviation_sampling"):
            rendered[key] = None
            values[key] = math.nan
        rendered["std_deviation_bounds"] = {k: None for k in ("upper", "lower", "upper_population",
                                                               "lower_population", "upper_sampling",
                                                               "lower_sampling")}
    return MultiValueNode(typed, rendered, values)


# ---- percentiles ---------------------------------------------------------------------------------------
DEFAULT_PERCENTS = [1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0]


def _parse_method(spec: AggSpec, p: Params) -> None:
    tdigest = p.obj("tdigest")
    hdr = p.obj("hdr")
    if tdigest is not None:
        tp = Params("tdigest", tdigest, {"compression", "execution_hint"})
        comp = tp.float("compression")
        if comp is not None and comp < 0:
            raise failed_field(spec.type_name, "tdigest", illegal_argument(
                f"[compression] must be greater than or equal to 0. Found [{comp}] in [{spec.name}]"))
    if hdr is not None:
        hp = Params("hdr", hdr, {"number_of_significant_value_digits"})
        digits = hp.int("number_of_significant_value_digits")
        if digits is not None and not 0 <= digits <= 5:
            raise failed_field(spec.type_name, "hdr", illegal_argument(
                f"[numberOfSignificantValueDigits] must be between 0 and 5: [{spec.name}]"))
    if tdigest is not None and hdr is not None:
        raise illegal_argument(f"Only one percentiles method should be declared for [{spec.name}]")


def _number_list(spec: AggSpec, p: Params, key: str) -> list[float] | None:
    if key not in p.body:
        return None
    values = p.body[key]
    if not isinstance(values, list):
        raise failed_field(spec.type_name, key)
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            try:
                out.append(float(v))
                continue
            except (TypeError, ValueError):
                raise failed_field(spec.type_name, key) from None
        out.append(float(v))
    return out


@register("percentiles")
class Percentiles(NumericMetric):
    type_name = "percentiles"
    allowed = VS_KEYS | {"format", "percents", "keyed", "tdigest", "hdr"}

    def configure(self, p: Params) -> None:
        super().configure(p)
        if "percents" in p.body and p.body["percents"] is None:
            raise failed_field("percentiles", "percents")
        percents = _number_list(self, p, "percents")
        if percents is not None and not percents:
            raise setter_error(self.type_name, "percents", f"[percents] must not be empty: [{self.name}]")
        for v in percents or []:
            if v < 0 or v > 100:
                raise illegal_argument(f"percent must be in [0,100], got [{v}]: [{self.name}]")
        self.percents = sorted(set(percents)) if percents else DEFAULT_PERCENTS
        self.keyed = p.bool("keyed", True)
        _parse_method(self, p)

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt, bids, vals = self.values(run, scope)
        sorted_vals, bounds = group_sorted(bids, vals, scope.n)

        def node(b: int) -> MultiValueNode:
            data = sorted_vals[bounds[b]:bounds[b + 1]]
            pairs = [(p, quantile(data, p / 100.0)) for p in self.percents]
            return percentiles_node("tdigest_percentiles", pairs, self.keyed, fmt)
        return FnCollected(node)


def percentiles_node(typed: str, pairs: list[tuple[float, float]], keyed: bool, fmt: DocValueFormat
                     ) -> MultiValueNode:
    values: dict[str, float] = {}
    if keyed:
        body: dict[str, Any] = {}
        for key, value in pairs:
            k = java_double(key)
            body[k] = fnum(value)
            if not fmt.raw and fnum(value) is not None:
                body[f"{k}_as_string"] = fmt.format(value)
            values[k] = value
        rendered: dict[str, Any] = {"values": body}
    else:
        items = []
        for key, value in pairs:
            item: dict[str, Any] = {"key": key, "value": fnum(value)}
            if not fmt.raw and fnum(value) is not None:
                item["value_as_string"] = fmt.format(value)
            items.append(item)
            values[java_double(key)] = value
        rendered = {"values": items}
    return MultiValueNode(typed, rendered, values)


@register("percentile_ranks")
class PercentileRanks(NumericMetric):
    type_name = "percentile_ranks"
    allowed = VS_KEYS | {"format", "values", "keyed", "tdigest", "hdr"}

    def configure(self, p: Params) -> None:
        super().configure(p)
        if p.body.get("values") is None:
            raise illegal_argument(f"[values] must not be null: [{self.name}]")
        values = _number_list(self, p, "values")
        if not values:
            raise setter_error(self.type_name, "values", f"[values] must not be an empty array: [{self.name}]")
        self.targets = sorted(set(values))
        self.keyed = p.bool("keyed", True)
        _parse_method(self, p)

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt, bids, vals = self.values(run, scope)
        sorted_vals, bounds = group_sorted(bids, vals, scope.n)

        def node(b: int) -> MultiValueNode:
            data = sorted_vals[bounds[b]:bounds[b + 1]]
            pairs = [(t, cdf(data, t) * 100.0 if len(data) else math.nan) for t in self.targets]
            return percentiles_node("tdigest_percentile_ranks", pairs, self.keyed, fmt)
        return FnCollected(node)


@register("median_absolute_deviation")
class MedianAbsoluteDeviation(NumericMetric):
    type_name = "median_absolute_deviation"
    allowed = VS_KEYS | {"format", "compression", "execution_hint"}

    def configure(self, p: Params) -> None:
        super().configure(p)
        comp = p.float("compression")
        if comp is not None and comp <= 0:
            raise illegal_argument(f"[compression] must be greater than 0. Found [{comp}] in [{self.name}]")

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt, bids, vals = self.values(run, scope)
        sorted_vals, bounds = group_sorted(bids, vals, scope.n)

        def node(b: int) -> ValueNode:
            data = sorted_vals[bounds[b]:bounds[b + 1]]
            if not len(data):
                return ValueNode("median_absolute_deviation", math.nan, fmt)
            med = quantile(data, 0.5)
            dev = np.sort(np.abs(data - med))
            return ValueNode("median_absolute_deviation", quantile(dev, 0.5), fmt)
        return FnCollected(node)


@register("boxplot")
class Boxplot(NumericMetric):
    type_name = "boxplot"
    allowed = VS_KEYS | {"compression", "execution_hint", "format"}

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        fmt, bids, vals = self.values(run, scope)
        sorted_vals, bounds = group_sorted(bids, vals, scope.n)

        def node(b: int) -> MultiValueNode:
            data = sorted_vals[bounds[b]:bounds[b + 1]]
            if not len(data):
                nan = math.nan
                stats = {"min": nan, "max": nan, "q1": nan, "q2": nan, "q3": nan, "lower": nan, "upper": nan}
            else:
                q1, q2, q3 = (quantile(data, q) for q in (0.25, 0.5, 0.75))
                iqr = q3 - q1
                lo_lim, hi_lim = q1 - 1.5 * iqr, q3 + 1.5 * iqr
                inside = data[(data >= lo_lim) & (data <= hi_lim)]
                stats = {"min": float(data[0]), "max": float(data[-1]), "q1": q1, "q2": q2, "q3": q3,
                         "lower": float(inside[0]) if len(inside) else float(data[0]),
                         "upper": float(inside[-1]) if len(inside) else float(data[-1])}
            rendered: dict[str, Any] = {k: fnum(v) if len(data) else None for k, v in stats.items()}
            if not fmt.raw and len(data):
                for k, v in stats.items():
                    rendered[f"{k}_as_string"] = fmt.format(v)
            return MultiValueNode("boxplot", rendered, stats)
        return FnCollected(node)


@register("weighted_avg")
class WeightedAvg(AggSpec):
    type_name = "weighted_avg"
    allowed = {"value", "weight", "format", "value_type"}

    def configure(self, p: Params) -> None:
        value = p.obj("value")
        weight = p.obj("weight")
        if value is None:
            raise illegal_argument(f"[value] must be set for aggregation [{self.name}]" if weight is not None
                                   else "Required [value, weight]")
        if weight is None:
            raise illegal_argument("Required [weight]")
        self.value_cfg = ValuesConfig(self, Params("value", value, {"field", "missing", "script"}), numeric=True,
                                      formattable=False)
        self.weight_cfg = ValuesConfig(self, Params("weight", weight, {"field", "missing", "script"}), numeric=True,
                                       formattable=False)
        self.format = p.str("format")

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        n = scope.n
        num = np.zeros(n)
        den = np.zeros(n)
        fmt = format_for(self.value_cfg, run)
        if self.format:
            from .formats import NumberFormat

            fmt = NumberFormat(self.format)
        vmiss = self.value_cfg.missing_num(RAW) if self.value_cfg.has_missing else None
        wmiss = self.weight_cfg.missing_num(RAW) if self.weight_cfg.has_missing else None
        for part in scope.parts:
            vrows, vvals = self.value_cfg.numbers(part, vmiss)
            wrows, wvals = self.weight_cfg.numbers(part, wmiss)
            if not len(vrows) or not len(wrows):
                continue
            wcount = np.bincount(wrows, minlength=len(part.docs))
            if (wcount > 1).any():
                raise illegal_argument("Encountered more than one weight for a single document. Use a script to "
                                       "combine multiple weights-per-doc into a single value.")
            weight_of = np.full(len(part.docs), np.nan)
            weight_of[wrows] = wvals
            w = weight_of[vrows]
            ok = ~np.isnan(w)
            b = part.bids[vrows[ok]]
            num += np.bincount(b, weights=vvals[ok] * w[ok], minlength=n)[:n]
            den += np.bincount(b, weights=w[ok], minlength=n)[:n]
        return FnCollected(lambda b: ValueNode("weighted_avg", num[b] / den[b] if den[b] else math.nan, fmt))


@register("top_metrics")
class TopMetrics(AggSpec):
    type_name = "top_metrics"
    allowed = {"metrics", "sort", "size"}

    def configure(self, p: Params) -> None:
        metrics = p.get("metrics")
        if metrics is None:
            raise illegal_argument("[top_metrics] requires [metrics]")
        metrics = metrics if isinstance(metrics, list) else [metrics]
        self.metrics = []
        for m in metrics:
            mp = Params("metrics", m, {"field", "missing", "script"})
            if mp.str("field") is None:
                raise illegal_argument("[field] must not be null")
            self.metrics.append(ValuesConfig(self, mp, formattable=False))
        self.size = p.int("size", 1) or 1
        if self.size < 1:
            raise setter_error(self.type_name, "size", f"[size] must be more than 0 but was [{self.size}]")
        sort = p.get("sort")
        if sort is None:
            raise illegal_argument("[top_metrics] requires [sort]")
        if isinstance(sort, list):
            if len(sort) != 1:
                raise illegal_argument("only a single sort is supported")
            sort = sort[0]
        if isinstance(sort, str):
            self.sort_field, self.sort_order = sort, "desc" if sort == "_score" else "asc"
        elif isinstance(sort, dict) and len(sort) == 1:
            self.sort_field, opts = next(iter(sort.items()))
            if isinstance(opts, str):
                self.sort_order = opts
            else:
                self.sort_order = (opts or {}).get("order", "desc" if self.sort_field == "_score" else "asc")
        else:
            raise illegal_argument("malformed [sort] in [top_metrics]")

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        n = scope.n
        desc = self.sort_order == "desc"
        rows_all: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
        for pi, part in enumerate(scope.parts):
            if self.sort_field == "_score":
                keys = part.src.scores_of(part.docs).astype(np.float64)
                rows = np.arange(len(part.docs))
            else:
                f = part.src.field(self.sort_field)
                col = part.src.seg.columns.get(self.sort_field)
                if f is None or col is None or col.kind != "num":
                    continue
                from .core import col_info

                ci = col_info(col)
                rows, entries = expand(part, ci, dedup=False)
                vals = ci.values[entries]
                # one sort value per row: min for asc, max for desc
                if len(rows):
                    order = np.lexsort((-vals if desc else vals, rows))
                    rows, vals = rows[order], vals[order]
                    first = np.concatenate(([True], rows[1:] != rows[:-1]))
                    rows, keys = rows[first], vals[first]
                else:
                    keys = np.zeros(0)
            rows_all.append((part.bids[rows], keys, rows, pi))
        per_bid: list[list[tuple[float, int, int]]] = [[] for _ in range(n)]
        for bids, keys, rows, pi in rows_all:
            order = np.lexsort((-keys if desc else keys, bids))
            b_sorted = bids[order]
            starts = np.searchsorted(b_sorted, b_sorted, "left")
            rank = np.arange(len(order)) - starts
            keep = order[rank < self.size]
            for i in keep.tolist():
                per_bid[int(bids[i])].append((float(keys[i]), pi, int(rows[i])))

        def node(b: int) -> Any:
            from .base import OpaqueNode

            items = sorted(per_bid[b], key=lambda t: (-t[0] if desc else t[0], t[1], t[2]))[: self.size]
            top = []
            values: dict[str, Any] = {}
            for key, pi, row in items:
                part = scope.parts[pi]
                metrics = {}
                for cfg in self.metrics:
                    metrics[cfg.field] = _metric_value(cfg, part, row, run)
                sort_field = part.src.field(self.sort_field) if self.sort_field != "_score" else None
                sort_val: Any = key
                if sort_field is not None and sort_field.type in ("long", "integer", "short", "byte", "date",
                                                                  "date_nanos"):
                    sort_val = int(key)
                top.append({"sort": [sort_val], "metrics": metrics})
                if not values:
                    values = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
            return OpaqueNode("top_metrics", "InternalTopMetrics", {"top": top}, values)
        return FnCollected(node)


def _metric_value(cfg: ValuesConfig, part: Any, row: int, run: Run) -> Any:
    src = part.src
    f = src.field(cfg.field)
    col = src.seg.columns.get(cfg.field)
    doc = int(part.docs[row])
    if f is None or col is None:
        return cfg.missing if cfg.has_missing else None
    vals = col.values_of(doc)
    if not vals:
        return cfg.missing if cfg.has_missing else None
    v = vals[0]
    if f.type in ("date", "date_nanos"):
        from .formats import DateFormat

        return DateFormat(f.date_format).format(v)
    if f.type in ("long", "integer", "short", "byte", "unsigned_long") and isinstance(v, float):
        return int(v)
    return v
