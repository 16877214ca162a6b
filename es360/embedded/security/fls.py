"""Field-level security at one chokepoint: a read-only view of an index that hides the fields a user
may not see, from its `_source` and from every per-field structure (postings, doc values, vectors,
presence). Queries on hidden fields then match nothing, aggregations see no values, sorts see them as
missing, and fetch, highlight and the fields API never see them (like ES's FieldSubsetReader).
"""

from __future__ import annotations

from typing import Any

import orjson

from .permission import ALWAYS_VISIBLE, FieldFilter


def filter_fields(node: dict[str, Any], fields: FieldFilter, prefix: str = "") -> dict[str, Any]:
    """The part of a `_source` object the filter lets through (objects left empty are dropped)."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            kept: Any = filter_fields(value, fields, path + ".") if value else value
            if kept or (not value and fields.allows_source(path)):
                out[key] = kept
        elif isinstance(value, list):
            kept = _filter_list(value, fields, path)
            if kept or (not value and fields.allows_source(path)):
                out[key] = kept
        elif fields.allows_source(path):
            out[key] = value
    return out


def filter_mapping(mapping: dict[str, Any], fields: FieldFilter) -> dict[str, Any]:
    """A mapping's JSON without the fields the filter hides (ES filters get-mapping the same way);
    objects whose fields are all hidden go too, metadata and runtime settings stay."""
    out = dict(mapping)
    if isinstance(mapping.get("properties"), dict):
        out["properties"] = _filter_properties(mapping["properties"], fields, "")
    return out


def _filter_properties(props: dict[str, Any], fields: FieldFilter, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, definition in props.items():
        path = f"{prefix}{name}"
        if not isinstance(definition, dict):
            continue
        if isinstance(definition.get("properties"), dict):  # object or nested: kept if any child is
            children = _filter_properties(definition["properties"], fields, path + ".")
            if children or (not definition["properties"] and fields.allows(path)):
                out[name] = {**definition, "properties": children}
            continue
        if not fields.allows(path):
            continue
        kept = dict(definition)
        if isinstance(definition.get("fields"), dict):  # multi-fields are fields of their own
            subs = {k: v for k, v in definition["fields"].items() if fields.allows(f"{path}.{k}")}
            if subs:
                kept["fields"] = subs
            else:
                kept.pop("fields")
        out[name] = kept
    return out


def _filter_list(items: list[Any], fields: FieldFilter, path: str) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, dict):
            kept: Any = filter_fields(item, fields, path + ".")
            if kept:
                out.append(kept)
        elif isinstance(item, list):
            kept = _filter_list(item, fields, path)
            if kept:
                out.append(kept)
        elif fields.allows_source(path):
            out.append(item)
    return out


class _Visible:
    """Memoized field-name test (metadata fields are always visible)."""

    def __init__(self, fields: FieldFilter) -> None:
        self.fields = fields
        self._memo: dict[str, bool] = {}

    def __call__(self, name: str) -> bool:
        seen = self._memo.get(name)
        if seen is None:
            seen = self._memo[name] = name in ALWAYS_VISIBLE or self.fields.allows(name)
        return seen


class FieldSubsetSegment:
    """The index's segment with only the visible fields' structures."""

    def __init__(self, segment: Any, visible: _Visible) -> None:
        self._segment = segment
        self.inverted = {k: v for k, v in segment.inverted.items() if visible(k)}
        self.columns = {k: v for k, v in segment.columns.items() if visible(k)}
        self.vectors = {k: v for k, v in segment.vectors.items() if visible(k)}
        self.present = {k: v for k, v in segment.present.items() if visible(k)}

    def present_docs(self, field: str) -> Any:
        if field not in self.present:
            import numpy as np

            return np.zeros(0, dtype=np.int32)
        return self._segment.present_docs(field)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._segment, name)


class _FilteredSources:
    """A read-only view of an index's raw-source list with the hidden fields removed on access."""

    def __init__(self, raw: list[bytes | None], fields: FieldFilter) -> None:
        self._raw = raw
        self._fields = fields

    def __len__(self) -> int:
        return len(self._raw)

    def __getitem__(self, docnum: int) -> bytes | None:
        raw = self._raw[docnum]
        return None if raw is None else orjson.dumps(filter_fields(orjson.loads(raw), self._fields))

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self._raw)))


class FieldSubsetIndex:
    """A per-request, read-only view of an Index for a user with field-level security."""

    def __init__(self, index: Any, fields: FieldFilter) -> None:
        self._index = index
        self._fields = fields
        self.segment = FieldSubsetSegment(index.segment, _Visible(fields))

    @property
    def unrestricted(self) -> Any:
        return self._index

    @property
    def sources(self) -> _FilteredSources:
        """The raw sources as this user sees them (also what a point in time or scroll freezes)."""
        return _FilteredSources(self._index.sources, self._fields)

    def source(self, state: Any) -> dict[str, Any]:
        return filter_fields(self._index.source(state), self._fields)

    def source_bytes(self, docnum: int) -> bytes | None:
        raw = self._index.source_bytes(docnum)
        if raw is None:
            return None
        return orjson.dumps(filter_fields(orjson.loads(raw), self._fields))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)
