"""Values sources: which doc values an aggregation reads (field, missing, value_type, format)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import EsError, illegal_argument
from ..mapping import NUMERIC_TYPES
from .base import Params, failed_field
from .core import (
    EMPTY_I64,
    I64,
    ArrayColumn,
    ColInfo,
    Part,
    Scope,
    col_info,
    expand,
    fielddata_error,
    numeric_value,
)
from .formats import (
    RAW,
    BooleanFormat,
    DateFormat,
    DocValueFormat,
    IpFormat,
    NumberFormat,
    for_field,
)

NUMERIC_LIKE = NUMERIC_TYPES | {"date", "date_nanos", "boolean", "token_count"}
BYTES_LIKE = {"keyword", "constant_keyword", "wildcard", "version", "flattened", "ip"}
TEXT_LIKE = {"text", "match_only_text", "search_as_you_type"}
VALUE_TYPES = {
    "string": "keyword", "long": "long", "integer": "long", "short": "long", "byte": "long", "double": "double",
    "float": "double", "number": "double", "numeric": "double", "date": "date", "ip": "ip", "boolean": "boolean",
}
INTEGRAL = {"long", "integer", "short", "byte", "unsigned_long", "date", "date_nanos", "boolean", "token_count"}

VS_KEYS = {"field", "missing", "script", "value_type"}
AGGREGATE_METRIC = "aggregate_metric_double"
META_FIELDS = {"_index", "_id"}


@dataclass
class Resolved:
    """The field of one aggregation in one index."""

    ftype: str | None  # mapping type; None when unmapped
    kind: str | None  # "num" | "str" | None (unmapped or no values indexed)
    ci: ColInfo | None


class ValuesConfig:
    """field / missing / value_type / format of a values-source aggregation."""

    def __init__(self, agg: Any, p: Params, *, numeric: bool = False, required: bool = True,
                 formattable: bool = True, tz: str | None = None, type_name: str | None = None) -> None:
        self.agg = agg
        self.type_name = type_name or agg.type_name  # what "not supported for aggregation [..]" names
        self.field = p.str("field")
        self.script = p.get("script")
        self.missing = p.get("missing")
        self.has_missing = "missing" in p.body and p.body["missing"] is not None
        vt = p.str("value_type")
        if vt is not None and vt not in VALUE_TYPES:
            raise failed_field(agg.type_name, "value_type", illegal_argument(f"Unknown value type [{vt}]"))
        self.value_type = vt
        self.format = p.str("format") if formattable else None
        self.numeric = numeric
        self.tz = tz
        if self.field is None and self.script is None and required:
            raise illegal_argument("Required one of fields [field, script], but none were specified.")
        self._compiled: Any = None
        if self.script is not None:
            from ..painless import compile_script, parse_script_spec

            source, params = parse_script_spec(self.script)
            self._compiled = (compile_script(source), dict(params))
        self._cache: dict[int, Resolved] = {}
        self.failures: list[tuple[str, EsError]] = []
        self._script_cache: dict[int, tuple[Part, Resolved]] = {}

    # -- scripts ------------------------------------------------------------------------------------
    def _script_type(self) -> str:
        if self.value_type is not None:
            return VALUE_TYPES[self.value_type]
        return "double" if self.numeric else "keyword"

    def _script_resolve(self, part: Part) -> Resolved:
        """A script values source: run the script per document into a throwaway column."""
        from ..query import _script_docmap
        from ..segment import Column

        script, params = self._compiled
        ftype = self._script_type()
        kind = "num" if ftype in NUMERIC_LIKE else "str"
        base = self.resolve_field(part) if self.field else None
        col = Column(kind)
        ctx = part.src.ctx
        for doc in np.unique(part.docs).tolist():
            if base is not None:
                if base.ci is None:
                    continue
                inputs = base.ci.col.values_of(doc)
                results = []
                for v in inputs:
                    if isinstance(v, float) and base.ftype in INTEGRAL and v.is_integer():
                        v = int(v)
                    results.append(script.execute({"_value": v, "params": params,
                                                   "doc": _script_docmap(ctx, doc)}))
            else:
                out = script.execute({"doc": _script_docmap(ctx, doc), "params": params})
                results = out if isinstance(out, list) else [out]
            for value in results:
                if value is None:
                    continue
                if kind == "num":
                    if isinstance(value, bool):
                        value = 1.0 if value else 0.0
                    if not isinstance(value, (int, float)):
                        try:
                            value = float(value)
                        except (TypeError, ValueError):
                            raise illegal_argument(f"Unsupported script value [{value}], expected a number, date, "
                                                   f"or boolean") from None
                    col.add(doc, value)
                else:
                    from ..painless.runtime import java_str

                    col.add(doc, value if isinstance(value, str) else java_str(value))
        return Resolved(ftype, kind, col_info(col) if len(col.docs) else None)

    def resolve_field(self, part_or_src: Any) -> Resolved:
        saved, self._compiled = self._compiled, None
        try:
            return self.resolve(part_or_src)
        finally:
            self._compiled = saved

    # -- resolution -------------------------------------------------------------------------------
    def resolve(self, part_or_src: Any) -> Resolved:
        if self._compiled is not None:
            if not isinstance(part_or_src, Part):
                ftype = self._script_type()
                return Resolved(ftype, "num" if ftype in NUMERIC_LIKE else "str", None)
            cached = self._script_cache.get(id(part_or_src))
            if cached is None or cached[0] is not part_or_src:
                cached = self._script_cache[id(part_or_src)] = (part_or_src, self._script_resolve(part_or_src))
            return cached[1]
        src = part_or_src.src if isinstance(part_or_src, Part) else part_or_src
        hit = self._cache.get(-id(src))
        if hit is not None:
            return hit
        if self.field in META_FIELDS:
            return self._meta_resolve(part_or_src)
        f = src.field(self.field) if self.field else None
        if f is None:
            r = Resolved(None, None, None)
        elif f.type == AGGREGATE_METRIC:
            r = self._metric_resolve(src)
        else:
            ftype = f.type
            if ftype in TEXT_LIKE:
                if not f.params.get("fielddata"):
                    raise fielddata_error(src.index.name, self.field)
            elif ftype not in BYTES_LIKE and ftype not in NUMERIC_LIKE:
                raise self.unsupported(ftype)
            if self.numeric and ftype not in NUMERIC_LIKE:
                raise self.unsupported(ftype)
            if self.value_type is not None and _category(ftype) != _category(VALUE_TYPES[self.value_type]):
                # ES 8.1+: the index fails (a shard failure) and the others still answer
                self.failures.append((src.index.name, illegal_argument(
                    f"Field type [{ftype}] is incompatible with specified value_type [{self.value_type}]")))
                r = Resolved(None, None, None)
                self._cache[-id(src)] = r
                return r
            if ftype in BYTES_LIKE and f.params.get("doc_values", True) is False:
                raise illegal_argument(f"Can't load fielddata on [{self.field}] because fielddata is unsupported on "
                                       f"fields of type [{ftype}]. Use doc values instead.")
            col = src.seg.columns.get(self.field)
            ci = col_info(col, ip=ftype == "ip") if col is not None else None
            kind = ci.kind if ci is not None else ("num" if ftype in NUMERIC_LIKE else "str")
            r = Resolved(ftype, kind, ci)
        self._cache[-id(src)] = r
        return r

    def _metric_resolve(self, src: Any) -> Resolved:
        """An aggregate_metric_double field: the sub-metric column this aggregation reads (`price.max` for
        a max); aggregations without such a metric (`aggregate_metric` class attribute) are refused."""
        metric = getattr(self.agg, "aggregate_metric", None)
        if metric is None or self.script is not None:
            raise self.unsupported(AGGREGATE_METRIC)
        col = src.seg.columns.get(f"{self.field}.{metric}")
        return Resolved(AGGREGATE_METRIC, "num", col_info(col) if col is not None else None)

    def _meta_resolve(self, part_or_src: Any) -> Resolved:
        """`_index` as a keyword field whose value is the index name."""
        if self.field == "_id":
            raise illegal_argument("Fielddata access on the _id field is disallowed, you can re-enable it by updating "
                                   "the dynamic cluster setting: indices.id_field_data.enabled")
        if self.numeric:
            raise self.unsupported("_index")
        if not isinstance(part_or_src, Part):
            return Resolved("keyword", "str", None)
        cached = self._script_cache.get(id(part_or_src))
        if cached is None or cached[0] is not part_or_src:
            docs = np.unique(part_or_src.docs).astype(np.int32)
            col = ArrayColumn("str", docs, np.zeros(len(docs), dtype=np.int32), [part_or_src.src.index.name])
            cached = self._script_cache[id(part_or_src)] = (part_or_src, Resolved("keyword", "str", ColInfo(col)))
        return cached[1]

    def unsupported(self, ftype: str) -> EsError:
        return illegal_argument(f"Field [{self.field}] of type [{ftype}] is not supported for aggregation "
                                f"[{self.type_name}]")

    def field_type(self, scope_or_sources: Any) -> str | None:
        """The mapping type that decides formatting: the first index where the field is mapped."""
        sources = [p.src for p in scope_or_sources.parts] if isinstance(scope_or_sources, Scope) else scope_or_sources
        for src in sources:
            r = self.resolve(src)
            if r.ftype is not None:
                return r.ftype
        if self.value_type is not None:
            return VALUE_TYPES[self.value_type]
        return None

    def field_format_pattern(self, sources: list[Any]) -> str | None:
        for src in sources:
            f = src.field(self.field) if self.field else None
            if f is not None and f.type in ("date", "date_nanos"):
                return f.date_format
        return None

    def doc_format(self, sources: list[Any], *, unmapped_default: str | None = None) -> DocValueFormat:
        ftype = self.field_type(sources) or unmapped_default
        return for_field(ftype, self.format, self.field_format_pattern(sources), self.tz)

    def kind(self, sources: list[Any]) -> str:
        """"num" or "str": how values of this source compare (first mapped index wins)."""
        ftype = self.field_type(sources)
        if ftype is None:
            return "str" if not self.numeric else "num"
        return "num" if ftype in NUMERIC_LIKE else "str"

    # -- missing -----------------------------------------------------------------------------------
    def missing_num(self, fmt: DocValueFormat, now: int | None = None) -> float:
        value = self.missing
        if isinstance(fmt, DateFormat):
            return float(fmt.parse(value, now))
        if isinstance(fmt, BooleanFormat):
            return fmt.parse(value)
        if isinstance(fmt, NumberFormat) and isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return fmt.parse(value)
        return numeric_value(value)

    def missing_str(self, fmt: DocValueFormat) -> str:
        value = self.missing
        if isinstance(fmt, IpFormat):
            try:
                return str(ipaddress.ip_address(str(value)))
            except ValueError:
                raise illegal_argument(f"'{value}' is not an IP string literal.") from None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(value)
        return str(value)

    # -- reading values -----------------------------------------------------------------------------
    def numbers(self, part: Part, missing: float | None = None, dedup: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
        """(row index, float value) for every numeric value of the rows; `missing` fills empty rows."""
        r = self.resolve(part)
        rows, values = EMPTY_I64, np.zeros(0)
        if r.ci is not None and r.kind == "num":
            rows, entries = expand(part, r.ci, dedup=dedup)
            values = r.ci.values[entries]
        if missing is not None:
            has = np.zeros(len(part.docs), dtype=bool)
            has[rows] = True
            empty = np.flatnonzero(~has)
            if len(empty):
                rows = np.concatenate([rows, empty])
                values = np.concatenate([values, np.full(len(empty), missing)])
        return rows, values


def metric_value_counts(cfg: ValuesConfig, scope: Scope, run: Any, fmt: DocValueFormat) -> np.ndarray | None:
    """Per-bucket value counts when some index maps the field as aggregate_metric_double (its
    `value_count` metric adds up there, plain values count one each elsewhere); None when none does."""
    resolved = [cfg.resolve(part) for part in scope.parts]
    if not any(r.ftype == AGGREGATE_METRIC for r in resolved):
        return None
    counts = np.zeros(scope.n, dtype=np.float64)
    missing = cfg.missing_num(fmt, run.now) if cfg.has_missing else None
    for part, r in zip(scope.parts, resolved, strict=True):
        if r.ftype != AGGREGATE_METRIC:
            rows, _ = cfg.numbers(part, missing)
            counts += np.bincount(part.bids[rows], minlength=scope.n)[:scope.n]
            continue
        col = part.src.seg.columns.get(f"{cfg.field}.value_count")
        if col is None:
            continue
        ci = col_info(col)
        rows, entries = expand(part, ci, dedup=False)
        counts += np.bincount(part.bids[rows], weights=ci.values[entries], minlength=scope.n)[:scope.n]
    return counts


def _category(ftype: str) -> str:
    if ftype == "ip":
        return "ip"
    if ftype in NUMERIC_LIKE:
        return "number"
    return "bytes"


def scope_numbers(cfg: ValuesConfig, scope: Scope, run: Any, fmt: DocValueFormat, dedup: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(bucket id, value) over all parts."""
    missing = cfg.missing_num(fmt, run.now) if cfg.has_missing else None
    bids, vals = [], []
    for part in scope.parts:
        rows, values = cfg.numbers(part, missing, dedup)
        if len(rows):
            bids.append(part.bids[rows])
            vals.append(values)
    if not bids:
        return EMPTY_I64, np.zeros(0)
    return np.concatenate(bids).astype(I64, copy=False), np.concatenate(vals).astype(np.float64, copy=False)


def format_for(cfg: ValuesConfig, run: Any, numeric_default: bool = True) -> DocValueFormat:
    sources = run.sources
    ftype = cfg.field_type(sources)
    if ftype is None and cfg.value_type is None:
        return NumberFormat(cfg.format) if (cfg.format and numeric_default) else RAW
    return cfg.doc_format(sources)


def is_integral(ftype: str | None) -> bool:
    return ftype in INTEGRAL
