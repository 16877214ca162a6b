"""Aggregation request parsing, result nodes and buckets_path resolution.

Requests are parsed into `AggSpec` trees up front (all validation errors surface before any work). Each
spec `collect`s a scope into a `Collected`, which materializes one result `Node` per parent bucket.
Nodes render to ES's JSON and answer `prop(path)` like ES's `InternalAggregation.getProperty`.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from ..errors import EsError, illegal_argument, parsing_exception, x_content_parse
from .formats import RAW, DocValueFormat

NAME_RE = re.compile(r"^[^\[\]>]+$")


# ---- errors -------------------------------------------------------------------------------------------
def unknown_field(agg_type: str, key: str, allowed: set[str] | list[str]) -> EsError:
    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.7)
    hint = f" did you mean [{close[0]}]?" if close else ""
    return x_content_parse(f"[{agg_type}] unknown field [{key}]{hint}")


def failed_field(agg_type: str, key: str, cause: EsError | None = None) -> EsError:
    err = x_content_parse(f"[{agg_type}] failed to parse field [{key}]")
    err.caused_by = cause
    return err


def setter_error(agg_type: str, key: str, reason: str) -> EsError:
    """A value ES's builder rejects while parsing: x_content_parse_exception caused by illegal_argument."""
    return failed_field(agg_type, key, illegal_argument(reason))


def agg_exec_error(reason: str) -> EsError:
    return EsError(400, "aggregation_execution_exception", reason)


def _token_name(value: Any) -> str:
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER"
    if value is None:
        return "VALUE_NULL"
    return "VALUE_STRING"


class Params:
    """Typed access to an aggregation body, rejecting unknown keys as ES's ObjectParser does."""

    def __init__(self, agg_type: str, body: Any, allowed: set[str]) -> None:
        if not isinstance(body, dict):
            raise parsing_exception(f"[{agg_type}] expected an object but found [{_token_name(body)}]")
        self.agg_type = agg_type
        self.body = body
        for key in body:
            if key not in allowed:
                raise unknown_field(agg_type, key, allowed)

    def __contains__(self, key: str) -> bool:
        return key in self.body

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)

    def int(self, key: str, default: int | None = None) -> int | None:
        value = self.body.get(key)
        if value is None:
            return default
        if isinstance(value, (bool, dict, list)):
            raise failed_field(self.agg_type, key)
        try:
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError
                return int(value)
            return int(str(value).strip())
        except ValueError:
            raise failed_field(self.agg_type, key, EsError(400, "number_format_exception",
                                                           f'For input string: "{value}"')) from None

    def float(self, key: str, default: float | None = None) -> float | None:
        value = self.body.get(key)
        if value is None:
            return default
        if isinstance(value, (bool, dict, list)):
            raise failed_field(self.agg_type, key)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise failed_field(self.agg_type, key, EsError(400, "number_format_exception",
                                                           f'For input string: "{value}"')) from None

    def bool(self, key: str, default: bool = False) -> bool:
        value = self.body.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise failed_field(self.agg_type, key, illegal_argument(
            f"Failed to parse value [{value}] as only [true] or [false] are allowed."))

    def str(self, key: str, default: str | None = None) -> str | None:
        value = self.body.get(key)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            raise failed_field(self.agg_type, key)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def obj(self, key: str) -> dict[str, Any] | None:
        value = self.body.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise failed_field(self.agg_type, key)
        return value


# ---- buckets_path / order paths ---------------------------------------------------------------------
class PathElement:
    __slots__ = ("full", "name", "key")

    def __init__(self, full: str, name: str, key: str | None) -> None:
        self.full, self.name, self.key = full, name, key

    def __repr__(self) -> str:
        return self.full


def invalid_path(path: str) -> EsError:
    return illegal_argument(f"Invalid path [{path}]")


def parse_path(path: str) -> list[PathElement]:
    """ES's AggregationPath.parse: `a>b>c.metric` or `a>b[key]`."""
    if not isinstance(path, str) or not path:
        raise invalid_path(str(path))
    elements = [e for e in path.split(">") if e != ""]
    out: list[PathElement] = []
    for i, element in enumerate(elements):
        idx = element.rfind("[")
        if idx >= 0:
            if idx == 0 or idx > len(element) - 3 or not element.endswith("]"):
                raise invalid_path(path)
            out.append(PathElement(element, element[:idx], element[idx + 1:-1]))
            continue
        if i == len(elements) - 1:
            idx = element.rfind(".")
            if idx >= 0:
                if idx == 0 or idx > len(element) - 2:
                    raise invalid_path(path)
                out.append(PathElement(element, element[:idx], element[idx + 1:]))
                continue
        out.append(PathElement(element, element, None))
    return out


def path_strings(path: str) -> list[str]:
    out: list[str] = []
    for e in parse_path(path):
        out.append(e.name)
        if e.key is not None:
            out.append(e.key)
    return out


class InvalidPath(Exception):
    pass


# ---- result nodes ----------------------------------------------------------------------------------
class Node:
    """One aggregation's result in one bucket."""

    typed = "agg"
    java_name = "InternalAggregation"
    meta: dict[str, Any] | None = None
    multi_value = False

    def body(self, run: Any) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self, run: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.meta is not None:
            out["meta"] = self.meta
        out.update(self.body(run))
        return out

    def prop(self, path: list[str]) -> Any:
        if not path:
            return self
        raise InvalidPath(f"path not supported for [{self.java_name}]: {path}")


def render_aggs(aggs: dict[str, Node], run: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, node in aggs.items():
        key = f"{node.typed}#{name}" if run.typed_keys else name
        out[key] = node.to_json(run)
    return out


def fnum(value: float | None) -> float | None:
    """A float for JSON (None for NaN/inf)."""
    if value is None:
        return None
    v = float(value)
    if math.isnan(v) or math.isinf(v):
        return None
    return v


class ValueNode(Node):
    """A single-value numeric metric (avg, sum, min, max, value_count, cardinality, simple_value...)."""

    java_name = "InternalNumericMetricsAggregation.SingleValue"

    def __init__(self, typed: str, value: float, fmt: DocValueFormat = RAW, *, show: Any = "auto",
                 integral: bool = False, extra: dict[str, Any] | None = None) -> None:
        self.typed = typed
        self.value = value  # NaN / inf when there is no value
        self.fmt = fmt
        self.show = show
        self.integral = integral
        self.extra = extra

    def body(self, run: Any) -> dict[str, Any]:
        v = self.value
        if self.integral:
            out: dict[str, Any] = {"value": int(v)}
            if not self.fmt.raw:
                out["value_as_string"] = self.fmt.format(v)
        else:
            has = v is not None and not (math.isnan(v) or math.isinf(v))
            if self.show is not True and not has:
                out = {"value": None}
            else:
                out = {"value": float(v) if has else None}
            if has and not self.fmt.raw:
                out["value_as_string"] = self.fmt.format(v)
        if self.extra:
            out.update(self.extra)
        return out

    def number(self) -> float:
        return float(self.value) if self.value is not None else math.nan

    def prop(self, path: list[str]) -> Any:
        if not path:
            return self
        if len(path) == 1 and path[0] == "value":
            return self.number()
        raise InvalidPath(f"path not supported for [{self.typed}]: {path}")


class MultiValueNode(Node):
    """A multi-value metric: stats, extended_stats, percentiles... `values` answers `prop([name])`."""

    java_name = "InternalNumericMetricsAggregation.MultiValue"
    multi_value = True

    def __init__(self, typed: str, rendered: dict[str, Any], values: dict[str, float]) -> None:
        self.typed = typed
        self.rendered = rendered
        self.values = values

    def body(self, run: Any) -> dict[str, Any]:
        return self.rendered

    def prop(self, path: list[str]) -> Any:
        if not path:
            return self
        if len(path) == 1:
            name = path[0]
            if name in self.values:
                v = self.values[name]
                return math.nan if v is None else float(v)
            try:
                alt = _percent_key(float(name))
            except ValueError:
                alt = None
            if alt is not None and alt in self.values:
                v = self.values[alt]
                return math.nan if v is None else float(v)
            raise InvalidPath(f"unknown property [{name}] for [{self.typed}]")
        raise InvalidPath(f"path not supported for [{self.typed}]: {path}")


def _percent_key(value: float) -> str:
    from .formats import java_double

    return java_double(value)


class OpaqueNode(Node):
    """A metric whose result is not numeric (top_hits, top_metrics, ...)."""

    def __init__(self, typed: str, java_name: str, rendered: dict[str, Any],
                 values: dict[str, float] | None = None) -> None:
        self.typed = typed
        self.java_name = java_name
        self.rendered = rendered
        self.values = values or {}

    def body(self, run: Any) -> dict[str, Any]:
        return self.rendered

    def prop(self, path: list[str]) -> Any:
        if not path:
            return self
        if len(path) == 1 and path[0] in self.values:
            return self.values[path[0]]
        raise InvalidPath(f"path not supported for [{self.typed}]: {path}")


class Bucket:
    """One bucket: its key, doc count, sub-aggregation results and extra rendered fields."""

    __slots__ = ("key", "doc_count", "aggs", "head", "tail", "keyed_key", "key_string")

    def __init__(self, key: Any, doc_count: int, aggs: dict[str, Node], head: dict[str, Any],
                 tail: dict[str, Any] | None = None, keyed_key: str | None = None,
                 key_string: str | None = None) -> None:
        self.key = key
        self.doc_count = int(doc_count)
        self.aggs = aggs
        self.head = head  # rendered before doc_count (key, key_as_string, from, to ...)
        self.tail = tail  # rendered after doc_count, before sub-aggregations
        self.keyed_key = keyed_key
        self.key_string = key_string

    def to_json(self, run: Any) -> dict[str, Any]:
        out = dict(self.head)
        out["doc_count"] = self.doc_count
        if self.tail:
            out.update(self.tail)
        out.update(render_aggs(self.aggs, run))
        return out

    def prop(self, container: str, path: list[str]) -> Any:
        if not path:
            return self
        name = path[0]
        if name == "_count":
            if len(path) > 1:
                raise InvalidPath("_count must be the last element in the path")
            return self.doc_count
        if name == "_key":
            if len(path) > 1:
                raise InvalidPath("_key must be the last element in the path")
            return self.key
        node = self.aggs.get(name)
        if node is None:
            raise InvalidPath(f"Cannot find an aggregation named [{name}] in [{container}]")
        return node.prop(path[1:])

    def key_as_string(self) -> str:
        if self.key_string is not None:
            return self.key_string
        from .formats import java_double

        if isinstance(self.key, float):
            return java_double(self.key)
        return str(self.key)


class MultiBucketNode(Node):
    """terms, histograms, ranges, filters, composite...: an ordered list of buckets."""

    def __init__(self, typed: str, java_name: str, name: str, buckets: list[Bucket], *, keyed: bool = False,
                 head: dict[str, Any] | None = None, tail: dict[str, Any] | None = None,
                 histogram: bool = False) -> None:
        self.typed = typed
        self.java_name = java_name
        self.name = name
        self.buckets = buckets
        self.keyed = keyed
        self.head = head or {}
        self.tail = tail or {}
        self.histogram = histogram

    def body(self, run: Any) -> dict[str, Any]:
        out = dict(self.head)
        if self.keyed:
            out["buckets"] = {b.keyed_key if b.keyed_key is not None else b.key_as_string(): _keyed_body(b, run)
                              for b in self.buckets}
        else:
            out["buckets"] = [b.to_json(run) for b in self.buckets]
        out.update(self.tail)
        return out

    def prop(self, path: list[str]) -> Any:
        if not path:
            return self
        if path[0] == "_bucket_count":
            return len(self.buckets)
        return [b.prop(self.name, path) for b in self.buckets]


def _keyed_body(bucket: Bucket, run: Any) -> dict[str, Any]:
    out = bucket.to_json(run)
    return out


class SingleBucketNode(Node):
    """filter, global, missing, nested, reverse_nested, sampler."""

    def __init__(self, typed: str, java_name: str, name: str, doc_count: int, aggs: dict[str, Node],
                 extra: dict[str, Any] | None = None) -> None:
        self.typed = typed
        self.java_name = java_name
        self.name = name
        self.doc_count = int(doc_count)
        self.aggs = aggs
        self.extra = extra

    def body(self, run: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"doc_count": self.doc_count}
        if self.extra:
            out.update(self.extra)
        out.update(render_aggs(self.aggs, run))
        return out

    def prop(self, path: list[str]) -> Any:
        if not path:
            return self
        name = path[0]
        if name == "_count":
            return self.doc_count
        node = self.aggs.get(name)
        if node is None:
            raise InvalidPath(f"Cannot find an aggregation named [{name}] in [{self.name}]")
        return node.prop(path[1:])


# ---- collected results -------------------------------------------------------------------------------
class Collected:
    """What an aggregation computed for every parent bucket; `node(bid)` materializes one result."""

    def node(self, bid: int) -> Node:
        raise NotImplementedError


class SubResults:
    """The sub-aggregations of a bucket aggregation, collected on the child scope."""

    def __init__(self, specs: list[Any], collected: dict[str, Collected]) -> None:
        self.specs = specs
        self.collected = collected

    def aggs(self, child: int | None) -> dict[str, Node]:
        out: dict[str, Node] = {}
        for spec in self.specs:
            c = self.collected.get(spec.name)
            if c is not None:
                node = c.node(child) if child is not None else c.node(-1)
                node.meta = spec.meta
                out[spec.name] = node
        return out
