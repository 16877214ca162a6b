"""Runtime fields: fields computed at search time from a Painless script or from `_source`.

They come from the index mapping's `runtime` section and from a search's `runtime_mappings`
(which shadow mapped fields of the same name, as in ES). A search sees them through
`RuntimeIndex`, a per-request read-only view of an index (like field-level security's view):
its mapping answers the runtime fields' types, and its segment hands out doc values, postings and
presence for them, computed over the segment's documents the first time a query, aggregation,
sort or the `fields` option asks. Everything downstream then treats them as ordinary fields of
their type. Computed fields are kept for later searches while the segment, the mapping and the
runtime definitions stay the same (any write changes the segment's generation).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from .errors import EsError, mapper_parsing
from .mapping import Field, convert_value
from .painless.runtime import DocMap
from .segment import Column, InvertedField

RUNTIME_TYPES = ("keyword", "long", "double", "date", "boolean", "ip")
_PARAMS = {"type", "script", "format", "locale", "meta", "on_script_error"}
_NUMERIC = {"long", "double", "date", "boolean"}


@dataclass(frozen=True)
class RuntimeField:
    """One runtime field: its name, type, and script (None: read `_source` at the field's path)."""

    name: str
    type: str
    definition: dict[str, Any]
    source: str | None = None
    params: Any = None

    def field(self) -> Field:
        params = {k: v for k, v in self.definition.items() if k not in ("type", "script")}
        params["_runtime"] = True
        return Field(self.name, self.type, params)


def parse_section(section: Any, *, in_mapping: bool) -> dict[str, RuntimeField]:
    """Validate a `runtime` / `runtime_mappings` object as ES does; returns name -> RuntimeField.

    Errors: mapper_parsing_exception for bad definitions, script_exception for scripts that do not
    compile. `in_mapping` allows null values (they remove a field when merging a mapping).
    """
    if not isinstance(section, dict):
        raise mapper_parsing(f"Expected map for runtime fields but got a {type(section).__name__}")
    out: dict[str, RuntimeField] = {}
    for name, definition in section.items():
        if definition is None and in_mapping:
            continue
        out[name] = parse_field(name, definition)
    return out


def parse_field(name: str, definition: Any) -> RuntimeField:
    """One runtime field definition (see `parse_section`)."""
    if not isinstance(definition, dict):
        raise mapper_parsing(f"Expected map for runtime field [{name}] definition but got a "
                             f"{_java_class(definition)}")
    ftype = definition.get("type")
    if ftype is None:
        raise mapper_parsing(f"No type specified for runtime field [{name}]")
    if ftype not in RUNTIME_TYPES:
        raise mapper_parsing(f"The mapper type [{ftype}] declared on runtime field [{name}] does not exist. It might "
                             f"have been created within a future version or requires a plugin to be installed. Check "
                             f"the documentation.")
    for key in definition:
        if key not in _PARAMS or (key in ("format", "locale") and ftype != "date"):
            raise mapper_parsing(f"unknown parameter [{key}] on runtime field [{name}] of type [{ftype}]")
    on_error = definition.get("on_script_error", "fail")
    if on_error not in ("fail", "continue"):
        raise mapper_parsing(f"Unknown value [{on_error}] for field [on_script_error] - accepted values are "
                             f"[fail, continue]")
    script = definition.get("script")
    if script is None:
        return RuntimeField(name, ftype, definition)
    from .painless import compile_script, parse_script_spec

    try:
        source, params = parse_script_spec(script)
    except EsError as err:
        raise mapper_parsing(f"Error parsing [script] on runtime field [{name}] of type [{ftype}]: {err.reason}") from None
    compile_script(source)  # a script_exception "compile error" if it does not compile
    return RuntimeField(name, ftype, definition, source, params)


def merge_section(current: dict[str, Any] | None, incoming: Any) -> dict[str, Any]:
    """A mapping's `runtime` section after a PUT mapping: fields replaced one by one, null removes."""
    try:
        parse_section(incoming, in_mapping=True)
    except EsError as err:
        if err.type == "mapper_parsing_exception":
            raise
        raise mapper_parsing(err.reason, caused_by=err) from None  # e.g. a script that does not compile
    merged = dict(current or {})
    for name, definition in incoming.items():
        if definition is None:
            merged.pop(name, None)
        else:
            merged[name] = definition
    return merged


def _java_class(value: Any) -> str:
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer"
    if isinstance(value, list):
        return "java.util.ArrayList"
    return type(value).__name__


def request_fields(index: Any, runtime_mappings: dict[str, RuntimeField] | None) -> dict[str, RuntimeField]:
    """The runtime fields a search on `index` sees: the mapping's, then the request's on top."""
    out: dict[str, RuntimeField] = {}
    section = index.mapping.root.get("runtime") if hasattr(index.mapping, "root") else None
    if section:
        out.update(parse_section(section, in_mapping=True))
    if runtime_mappings:
        out.update(runtime_mappings)
    return out


def with_runtime_fields(index: Any, runtime_mappings: dict[str, RuntimeField] | None) -> Any:
    """`index` itself when no runtime field applies, else a RuntimeIndex view over it."""
    if isinstance(index, RuntimeIndex) and not runtime_mappings:
        return index
    fields = request_fields(index.inner if isinstance(index, RuntimeIndex) else index, runtime_mappings)
    return RuntimeIndex(index, fields) if fields else index


# ---- the per-request view ------------------------------------------------------------------------
class RuntimeMapping:
    """The index mapping plus runtime fields (which shadow mapped fields of the same name)."""

    def __init__(self, mapping: Any, fields: dict[str, RuntimeField]) -> None:
        self._mapping = mapping
        self.runtime = {name: rf.field() for name, rf in fields.items()}
        self.fields = {**mapping.fields, **self.runtime}

    def field(self, path: str) -> Field | None:
        found = self.runtime.get(path)
        return found if found is not None else self._mapping.field(path)

    def resolve_pattern(self, pattern: str) -> list[str]:
        if "*" not in pattern:
            return [pattern] if self.field(pattern) is not None else []
        import re

        regex = re.compile("^" + re.escape(pattern).replace(r"\*", ".*") + "$")
        return sorted(p for p, f in self.fields.items() if regex.match(p) and f.type != "alias")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mapping, name)


class _Layered(AbcMapping):
    """A segment's per-field dict (columns, inverted, present) with the runtime fields laid over it."""

    def __init__(self, base: dict[str, Any], computed: RuntimeColumns, part: str) -> None:
        self._base = base
        self._computed = computed
        self._part = part

    def __getitem__(self, key: str) -> Any:
        if key in self._computed.fields:
            found = self._computed.part(key, self._part)
            if found is None:
                raise KeyError(key)
            return found
        return self._base[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._computed.fields:
            found = self._computed.part(key, self._part)
            return default if found is None else found
        return self._base.get(key, default)

    def __contains__(self, key: object) -> bool:
        if key in self._computed.fields:
            return self._computed.part(str(key), self._part) is not None
        return key in self._base

    def __iter__(self) -> Iterator[str]:
        for key in self._base:
            if key not in self._computed.fields:
                yield key
        for key in self._computed.fields:
            if self._computed.part(key, self._part) is not None:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


class RuntimeColumns:
    """Lazily computed structures of the runtime fields for one segment (once per request)."""

    def __init__(self, view: RuntimeIndex, fields: dict[str, RuntimeField]) -> None:
        self.view = view
        self.fields = fields
        self._done: dict[str, dict[str, Any]] = {}
        self._running: list[str] = []
        self._definitions: bytes | None = None

    def part(self, name: str, part: str) -> Any:
        done = self._done.get(name)
        if done is None:
            key = self._cache_key(name)
            cached = _CACHE.get(self.view.base_segment, {}) if key is not None else {}
            done = cached.get(key) if key is not None else None
            if done is None:
                done = self._compute(self.fields[name])
                if key is not None:
                    _remember(self.view.base_segment, key, done)
            self._done[name] = done
        return done.get(part)

    def _cache_key(self, name: str) -> tuple[Any, ...] | None:
        """What a field's structures depend on, for reuse by later searches: the segment's contents
        (its generation changes with every write), the mapping, and every runtime definition (scripts
        may read each other). None (no reuse) for frozen or filtered views (points in time, FLS)."""
        index = self.view.inner
        if type(index).__name__ != "Index" or type(self.view.base_segment).__name__ != "Segment":
            return None
        seg = self.view.base_segment
        if self._definitions is None:
            self._definitions = orjson.dumps({n: rf.definition for n, rf in self.fields.items()},
                                             option=orjson.OPT_SORT_KEYS, default=str)
        return (name, seg.generation, seg.max_doc, index.mapping.version, self._definitions)

    def _compute(self, rf: RuntimeField) -> dict[str, Any]:
        if rf.name in self._running:
            chain = " -> ".join([*self._running[self._running.index(rf.name):], rf.name])
            raise EsError(400, "illegal_argument_exception",
                          f"Cyclic dependency detected while resolving runtime fields: {chain}")
        self._running.append(rf.name)
        try:
            return _build(self.view, rf, self._docs())
        finally:
            self._running.pop()

    def _docs(self) -> list[int]:
        seg = self.view.base_segment
        root = np.frombuffer(bytes(seg.root), dtype=np.uint8).astype(bool)
        mask = seg.live_mask()[: len(root)] | seg.realtime_live_mask()[: len(root)]
        return np.flatnonzero(mask & root).tolist()


_CACHE: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], dict[str, Any]]] = weakref.WeakKeyDictionary()
_CACHE_PER_SEGMENT = 16


def _remember(segment: Any, key: tuple[Any, ...], parts: dict[str, Any]) -> None:
    """Keep a computed runtime field for later searches on the same unchanged segment."""
    entries = _CACHE.get(segment)
    if entries is None:
        entries = _CACHE[segment] = {}
    stale = [k for k in entries if k[1] != key[1] or k[2] != key[2] or k[3] != key[3]]
    for k in stale:
        del entries[k]
    if len(entries) >= _CACHE_PER_SEGMENT:
        del entries[next(iter(entries))]
    entries[key] = parts


class RuntimeSegment:
    """The index's segment with the runtime fields' doc values, postings and presence added."""

    def __init__(self, segment: Any, computed: RuntimeColumns) -> None:
        self._segment = segment
        self._computed = computed
        self.columns = _Layered(segment.columns, computed, "column")
        self.inverted = _Layered(segment.inverted, computed, "inverted")
        self.present = _Layered(segment.present, computed, "present")

    def present_docs(self, field: str) -> np.ndarray:
        if field in self._computed.fields:
            found = self._computed.part(field, "present")
            if found is None:
                return np.zeros(0, dtype=np.int32)
            return np.frombuffer(found.tobytes(), dtype=np.int32)
        return self._segment.present_docs(field)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._segment, name)


class RuntimeIndex:
    """A per-request, read-only view of an index (or of another view) with runtime fields."""

    def __init__(self, index: Any, fields: dict[str, RuntimeField]) -> None:
        self._index = index
        self.runtime_fields = fields
        self.base_segment = index.segment
        self.mapping = RuntimeMapping(index.mapping, fields)
        self.segment = RuntimeSegment(index.segment, RuntimeColumns(self, fields))

    @property
    def inner(self) -> Any:
        return self._index

    def fetch_fields(self, docnum: int, requests: list[Any], out: dict[str, Any]) -> None:
        """Put the runtime fields that `requests` (the search's `fields`) match into a hit's `out`,
        from their doc values (what `fields_api` read from `_source` for a shadowed name is replaced)."""
        from .fetch import docvalue_values, resolve_requested

        for name, f, fmt in resolve_requested(self.mapping, requests):
            if not f.params.get("_runtime"):
                continue
            values = docvalue_values(self.segment, self, docnum, name, f, fmt)
            if values:
                out[name] = values
            else:
                out.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


# ---- evaluation --------------------------------------------------------------------------------
def _build(view: RuntimeIndex, rf: RuntimeField, docs: list[int]) -> dict[str, Any]:
    """Evaluate one runtime field over `docs`: its Column, InvertedField (keyword, ip) and presence."""
    from array import array

    f = view.mapping.field(rf.name)
    per_doc = _values_from_script(view, rf, docs) if rf.source is not None else _values_from_source(view, rf, f, docs)
    numeric = rf.type in _NUMERIC
    column = Column("num" if numeric else "str")
    inverted = None if numeric else InvertedField(with_positions=False)
    present = array("i")
    for docnum, values in per_doc:
        if not values:
            continue
        present.append(docnum)
        if numeric:
            for v in sorted(values):
                column.add(docnum, v)
        else:
            for v in sorted(values):
                column.add_str(docnum, v)
                inverted.add_term(docnum, v)  # type: ignore[union-attr]
    if not present:
        return {}
    return {"column": column, "inverted": inverted, "present": present}


def _values_from_source(view: RuntimeIndex, rf: RuntimeField, f: Field, docs: list[int]) -> Iterator[tuple[int, list]]:
    from .fetch import values_at

    for docnum in docs:
        raw = view.source_bytes(docnum)
        if raw is None:
            continue
        out = []
        for value in values_at(orjson.loads(raw), rf.name):
            if value is None or isinstance(value, (dict, list)):
                continue
            try:
                converted = convert_value(f, value)
            except EsError:
                continue  # ES ignores values of the wrong type
            if converted is not None:
                out.append(_stored(rf.type, converted))
        yield docnum, out


def _values_from_script(view: RuntimeIndex, rf: RuntimeField, docs: list[int]) -> Iterator[tuple[int, list]]:
    from .painless import compile_script
    from .painless.interpreter import BUILTINS

    compiled = compile_script(rf.source)
    loader = _BatchDocValues(view, docs)
    emitted: list[Any] = []
    convert = _emit_converter(rf)

    def emit(*args: Any) -> None:
        if len(args) != 1:
            raise EsError(400, "illegal_argument_exception", f"emit takes one value, got {len(args)}")
        value = args[0]
        if value is not None:
            emitted.append(convert(value))

    builtins = {"emit": emit}
    params = _Params(rf.params or {}, view)
    skip_errors = rf.definition.get("on_script_error") == "continue"
    for i, docnum in enumerate(docs):
        emitted.clear()
        params.move_to(docnum)
        try:
            compiled.execute({"doc": _Doc(loader, i, docnum), "params": params, BUILTINS: builtins})
        except EsError:
            if not skip_errors:
                raise
            emitted.clear()  # ES's on_script_error: continue (the document gets no value)
        yield docnum, list(emitted)


class _BatchDocValues:
    """`doc['f']` values for a batch of docnums (in docnum order), read from the columns in bulk:
    one vectorized lookup per field instead of a binary search per document."""

    def __init__(self, view: RuntimeIndex, docs: list[int]) -> None:
        from .painless.search_scripts import SegmentDoc

        self.ctx = _ScriptContext(view)
        self.docs = np.asarray(docs, dtype=np.int32)
        self.readers: dict[str, Any] = {}
        self._slow = SegmentDoc

    def load(self, field: str, i: int, docnum: int) -> list[Any] | None:
        reader = self.readers.get(field)
        if reader is None:
            reader = self.readers[field] = self._reader(field)
        return reader(i, docnum)

    def _reader(self, field: str) -> Any:
        from .painless.jtime import ZonedDateTime

        ctx = self.ctx
        f = ctx.field(field)
        slow = self._slow
        if f is None or f.type not in _FAST_TYPES or field == "_id":
            return lambda i, docnum: slow(ctx, docnum).load(field)
        col = ctx.seg.columns.get(f.path)
        if col is None:
            return lambda i, docnum: []
        if col.kind == "num" and col.int_values:
            return lambda i, docnum: slow(ctx, docnum).load(field)
        col_docs, col_values = col.arrays()
        lo = np.searchsorted(col_docs, self.docs, "left").tolist()
        hi = np.searchsorted(col_docs, self.docs, "right").tolist()
        values = col_values.tolist()
        if col.kind == "str":
            vocab = col.vocab
            values = [vocab[o] for o in values]
            convert: Any = None
        elif f.type in ("date", "date_nanos"):
            convert = ZonedDateTime.of_millis
        elif f.type in _INTEGRAL:
            convert = int
        elif f.type == "boolean":
            convert = bool
        else:
            convert = None

        def read(i: int, docnum: int) -> list[Any]:
            a, b = lo[i], hi[i]
            if b - a == 1:
                v = values[a]
                return [convert(v) if convert is not None else v]
            found = sorted(values[a:b])
            return [convert(v) for v in found] if convert is not None else found
        return read


_INTEGRAL = frozenset({"long", "integer", "short", "byte", "unsigned_long", "token_count"})
_FAST_TYPES = frozenset({"keyword", "constant_keyword", "wildcard", "version", "ip", "date", "date_nanos",
                         "boolean", "double", "float", "half_float", "scaled_float"}) | _INTEGRAL


class _Doc(DocMap):
    """`doc` for one document of a batch."""

    def __init__(self, loader: _BatchDocValues, i: int, docnum: int) -> None:
        super().__init__({})
        self._loader = loader
        self._i = i
        self._docnum = docnum

    def load(self, field: str) -> list[Any] | None:
        return self._loader.load(field, self._i, self._docnum)


def _emit_converter(rf: RuntimeField) -> Any:
    from .painless.errors import JavaException
    from .painless.jtime import ZonedDateTime

    def bad(value: Any, expected: str) -> EsError:
        return JavaException("class_cast_exception",
                             f"Cannot cast {type(value).__name__} to {expected} in runtime field [{rf.name}]")

    t = rf.type
    if t == "keyword":
        def to_keyword(value: Any) -> str:
            if not isinstance(value, str):
                raise bad(value, "java.lang.String")
            return value
        return to_keyword
    if t == "long":
        def to_long(value: Any) -> float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(value, "long")
            return float(int(value))
        return to_long
    if t == "double":
        def to_double(value: Any) -> float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(value, "double")
            return float(value)
        return to_double
    if t == "date":
        def to_date(value: Any) -> float:
            if isinstance(value, ZonedDateTime):
                return float(value.millis)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(value, "long")
            return float(int(value))
        return to_date
    if t == "boolean":
        def to_bool(value: Any) -> float:
            if not isinstance(value, bool):
                raise bad(value, "boolean")
            return 1.0 if value else 0.0
        return to_bool

    def to_ip(value: Any) -> str:
        if not isinstance(value, str):
            raise bad(value, "java.lang.String")
        return str(convert_value(Field(rf.name, "ip", {}), value))
    return to_ip


def _stored(ftype: str, value: Any) -> Any:
    """A converted `_source` value as the runtime field's doc values keep it."""
    if ftype in ("long", "double", "date"):
        return float(value)
    if ftype == "boolean":
        return 1.0 if value else 0.0
    return str(value)


class _ScriptContext:
    """What `SegmentDoc` needs (seg, field()): the view, so scripts can read other runtime fields."""

    def __init__(self, view: RuntimeIndex) -> None:
        self.index = view
        self.seg = view.segment

    def field(self, name: str) -> Field | None:
        return self.index.mapping.field(name)


class _Params(dict):
    """A script's `params` with `_source` loaded on first access (ES's runtime field scripts)."""

    def __init__(self, params: dict[str, Any], view: RuntimeIndex) -> None:
        super().__init__(params)
        self._view = view
        self._docnum = -1

    def move_to(self, docnum: int) -> None:
        """Point `_source` at another document."""
        self._docnum = docnum
        dict.pop(self, "_source", None)

    def _load(self) -> None:
        if not dict.__contains__(self, "_source"):
            raw = self._view.source_bytes(self._docnum)
            dict.__setitem__(self, "_source", orjson.loads(raw) if raw is not None else {})

    def __getitem__(self, key: Any) -> Any:
        if key == "_source":
            self._load()
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        if key == "_source":
            self._load()
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        return key == "_source" or dict.__contains__(self, key)


__all__ = ["RUNTIME_TYPES", "RuntimeField", "RuntimeIndex", "parse_section", "parse_field", "merge_section",
           "request_fields", "with_runtime_fields"]
