"""Columnar evaluation of a transform pivot: one composite over the whole query, every bucket's output
values read straight from the collected arrays.

A pivot page rendered as search JSON builds a node and a dict per bucket and aggregation, formats dates
one at a time and re-runs each `filter` sub-aggregation's query for every page; for 100k entities that
dominates a checkpoint. Here single-value metrics (sum, min, max, avg, value_count) and `filter` are
read as whole columns, dates are formatted in one numpy call when the format allows it, and any other
aggregation falls back to rendering its node per bucket, so the values are those the JSON path gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dates import get_formatter
from .base import Node
from .composite import CompositePage
from .core import I64, Part, Scope, Source
from .formats import DateFormat, DocValueFormat
from .spec import AggSpec, Collected, Run

VALUE_METRICS = {"sum", "min", "max", "avg", "value_count"}
_ISO_PATTERNS = {"strict_date_optional_time", "date_optional_time", "strict_date_optional_time_nanos"}
_UTC = {None, "UTC", "Z", "+00:00", "Etc/UTC", "GMT"}
_MAX_ISO_MILLIS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: 4-digit years only

# the transform's rule for one aggregation's rendered JSON: (aggregation JSON, result JSON, dates as millis)
AggValue = Callable[[dict[str, Any], dict[str, Any], bool], Any]


@dataclass
class PivotColumns:
    """Every bucket of a pivot: rendered composite keys, doc counts and per-aggregation output values."""

    keys: list[dict[str, Any]]
    doc_counts: list[int]
    values: dict[str, list[Any]]


def has_pipelines(specs: list[AggSpec]) -> bool:
    """Whether a pipeline aggregation sits anywhere in the tree (those need the node tree)."""
    return any(s.is_pipeline or has_pipelines(s.children) for s in specs)


def evaluate(composite: AggSpec, parts: list[tuple[Any, Any]], searcher: Any, aggs_json: dict[str, Any],
             as_millis: bool, agg_value: AggValue) -> PivotColumns:
    """Collect `composite` (parsed with its sub-aggregations, size already set) over the query's matches
    `parts` and return its buckets as columns."""
    targets = getattr(searcher, "targets", None) or []
    sources = [Source(ctx, docset, targets[i] if i < len(targets) else _target(ctx), i)
               for i, (ctx, docset) in enumerate(parts)]
    run = Run(searcher, sources)
    scope = Scope([Part(src, np.asarray(ds.docs, dtype=np.int32), np.zeros(len(ds.docs), dtype=I64), None)
                   for src, (_, ds) in zip(sources, parts, strict=True)], 1)
    page: CompositePage = composite.collect(run, scope).page
    n = len(page.keys)
    values = {spec.name: _column(spec, page.subs.collected[spec.name], aggs_json[spec.name], run, n, as_millis,
                                 agg_value)
              for spec in composite.subs}
    return PivotColumns(page.keys, page.doc_counts.astype(np.int64).tolist(), values)


def _target(ctx: Any) -> Any:
    from ..engine import Target

    return Target(ctx.index)


def _column(spec: AggSpec, collected: Collected, agg_json: dict[str, Any], run: Run, n: int, as_millis: bool,
            agg_value: AggValue) -> list[Any]:
    """One aggregation's output value for buckets 0..n-1 (what agg_value gives for its rendered JSON)."""
    arrays = getattr(collected, "arrays", None) or {}
    kind = spec.type_name
    if kind in VALUE_METRICS and "value" in arrays and getattr(collected, "fmt", None) is not None \
            and spec.meta is None:
        return _metric_column(kind, np.asarray(arrays["value"][:n], dtype=np.float64), collected.fmt, as_millis)
    subs = getattr(collected, "subs", None)
    if kind == "filter" and "doc_count" in arrays and subs is not None and spec.meta is None:
        counts = np.asarray(arrays["doc_count"][:n]).astype(np.int64).tolist()
        sub_json = agg_json.get("aggs", agg_json.get("aggregations"))
        if not sub_json:
            return counts
        columns = [(s.name, _column(s, subs.collected[s.name], sub_json[s.name], run, n, as_millis, agg_value))
                   for s in spec.subs]
        return [{name: column[b] for name, column in columns} for b in range(n)]
    return [agg_value(agg_json, _rendered(collected, spec, b, run), as_millis) for b in range(n)]


def _rendered(collected: Collected, spec: AggSpec, bucket: int, run: Run) -> dict[str, Any]:
    node: Node = collected.node(bucket)
    node.meta = spec.meta
    return node.to_json(run)


def _metric_column(kind: str, values: np.ndarray, fmt: DocValueFormat, as_millis: bool) -> list[Any]:
    """sum/min/max/avg/value_count values as the transform writes them: None without a value, an int
    count, and min/max of a formatted field (dates) as their `value_as_string`."""
    if kind == "value_count":
        return values.astype(np.int64).tolist()
    finite = np.isfinite(values)
    out: list[Any] = values.tolist()
    if not finite.all():
        for i in np.flatnonzero(~finite).tolist():
            out[i] = None
    if kind in ("min", "max") and not as_millis and not fmt.raw:
        idx = np.flatnonzero(finite)
        for i, text in zip(idx.tolist(), format_values(fmt, values[idx]), strict=True):
            out[i] = text
    return out


def format_values(fmt: DocValueFormat, values: np.ndarray) -> list[str]:
    """fmt.format of every value; ISO-8601 UTC dates in one numpy call."""
    if isinstance(fmt, DateFormat):
        fast = iso_dates(fmt.pattern, fmt.tz, values)
        if fast is not None:
            return fast
    return [fmt.format(v) for v in values.tolist()]


def iso_dates(pattern: str, tz: str | None, millis: np.ndarray) -> list[str] | None:
    """`2024-05-01T10:00:00.000Z` strings for epoch millis when `pattern` prints that way (ISO, UTC,
    years 1970-9999); None when the per-value formatter must be used."""
    if pattern.split("||")[0].strip() not in _ISO_PATTERNS or tz not in _UTC:
        return None
    whole = np.floor(millis).astype(np.int64)
    if len(whole) and (whole.min() < 0 or whole.max() > _MAX_ISO_MILLIS):
        return None
    text = np.datetime_as_string(whole.astype("datetime64[ms]"), unit="ms")
    return [t + "Z" for t in text.tolist()]


def format_date_keys(pattern: str | None, values: list[Any]) -> list[Any]:
    """date_histogram group keys (epoch millis) formatted with `pattern`; None (a missing bucket) and keys
    the composite already formatted (a source `format`) stay as they are."""
    pattern = pattern or "strict_date_optional_time"
    present = [i for i, v in enumerate(values) if v is not None and not isinstance(v, str)]
    millis = np.asarray([int(values[i]) for i in present], dtype=np.float64)
    texts = iso_dates(pattern, None, millis)
    if texts is None:
        formatter = get_formatter(pattern)
        texts = [formatter.format(int(values[i])) for i in present]
    out = list(values)
    for i, text in zip(present, texts, strict=True):
        out[i] = text
    return out
