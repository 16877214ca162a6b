"""Test helpers: the fields each data view can use (from mappings/ and transforms/), and a strict KQL subset parser."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from es360.assets import load_assets

NUMERIC = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}
AGGREGATABLE = NUMERIC | {"keyword", "date", "boolean", "ip", "constant_keyword", "date_nanos"}


def _flatten(properties: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            out.update(_flatten(spec["properties"], f"{path}."))
            continue
        out[path] = spec.get("type", "object")
        for sub, sub_spec in (spec.get("fields") or {}).items():
            out[f"{path}.{sub}"] = sub_spec.get("type", "object")
    return out


def index_fields(index: str) -> dict[str, str]:
    """Field path -> ES type for a concrete index name, resolved like ES resolves composable templates.

    The highest-priority index template whose patterns match wins; its component templates are
    merged in `composed_of` order, then the template's own mappings on top.
    """
    assets = load_assets()
    components = {a.name: a.body for a in assets if a.kind == "component_template"}
    templates = [a.body for a in assets if a.kind == "index_template"
                 if any(fnmatch.fnmatch(index, p) for p in a.body.get("index_patterns", []))]
    if not templates:
        return {}
    template = max(templates, key=lambda t: t.get("priority", 0))
    fields: dict[str, str] = {}
    for name in template.get("composed_of", []):
        fields.update(_flatten(components[name].get("template", {}).get("mappings", {}).get("properties", {})))
    fields.update(_flatten(template.get("template", {}).get("mappings", {}).get("properties", {})))
    return fields


def transform_dest_fields(dest: str, source_fields: dict[str, str]) -> dict[str, str]:
    """Field -> type that the pivot transforms writing into `dest` deduce, as ES deduces them.

    group_by terms keep the source field's type; sum/avg/cardinality give numbers; min/max keep
    a date field's type; a filter aggregation gives its doc count; sub-aggregations nest by name.
    """
    out: dict[str, str] = {}
    for asset in load_assets():
        if asset.kind != "transform" or asset.body.get("dest", {}).get("index") != dest:
            continue
        pivot = asset.body.get("pivot", {})
        for name, spec in pivot.get("group_by", {}).items():
            kind, params = next(iter(spec.items()))
            out[name] = source_fields.get(params.get("field", ""), "keyword") if kind == "terms" else "double"
        out.update(_deduce(pivot.get("aggregations", {}), "", source_fields))
    return out


def _deduce(aggs: dict[str, Any], prefix: str, source_fields: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, spec in aggs.items():
        path = f"{prefix}{name}"
        kind = next(k for k in spec if k not in ("aggs", "aggregations"))
        field = (spec[kind] or {}).get("field", "") if isinstance(spec[kind], dict) else ""
        sub = spec.get("aggs") or spec.get("aggregations")
        if sub:
            out.update(_deduce(sub, f"{path}.", source_fields))
        elif kind in ("min", "max") and source_fields.get(field) == "date":
            out[path] = "date"
        elif kind in ("filter", "value_count", "cardinality"):
            out[path] = "long"
        else:
            out[path] = "double"
    return out


@dataclass(frozen=True)
class Term:
    """One comparison of a KQL query: `field op value`."""

    field: str
    op: str  # ":" or a range operator
    value: str
    quoted: bool


_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<op>>=|<=|>|<|:)|"(?P<q>(?:[^"\\]|\\.)*)"|(?P<w>[^\s()":<>]+))')


def parse_kql(text: str) -> list[Term]:
    """The comparisons of a query in the KQL subset es360 uses; ValueError on anything else.

    Subset: `field : value`, `field : "quoted value"`, `field : *`, `field >= value` (>, <, <=),
    `and`/`or`/`not`, parentheses. No wildcards inside values, no nested-field syntax.
    """
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read KQL at {text[pos:]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
    terms: list[Term] = []
    i = 0

    def peek() -> tuple[str, str] | None:
        return tokens[i] if i < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal i
        if i >= len(tokens):
            raise ValueError(f"query ends too early: {text!r}")
        i += 1
        return tokens[i - 1]

    def expr() -> None:
        conj()
        while (t := peek()) and t == ("w", "or"):
            take()
            conj()

    def conj() -> None:
        neg()
        while (t := peek()) and t == ("w", "and"):
            take()
            neg()

    def neg() -> None:
        if peek() == ("w", "not"):
            take()
            neg()
            return
        primary()

    def primary() -> None:
        kind, value = take()
        if kind == "lp":
            expr()
            if take()[0] != "rp":
                raise ValueError(f"unbalanced parentheses in {text!r}")
            return
        if kind != "w" or value in ("and", "or", "not"):
            raise ValueError(f"expected a field name, got {value!r} in {text!r}")
        op_kind, op = take()
        if op_kind != "op":
            raise ValueError(f"expected ':' or a comparison after {value!r} in {text!r}")
        v_kind, v = take()
        if v_kind not in ("w", "q"):
            raise ValueError(f"expected a value after {value} {op} in {text!r}")
        if v_kind == "w" and "*" in v and v != "*":
            raise ValueError(f"wildcards inside values are outside the subset: {v!r}")
        if op != ":" and (v_kind == "q" or v == "*"):
            raise ValueError(f"range comparison needs a bare value: {value} {op} {v}")
        terms.append(Term(value, op, v, v_kind == "q"))

    if tokens:
        expr()
        if i != len(tokens):
            raise ValueError(f"unexpected {tokens[i][1]!r} in {text!r}")
    return terms
