"""Fetch-phase field retrieval: the `fields` API, `docvalue_fields`, `stored_fields` and source paths.

The fields API reads values from `_source` and formats them by mapping type (dates with the
field's or the requested format, keywords as strings, numbers coerced); fields inside `nested`
objects come back grouped per nested object, as in Elasticsearch. `docvalue_fields` read the
columnar doc values instead (sorted, de-duplicated per doc).
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass
from typing import Any

from .errors import EsError, illegal_argument, parsing_exception
from .mapping import NUMERIC_TYPES, Field, convert_value

INTEGRAL = {"long", "integer", "short", "byte", "unsigned_long", "token_count"}
METADATA_FIELDS = {"_id", "_index", "_routing", "_ignored", "_version", "_seq_no", "_source", "_tier"}


@dataclass
class FieldRequest:
    pattern: str
    format: str | None = None
    include_unmapped: bool = False


def parse_field_requests(value: Any, what: str = "fields") -> list[FieldRequest]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[FieldRequest] = []
    for item in items:
        if isinstance(item, str):
            names = [p.strip() for p in item.split(",")] if what == "param" else [item]
            out.extend(FieldRequest(n) for n in names if n)
        elif isinstance(item, dict):
            for key in item:
                if key not in ("field", "format", "include_unmapped"):
                    raise parsing_exception(f"[{what}] unknown field [{key}]")
            if "field" not in item:
                raise parsing_exception(f"[{what}] required field [field] is missing")
            fmt = item.get("format")
            if fmt == "use_field_mapping":  # the 6.x default, accepted and ignored by ES 7+
                fmt = None
            out.append(FieldRequest(str(item["field"]), fmt, bool(item.get("include_unmapped"))))
        else:
            raise parsing_exception(f"[{what}] expected a string or an object")
    return out


# ---- reading source paths ------------------------------------------------------------------------
def values_at(node: Any, path: str) -> list[Any]:
    """All leaf values at a dotted path, through objects, arrays and dotted keys."""
    out: list[Any] = []
    _walk_path(node, path, out)
    return out


def _walk_path(node: Any, path: str, out: list[Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk_path(item, path, out)
        return
    if path == "":
        _leaves(node, out)
        return
    if not isinstance(node, dict):
        return
    if path in node:
        _leaves(node[path], out)
    parts = path.split(".")
    for i in range(1, len(parts)):
        head = ".".join(parts[:i])
        if head in node:
            _walk_path(node[head], ".".join(parts[i:]), out)


def _leaves(value: Any, out: list[Any]) -> None:
    if isinstance(value, list):
        for item in value:
            _leaves(item, out)
    else:
        out.append(value)


def objects_at(node: Any, path: str) -> list[Any]:
    """The objects (not flattened) found at a dotted path, in source order."""
    out: list[Any] = []
    _objects(node, path, out)
    return out


def _objects(node: Any, path: str, out: list[Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _objects(item, path, out)
        return
    if not isinstance(node, dict):
        return
    if path in node:
        value = node[path]
        if isinstance(value, list):
            out.extend(v for v in _flatten_lists(value) if v is not None)
        elif value is not None:
            out.append(value)
    parts = path.split(".")
    for i in range(1, len(parts)):
        head = ".".join(parts[:i])
        if head in node:
            _objects(node[head], ".".join(parts[i:]), out)


def _flatten_lists(items: list) -> list:
    out: list = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flatten_lists(item))
        else:
            out.append(item)
    return out


# ---- formatting ----------------------------------------------------------------------------------
def format_number(value: float, pattern: str) -> str:
    """A small DecimalFormat: `#`, `0`, `.` and `,` grouping (e.g. "#.0", "0.00", "#,##0")."""
    if pattern in ("", None):
        return str(value)
    body = pattern.split(";")[0]
    percent = body.endswith("%")
    if percent:
        value = value * 100
        body = body[:-1]
    int_part, _, frac_part = body.partition(".")
    min_frac = frac_part.count("0")
    max_frac = len([c for c in frac_part if c in "0#"])
    grouping = "," in int_part
    min_int = int_part.replace(",", "").count("0")
    text = f"{abs(value):.{max_frac}f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    if len(frac) < min_frac:
        frac = frac + "0" * (min_frac - len(frac))
    if whole == "0" and min_int == 0 and (frac or max_frac):
        whole = ""
    whole = whole.zfill(min_int) if min_int else whole
    if grouping and whole:
        whole = f"{int(whole):,}"
    out = whole + ("." + frac if frac else "")
    if value < 0 and out.strip("0.,"):
        out = "-" + out
    return (out or "0") + ("%" if percent else "")


def format_date(f: Field | None, millis: int, fmt: str | None) -> str:
    from .dates import get_formatter

    pattern = fmt or (f.date_format if f is not None else "strict_date_optional_time")
    return get_formatter(pattern).format(int(millis))


def field_value(f: Field, raw: Any, fmt: str | None = None) -> Any:
    """One source value as the fields API returns it (None = skipped)."""
    t = f.type
    if raw is None:
        if "null_value" in f.params:
            raw = f.params["null_value"]
        else:
            return None
    if t == "dense_vector":
        return raw
    if t == "geo_point":
        return _geo_point(raw)
    if isinstance(raw, dict) and t not in ("flattened",) and not t.endswith("_range"):
        return None
    try:
        value = convert_value(f, raw)
    except EsError:
        return None
    if value is None:
        return None
    if t in ("date", "date_nanos"):
        return format_date(f, value, fmt)
    if t in NUMERIC_TYPES or t == "token_count":
        if fmt:
            return format_number(float(value), fmt)
        if t in INTEGRAL:
            return int(value)
        if t == "scaled_float":
            return float(value)
        return value if isinstance(value, float) else float(value)
    if t == "boolean":
        return bool(value)
    if t == "constant_keyword":
        return f.params.get("value", value)
    if t == "flattened":
        return value
    return value


def _geo_point(raw: Any) -> Any:
    lat = lon = None
    if isinstance(raw, dict) and "lat" in raw and "lon" in raw:
        lat, lon = raw["lat"], raw["lon"]
    elif isinstance(raw, list) and len(raw) >= 2 and all(isinstance(v, (int, float)) for v in raw[:2]):
        lon, lat = raw[0], raw[1]
    elif isinstance(raw, str) and "," in raw:
        a, _, b = raw.partition(",")
        try:
            lat, lon = float(a), float(b)
        except ValueError:
            return None
    if lat is None:
        return None
    return {"type": "Point", "coordinates": [float(lon), float(lat)]}


# ---- the fields API ------------------------------------------------------------------------------
def resolve_requested(mapping: Any, requests: list[FieldRequest]) -> list[tuple[str, Field, str | None]]:
    """(output name, field, format) for each mapped leaf matching a request, in request order."""
    out: list[tuple[str, Field, str | None]] = []
    seen: set[str] = set()
    for req in requests:
        if "*" in req.pattern:
            regex = re.compile("^" + re.escape(req.pattern).replace(r"\*", ".*") + "$")
            names = sorted(p for p in mapping.fields if regex.match(p))
        else:
            names = [req.pattern] if req.pattern in mapping.fields else []
        for name in names:
            f = mapping.fields[name]
            if f.params.get("_shingle") or f.params.get("_prefix"):
                continue
            if f.type == "alias":
                target = mapping.fields.get(f.params.get("path", ""))
                if target is None:
                    continue
                f = target
            if f.type in ("object", "nested"):
                continue
            if name not in seen:
                seen.add(name)
                out.append((name, f, req.format))
    return out


def source_path(f: Field) -> str:
    """Where a field's values come from in `_source` (multi-fields read their parent)."""
    return f.parent_text or f.path


def fields_api(index: Any, source: dict[str, Any] | None, requests: list[FieldRequest],
               nested_prefix: str | None = None) -> dict[str, Any]:
    """The `fields` section of a hit from its source.

    `nested_prefix` is set when `source` is one nested object (inner hits): fields are then read
    relative to that object and grouped under the nested path.
    """
    if source is None or not requests:
        return {}
    mapping = index.mapping
    resolved = resolve_requested(mapping, requests)
    out: dict[str, Any] = {}
    nested_paths = sorted((p for p, kind in mapping.objects.items() if kind == "nested"), key=len)
    grouped: dict[str, list[tuple[str, Field, str | None]]] = {}
    for name, f, fmt in resolved:
        top = _top_nested(f.nested_path, nested_paths, nested_prefix)
        if top is not None:
            grouped.setdefault(top, []).append((name, f, fmt))
            continue
        if nested_prefix is not None and f.nested_path != nested_prefix:
            continue
        rel = _relative(source_path(f), nested_prefix)
        values = []
        for raw in values_at(source, rel):
            v = field_value(f, raw, fmt)
            if v is not None:
                values.append(v)
        if values:
            out[name] = values
    for path, items in grouped.items():
        rel_path = _relative(path, nested_prefix)
        objs = objects_at(source, rel_path)
        groups = []
        for obj in objs:
            if not isinstance(obj, dict):
                continue
            sub = fields_api(index, obj, [FieldRequest(n, fmt) for n, _, fmt in items], nested_prefix=path)
            # strip the nested path prefix inside each group
            cleaned = {k[len(path) + 1:] if k.startswith(path + ".") else k: v for k, v in sub.items()}
            if cleaned:
                groups.append(_regroup(cleaned))
        if groups:
            key = path if nested_prefix is None else path[len(nested_prefix) + 1:]
            out[key] = groups
    for req in requests:
        if req.include_unmapped:
            _unmapped(source, req.pattern, mapping, out)
    return out


def _regroup(values: dict[str, Any]) -> dict[str, Any]:
    """Inner nested groups come back with dotted names relative to the nested object."""
    return values


def _top_nested(nested_path: str | None, nested_paths: list[str], prefix: str | None) -> str | None:
    """The outermost nested path strictly below `prefix` that contains a field's nested path."""
    if nested_path is None:
        return None
    for p in nested_paths:
        if prefix is not None and (p == prefix or not p.startswith(prefix + ".")):
            continue
        if nested_path == p or nested_path.startswith(p + "."):
            return p
    return None


def _relative(path: str, prefix: str | None) -> str:
    if prefix is None:
        return path
    return path[len(prefix) + 1:] if path.startswith(prefix + ".") else path


def _unmapped(source: Any, pattern: str, mapping: Any, out: dict[str, Any]) -> None:
    leaves: list[tuple[str, Any]] = []
    _all_leaves(source, "", leaves)
    for path, value in leaves:
        if path in mapping.fields or path in out:
            continue
        if fnmatch.fnmatchcase(path, pattern):
            out.setdefault(path, []).append(value)


def _all_leaves(node: Any, prefix: str, out: list[tuple[str, Any]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _all_leaves(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}", out)
    elif isinstance(node, list):
        for item in node:
            _all_leaves(item, prefix, out)
    elif node is not None:
        out.append((prefix, node))


def metadata_fields(requests: list[FieldRequest], hit: dict[str, Any], index: Any, state: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for req in requests:
        if req.pattern == "_id" and hit.get("_id") is not None:
            out["_id"] = [hit["_id"]]
        elif req.pattern == "_index":
            out["_index"] = [index.name]
        elif req.pattern == "_routing" and state is not None and state.routing is not None:
            out["_routing"] = [state.routing]
        elif req.pattern == "_version" and state is not None:
            out["_version"] = [state.version]
        elif req.pattern == "_seq_no" and state is not None:
            out["_seq_no"] = [state.seq_no]
    return out


# ---- docvalue_fields -----------------------------------------------------------------------------
def check_docvalue_limit(index: Any, count: int) -> None:
    limit = int(index.setting("max_docvalue_fields_search", 100))
    if count > limit:
        raise illegal_argument(f"Trying to retrieve too many docvalue_fields. Must be less than or equal to: "
                               f"[{limit}] but was [{count}]. This limit can be set by changing the "
                               f"[index.max_docvalue_fields_search] index level setting.")


def docvalue_values(seg: Any, index: Any, docnum: int, name: str, f: Field | None, fmt: str | None) -> list[Any]:
    if f is None:
        return []
    if f.is_text and not f.params.get("fielddata"):
        raise illegal_argument(
            f"Fielddata is disabled on [{name}] in [{index.name}]. Text fields are not optimised for operations "
            f"that require per-document field data like aggregations and sorting, so these operations are "
            f"disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on "
            f"[{name}] in order to load field data by uninverting the inverted index. Note that this can use "
            f"significant memory.")
    if f.params.get("doc_values") is False:
        raise illegal_argument(f"Can't load fielddata on [{name}] because fielddata is unsupported on fields of "
                               f"type [{f.type}]. Use doc values instead.")
    col = seg.columns.get(f.path)
    if col is None:
        if f.type == "dense_vector":
            vecs = seg.vectors.get(f.path)
            vec = vecs.vector_of(docnum) if vecs is not None else None
            return [] if vec is None else [float(x) for x in vec.tolist()]
        return []
    values = col.values_of(docnum)
    t = f.type
    out: list[Any] = []
    if col.kind == "str":
        uniq = sorted(set(values))
        return uniq
    for v in sorted(values):
        if t in ("date", "date_nanos"):
            out.append(format_date(f, int(v), fmt))
        elif t == "boolean":
            out.append(bool(v))
        elif fmt:
            out.append(format_number(float(v), fmt))
        elif t in INTEGRAL:
            out.append(int(v))
        elif t == "float" or t == "half_float":
            out.append(float(v))
        else:
            out.append(float(v) if not (isinstance(v, float) and math.isnan(v)) else v)
    return out


def stored_field_values(index: Any, source: dict[str, Any] | None, names: list[str]) -> dict[str, list[Any]]:
    """The `stored_fields` a search hit or a GET returns under `fields`: mapped fields with
    `store: true` matching the requested names or patterns (metadata names are handled elsewhere)."""
    wanted = []
    for name in names:
        if name in ("_source", "_id", "_routing", "*"):
            continue
        for concrete in index.mapping.resolve_pattern(name):
            f = index.mapping.field(concrete)
            if f is not None and f.params.get("store") is True:
                wanted.append(FieldRequest(concrete))
    return fields_api(index, source, wanted) if wanted else {}


__all__ = ["FieldRequest", "parse_field_requests", "fields_api", "stored_field_values", "values_at", "objects_at",
           "docvalue_values", "check_docvalue_limit", "format_number", "format_date", "field_value", "resolve_requested",
           "metadata_fields", "METADATA_FIELDS"]
