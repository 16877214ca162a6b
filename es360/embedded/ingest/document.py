"""IngestDocument: a document's source and metadata as pipelines see it, with ES's dotted-path semantics."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from ..errors import EsError
from ..painless.runtime import class_name, java_eq

METADATA_KEYS = ("_index", "_id", "_routing", "_version", "_version_type", "_if_seq_no", "_if_primary_term",
                 "_dynamic_templates")
_METADATA_SET = frozenset(METADATA_KEYS)
INGEST_PREFIX = "_ingest."
SOURCE_PREFIX = "_source."


def iae(message: str) -> EsError:
    return EsError(400, "illegal_argument_exception", message)


_SECOND_TEXT: list[Any] = [None, ""]  # [epoch second, its "%Y-%m-%dT%H:%M:%S" text], reused within a second


def ingest_timestamp() -> str:
    """Now, as Java prints a UTC ZonedDateTime (microseconds, trailing zero groups dropped)."""
    second, micros = divmod(time.time_ns() // 1000, 1_000_000)
    cached = _SECOND_TEXT
    if cached[0] != second:
        cached[1] = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        cached[0] = second
    if micros:
        if micros % 1000:
            return f"{cached[1]}.{micros:06d}Z"
        return f"{cached[1]}.{micros // 1000:03d}Z"
    return cached[1] + "Z"


def deep_copy(value: Any) -> Any:
    """Copy JSON-like data (dicts, lists, scalars) fast."""
    t = type(value)
    if t is dict:
        return {k: deep_copy(v) if type(v) in (dict, list) else v for k, v in value.items()}
    if t is list:
        return [deep_copy(v) if type(v) in (dict, list) else v for v in value]
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [deep_copy(v) for v in value]
    if isinstance(value, set):
        return {deep_copy(v) for v in value}
    return value


class IngestDocument:
    """`data` holds the source fields and the metadata fields (`_index`, `_id`, ...), as ES's ctx map."""

    __slots__ = ("data", "ingest", "executed", "index_history", "terminated")

    def __init__(self, data: dict[str, Any], ingest: dict[str, Any] | None = None) -> None:
        self.data = data
        self.ingest = ingest if ingest is not None else {"timestamp": ingest_timestamp()}
        self.executed: list[str] = []
        self.index_history: list[str] = []
        self.terminated = False

    @classmethod
    def create(cls, source: dict[str, Any], index: str, doc_id: str | None, *, routing: str | None = None,
               version: int | None = None, version_type: str | None = None,
               if_seq_no: int | None = None, if_primary_term: int | None = None) -> IngestDocument:
        data = source
        data["_index"] = index
        data["_id"] = doc_id
        if routing is not None:
            data["_routing"] = routing
        if version is not None:
            data["_version"] = version
        if version_type is not None:
            data["_version_type"] = version_type
        if if_seq_no is not None:
            data["_if_seq_no"] = if_seq_no
        if if_primary_term is not None:
            data["_if_primary_term"] = if_primary_term
        return cls(data)

    def copy(self) -> IngestDocument:
        doc = IngestDocument(deep_copy(self.data), deep_copy(self.ingest))
        doc.executed = list(self.executed)
        doc.index_history = list(self.index_history)
        return doc

    # ---- metadata -------------------------------------------------------------------------------
    def source(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k not in _METADATA_SET}

    def metadata(self) -> dict[str, Any]:
        return {k: self.data[k] for k in METADATA_KEYS if k in self.data}

    def extract(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split into (metadata, source); the document must not be used afterwards."""
        meta = {k: self.data.pop(k) for k in METADATA_KEYS if k in self.data}
        return meta, self.data

    def to_simulate(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("_index", "_version", "_id", "_routing", "_version_type", "_if_seq_no", "_if_primary_term",
                    "_dynamic_templates"):
            value = self.data.get(key)
            if value is not None and key != "_version_type":
                out[key] = value if isinstance(value, (dict, list)) else _to_string(value)
        out["_source"] = deep_copy(self.source())
        out["_ingest"] = deep_copy(self.ingest)
        return out

    # ---- paths ----------------------------------------------------------------------------------
    def _root(self, path: Any) -> tuple[Any, list[str]]:
        parsed = _PATHS.get(path) if type(path) is str else None
        if parsed is None:
            parsed = _parse_path(path)
        return (self.ingest if parsed[0] else self.data), parsed[1]

    @staticmethod
    def _resolve(part: str, path: str, context: Any) -> Any:
        if context is None:
            raise iae(f"cannot resolve [{part}] from null as part of path [{path}]")
        if isinstance(context, dict):
            if part in context:
                return context[part]
            raise iae(f"field [{part}] not present as part of path [{path}]")
        if isinstance(context, list):
            index = list_index(context, part, path)
            return context[index]
        raise iae(f"cannot resolve [{part}] from object of type [{class_name(context)}] as part of path [{path}]")

    def get(self, path: str, ignore_missing: bool = False) -> Any:
        """The value at `path`; a missing field raises, unless ignore_missing (then None)."""
        parsed = _PATHS.get(path) if type(path) is str else None  # _root, inline on the hot paths
        if parsed is None:
            parsed = _parse_path(path)
        root, parts = (self.ingest if parsed[0] else self.data), parsed[1]
        if len(parts) == 1 and type(root) is dict:
            part = parts[0]
            if part in root:
                return root[part]
            if ignore_missing:
                return None
            raise iae(f"field [{part}] not present as part of path [{path}]")
        if len(parts) == 2 and type(root) is dict:  # fast path: `a.b` where `a` is a map holding `b`
            parent = root.get(parts[0])
            if type(parent) is dict:
                value = parent.get(parts[1], _ABSENT)
                if value is not _ABSENT:
                    return value
        context = root
        for part in parts:  # fast path: a chain of maps that all hold the next key
            if type(context) is not dict:
                break
            if part not in context:
                if ignore_missing:  # a map without the key: resolving fails and has(path) is false
                    return None
                break
            context = context[part]
        else:
            return context
        context = root
        try:
            for part in parts:
                context = self._resolve(part, path, context)
        except EsError:
            if ignore_missing and not self.has(path):
                return None
            raise
        return context

    def present_value(self, path: str) -> Any:
        """What `get(path) if has(path) else None` gives (ES's `hasField && getFieldValue`), without
        raising and building errors when a map on the way lacks a key (the common case)."""
        parsed = _PATHS.get(path) if type(path) is str else None  # _root, inline on the hot paths
        if parsed is None:
            parsed = _parse_path(path)
        root, parts = (self.ingest if parsed[0] else self.data), parsed[1]
        context = root
        for part in parts:
            if type(context) is not dict:
                break
            context = context.get(part, _ABSENT)
            if context is _ABSENT:
                return None
        else:
            return context
        return self.get(path) if self.has(path) else None

    def slot(self, path: str) -> tuple[dict[str, Any], str] | None:
        """(the map holding the field, its key) when `path` reaches an existing field through maps
        only (the common case, for in-place updates); None otherwise (use get/set/has/remove)."""
        parsed = _PATHS.get(path) if type(path) is str else None  # _root, inline on the hot paths
        if parsed is None:
            parsed = _parse_path(path)
        root, parts = (self.ingest if parsed[0] else self.data), parsed[1]
        if len(parts) == 2:  # the loop below, unrolled for `a.b`
            context = root.get(parts[0]) if type(root) is dict else None
        else:
            context = root
            for part in parts[:-1]:
                if type(context) is not dict:
                    return None
                context = context.get(part)
        leaf = parts[-1]
        if type(context) is dict and leaf in context:
            return context, leaf
        return None

    def has(self, path: str, fail_out_of_range: bool = False) -> bool:
        parsed = _PATHS.get(path) if type(path) is str else None  # _root, inline on the hot paths
        if parsed is None:
            parsed = _parse_path(path)
        root, parts = (self.ingest if parsed[0] else self.data), parsed[1]
        if len(parts) == 1:  # a top-level field (the root is a map)
            return parts[0] in root
        context = root
        for part in parts[:-1]:
            if context is None:
                return False
            if isinstance(context, dict):
                context = context.get(part)
            elif isinstance(context, list):
                try:
                    index = int(part)
                except ValueError:
                    return False
                if index < 0 or index >= len(context):
                    if fail_out_of_range:
                        raise iae(f"[{index}] is out of bounds for array with length [{len(context)}] as part of "
                                  f"path [{path}]")
                    return False
                context = context[index]
            else:
                return False
        leaf = parts[-1]
        if isinstance(context, dict):
            return leaf in context
        if isinstance(context, list):
            try:
                index = int(leaf)
            except ValueError:
                return False
            if 0 <= index < len(context):
                return True
            if fail_out_of_range:
                raise iae(f"[{index}] is out of bounds for array with length [{len(context)}] as part of path "
                          f"[{path}]")
        return False

    def _parent(self, path: str, parts: list[str], root: Any, create: bool) -> Any:
        context = root
        for part in parts[:-1]:
            if context is None:
                raise iae(f"cannot resolve [{part}] from null as part of path [{path}]")
            if isinstance(context, dict):
                if part in context:
                    context = context[part]
                elif create:
                    new: dict[str, Any] = {}
                    context[part] = new
                    context = new
                else:
                    raise iae(f"field [{part}] not present as part of path [{path}]")
            elif isinstance(context, list):
                index = list_index(context, part, path)
                context = context[index]
            else:
                raise iae(f"cannot resolve [{part}] from object of type [{class_name(context)}] as part of path "
                          f"[{path}]")
        return context

    def set(self, path: str, value: Any) -> None:
        parsed = _PATHS.get(path) if type(path) is str else None  # _root, inline on the hot paths
        if parsed is None:
            parsed = _parse_path(path)
        root, parts = (self.ingest if parsed[0] else self.data), parsed[1]
        if len(parts) == 1 and type(root) is dict:
            root[parts[0]] = value
            return
        if len(parts) == 2 and type(root) is dict:  # fast path: `a.b` where `a` is a map (or absent)
            parent = root.get(parts[0])
            if type(parent) is dict:
                parent[parts[1]] = value
                return
            if parts[0] not in root:
                root[parts[0]] = {parts[1]: value}
                return
        context = self._parent(path, parts, root, True)
        leaf = parts[-1]
        if context is None:
            raise iae(f"cannot set [{leaf}] with null parent as part of path [{path}]")
        if isinstance(context, dict):
            context[leaf] = value
        elif isinstance(context, list):
            index = list_index(context, leaf, path)
            context[index] = value
        else:
            raise iae(f"cannot set [{leaf}] with parent object of type [{class_name(context)}] as part of path "
                      f"[{path}]")

    def append(self, path: str, value: Any, allow_duplicates: bool = True) -> None:
        root, parts = self._root(path)
        context = self._parent(path, parts, root, True)
        leaf = parts[-1]
        if context is None:
            raise iae(f"cannot set [{leaf}] with null parent as part of path [{path}]")
        if isinstance(context, dict):
            if leaf in context:
                current = context[leaf]
                updated = _append_values(current, value, allow_duplicates)
                if updated is not current:
                    context[leaf] = updated
            else:
                context[leaf] = list(value) if isinstance(value, list) else [value]
                if not allow_duplicates:
                    context[leaf] = _dedupe(context[leaf])
        elif isinstance(context, list):
            index = list_index(context, leaf, path)
            current = context[index]
            updated = _append_values(current, value, allow_duplicates)
            if updated is not current:
                context[index] = updated
        else:
            raise iae(f"cannot set [{leaf}] with parent object of type [{class_name(context)}] as part of path "
                      f"[{path}]")

    def remove(self, path: str) -> None:
        root, parts = self._root(path)
        context = root
        for part in parts[:-1]:
            context = self._resolve(part, path, context)
        leaf = parts[-1]
        if isinstance(context, dict):
            if leaf in context:
                del context[leaf]
                return
            raise iae(f"field [{leaf}] not present as part of path [{path}]")
        if isinstance(context, list):
            index = list_index(context, leaf, path)
            del context[index]
            return
        if context is None:
            raise iae(f"cannot remove [{leaf}] from null as part of path [{path}]")
        raise iae(f"cannot remove [{leaf}] from object of type [{class_name(context)}] as part of path [{path}]")

    # ---- templates ------------------------------------------------------------------------------
    def model(self) -> dict[str, Any]:
        """The mustache model: source and metadata fields, `_source`, and `_ingest`."""
        model = dict(self.data)
        model["_source"] = self.data
        model["_ingest"] = self.ingest
        return model


_ABSENT: Any = object()
_PATHS: dict[str, tuple[bool, list[str]]] = {}  # path -> (under _ingest, parts); valid paths only


def _parse_path(path: Any) -> tuple[bool, list[str]]:
    """Split a field path into (is it under `_ingest.`, its parts), raising ES's errors for bad paths."""
    if not isinstance(path, str) or not path:
        raise iae("path cannot be null nor empty")
    if path.startswith(INGEST_PREFIX):
        under_ingest = True
        rest = path[len(INGEST_PREFIX):]
    else:
        under_ingest = False
        rest = path[len(SOURCE_PREFIX):] if path.startswith(SOURCE_PREFIX) else path
    parts = rest.split(".")
    if len(parts) == 1 and parts[0] == "":
        raise iae(f"path [{path}] is not valid")
    parsed = (under_ingest, parts)
    if type(path) is str:
        if len(_PATHS) >= 10_000:
            _PATHS.clear()
        _PATHS[path] = parsed
    return parsed


def _dedupe(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if not any(java_eq(item, x) for x in out):
            out.append(item)
    return out


def _append_values(current: Any, value: Any, allow_duplicates: bool) -> Any:
    target = current if isinstance(current, list) else [current]
    values = value if isinstance(value, list) else [value]
    if allow_duplicates:
        target.extend(values)
        return target
    added = False
    for v in values:
        if not any(java_eq(v, x) for x in target):
            target.append(v)
            added = True
    return target if added else current


def _to_string(value: Any) -> str:
    from ..painless.runtime import java_str

    return java_str(value)


def list_index(context: list[Any], part: str, path: str) -> int:
    """`part` as a valid index into `context`, or ES's error for a bad or out-of-range index."""
    try:
        index = int(part)
    except ValueError:
        raise iae(f"[{part}] is not an integer, cannot be used as an index as part of path [{path}]") from None
    if index < 0 or index >= len(context):
        raise iae(f"[{index}] is out of bounds for array with length [{len(context)}] as part of path [{path}]")
    return index
