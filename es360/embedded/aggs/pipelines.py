"""Pipeline aggregations, applied to the reduced result tree as ES does.

Sibling pipelines (avg_bucket, max_bucket, stats_bucket...) reduce the buckets of a sibling multi-bucket
aggregation; parent pipelines (derivative, cumulative_sum, bucket_script, bucket_selector, bucket_sort,
serial_diff, moving_fn, normalize) rewrite the buckets of the histogram or multi-bucket aggregation they
are declared in.
"""

from __future__ import annotations

import math
from typing import Any

from ..dates import parse_time_value
from ..errors import EsError, illegal_argument
from .base import (
    Bucket,
    InvalidPath,
    MultiBucketNode,
    MultiValueNode,
    Node,
    Params,
    SingleBucketNode,
    ValueNode,
    agg_exec_error,
    failed_field,
    fnum,
    parse_path,
    path_strings,
    setter_error,
)
from .formats import RAW, DocValueFormat, NumberFormat, java_double
from .metrics import extended_stats_node, stats_node
from .movingfn import compile_script
from .spec import AggSpec, Run, register

GAP_POLICIES = ("skip", "insert_zeros", "keep_values")
HISTOGRAMS = ("histogram", "date_histogram", "auto_date_histogram")


class Pipeline(AggSpec):
    pipeline_kind = "sibling"
    base_keys = {"buckets_path", "format", "gap_policy"}
    allowed = base_keys

    def configure(self, p: Params) -> None:
        path = p.get("buckets_path")
        if path is None:
            raise illegal_argument(f"[buckets_path] must be set for aggregation [{self.name}]" if False
                                   else "Required [buckets_path]")
        self.buckets_path = path
        self.format: DocValueFormat = NumberFormat(p.str("format")) if p.str("format") else RAW  # type: ignore
        policy = (p.str("gap_policy", "skip") or "skip").lower()
        if policy not in GAP_POLICIES:
            raise failed_field(self.type_name, "gap_policy", illegal_argument(
                f"No gap_policy found for value [{policy}]"))
        self.gap_policy = policy
        self.more(p)

    def more(self, p: Params) -> None:
        pass

    def paths(self) -> list[str]:
        bp = self.buckets_path
        if isinstance(bp, str):
            return [bp]
        if isinstance(bp, list):
            return [str(x) for x in bp]
        if isinstance(bp, dict):
            return [str(x) for x in bp.values()]
        return []


# ---- value resolution (ES BucketHelpers) ----------------------------------------------------------------
def _simple_name(value: Any) -> str:
    if isinstance(value, list):
        return "Object[]"
    if isinstance(value, Node):
        return value.java_name.split(".")[-1]
    return type(value).__name__


def resolve_bucket_value(agg: MultiBucketNode, bucket: Bucket, path: list[str], gap_policy: str) -> float | None:
    try:
        value = bucket.prop(agg.name, path)
    except InvalidPath:
        return None
    if value is None:
        raise agg_exec_error("buckets_path must reference either a number value or a single value numeric metric "
                             "aggregation")
    if isinstance(value, bool):
        number = 1.0 if value else 0.0
    elif isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, ValueNode):
        number = value.number()
    else:
        if not path:
            name, current = agg.name, agg
        else:
            name, current = path[0], value
        if isinstance(current, MultiValueNode):
            raise agg_exec_error(f"buckets_path must reference either a number value or a single value numeric "
                                 f"metric aggregation, but [{name}] contains multiple values. Please specify which "
                                 f"to use.")
        raise agg_exec_error(f"buckets_path must reference either a number value or a single value numeric metric "
                             f"aggregation, got: [{_simple_name(value)}] at aggregation [{name}]")
    is_count = len(path) == 1 and path[0] == "_count"
    if math.isinf(number) or math.isnan(number) or (bucket.doc_count == 0 and not is_count):
        if gap_policy == "insert_zeros":
            return 0.0
        if gap_policy == "keep_values":
            return math.nan if (math.isinf(number) or math.isnan(number)) else number
        return math.nan
    return number


def _path_after_first(path: str) -> tuple[str, list[str]]:
    parts = path_strings(path)
    return parts[0], parts[1:]


def _validate_path_in(specs: list[AggSpec], elements: list[Any], path: str) -> str | None:
    level = specs
    for e in elements:
        if e.name in ("_count", "_key", "_bucket_count"):
            return None
        found = next((s for s in level if s.name == e.name), None)
        if found is None:
            return f"No aggregation [{e.name}] found for path [{path}]"
        level = found.children
    return None


# ---- sibling pipelines -------------------------------------------------------------------------------------
class BucketMetrics(Pipeline):
    pipeline_kind = "sibling"

    def validate(self, siblings: list[AggSpec]) -> list[str]:
        path = self.paths()[0] if self.paths() else ""
        if not isinstance(self.buckets_path, str):
            return [f"buckets_path must be a single path for aggregation [{self.name}]"]
        try:
            elements = parse_path(path)
        except EsError as err:
            return [err.reason or "invalid path"]
        first = next((s for s in siblings if s.name == elements[0].name), None)
        if first is None:
            return [f"buckets_path aggregation does not exist for aggregation [{self.name}]: {path}"]
        if first.cardinality != "many":
            return [f"The first aggregation in buckets_path must be a multi-bucket aggregation for aggregation "
                    f"[{self.name}] found :{type(first).__name__} for buckets path: {path}"]
        problem = _validate_path_in(first.children, elements[1:], path)
        return [problem] if problem else []

    def values(self, aggs: dict[str, Node]) -> list[tuple[Bucket, float]]:
        first, rest = _path_after_first(self.buckets_path)
        agg = aggs.get(first)
        if agg is None:
            raise agg_exec_error(f"Cannot find an aggregation named [{first}]")
        if not isinstance(agg, MultiBucketNode):
            raise agg_exec_error(f"buckets_path must reference a multi-bucket aggregation, got: "
                                 f"[{_simple_name(agg)}] at aggregation [{first}]")
        out = []
        for bucket in agg.buckets:
            v = resolve_bucket_value(agg, bucket, rest, self.gap_policy)
            if v is not None and not math.isnan(v):
                out.append((bucket, v))
        return out

    def reduce(self, aggs: dict[str, Node], run: Run) -> Node:
        raise NotImplementedError


def _simple(value: float, fmt: DocValueFormat) -> ValueNode:
    return ValueNode("simple_value", value, fmt)


@register("avg_bucket")
class AvgBucket(BucketMetrics):
    type_name = "avg_bucket"

    def reduce(self, aggs: dict[str, Node], run: Run) -> Node:
        vals = [v for _, v in self.values(aggs)]
        return _simple(sum(vals) / len(vals) if vals else math.nan, self.format)


@register("sum_bucket")
class SumBucket(BucketMetrics):
    type_name = "sum_bucket"

    def reduce(self, aggs: dict[str, Node], run: Run) -> Node:
        vals = [v for _, v in self.values(aggs)]
        node = _simple(math.fsum(vals), self.format)
        node.show = True
        return node


class MinMaxBucket(BucketMetrics):
    def reduce(self, aggs: dict[str, Node], run: Run) -> Node:
        items = self.values(aggs)
        best = math.inf if self.type_name == "min_bucket" else -math.inf
        keys: list[str] = []
        for bucket, v in items:
            better = v < best if self.type_name == "min_bucket" else v > best
            if better:
                best = v
                keys = [bucket.key_as_string()]
            elif v == best:
                keys.append(bucket.key_as_string())
        node = ValueNode("bucket_metric_value", best, self.format, extra={"keys": keys})
        node.java_name = "InternalBucketMetricValue"
        return node


@register("min_bucket")
class MinBucket(MinMaxBucket):
    type_name = "min_bucket"


@register("max_bucket")
class MaxBucket(MinMaxBucket):
    type_name = "max_bucket"


@register("stats_bucket")
class StatsBucket(BucketMetrics):
    type_name = "stats_bucket"

    def reduce(self, aggs: dict[str, Node], run: Run) -> Node:
        vals = [v for _, v in self.values(aggs)]
        node = stats_node("stats_bucket", len(vals), math.fsum(vals), min(vals) if vals else math.inf,
                          max(vals) if vals else -math.inf, self.format)
        return node


@register("extended_stats_bucket")
class ExtendedStatsBucket(BucketMetrics):
    type_name = "extended_stats_bucket"
    allowed = Pipeline.base_keys | {"sigma"}

    def more(self, p: Params) -> None:
        sigma = p.float("sigma", 2.0)
        if sigma is None or sigma < 0:
            raise illegal_argument(f"[sigma] must be greater than or equal to 0. Found [{sigma}] in [{self.name}]")
        self.sigma = sigma

    def reduce(self, aggs: dict[str, Node], run: Run) -> Node:
        vals = [v for _, v in self.values(aggs)]
        return extended_stats_node("extended_stats_bucket", len(vals), math.fsum(vals),
                                   min(vals) if vals else math.inf, max(vals) if vals else -math.inf,
                                   math.fsum(v * v for v in vals), self.sigma, self.format)


@register("percentiles_bucket")
class PercentilesBucket(BucketMetrics):
    type_name = "percentiles_bucket"
    allowed = Pipeline.base_keys | {"percents", "keyed"}

    def more(self, p: Params) -> None:
        percents = p.get("percents")
        if percents is None:
            percents = [1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0]
        if not isinstance(percents, list):
            raise failed_field("percentiles_bucket", "percents")
        for v in percents:
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or v > 100:
                raise illegal_argument(f"[percents] must only contain values between 0.0 and 100.0 for aggregation "
                                       f"[{self.name}]")
        self.percents = [float(v) for v in percents]
        self.keyed = p.bool("keyed", True)

    def reduce(self, aggs: dict[str, Node], run: Run) -> Node:
        data = sorted(v for _, v in self.values(aggs))
        pairs = []
        for pct in self.percents:
            if not data:
                pairs.append((pct, math.nan))
                continue
            index = int(math.floor((pct / 100.0) * (len(data) - 1) + 0.5))
            pairs.append((pct, data[index]))
        values = {java_double(k): v for k, v in pairs}
        if self.keyed:
            body: Any = {java_double(k): fnum(v) for k, v in pairs}
            if not self.format.raw:
                for k, v in pairs:
                    if fnum(v) is not None:
                        body[f"{java_double(k)}_as_string"] = self.format.format(v)
        else:
            body = [{"key": k, "value": fnum(v)} for k, v in pairs]
        return MultiValueNode("percentiles_bucket", {"values": body}, values)


# ---- parent pipelines ---------------------------------------------------------------------------------------
class ParentPipeline(Pipeline):
    pipeline_kind = "parent"
    needs_histogram = False

    def validate(self, siblings: list[AggSpec]) -> list[str]:
        parent = self.parent
        if self.needs_histogram:
            if parent is None:
                return [f"{self.type_name} aggregation [{self.name}] must have a histogram, date_histogram or "
                        f"auto_date_histogram as parent but doesn't have a parent"]
            if parent.type_name not in HISTOGRAMS:
                return [f"{self.type_name} aggregation [{self.name}] must have a histogram, date_histogram or "
                        f"auto_date_histogram as parent"]
            mdc = getattr(parent, "min_doc_count", 0)
            if mdc and parent.type_name != "auto_date_histogram":
                return [f"parent histogram of {self.type_name} aggregation [{self.name}] must have min_doc_count "
                        f"of 0"]
        elif parent is None or parent.cardinality != "many":
            return [f"{self.type_name} aggregation [{self.name}] must be declared inside of another aggregation"]
        errors = []
        for path in self.paths():
            try:
                elements = parse_path(path)
            except EsError as err:
                errors.append(err.reason or "invalid path")
                continue
            problem = _validate_path_in(parent.children, elements, path)
            if problem:
                errors.append(problem)
        return errors

    def apply(self, agg: MultiBucketNode, run: Run) -> None:
        raise NotImplementedError

    def add(self, bucket: Bucket, node: Node) -> None:
        node.meta = self.meta
        bucket.aggs[self.name] = node


@register("cumulative_sum")
class CumulativeSum(ParentPipeline):
    type_name = "cumulative_sum"
    needs_histogram = True
    allowed = {"buckets_path", "format"}

    def apply(self, agg: MultiBucketNode, run: Run) -> None:
        total = 0.0
        path = path_strings(self.buckets_path)
        for bucket in agg.buckets:
            v = resolve_bucket_value(agg, bucket, path, "insert_zeros")
            if v is not None and not math.isnan(v) and not math.isinf(v):
                total += v
            node = _simple(total, self.format)
            node.show = True
            self.add(bucket, node)


@register("derivative")
class Derivative(ParentPipeline):
    type_name = "derivative"
    needs_histogram = True
    allowed = Pipeline.base_keys | {"unit"}

    def more(self, p: Params) -> None:
        unit = p.str("unit")
        self.unit_ms: float | None = None
        if unit is not None:
            from ..dates import _CALENDAR_UNITS, _UNIT_MILLIS

            canonical = _CALENDAR_UNITS.get(unit)
            self.unit_ms = float(_UNIT_MILLIS[canonical] if canonical else parse_time_value(unit, "derivative.unit"))

    def apply(self, agg: MultiBucketNode, run: Run) -> None:
        path = path_strings(self.buckets_path)
        last_key: float | None = None
        last_value: float | None = None
        for bucket in agg.buckets:
            this_key = float(bucket.key) if isinstance(bucket.key, (int, float)) else None
            value = resolve_bucket_value(agg, bucket, path, self.gap_policy)
            if last_value is not None and value is not None:
                gradient = value - last_value
                extra = None
                if self.unit_ms and this_key is not None and last_key is not None:
                    x_diff = (this_key - last_key) / self.unit_ms
                    norm = gradient / x_diff if x_diff else math.nan
                    extra = {"normalized_value": fnum(norm)}
                    if not self.format.raw and fnum(norm) is not None:
                        extra["normalized_value_as_string"] = self.format.format(norm)
                node = ValueNode("derivative", gradient, self.format, extra=extra)
                self.add(bucket, node)
            last_key = this_key
            last_value = value


@register("serial_diff")
class SerialDiff(ParentPipeline):
    type_name = "serial_diff"
    needs_histogram = True
    allowed = Pipeline.base_keys | {"lag"}

    def more(self, p: Params) -> None:
        self.lag = p.int("lag", 1) or 0
        if self.lag <= 0:
            raise illegal_argument("[lag] must be a positive integer: [" + self.name + "]")

    def apply(self, agg: MultiBucketNode, run: Run) -> None:
        path = path_strings(self.buckets_path)
        history: list[float | None] = []
        for bucket in agg.buckets:
            value = resolve_bucket_value(agg, bucket, path, self.gap_policy)
            if value is not None and math.isnan(value) and self.gap_policy == "skip":
                history.append(value)
                continue
            lagged = history[-self.lag] if len(history) >= self.lag else None
            if value is not None and lagged is not None and not math.isnan(lagged) and not math.isnan(value):
                self.add(bucket, _simple(value - lagged, self.format))
            history.append(value)


@register("moving_fn")
class MovingFn(ParentPipeline):
    type_name = "moving_fn"
    needs_histogram = True
    allowed = Pipeline.base_keys | {"window", "script", "shift"}

    def more(self, p: Params) -> None:
        window = p.int("window")
        if window is None or window <= 0:
            raise illegal_argument("[window] must be a positive, non-zero integer.")
        self.window = window
        self.shift = p.int("shift", 0) or 0
        if p.get("script") is None:
            raise illegal_argument("[script] must be set for [moving_fn]")
        self.script, self.params = compile_script(p.get("script"))

    def apply(self, agg: MultiBucketNode, run: Run) -> None:
        path = path_strings(self.buckets_path)
        resolved = [resolve_bucket_value(agg, b, path, self.gap_policy) for b in agg.buckets]
        values = [v for v in resolved if v is not None and not math.isnan(v)]
        index = 0
        for bucket, v in zip(agg.buckets, resolved, strict=True):
            if v is None or math.isnan(v):
                continue
            lo = max(0, min(len(values), index - self.window + self.shift))
            hi = max(0, min(len(values), index + self.shift))
            window = values[lo:hi]
            result = self.script.run({"params": dict(self.params), "values": window})
            self.add(bucket, _simple(float(result) if result is not None else math.nan, self.format))
            index += 1


def painless_script(spec: Any) -> tuple[Any, dict[str, Any]]:
    """A bucket_script / bucket_selector script compiled by the engine's Painless interpreter."""
    from ..painless import compile_script as painless_compile
    from ..painless import parse_script_spec

    source, params = parse_script_spec(spec)
    return painless_compile(source), dict(params)


def _vars(spec: Pipeline, agg: MultiBucketNode, bucket: Bucket) -> tuple[dict[str, Any], bool]:
    bp = spec.buckets_path
    if isinstance(bp, str):
        mapping = {"_value": bp}
    elif isinstance(bp, list):
        mapping = {f"_value{i}": p for i, p in enumerate(bp)}
    else:
        mapping = dict(bp)
    out: dict[str, Any] = {}
    skip = False
    for var, path in mapping.items():
        value = resolve_bucket_value(agg, bucket, path_strings(str(path)), spec.gap_policy)
        if spec.gap_policy == "skip" and (value is None or math.isnan(value)):
            skip = True
        out[var] = value
    return out, skip


@register("bucket_script")
class BucketScript(ParentPipeline):
    type_name = "bucket_script"
    allowed = Pipeline.base_keys | {"script"}

    def more(self, p: Params) -> None:
        if p.get("script") is None:
            raise illegal_argument("[script] must be set for [bucket_script]")
        self.script, self.params = painless_script(p.get("script"))

    def apply(self, agg: MultiBucketNode, run: Run) -> None:
        for bucket in agg.buckets:
            variables, skip = _vars(self, agg, bucket)
            if skip:
                continue
            result = self.script.execute({"params": {**self.params, **variables}})
            if result is None:
                continue
            if isinstance(result, bool) or not isinstance(result, (int, float)):
                raise agg_exec_error(f"series_arithmetic script for reducer [{self.name}] must return a Number")
            self.add(bucket, _simple(float(result), self.format))


@register("bucket_selector")
class BucketSelector(ParentPipeline):
    type_name = "bucket_selector"
    allowed = {"buckets_path", "gap_policy", "script"}

    def more(self, p: Params) -> None:
        if p.get("script") is None:
            raise illegal_argument("[script] must be set for [bucket_selector]")
        self.script, self.params = painless_script(p.get("script"))

    def apply(self, agg: MultiBucketNode, run: Run) -> None:
        kept = []
        for bucket in agg.buckets:
            variables, _ = _vars(self, agg, bucket)
            result = self.script.execute({"params": {**self.params, **variables}})
            if not isinstance(result, bool):
                raise agg_exec_error("bucket_selector script must return a boolean")
            if result:
                kept.append(bucket)
        agg.buckets = kept


@register("bucket_sort")
class BucketSort(ParentPipeline):
    type_name = "bucket_sort"
    allowed = {"sort", "from", "size", "gap_policy"}

    def configure(self, p: Params) -> None:
        self.buckets_path = None
        self.format = RAW
        policy = (p.str("gap_policy", "skip") or "skip").lower()
        if policy not in GAP_POLICIES:
            raise illegal_argument(f"No gap_policy found for value [{policy}]")
        self.gap_policy = policy
        self.from_ = p.int("from", 0) or 0
        if self.from_ < 0:
            raise setter_error(self.type_name, "from", f"[from] must be a non-negative integer: [{self.from_}]")
        self.size = p.int("size")
        if self.size is not None and self.size < 1:
            raise setter_error(self.type_name, "size", f"[size] must be a positive integer: [{self.size}]")
        self.sorts: list[tuple[str, bool]] = []
        sort = p.get("sort") or []
        for item in sort if isinstance(sort, list) else [sort]:
            if isinstance(item, str):
                self.sorts.append((item, True))
            elif isinstance(item, dict) and len(item) == 1:
                field, opts = next(iter(item.items()))
                order = opts if isinstance(opts, str) else (opts or {}).get("order", "asc")
                self.sorts.append((field, str(order).lower() != "desc"))
            else:
                raise failed_field("bucket_sort", "sort")

    def paths(self) -> list[str]:
        return [s for s, _ in self.sorts if s not in ("_key", "_count")]

    def apply(self, agg: MultiBucketNode, run: Run) -> None:
        buckets = agg.buckets
        if self.sorts:
            rows = []
            for idx, bucket in enumerate(buckets):
                keys = []
                skip = False
                for field, asc in self.sorts:
                    if field == "_key":
                        value: Any = bucket.key
                    else:
                        value = resolve_bucket_value(agg, bucket, path_strings(field), self.gap_policy)
                        if value is None or (isinstance(value, float) and math.isnan(value)):
                            skip = True
                            break
                    keys.append(_Ordered(value, asc))
                if not skip:
                    rows.append((keys, idx, bucket))
            rows.sort(key=lambda r: (r[0], r[1]))
            buckets = [r[2] for r in rows]
        end = len(buckets) if self.size is None else self.from_ + self.size
        agg.buckets = buckets[self.from_:end]


class _Ordered:
    __slots__ = ("value", "asc")

    def __init__(self, value: Any, asc: bool) -> None:
        self.value, self.asc = value, asc

    def __lt__(self, other: _Ordered) -> bool:
        a, b = self.value, other.value
        try:
            return a < b if self.asc else a > b
        except TypeError:
            return (str(a) < str(b)) if self.asc else (str(a) > str(b))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ordered) and self.value == other.value


@register("normalize")
class Normalize(ParentPipeline):
    type_name = "normalize"
    allowed = {"buckets_path", "format", "method"}

    def more(self, p: Params) -> None:
        self.gap_policy = "skip"
        method = p.str("method")
        if method not in ("rescale_0_1", "rescale_0_100", "percent_of_sum", "mean", "z-score", "zscore", "softmax"):
            raise illegal_argument(f"Unknown method [{method}]" if method else "Required [method]")
        self.method = method

    def apply(self, agg: MultiBucketNode, run: Run) -> None:
        path = path_strings(self.buckets_path)
        values = [resolve_bucket_value(agg, b, path, "skip") for b in agg.buckets]
        good = [v for v in values if v is not None and not math.isnan(v)]
        if not good:
            return
        mn, mx, total = min(good), max(good), math.fsum(good)
        mean = total / len(good)
        std = math.sqrt(sum((v - mean) ** 2 for v in good) / len(good))
        exps = math.fsum(math.exp(v) for v in good) if self.method == "softmax" else 0.0
        for bucket, v in zip(agg.buckets, values, strict=True):
            if v is None or math.isnan(v):
                out = math.nan
            elif self.method == "rescale_0_1":
                out = (v - mn) / (mx - mn) if mx != mn else math.nan
            elif self.method == "rescale_0_100":
                out = 100 * (v - mn) / (mx - mn) if mx != mn else math.nan
            elif self.method == "percent_of_sum":
                out = v / total if total else math.nan
            elif self.method == "mean":
                out = (v - mean) / (mx - mn) if mx != mn else math.nan
            elif self.method in ("z-score", "zscore"):
                out = (v - mean) / std if std else math.nan
            else:
                out = math.exp(v) / exps
            self.add(bucket, _simple(out, self.format))


# ---- applying pipelines to a result tree -------------------------------------------------------------------
def apply_pipelines(aggs: dict[str, Node], specs: list[AggSpec], run: Run) -> None:
    for spec in specs:
        if spec.is_pipeline:
            continue
        node = aggs.get(spec.name)
        if isinstance(node, MultiBucketNode):
            for bucket in node.buckets:
                apply_pipelines(bucket.aggs, spec.children, run)
            for pipe in spec.pipes:
                if pipe.pipeline_kind == "parent":
                    pipe.apply(node, run)  # type: ignore[attr-defined]
        elif isinstance(node, SingleBucketNode):
            apply_pipelines(node.aggs, spec.children, run)
    for spec in specs:
        if spec.pipeline_kind == "sibling":
            node = spec.reduce(aggs, run)  # type: ignore[attr-defined]
            node.meta = spec.meta
            aggs[spec.name] = node
