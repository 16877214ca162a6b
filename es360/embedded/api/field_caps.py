"""`_field_caps`: the type and capabilities (searchable, aggregatable) of fields across indices."""

from __future__ import annotations

import re
from typing import Any

from ..engine import Engine
from ..errors import EsError
from ..index import Index
from ..rest import Request, route
from ..security import access as security
from ..security.actions import Rule
from ..security.actions import register as register_action
from .indices import _body, _remote_check, _targets

# metadata fields an index always has: name -> (searchable, aggregatable), as ES 8 reports them
_META_CAPS = {"_id": (True, False), "_index": (True, True), "_source": (False, False), "_seq_no": (True, True),
              "_version": (False, True), "_routing": (True, False), "_ignored": (True, True),
              "_field_names": (False, False), "_doc_count": (False, False), "_tier": (True, True),
              "_feature": (True, False), "_nested_path": (True, False), "_data_stream_timestamp": (False, False),
              "_index_mode": (True, True)}
_NEVER_AGGREGATABLE = {"match_only_text", "search_as_you_type", "dense_vector", "sparse_vector", "rank_feature",
                       "rank_features", "binary", "alias", "token_count_text"}
_DOC_VALUES_OFF_BY_DEFAULT = {"binary"}
FIELD_CAPS_ACTION = "indices:data/read/field_caps"
for _method in ("GET", "POST"):
    for _pattern in ("/_field_caps", "/{index}/_field_caps"):
        register_action(_method, _pattern, Rule(FIELD_CAPS_ACTION, "index", "index"))


@route("GET,POST", "/_field_caps", "/{index}/_field_caps")
def field_caps(engine: Engine, req: Request) -> dict[str, Any]:
    """The capabilities (type, searchable, aggregatable) of fields matching `fields` across indices."""
    body = _body(req)
    raw_fields = req.param("fields") or body.get("fields")
    if isinstance(raw_fields, str):
        raw_fields = [f.strip() for f in raw_fields.split(",") if f.strip()]
    if not raw_fields:
        raise EsError(400, "action_request_validation_exception",
                      "Validation Failed: 1: specified fields can't be null or empty;")
    patterns = [re.compile("^" + re.escape(p).replace(r"\*", ".*") + "$") for p in raw_fields]
    _remote_check(req.path_params.get("index"))
    indices = _targets(engine, req, req.path_params.get("index"), forbid_closed=False)
    runtime = body.get("runtime_mappings") or {}
    per_index = {idx.name: _visible_caps(idx, _index_field_caps(idx, runtime)) for idx in indices}
    names = sorted({name for caps in per_index.values() for name in caps
                    if any(p.match(name) for p in patterns)})
    unmapped = req.flag("include_unmapped")
    fields: dict[str, Any] = {}
    for name in names:
        by_type: dict[str, list[tuple[str, tuple[bool, bool, bool]]]] = {}
        missing = []
        for index_name, caps in per_index.items():
            found = caps.get(name)
            if found is None:
                missing.append(index_name)
            else:
                by_type.setdefault(found[0], []).append((index_name, found[1:]))
        if unmapped and missing:
            by_type["unmapped"] = [(i, (False, False, False)) for i in missing]
        fields[name] = {t: _merged_caps(t, entries, len(by_type) > 1) for t, entries in by_type.items()}
    return {"indices": [idx.name for idx in indices], "fields": fields}


def _visible_caps(idx: Index, caps: dict[str, tuple[str, bool, bool, bool]]
                  ) -> dict[str, tuple[str, bool, bool, bool]]:
    """With security on, only the fields field-level security lets the caller read (and metadata)."""
    access = security.current()
    fields = access.index_access(idx, FIELD_CAPS_ACTION).fields if access is not None else None
    if fields is None:
        return caps
    visible = {name: found for name, found in caps.items()
               if found[1] or (found[0] not in ("object", "nested") and fields.allows(name))}
    for name, found in caps.items():  # an object shows when one of its fields does
        if found[0] in ("object", "nested") and any(v.startswith(name + ".") for v in visible):
            visible[name] = found
    return visible


def _index_field_caps(idx: Index, runtime: dict[str, Any]) -> dict[str, tuple[str, bool, bool, bool]]:
    """One index's fields: name -> (type, is metadata, searchable, aggregatable)."""
    mapping = idx.mapping
    out: dict[str, tuple[str, bool, bool, bool]] = {
        name: (name, True, searchable, aggregatable) for name, (searchable, aggregatable) in _META_CAPS.items()}
    for path, kind in mapping.objects.items():
        out[path] = (kind, False, False, False)
    for path, f in mapping.fields.items():
        if f.params.get("_shingle") or f.params.get("_prefix"):
            continue  # search_as_you_type's internal sub-fields
        target = mapping.field(path) if f.type == "alias" else f
        if target is None:
            continue
        out[path] = (target.type, False, *_leaf_caps(target))
    for name, definition in {**mapping.root.get("runtime", {}), **runtime}.items():
        if isinstance(definition, dict):
            out[name] = (str(definition.get("type", "keyword")), False, True, True)
    return out


def _leaf_caps(f: Any) -> tuple[bool, bool]:
    """(searchable, aggregatable) of a mapped leaf field, as ES reports them."""
    params = f.params
    doc_values = params.get("doc_values", f.type not in _DOC_VALUES_OFF_BY_DEFAULT) is not False
    indexed = params.get("index", True) is not False
    if f.type in ("text", "match_only_text", "search_as_you_type"):
        return indexed, f.type == "text" and bool(params.get("fielddata"))
    if f.type in _NEVER_AGGREGATABLE:
        return f.type != "binary" and indexed, False
    if f.type in ("object", "nested"):
        return False, False
    # numbers, dates, keywords, ips and booleans stay searchable through their doc values
    return indexed or doc_values, doc_values


def _merged_caps(ftype: str, entries: list[tuple[str, tuple[bool, bool, bool]]], list_indices: bool
                 ) -> dict[str, Any]:
    """One type's capabilities across the indices that map the field with that type."""
    searchable = [i for i, caps in entries if caps[1]]
    aggregatable = [i for i, caps in entries if caps[2]]
    out: dict[str, Any] = {"type": ftype, "metadata_field": entries[0][1][0],
                           "searchable": len(searchable) == len(entries),
                           "aggregatable": len(aggregatable) == len(entries)}
    if list_indices:
        out["indices"] = [i for i, _caps in entries]
    if searchable and not out["searchable"]:
        out["non_searchable_indices"] = [i for i, _caps in entries if i not in searchable]
    if aggregatable and not out["aggregatable"]:
        out["non_aggregatable_indices"] = [i for i, _caps in entries if i not in aggregatable]
    return out
