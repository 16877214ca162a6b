"""One Lens layer → one Elasticsearch search, and its response → a table (like Lens's datatable).

The aggregation tree mirrors what Kibana's esaggs sends for a form-based Lens layer: bucket
columns (date_histogram, terms, filters, range) nest in column order, metric columns (count, sum,
average, min, max, median, unique_count, last_value, percentile) sit under the innermost bucket; a
column with its own filter is wrapped in a `filter` aggregation; a terms column ordered by a
metric orders by that metric (copied next to it when deeper buckets hide it). The query is the
time range on the data view's time field, the dashboard and panel queries and the layer filters.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from es360.dashboard.kql import query_to_dsl
from es360.dashboard.timerange import TimeRange, auto_interval, es_interval, interval_ms, parse_interval
from es360.errors import Es360Error

BUCKET_OPS = ("date_histogram", "terms", "filters", "range")
METRIC_OPS = ("count", "sum", "average", "min", "max", "median", "unique_count", "last_value", "percentile")
RECORDS = "___records___"
OTHER = "Other"
MISSING = "(missing value)"
MAX_HISTOGRAM_BARS = 100


class LensError(Es360Error):
    """A Lens panel this renderer cannot translate (an operation or parameter outside the subset)."""


@dataclass
class DataView:
    """What a panel needs from its `index-pattern` saved object."""

    id: str
    title: str
    time_field: str | None = None
    field_formats: dict[str, Any] = field(default_factory=dict)
    runtime_fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Column:
    """A Lens column: a bucket (an axis, a split) or a metric (a value)."""

    id: str
    label: str
    operation: str
    data_type: str
    field: str | None
    params: dict[str, Any]
    filter: dict[str, Any] | None = None
    format: dict[str, Any] | None = None

    @property
    def is_bucket(self) -> bool:
        return self.operation in BUCKET_OPS


@dataclass
class Table:
    """A tabular result: rows map column ids to values (dates as epoch milliseconds)."""

    columns: list[Column]
    rows: list[dict[str, Any]]
    interval_ms: int | None = None
    date_keys: list[int] = field(default_factory=list)  # every date bucket, empty ones included

    def column(self, column_id: str | None) -> Column | None:
        return next((c for c in self.columns if c.id == column_id), None)


def _label(col_id: str, raw: dict[str, Any]) -> str:
    label = raw.get("label")
    if isinstance(label, str) and label:
        return label
    return str(raw.get("sourceField") or col_id)


def layer_columns(layer: dict[str, Any]) -> list[Column]:
    """The layer's columns, buckets first then metrics, each in `columnOrder`."""
    raw_columns = layer.get("columns") or {}
    order = [c for c in layer.get("columnOrder") or raw_columns.keys() if c in raw_columns]
    columns: list[Column] = []
    for col_id in order:
        raw = raw_columns[col_id]
        op = raw.get("operationType")
        if op not in BUCKET_OPS + METRIC_OPS:
            raise LensError(f"Lens operation {op!r} (column {_label(col_id, raw)!r}) is not supported; "
                            f"use one of {', '.join(BUCKET_OPS + METRIC_OPS)}.")
        for unsupported in ("timeShift", "reducedTimeRange", "window"):
            if raw.get(unsupported):
                raise LensError(f"Column {_label(col_id, raw)!r} uses {unsupported}, which is not supported.")
        params = dict(raw.get("params") or {})
        columns.append(Column(col_id, _label(col_id, raw), op, raw.get("dataType", "number"),
                              raw.get("sourceField"), params, raw.get("filter") or None, params.get("format")))
    return [c for c in columns if c.is_bucket] + [c for c in columns if not c.is_bucket]


# --- the request -------------------------------------------------------------------------------

def _name(columns: list[Column], col: Column) -> str:
    return f"c{columns.index(col)}"


def _metric_agg(col: Column, time_field: str | None) -> dict[str, Any] | None:
    """The aggregation computing a metric column (None: the bucket's doc_count serves)."""
    op, fld = col.operation, col.field
    if op == "count":
        return None if fld in (None, RECORDS) else {"value_count": {"field": fld}}
    if not fld:
        raise LensError(f"Metric {col.label!r} has no source field.")
    if op in ("sum", "min", "max"):
        return {op: {"field": fld}}
    if op == "average":
        return {"avg": {"field": fld}}
    if op == "unique_count":
        return {"cardinality": {"field": fld}}
    if op == "median":
        return {"percentiles": {"field": fld, "percents": [50]}}
    if op == "percentile":
        return {"percentiles": {"field": fld, "percents": [float(col.params.get("percentile", 95))]}}
    sort_field = col.params.get("sortField") or time_field
    if not sort_field:
        raise LensError(f"Last value {col.label!r} needs a sort field or a data view with a time field.")
    return {"top_hits": {"size": 1, "sort": [{sort_field: {"order": "desc"}}], "_source": {"includes": [fld]}}}


def _wrapped(col: Column) -> bool:
    """Whether the metric sits under a `filter` aggregation (its own filter, or last value's `exists`)."""
    return col.filter is not None or (col.operation == "last_value" and not col.params.get("showArrayValues"))


def _metric_entry(col: Column, time_field: str | None) -> dict[str, Any] | None:
    """The named entry for a metric: wrapped in a `filter` aggregation when the column has a filter."""
    agg = _metric_agg(col, time_field)
    wrap_filter = col.filter is not None
    if col.operation == "last_value" and not col.params.get("showArrayValues"):
        exists = {"exists": {"field": col.field}}
        col_filter = query_to_dsl(col.filter) if col.filter else None
        return {"filter": {"bool": {"filter": [exists] + ([col_filter] if col_filter else [])}}, "aggs": {"v": agg}}
    if wrap_filter:
        entry: dict[str, Any] = {"filter": query_to_dsl(col.filter)}
        if agg is not None:
            entry["aggs"] = {"v": agg}
        return entry
    return agg


def _order_path(name: str, col: Column) -> str:
    """The bucket path ordering a terms aggregation by a metric column named `name`."""
    wrapped = col.filter is not None
    if col.operation == "count" and col.field in (None, RECORDS):
        return name if wrapped else "_count"
    inner = f"{name}>v" if wrapped else name
    if col.operation in ("median", "percentile"):
        percent = 50.0 if col.operation == "median" else float(col.params.get("percentile", 95))
        return f"{inner}[{percent}]"
    if col.operation == "last_value":
        raise LensError(f"Terms cannot be ordered by the last value {col.label!r}.")
    return inner


def _bucket_agg(col: Column, time_range: TimeRange | None, histogram_intervals: dict[str, float]) -> dict[str, Any]:
    op, params = col.operation, col.params
    if op != "filters" and not col.field:
        raise LensError(f"Bucket column {col.label!r} has no source field.")
    if op == "date_histogram":
        if time_range is None:
            raise LensError(f"The date histogram {col.label!r} needs a time range.")
        interval = _date_interval(col, time_range)
        agg: dict[str, Any] = {"field": col.field, **es_interval(interval), "time_zone": "UTC"}
        if params.get("includeEmptyRows", True):
            agg["min_doc_count"] = 0
            agg["extended_bounds"] = {"min": _epoch(time_range.start), "max": _epoch(time_range.end)}
        else:
            agg["min_doc_count"] = 1
        return {"date_histogram": agg}
    if op == "terms":
        order_by = params.get("orderBy") or {"type": "alphabetical"}
        if order_by.get("type") == "rare":
            return {"rare_terms": {"field": col.field, "max_doc_count": int(order_by.get("maxDocCount", 1))}}
        if order_by.get("type") not in ("column", "alphabetical"):
            raise LensError(f"Terms column {col.label!r} orders by {order_by.get('type')!r}, which is not supported.")
        if params.get("secondaryFields"):
            raise LensError(f"Terms column {col.label!r} uses several fields (multi_terms), which is not supported.")
        terms: dict[str, Any] = {"field": col.field, "size": int(params.get("size", 5))}
        if params.get("missingBucket"):
            terms["missing"] = MISSING
        for key in ("include", "exclude"):  # exact values, or one regular expression with includeIsRegex
            values = [v for v in params.get(key) or [] if v not in (None, "")]
            if values:
                terms[key] = values[0] if params.get(f"{key}IsRegex") else values
        return {"terms": terms}
    if op == "filters":
        entries = params.get("filters") or []
        if not entries:
            raise LensError(f"Filters column {col.label!r} defines no filters.")
        return {"filters": {"filters": {f"f{i}": query_to_dsl(e.get("input")) for i, e in enumerate(entries)}}}
    if params.get("type", "histogram") == "range":
        ranges = []
        for i, r in enumerate(params.get("ranges") or []):
            entry: dict[str, Any] = {"key": f"r{i}"}
            for end in ("from", "to"):
                if isinstance(r.get(end), int | float) and math.isfinite(r[end]):
                    entry[end] = r[end]
            ranges.append(entry)
        if not ranges:
            raise LensError(f"Range column {col.label!r} defines no ranges.")
        return {"range": {"field": col.field, "ranges": ranges, "keyed": True}}
    interval = histogram_intervals.get(col.id)
    if interval is None:
        raise LensError(f"Histogram column {col.label!r} needs its interval from a bounds query first.")
    return {"histogram": {"field": col.field, "interval": interval, "min_doc_count": 0}}


def _date_interval(col: Column, time_range: TimeRange) -> tuple[int, str]:
    text = str(col.params.get("interval") or "auto")
    return auto_interval(time_range) if text == "auto" else parse_interval(text)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def needs_histogram_bounds(columns: list[Column]) -> list[Column]:
    """Range columns in histogram mode: their interval comes from the field's min and max."""
    return [c for c in columns if c.operation == "range" and c.params.get("type", "histogram") != "range"]


def histogram_interval(col: Column, low: float | None, high: float | None) -> float:
    """A "nice" interval (1, 2 or 5 × 10^n) giving at most maxBars buckets, like Kibana's auto histogram."""
    bars = col.params.get("maxBars")
    max_bars = int(bars) if isinstance(bars, int | float) and bars > 0 else MAX_HISTOGRAM_BARS
    if low is None or high is None or high <= low:
        return 1.0
    raw = (high - low) / max_bars
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * magnitude >= raw:
            return float(step * magnitude)
    return float(10 * magnitude)


def base_body(data_view: DataView, time_range: TimeRange | None, queries: list[dict[str, Any]]) -> dict[str, Any]:
    """`size: 0` and a query filtering on the data view's time range and the given queries."""
    filters: list[dict[str, Any]] = []
    if time_range is not None and data_view.time_field:
        start, end = time_range.iso()
        filters.append({"range": {data_view.time_field: {"gte": start, "lte": end,
                                                         "format": "strict_date_optional_time"}}})
    filters.extend(q for q in queries if q != {"match_all": {}})
    return {"size": 0, "query": {"bool": {"filter": filters}} if filters else {"match_all": {}}}


def _with_runtime_fields(body: dict[str, Any], data_view: DataView) -> dict[str, Any]:
    """Add the data view's runtime fields that the search uses (Kibana sends all; the used ones suffice)."""
    text = json.dumps(body)
    used = {name: spec for name, spec in data_view.runtime_fields.items() if json.dumps(name) in text}
    if used:
        body["runtime_mappings"] = used
    return body


def bounds_search(data_view: DataView, time_range: TimeRange | None, queries: list[dict[str, Any]],
                  column: Column) -> dict[str, Any]:
    """The min/max search a histogram-mode range column needs before its interval is known."""
    body = base_body(data_view, time_range, queries)
    body["aggs"] = {"lo": {"min": {"field": column.field}}, "hi": {"max": {"field": column.field}}}
    return _with_runtime_fields(body, data_view)


def build_search(layer: dict[str, Any], data_view: DataView, time_range: TimeRange | None,
                 queries: list[dict[str, Any]], *, histogram_intervals: dict[str, float] | None = None,
                 ) -> dict[str, Any]:
    """The search body for one Lens layer (size 0, time range + queries as filters, nested aggregations)."""
    columns = layer_columns(layer)
    if not columns:
        raise LensError("The layer has no columns.")
    intervals = histogram_intervals or {}
    body = base_body(data_view, time_range, queries)
    buckets = [c for c in columns if c.is_bucket]
    metrics = [c for c in columns if not c.is_bucket]
    metric_aggs = {}
    for col in metrics:
        entry = _metric_entry(col, data_view.time_field)
        if entry is not None:
            metric_aggs[_name(columns, col)] = entry
    if not buckets:
        body["track_total_hits"] = True
        if metric_aggs:
            body["aggs"] = metric_aggs
        return _with_runtime_fields(body, data_view)
    inner: dict[str, Any] = metric_aggs
    for depth in range(len(buckets) - 1, -1, -1):
        col = buckets[depth]
        agg = _bucket_agg(col, time_range, intervals)
        if col.operation == "terms" and "terms" in agg:
            _order_terms(agg["terms"], col, columns, inner, deeper=depth < len(buckets) - 1,
                         time_field=data_view.time_field)
        if inner:
            agg["aggs"] = inner
        inner = {_name(columns, col): agg}
    body["aggs"] = inner
    return _with_runtime_fields(body, data_view)


def _order_terms(terms: dict[str, Any], col: Column, columns: list[Column], inner: dict[str, Any], *,
                 deeper: bool, time_field: str | None) -> None:
    order_by = col.params.get("orderBy") or {"type": "alphabetical"}
    direction = "asc" if col.params.get("orderDirection") == "asc" else "desc"
    if order_by.get("type") == "alphabetical":
        terms["order"] = {"_key": "asc" if col.params.get("orderDirection", "asc") == "asc" else "desc"}
        return
    target = next((c for c in columns if c.id == order_by.get("columnId")), None)
    if target is None or target.is_bucket:
        raise LensError(f"Terms column {col.label!r} orders by a column that is not a metric of its layer.")
    name = _name(columns, target)
    if deeper and not (target.operation == "count" and target.field in (None, RECORDS) and target.filter is None):
        entry = _metric_entry(target, time_field)
        name = "o"
        inner["o"] = entry
    terms["order"] = [{_order_path(name, target): direction}, {"_key": "asc"}]


# --- the response ------------------------------------------------------------------------------

def _metric_value(col: Column, container: dict[str, Any], name: str, doc_count: int) -> Any:
    """A metric's value in an aggregation container (a bucket or the response's aggregations)."""
    entry = container.get(name)
    count_of_records = col.operation == "count" and col.field in (None, RECORDS)
    if _wrapped(col):
        if entry is None:
            return None
        doc_count = int(entry.get("doc_count", 0))
        if count_of_records:
            return _empty_as_null(col, doc_count, doc_count)
        entry = entry.get("v")
    if count_of_records:
        return _empty_as_null(col, doc_count, doc_count)
    if entry is None:
        return None
    if col.operation == "last_value":
        hits = entry.get("hits", {}).get("hits", [])
        return source_value(hits[0].get("_source", {}), col.field or "") if hits else None
    if col.operation in ("median", "percentile"):
        values = entry.get("values") or {}
        value = next(iter(values.values()), None) if values else None
    else:
        value = entry.get("value")
    if col.operation in ("sum", "unique_count") or col.operation == "count":
        return _empty_as_null(col, value, doc_count)
    return value


def _empty_as_null(col: Column, value: Any, doc_count: int) -> Any:
    return None if col.params.get("emptyAsNull") and doc_count == 0 else value


def source_value(source: Any, dotted: str) -> Any:
    """The value at a dotted path of a `_source`, whether stored as nested objects or dotted keys."""
    if isinstance(source, dict) and dotted in source:
        return source[dotted]
    head, _, rest = dotted.partition(".")
    if isinstance(source, dict) and head in source and rest:
        return source_value(source[head], rest)
    return None


def _bucket_list(col: Column, agg: dict[str, Any]) -> list[tuple[Any, dict[str, Any]]]:
    """(value, bucket) pairs of one bucket aggregation, in the order Lens shows them."""
    raw = agg.get("buckets", [])
    if col.operation == "filters":
        labels = [e.get("label") or (e.get("input") or {}).get("query") or "*"
                  for e in col.params.get("filters") or []]
        return [(labels[i], raw[f"f{i}"]) for i in range(len(labels)) if f"f{i}" in raw]
    if col.operation == "range" and isinstance(raw, dict):
        out = []
        for i, r in enumerate(col.params.get("ranges") or []):
            bucket = raw.get(f"r{i}")
            if bucket is not None:
                out.append((r.get("label") or _range_label(r), bucket))
        return out
    return [(b.get("key"), b) for b in raw]


def _range_label(r: dict[str, Any]) -> str:
    low = r.get("from")
    high = r.get("to")
    low_text = "−∞" if not isinstance(low, int | float) or not math.isfinite(low) else f"{low:g}"
    high_text = "+∞" if not isinstance(high, int | float) or not math.isfinite(high) else f"{high:g}"
    return f"{low_text} → {high_text}"


def parse_response(layer: dict[str, Any], response: dict[str, Any], *, time_range: TimeRange | None = None) -> Table:
    """The layer's table from a search response (one row per innermost bucket)."""
    columns = layer_columns(layer)
    date_col = next((c for c in columns if c.operation == "date_histogram"), None)
    step = interval_ms(_date_interval(date_col, time_range)) if date_col and time_range else None
    date_keys: list[int] = []
    rows = _rows(columns, response, 0, {}, time_range, step, date_keys)
    return Table(columns, rows, step, sorted(set(date_keys)))


def _total(response: dict[str, Any]) -> int:
    total = response.get("hits", {}).get("total", 0)
    return int(total.get("value", 0) if isinstance(total, dict) else total or 0)


def _rows(columns: list[Column], response: dict[str, Any], start_depth: int, base: dict[str, Any],
          time_range: TimeRange | None, step: int | None, date_keys: list[int] | None = None) -> list[dict[str, Any]]:
    buckets = [c for c in columns if c.is_bucket]
    metrics = [c for c in columns if not c.is_bucket]
    rows: list[dict[str, Any]] = []

    def walk(container: dict[str, Any], depth: int, row: dict[str, Any], doc_count: int) -> None:
        if depth == len(buckets):
            for col in metrics:
                row[col.id] = _metric_value(col, container, _name(columns, col), doc_count)
            rows.append(row)
            return
        col = buckets[depth]
        agg = container.get(_name(columns, col)) or {}
        for value, bucket in _bucket_list(col, agg):
            if col.operation == "date_histogram" and col.params.get("dropPartials") and time_range and step:
                if value < _epoch(time_range.start) or value + step > _epoch(time_range.end):
                    continue
            if col.operation == "date_histogram" and date_keys is not None and isinstance(value, int | float):
                date_keys.append(int(value))
            walk(bucket, depth + 1, {**row, col.id: value}, int(bucket.get("doc_count", 0)))

    walk(response.get("aggregations") or {}, start_depth, dict(base), _total(response))
    return rows


def other_bucket_search(layer: dict[str, Any], body: dict[str, Any], table: Table) -> dict[str, Any] | None:
    """A second search computing the "Other" bucket of the outermost terms column, as Kibana does.

    Only for a layer whose first bucket is a terms column with `otherBucket` and exactly as many
    values returned as its size (otherwise nothing was left out). Returns None when not needed.
    """
    columns = layer_columns(layer)
    buckets = [c for c in columns if c.is_bucket]
    if not buckets or buckets[0].operation != "terms" or not buckets[0].params.get("otherBucket"):
        return None
    first = buckets[0]
    shown = list(dict.fromkeys(r[first.id] for r in table.rows if first.id in r))
    if len(shown) < int(first.params.get("size", 5)):
        return None
    name = _name(columns, first)
    terms_agg = body["aggs"][name]
    excluded = [k for k in shown if k != MISSING]
    # documents without the field are "Other" only when no "(missing value)" bucket shows them
    counts_missing = first.params.get("missingBucket") and MISSING not in shown
    other_query = {"bool": {"must_not": [{"terms": {first.field: excluded}}],
                            "filter": [body["query"]] + ([] if counts_missing else [{"exists": {"field": first.field}}])}}
    other = {k: v for k, v in body.items() if k not in ("aggs", "query")}
    other["query"] = other_query
    other["track_total_hits"] = True
    sub = {k: v for k, v in terms_agg.get("aggs", {}).items() if k != "o"}
    if sub:
        other["aggs"] = sub
    return other


def merge_other(layer: dict[str, Any], table: Table, response: dict[str, Any],
                time_range: TimeRange | None = None) -> Table:
    """Append the "Other" rows computed by `other_bucket_search`'s response (if it matched anything)."""
    if _total(response) == 0:
        return table
    columns = layer_columns(layer)
    first = next(c for c in columns if c.is_bucket)
    extra = _rows(columns, response, 1, {first.id: OTHER}, time_range, table.interval_ms)
    return Table(table.columns, table.rows + extra, table.interval_ms, table.date_keys)
