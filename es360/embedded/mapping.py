"""Mappings: field types, validation, merging, dynamic mapping and document parsing.

A `Mapping` keeps the mapping JSON as ES returns it and a flat table of leaf fields (`path -> Field`),
multi-fields included (`name.keyword`). `Mapping.parse_document` turns a `_source` into per-field
values ready for the index, adding dynamic fields as ES does.
"""

from __future__ import annotations

import copy
import ipaddress
import math
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from .errors import EsError, document_parsing, illegal_argument, mapper_parsing

ROOT_PARAMS = {
    "properties", "dynamic", "_source", "_meta", "_routing", "date_detection", "dynamic_date_formats",
    "numeric_detection", "dynamic_templates", "runtime", "enabled", "_field_names", "subobjects",
    "_data_stream_timestamp", "_doc_count", "_size", "_all", "_index_template",
}
COMMON = {"type", "meta", "copy_to", "fields", "store", "index", "doc_values", "boost", "null_value"}
SCRIPTABLE = {"script", "on_script_error"}
NUMERIC_TYPES = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float",
                 "unsigned_long"}
INTEGER_RANGES = {
    "long": (-(2**63), 2**63 - 1), "integer": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1), "byte": (-128, 127), "unsigned_long": (0, 2**64 - 1),
}
TYPE_PARAMS: dict[str, set[str]] = {
    "text": COMMON | {"analyzer", "search_analyzer", "search_quote_analyzer", "norms", "index_options",
                      "index_phrases", "index_prefixes", "fielddata", "fielddata_frequency_filter",
                      "position_increment_gap", "similarity", "term_vector", "eager_global_ordinals"},
    "match_only_text": {"type", "meta", "fields", "copy_to"},
    "keyword": COMMON | SCRIPTABLE | {"normalizer", "ignore_above", "eager_global_ordinals", "index_options",
                                      "norms", "similarity", "split_queries_on_whitespace",
                                      "time_series_dimension"},
    "constant_keyword": {"type", "value", "meta"},
    "wildcard": {"type", "ignore_above", "null_value", "meta", "fields", "copy_to"},
    "date": COMMON | SCRIPTABLE | {"format", "locale", "ignore_malformed", "print_format"},
    "date_nanos": COMMON | SCRIPTABLE | {"format", "locale", "ignore_malformed"},
    "boolean": COMMON | SCRIPTABLE,
    "ip": COMMON | SCRIPTABLE | {"ignore_malformed", "time_series_dimension"},
    "object": {"type", "properties", "dynamic", "enabled", "subobjects"},
    "nested": {"type", "properties", "dynamic", "enabled", "include_in_parent", "include_in_root"},
    "flattened": {"type", "depth_limit", "doc_values", "eager_global_ordinals", "ignore_above", "index",
                  "index_options", "null_value", "similarity", "split_queries_on_whitespace", "meta",
                  "time_series_dimensions"},
    "dense_vector": {"type", "dims", "similarity", "index", "index_options", "element_type", "meta"},
    "search_as_you_type": {"type", "analyzer", "search_analyzer", "search_quote_analyzer", "max_shingle_size",
                           "index", "store", "norms", "similarity", "term_vector", "index_options",
                           "copy_to", "meta"},
    "token_count": COMMON | {"analyzer", "enable_position_increments"},
    "alias": {"type", "path"},
    "binary": {"type", "doc_values", "store", "meta"},
    "geo_point": COMMON | SCRIPTABLE | {"ignore_malformed", "ignore_z_value"},
    "version": {"type", "meta", "fields"},
    "rank_feature": {"type", "positive_score_impact", "meta"},
    "rank_features": {"type", "positive_score_impact", "meta"},
    "sparse_vector": {"type", "meta"},
    "integer_range": COMMON | {"coerce"}, "long_range": COMMON | {"coerce"},
    "float_range": COMMON | {"coerce"}, "double_range": COMMON | {"coerce"},
    "date_range": COMMON | {"coerce", "format", "locale"}, "ip_range": COMMON | {"coerce"},
    "aggregate_metric_double": {"type", "meta", "metrics", "default_metric", "ignore_malformed",
                                "time_series_metric"},
}
for _t in NUMERIC_TYPES:
    TYPE_PARAMS[_t] = COMMON | SCRIPTABLE | {"coerce", "ignore_malformed", "time_series_dimension",
                                             "time_series_metric"}
TYPE_PARAMS["scaled_float"] = TYPE_PARAMS["scaled_float"] | {"scaling_factor"}
DEFAULT_DATE_FORMAT = "strict_date_optional_time||epoch_millis"
DEFAULT_DYNAMIC_DATE_FORMATS = ["strict_date_optional_time", "yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z"]
TEXT_LIKE = {"text", "match_only_text", "search_as_you_type"}
DATE_NANOS_MAX_MILLIS = 9_223_372_036_854  # 2262-04-11T23:47:16.854Z, the last instant a long of nanos holds
KEYWORD_LIKE = {"keyword", "constant_keyword", "wildcard", "version", "flattened"}
AGG_METRICS = ("min", "max", "sum", "value_count")  # the sub-metrics of aggregate_metric_double, in ES order


@dataclass(slots=True)
class Field:
    """A leaf field: its full path, type and mapping parameters."""

    path: str
    type: str
    params: dict[str, Any]
    nested_path: str | None = None
    parent_text: str | None = None  # for multi-fields: the parent field path
    subs: tuple[Field, ...] | None = None  # multi-fields, resolved once per mapping version

    @property
    def indexed(self) -> bool:
        return self.params.get("index", True) is not False

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_LIKE

    @property
    def is_keyword(self) -> bool:
        return self.type in KEYWORD_LIKE

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES or self.type in ("date", "date_nanos", "boolean", "token_count",
                                                           "aggregate_metric_double")

    @property
    def analyzer(self) -> str:
        return self.params.get("analyzer", "standard")

    @property
    def search_analyzer(self) -> str:
        return self.params.get("search_analyzer", self.analyzer)

    @property
    def date_format(self) -> str:
        return self.params.get("format", DEFAULT_DATE_FORMAT)


@dataclass
class ParsedDoc:
    """The indexable values of one document (and its nested sub-documents)."""

    values: dict[str, list[Any]] = field(default_factory=dict)  # leaf path -> converted values
    nested: list[tuple[str, ParsedDoc]] = field(default_factory=list)  # (nested path, sub-doc)
    ignored: list[str] = field(default_factory=list)

    def add(self, path: str, value: Any) -> None:
        self.values.setdefault(path, []).append(value)


class Mapping:
    """An index mapping: JSON as ES shows it plus the flat leaf-field table."""

    def __init__(self, mapping: dict[str, Any] | None = None, analysis: Any = None) -> None:
        self.analysis = analysis
        self.root: dict[str, Any] = {}
        self.fields: dict[str, Field] = {}
        self.objects: dict[str, str] = {}  # object path -> "object" | "nested"
        # aggregate_metric_double sub-metric columns (`price.min` ...): indexed, never listed as fields
        self.metric_fields: dict[str, Field] = {}
        self.version = 0
        # id(object definition) -> (definition, parse plan); see _DocParser.parse_object
        self._plans: dict[int, tuple[dict[str, Any], dict[str, tuple[Any, ...]]]] = {}
        if mapping:
            self.merge(mapping)

    # ---- definition -------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The mapping as GET _mapping shows it (properties sorted by name)."""
        return _sorted_props(copy.deepcopy(self.root))

    @property
    def dynamic(self) -> str:
        return str(self.root.get("dynamic", "true")).lower()

    @property
    def source_enabled(self) -> bool:
        return self.root.get("_source", {}).get("enabled", True) is not False

    def merge(self, mapping: dict[str, Any]) -> None:
        """Validate and merge new mapping definitions; conflicting changes raise like ES."""
        mapping = _unwrap_doc_type(mapping)
        unknown = [k for k in mapping if k not in ROOT_PARAMS]
        if unknown:
            items = ", ".join(f"{k} : {_show(mapping[k])}" for k in unknown)
            raise mapper_parsing(f"Root mapping definition has unsupported parameters:  [{items}]")
        new_root = copy.deepcopy(self.root)
        if "subobjects" in mapping:
            mapping = {**mapping, "subobjects": _subobjects_value(mapping["subobjects"], "_doc")}
        root_mode = _subobjects_mode(mapping.get("subobjects", new_root.get("subobjects", True)))
        for key, value in mapping.items():
            if key == "properties":
                if not isinstance(value, dict):
                    raise mapper_parsing(f"Expected map for property [properties] but got [{value}]")
                props = new_root.setdefault("properties", {})
                self._merge_properties(props, value, "", None, root_mode, "_doc")
            elif key == "dynamic":
                new_root["dynamic"] = _dynamic_value(value)
            elif key == "_source" and isinstance(value, dict):
                new_root.setdefault("_source", {}).update(value)
            elif key == "_meta":
                new_root["_meta"] = value
            elif key == "runtime":
                from .runtime import merge_section

                new_root["runtime"] = merge_section(new_root.get("runtime"), value)
            else:
                new_root[key] = value
        self.root = new_root
        self._rebuild()

    def _merge_properties(self, current: dict, incoming: dict, prefix: str, nested: str | None,
                          subobjects: str = "true", owner: str = "_doc") -> None:
        """Merge `incoming` property definitions into `current` (the properties of object `owner`).

        `subobjects` is the owner's mode: "true" expands dotted names into objects, "false" keeps
        them as leaf names (flattening object definitions into dotted leaves, refusing nested ones),
        "auto" keeps them unless an object with the dotted name's head already exists."""
        for name, definition in incoming.items():
            path = f"{prefix}{name}"
            if not name:
                reason = "field name cannot be an empty string"
                raise mapper_parsing(f"Failed to parse mapping: {reason}", caused_by=illegal_argument(reason))
            if not isinstance(definition, dict):
                raise mapper_parsing(f"Expected map for property [fields] on field [{name}] but got a {type(definition).__name__}")
            if "." in name and not name.startswith(".") and _expands(name, current, subobjects):
                head, rest = name.split(".", 1)
                wrapped = {head: {"properties": {rest: definition}}}
                self._merge_properties(current, wrapped, prefix, nested, subobjects, owner)
                continue
            ftype = definition.get("type")
            if ftype is None and ("properties" in definition or "dynamic" in definition or "enabled" in definition):
                ftype = "object"
            if ftype is None:
                ftype = "object"
            if ftype not in TYPE_PARAMS:
                raise mapper_parsing(f"No handler for type [{ftype}] declared on field [{name}]")
            _check_params(name, ftype, definition)
            existing = current.get(name)
            if ftype in ("object", "nested") and subobjects == "false":
                # an object inside an object without subobjects is flattened into dotted leaves
                if ftype == "nested":
                    raise mapper_parsing(f"Failed to parse mapping: Tried to add nested object [{name}] to object "
                                         f"[{owner.rsplit('.', 1)[-1]}] which does not support subobjects")
                self._merge_properties(current, _flattened_object(path, name, definition), prefix, nested,
                                       subobjects, owner)
                continue
            if ftype in ("object", "nested"):
                existing_type = (existing or {}).get("type", "object") if existing else None
                if existing is not None and existing_type != ftype:
                    raise illegal_merge(path, existing_type, ftype)
                target = existing if existing is not None else {}
                for key, value in definition.items():
                    if key != "properties":
                        if key == "dynamic":
                            value = _dynamic_value(value)
                        elif key == "subobjects":
                            value = _subobjects_value(value, path)
                            if existing is not None and _subobjects_mode(existing.get("subobjects", True)) \
                                    != _subobjects_mode(value):
                                raise illegal_argument(f"the [subobjects] parameter can't be updated for the "
                                                       f"object mapping [{path}]")
                        target[key] = value
                if ftype == "object":
                    target.pop("type", None)
                child_nested = path if ftype == "nested" else nested
                self._merge_properties(target.setdefault("properties", {}), definition.get("properties", {}),
                                       path + ".", child_nested, _subobjects_mode(target.get("subobjects", True)),
                                       path)
                if not target["properties"] and "properties" not in definition and existing is None:
                    target.pop("properties")
                current[name] = target
                continue
            _validate_leaf(path, ftype, definition, self.analysis)
            if ftype == "aggregate_metric_double":
                definition = _normalized_aggregate_metric(definition)
            if existing is not None:
                current[name] = _merge_leaf(path, existing, definition)
            else:
                current[name] = copy.deepcopy(definition)

    def _rebuild(self) -> None:
        self.fields = {}
        self.objects = {}
        self.metric_fields = {}
        self._plans = {}
        self._walk(self.root.get("properties", {}), "", None)
        self.version += 1

    def _walk(self, props: dict, prefix: str, nested: str | None) -> None:
        for name, definition in props.items():
            path = prefix + name
            ftype = definition.get("type", "object")
            if ftype in ("object", "nested"):
                self.objects[path] = ftype
                self._walk(definition.get("properties", {}), path + ".", path if ftype == "nested" else nested)
                continue
            subs = tuple(Field(f"{path}.{sub}", subdef.get("type", "object"), subdef, nested, parent_text=path)
                         for sub, subdef in definition.get("fields", {}).items())
            self.fields[path] = Field(path, ftype, definition, nested, subs=subs)
            for sub_field in subs:
                self.fields[sub_field.path] = sub_field
            if ftype == "aggregate_metric_double":
                for metric in definition.get("metrics", ()):
                    sub = f"{path}.{metric}"
                    self.metric_fields[sub] = Field(sub, "integer" if metric == "value_count" else "double",
                                                    {"_metric_of": path}, nested)
            if ftype == "search_as_you_type":
                shingles = int(definition.get("max_shingle_size", 3))
                for n in range(2, shingles + 1):
                    sub = f"{path}._{n}gram"
                    self.fields[sub] = Field(sub, "text", {"analyzer": definition.get("analyzer", "standard"),
                                                           "_shingle": n}, nested, parent_text=path)
                self.fields[f"{path}._index_prefix"] = Field(
                    f"{path}._index_prefix", "text",
                    {"analyzer": definition.get("analyzer", "standard"), "_prefix": True}, nested, parent_text=path)

    # ---- lookup -----------------------------------------------------------------------------
    def field(self, path: str) -> Field | None:
        found = self.fields.get(path)
        if found is not None and found.type == "alias":
            return self.fields.get(found.params.get("path", ""))
        if found is None and self.metric_fields:
            found = self.metric_fields.get(path)
        if found is None:
            flat = self._flattened_parent(path)
            if flat is not None:
                return Field(path, "keyword", {}, flat.nested_path, parent_text=flat.path)
        return found

    def _flattened_parent(self, path: str) -> Field | None:
        parts = path.split(".")
        for i in range(len(parts) - 1, 0, -1):
            candidate = self.fields.get(".".join(parts[:i]))
            if candidate is not None and candidate.type == "flattened":
                return candidate
        return None

    def resolve_pattern(self, pattern: str) -> list[str]:
        """Field names matching a pattern like `name.*` or `*` (leaf fields, sorted)."""
        if "*" not in pattern:
            return [pattern] if self.field(pattern) is not None else []
        regex = re.compile("^" + re.escape(pattern).replace(r"\*", ".*") + "$")
        return sorted(p for p, f in self.fields.items() if regex.match(p) and f.type != "alias")

    def parse_plan(self, prefix: str, obj_def: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        """For the mapped properties of one object: what a plain value of each needs at parse time.

        `(_LEAF, path, convert, sub_paths)` for leaves whose values convert without the generic
        machinery (`convert(value)` returns the indexed value or _SLOW), `(_OBJECT, prefix,
        definition)` for enabled sub-objects. Built once per mapping version and object.
        """
        cached = self._plans.get(id(obj_def))
        if cached is not None and cached[0] is obj_def:
            return cached[1]
        plan: dict[str, tuple[Any, ...]] = {}
        for key, definition in obj_def.get("properties", {}).items():
            if "." in key or not key or not isinstance(definition, dict):
                continue
            path = prefix + key
            ftype = definition.get("type", "object")
            if ftype == "object":
                if definition.get("enabled", True) is not False:
                    plan[key] = (_OBJECT, path + ".", definition)
                continue
            f = self.fields.get(path)
            if f is None or f.type != ftype or f.params.get("copy_to"):
                continue
            convert = _fast_converter(f)
            if convert is None:
                continue
            sub_paths: list[tuple[str, int | None]] = []
            for sub in f.subs or ():
                if sub.type in TEXT_LIKE:
                    sub_paths.append((sub.path, None))  # a string converts to itself
                elif sub.type == "keyword":  # ... unless longer than ignore_above (then it is left out)
                    limit = sub.params.get("ignore_above")
                    try:
                        sub_paths.append((sub.path, int(limit) if limit is not None else None))
                    except (TypeError, ValueError):
                        break
                else:
                    break
            else:
                plan[key] = (_LEAF, path, convert, tuple(sub_paths))
        if len(self._plans) >= 1000:
            self._plans.clear()
        self._plans[id(obj_def)] = (obj_def, plan)
        return plan

    # ---- documents --------------------------------------------------------------------------
    def parse_document(self, source: dict[str, Any], dynamic_templates: dict[str, str] | None = None
                       ) -> tuple[ParsedDoc, dict[str, Any] | None]:
        """Convert `_source` into per-field values. Returns the doc and the dynamic mapping update (or None).

        `dynamic_templates` (a bulk item's parameter): full field path -> the name of the dynamic
        template a new field at that path must use, whatever the template's match conditions."""
        parser = _DocParser(self, dynamic_templates)
        doc = ParsedDoc()
        parser.parse_object(source, "", self.root, doc, None)
        update = parser.update if parser.update else None
        return doc, update


class _DocParser:
    def __init__(self, mapping: Mapping, dynamic_templates: dict[str, str] | None = None) -> None:
        self.mapping = mapping
        self.update: dict[str, Any] = {}
        self.named_templates = dynamic_templates or None

    def parse_object(self, obj: dict, prefix: str, obj_def: dict, doc: ParsedDoc, dynamic: str | None) -> None:
        if not isinstance(obj, dict):
            raise document_parsing(f"[1:1] object mapping for [{prefix.rstrip('.')}] tried to parse field "
                                   f"[{prefix.rstrip('.')}] as object, but found a concrete value")
        raw = obj_def.get("dynamic", dynamic or "true")
        dynamic = raw if type(raw) is str and raw in _DYNAMIC_VALUES else _dynamic_value(raw)
        props = obj_def.get("properties", {})
        plan = self.mapping.parse_plan(prefix, obj_def)
        values = doc.values
        for key, value in obj.items():
            entry = plan.get(key)
            if entry is not None and value is not None:
                # fast path: what parse_value does for a plain value of a mapped field or object
                if type(value) is list:
                    if entry[0] is _LEAF and value:
                        convert = entry[2]
                        converted_all = [convert(v) for v in value]
                        subs = entry[3]
                        for converted in converted_all:
                            if converted is _SLOW:
                                break
                        else:
                            if not subs:
                                found = values.get(entry[1])
                                if found is None:
                                    values[entry[1]] = converted_all
                                else:
                                    found.extend(converted_all)
                                continue
                            # multi-fields: strings short enough for no term limit, added item by
                            # item (field then multi-fields) as the generic path does
                            for v in value:
                                if type(v) is not str or len(v) > _SAFE_TERM_CHARS:
                                    break
                            else:
                                path = entry[1]
                                for v, converted in zip(value, converted_all, strict=True):
                                    found = values.get(path)
                                    if found is None:
                                        values[path] = [converted]
                                    else:
                                        found.append(converted)
                                    for sub_path, limit in subs:
                                        if limit is not None and len(v) > limit:
                                            continue
                                        found = values.get(sub_path)
                                        if found is None:
                                            values[sub_path] = [v]
                                        else:
                                            found.append(v)
                                continue
                elif entry[0] is _LEAF:
                    subs = entry[3]
                    # a very long string takes the generic path, which checks Lucene's term limit
                    if (not subs or type(value) is str) and (type(value) is not str or len(value) <= _SAFE_TERM_CHARS):
                        convert = entry[2]
                        if convert is _as_str:  # _as_str(value), inlined for the commonest fields
                            converted = value if type(value) is str else _SLOW
                        else:
                            converted = convert(value)
                        if converted is not _SLOW:
                            found = values.get(entry[1])
                            if found is None:
                                values[entry[1]] = [converted]
                            else:
                                found.append(converted)
                            for sub_path, limit in subs:
                                if limit is not None and len(value) > limit:
                                    continue
                                found = values.get(sub_path)
                                if found is None:
                                    values[sub_path] = [value]
                                else:
                                    found.append(value)
                            continue
                elif type(value) is dict:
                    self.parse_object(value, entry[1], entry[2], doc, dynamic)
                    continue
            if key == "":
                raise document_parsing("[1:2] field name cannot be an empty string")
            mode = obj_def.get("subobjects", True)
            if mode is not True:
                mode = _subobjects_mode(mode)
                if mode == "false" or (mode == "auto" and "." in key and not _expands(key, props, mode)):
                    for name, item in _flat_items(key, value):
                        self.parse_value(name, item, prefix, props.get(name), doc, dynamic)
                    continue
            if "." in key and key.strip(".") == key:
                head, rest = key.split(".", 1)
                self._dotted(head, rest, value, prefix, obj_def, doc, dynamic)
                continue
            self.parse_value(key, value, prefix, props.get(key), doc, dynamic)

    def _dotted(self, head: str, rest: str, value: Any, prefix: str, obj_def: dict, doc: ParsedDoc,
                dynamic: str) -> None:
        props = obj_def.get("properties", {})
        full = head + "." + rest
        if full in props:  # a leaf literally named with dots is not possible in ES mappings; treat as path
            self.parse_value(full, value, prefix, props[full], doc, dynamic)
            return
        definition = props.get(head)
        if definition is not None and definition.get("type") not in (None, "object", "nested"):
            if definition.get("type") == "flattened":
                self.parse_value(head, {rest: value}, prefix, definition, doc, dynamic)
                return
            raise document_parsing(f"[1:1] Could not dynamically add mapping for field [{prefix}{full}]. "
                                   f"Existing mapping for [{prefix}{head}] must be of type object but found "
                                   f"[{definition.get('type')}].")
        self.parse_value(head, {rest: value}, prefix, definition, doc, dynamic)

    def parse_value(self, key: str, value: Any, prefix: str, definition: dict | None, doc: ParsedDoc,
                    dynamic: str) -> None:
        path = prefix + key
        if definition is None:
            definition = self._dynamic_definition(path, value, dynamic, key if "." in key else None)
            if definition is None:
                return
        ftype = definition.get("type", "object")
        if ftype in ("object", "nested"):
            if definition.get("enabled", True) is False:
                return
            items = value if isinstance(value, list) else [value]
            for item in items:
                if item is None:
                    continue
                if ftype == "nested":
                    sub = ParsedDoc()
                    self.parse_object(item, path + ".", definition, sub, dynamic)
                    doc.nested.append((path, sub))
                    if definition.get("include_in_parent") or definition.get("include_in_root"):
                        for p, vals in sub.values.items():
                            doc.values.setdefault(p, []).extend(vals)
                else:
                    if not isinstance(item, dict):
                        raise document_parsing(
                            f"[1:{len(path) + 4}] object mapping for [{path}] tried to parse field [{key}] as "
                            f"object, but found a concrete value")
                    self.parse_object(item, path + ".", definition, doc, dynamic)
            return
        field_obj = self.mapping.fields.get(path) or Field(path, ftype, definition)
        self._leaf(field_obj, value, doc)

    def _leaf(self, f: Field, value: Any, doc: ParsedDoc) -> None:
        ftype = f.type
        if ftype == "aggregate_metric_double":
            _aggregate_metric(f, value, doc)
            return
        if ftype == "flattened":
            for sub_path, leaf in _flatten(value, ""):
                doc.add(f.path, leaf)
                doc.add(f"{f.path}.{sub_path}", leaf)
            return
        if ftype == "dense_vector":
            doc.add(f.path, _vector(f, value))
            return
        items = _flatten_list(value) if isinstance(value, list) else (value,)
        subs = f.subs if f.subs is not None else _subfields(f)
        copy_to = f.params.get("copy_to")
        plain_string = ftype in TEXT_LIKE or (ftype == "keyword" and "ignore_above" not in f.params)
        for item in items:
            if item is None:
                if "null_value" not in f.params:
                    continue
                item = f.params["null_value"]
            if plain_string and type(item) is str:
                converted: Any = check_term_size(f, item) if ftype == "keyword" else item
            else:
                converted = self._convert(f, item, doc)
                if converted is None:
                    continue
            doc.add(f.path, converted)
            for sub in subs:
                try:
                    sub_value = item if type(item) is str and sub.type in TEXT_LIKE else convert_value(sub, item)
                except ImmenseTerm:
                    raise
                except EsError:
                    if sub.params.get("ignore_malformed", True):
                        continue
                    raise
                if sub_value is not None:
                    doc.add(sub.path, sub_value)
            if copy_to:
                for target in _as_list(copy_to):
                    target_field = self.mapping.fields.get(target)
                    if target_field is not None:
                        copied = convert_value(target_field, item)
                        if copied is not None:
                            doc.add(target, copied)

    def _convert(self, f: Field, item: Any, doc: ParsedDoc) -> Any:
        """Convert one value, recording ignored (malformed or too long) values; None = skip it."""
        if isinstance(item, dict) and f.type != "geo_point" and not f.type.endswith("_range"):
            raise document_parsing(f"[1:1] failed to parse field [{f.path}] of type [{f.type}] in document. "
                                   f"Preview of field's value: '{_show(item)}'",
                                   caused_by=EsError(400, "illegal_state_exception",
                                                     "Can't get text on a START_OBJECT at 1:1"))
        try:
            converted = convert_value(f, item)
        except ImmenseTerm:
            raise
        except EsError as err:
            if f.params.get("ignore_malformed"):
                doc.ignored.append(f.path)
                return None
            raise document_parsing(
                f"[1:1] failed to parse field [{f.path}] of type [{f.type}] in document with id. "
                f"Preview of field's value: '{_show(item)}'", caused_by=err) from None
        if converted is None:
            doc.ignored.append(f.path)
        return converted

    def _dynamic_definition(self, path: str, value: Any, dynamic: str, leaf_name: str | None = None
                            ) -> dict | None:
        """The mapping of a new field (recorded as a mapping update unless runtime); `leaf_name`: the
        field's own name when it holds dots (a leaf of an object without subobjects)."""
        if value is None or (isinstance(value, list) and all(v is None for v in value)):
            return None
        if dynamic == "false":
            return None
        if dynamic == "strict":
            parent = path.rsplit(".", 1)[0] if "." in path else "_doc"
            name = path.rsplit(".", 1)[-1]
            raise EsError(400, "strict_dynamic_mapping_exception",
                          f"[1:{len(path) + 2}] mapping set to strict, dynamic introduction of [{name}] within "
                          f"[{parent}] is not allowed")
        definition = self._infer(path, value)
        if definition is None:
            return None
        if dynamic != "runtime":
            self._record_update(path, definition, leaf_name)
        return definition

    def _infer(self, path: str, value: Any) -> dict | None:
        sample = value
        if isinstance(value, list):
            non_null = [v for v in _flatten_list(value) if v is not None]
            if not non_null:
                return None
            sample = non_null[0]
        template = self._dynamic_template(path, sample)
        if template is not None:
            return template
        if isinstance(sample, bool):
            return {"type": "boolean"}
        if isinstance(sample, int):
            return {"type": "long"}
        if isinstance(sample, float):
            return {"type": "float"}
        if isinstance(sample, dict):
            return {"properties": {}}
        if isinstance(sample, str):
            if self.mapping.root.get("numeric_detection"):
                try:
                    int(sample)
                    return {"type": "long"}
                except ValueError:
                    try:
                        float(sample)
                        return {"type": "float"}
                    except ValueError:
                        pass
            if self.mapping.root.get("date_detection", True) is not False and _looks_like_date(
                sample, self.mapping.root.get("dynamic_date_formats", DEFAULT_DYNAMIC_DATE_FORMATS)
            ):
                formats = self.mapping.root.get("dynamic_date_formats", DEFAULT_DYNAMIC_DATE_FORMATS)
                fmt = formats[0] if formats != DEFAULT_DYNAMIC_DATE_FORMATS else None
                return {"type": "date", "format": fmt} if fmt else {"type": "date"}
            return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
        return None

    def _dynamic_template(self, path: str, sample: Any) -> dict | None:
        wanted = self.named_templates.get(path) if self.named_templates else None
        for entry in self.mapping.root.get("dynamic_templates", []):
            for template_name, tpl in entry.items():
                if template_name == wanted if wanted is not None else _template_matches(tpl, path, sample):
                    definition = copy.deepcopy(tpl.get("mapping", {}))
                    detected = _detected_type(sample)
                    name = path.rsplit(".", 1)[-1]
                    definition = _substitute(definition, name, detected)
                    if "type" not in definition and "properties" not in definition:
                        base = self._infer_plain(sample)
                        definition = {**base, **definition}
                    if isinstance(sample, dict) and definition.get("type", "object") not in ("object", "nested"):
                        raise mapper_parsing(f"Field [{path}] must be an object; but it's configured as "
                                             f"[{definition.get('type')}] in dynamic template [{template_name}]")
                    return definition
        if wanted is not None:
            raise mapper_parsing(f"Can't find dynamic template for dynamic template name [{wanted}] of field "
                                 f"[{path}]")
        return None

    def _infer_plain(self, sample: Any) -> dict:
        if isinstance(sample, bool):
            return {"type": "boolean"}
        if isinstance(sample, int):
            return {"type": "long"}
        if isinstance(sample, float):
            return {"type": "float"}
        if isinstance(sample, dict):
            return {"type": "object"}
        return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}

    def _record_update(self, path: str, definition: dict, leaf_name: str | None = None) -> None:
        if leaf_name is None:
            parts = path.split(".")
        else:
            parent = path[: -len(leaf_name) - 1]
            parts = [*parent.split("."), leaf_name] if parent else [leaf_name]
        node = self.update
        for i, part in enumerate(parts[:-1]):
            holder = node.setdefault(part, {})
            if self.mapping.objects.get(".".join(parts[: i + 1])) == "nested":
                holder["type"] = "nested"  # an update inside a nested object must not retype it
            node = holder.setdefault("properties", {})
        existing = node.get(parts[-1])
        if existing is None or existing.get("type") is None:
            node[parts[-1]] = {**copy.deepcopy(definition), **({"properties": existing["properties"]}
                                                              if existing and "properties" in existing else {})}


# ---- value conversion --------------------------------------------------------------------------
_LEAF = "leaf"
_OBJECT = "object"
_SLOW: Any = object()  # a fast converter's "let convert_value decide" (errors, coercion, rare types)
_DYNAMIC_VALUES = frozenset({"true", "false", "strict", "runtime"})
_F32 = struct.Struct("f")
_F32_MAX = 3.4028234663852886e38


_TWO_DIGITS = {f"{i:02d}": i for i in range(100)}
_THREE_DIGITS = {f"{i:03d}": i for i in range(1000)}
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DAYS: dict[str, int | None] = {}  # "YYYY-MM-DD" -> days since the epoch (None: not a date)


def _iso_days(text: str) -> int | None:
    days = _DAYS.get(text, _SLOW)
    if days is not _SLOW:
        return days
    from .dates import days_from_civil

    found: int | None = None
    if text.isascii() and text[:4].isdigit() and text[4] == "-" and text[7] == "-":
        year, month, day = int(text[:4]), _TWO_DIGITS.get(text[5:7]), _TWO_DIGITS.get(text[8:10])
        if month is not None and day is not None and 1 <= month <= 12 and 1 <= day <= _MONTH_DAYS[month - 1] \
                and not (month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))):
            found = days_from_civil(year, month, day)
    if len(_DAYS) >= 20_000:
        _DAYS.clear()
    _DAYS[text] = found
    return found


_LAST_PRINTED: tuple[str | None, int] = (None, 0)  # the date processor's latest output and its millis


def note_printed_date(text: str, millis: int) -> None:
    """Record that `text` (as the date processor printed it, ISO-8601 in UTC) is `millis`, so that
    indexing the same string object right after skips parsing it again (iso_millis(text) == millis)."""
    global _LAST_PRINTED
    _LAST_PRINTED = (text, millis)


def iso_millis(text: str) -> int | None:
    """Epoch millis of the common ISO-8601 shapes (`2025-03-04`, `2025-03-04T10:22:00`, with `Z`,
    `.123` or a `+02:00` offset), as dates._fast_iso reads them; None for anything else (the
    caller then asks the date formatter)."""
    size = len(text)
    if size == 10:
        days = _iso_days(text)
        return days * 86_400_000 if days is not None else None
    if size < 19 or text[10] != "T" or text[13] != ":" or text[16] != ":":
        return None
    two = _TWO_DIGITS
    hour, minute, second = two.get(text[11:13]), two.get(text[14:16]), two.get(text[17:19])
    if hour is None or minute is None or second is None or hour > 23 or minute > 59 or second > 59:
        return None
    millis = 0
    rest = text[19:]
    if rest[:1] == ".":
        millis = _THREE_DIGITS.get(rest[1:4], -1)
        if millis >= 0 and (len(rest) == 4 or rest[4] in "Z+-"):
            rest = rest[4:]
        else:  # 1 to 9 digits (Python's isoformat() writes 6): milliseconds, the rest truncated
            digits = 1
            while digits < len(rest) and rest[digits] in "0123456789":
                digits += 1
            if not 2 <= digits <= 10:
                return None
            millis = int(rest[1:min(digits, 4)].ljust(3, "0"))
            rest = rest[digits:]
    offset = 0
    if rest == "Z" or not rest:
        pass
    elif len(rest) == 6 and rest[0] in "+-" and rest[3] == ":":
        oh, om = two.get(rest[1:3]), two.get(rest[4:6])
        if oh is None or om is None or oh > 18 or om > 59:
            return None
        offset = (oh * 3600 + om * 60) * 1000
        if rest[0] == "-":
            offset = -offset
    else:
        return None
    days = _iso_days(text[:10])
    if days is None:
        return None
    return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis - offset


MAX_TERM_BYTES = 32766  # Lucene's limit on one indexed term
_SAFE_TERM_CHARS = MAX_TERM_BYTES // 4  # no string this short can exceed it in UTF-8


class ImmenseTerm(EsError):
    """A keyword value longer than Lucene's term limit: the document is rejected, whatever
    `ignore_malformed` says (Elasticsearch's `max_bytes_length_exceeded_exception`)."""

    def __init__(self, path: str, value: str, size: int) -> None:
        prefix = list(value.encode()[:30])
        cause = EsError(400, "max_bytes_length_exceeded_exception",
                        f"max_bytes_length_exceeded_exception: bytes can be at most {MAX_TERM_BYTES} in length; "
                        f"got {size}")
        super().__init__(400, "illegal_argument_exception",
                         f'Document contains at least one immense term in field="{path}" (whose UTF8 encoding is '
                         f"longer than the max length {MAX_TERM_BYTES}), all of which were skipped.  Please correct "
                         f"the analyzer to not produce such terms.  The prefix of the first immense term is: "
                         f"'{prefix}...', original message: bytes can be at most {MAX_TERM_BYTES} in length; "
                         f"got {size}", caused_by=cause)


def check_term_size(f: Field, text: str) -> str:
    """`text`, or ImmenseTerm when it is too long to index as one term of `f`."""
    if len(text) > _SAFE_TERM_CHARS:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_TERM_BYTES:
            raise ImmenseTerm(f.path, text, size)
    return text


_DATE_MEMO_LIMIT = 20_000  # date strings whose millis a date field's converter remembers
_DATE_MEMO_CHARS = 40  # ... when they are this short


def _as_str(v: Any) -> Any:
    """The fast converter of text and keyword fields: a string converts to itself."""
    return v if type(v) is str else _SLOW


def _fast_converter(f: Field) -> Any:
    """`convert(value)` giving what convert_value gives for the common values of `f`, _SLOW for the
    rest; None when `f`'s values always take the generic path."""
    t = f.type
    if t in TEXT_LIKE or (t == "keyword" and "ignore_above" not in f.params):
        return _as_str
    if t == "keyword":
        try:
            limit = int(f.params["ignore_above"])
        except (TypeError, ValueError):
            return None
        return lambda v: v if type(v) is str and len(v) <= limit else _SLOW
    if t in INTEGER_RANGES and t != "unsigned_long":
        low, high = INTEGER_RANGES[t]
        return lambda v: v if type(v) is int and low <= v <= high else _SLOW
    if t == "double":
        return lambda v: v if type(v) is float and math.isfinite(v) else _SLOW
    if t == "float":
        def to_float(v: Any) -> Any:
            if type(v) is float and math.isfinite(v) and abs(v) <= _F32_MAX:
                return _F32.unpack(_F32.pack(v))[0]
            return _SLOW
        return to_float
    if t == "scaled_float":
        factor = float(f.params.get("scaling_factor", 1))

        def to_scaled(v: Any) -> Any:
            tv = type(v)
            if (tv is float and math.isfinite(v)) or (tv is int and -(2**53) <= v <= 2**53):
                scaled = float(v) * factor
                if math.isfinite(scaled):
                    return round(scaled) / factor
            return _SLOW
        return to_scaled
    if t == "boolean":
        return lambda v: v if v is True or v is False else _SLOW
    if t == "date":
        from .dates import get_formatter

        try:
            formatter = get_formatter(f.date_format)
        except EsError:
            return None

        first_format = f.date_format.split("||")[0]
        iso_first = first_format in ("strict_date_optional_time", "date_optional_time")
        # a yyyy-MM-dd string is what strict_date (or date) reads first, as _iso_days does
        day_first = first_format in ("strict_date", "date")

        # string -> millis of recent values: parsing is a pure function of the string, and dates
        # recur (a run's timestamp on every document it writes, days, hours)
        memo: dict[str, Any] = {}

        def to_millis(v: Any) -> Any:
            if type(v) is not str:
                return _SLOW
            found = memo.get(v)
            if found is not None:
                return found
            if iso_first:  # what formatter.parse tries first for these formats
                last = _LAST_PRINTED
                if last[0] is v:  # the very string the date processor just printed
                    return last[1]
                found = iso_millis(v)
            elif day_first and len(v) == 10:
                days = _iso_days(v)
                if days is not None:
                    found = days * 86_400_000
            if found is None:
                try:
                    found = formatter.parse(v)
                except EsError:
                    return _SLOW  # the generic path raises (or ignores) it with the document's context
            if len(v) <= _DATE_MEMO_CHARS:
                if len(memo) >= _DATE_MEMO_LIMIT:
                    memo.clear()
                memo[v] = found
            return found
        return to_millis
    return None


def convert_value(f: Field, value: Any) -> Any:
    """Convert one source value into the indexed value for field `f` (None = ignored)."""
    t = f.type
    if t in TEXT_LIKE:
        if isinstance(value, (dict, list)):
            raise EsError(400, "illegal_argument_exception", f"unexpected value for text field [{f.path}]")
        return value if isinstance(value, str) else _stringify(value)
    if t in ("keyword", "wildcard", "version", "constant_keyword"):
        text = value if isinstance(value, str) else _stringify(value)
        limit = f.params.get("ignore_above")
        if limit is not None and len(text) > int(limit):
            return None
        return check_term_size(f, text) if t == "keyword" else text
    if t in NUMERIC_TYPES:
        return _number(f, value)
    if t == "token_count":
        return value
    if t in ("date", "date_nanos"):
        from .dates import get_formatter

        if isinstance(value, bool):
            raise EsError(400, "illegal_argument_exception", f"failed to parse date field [{value}]")
        millis = get_formatter(f.date_format).parse(value)
        if t == "date_nanos" and not 0 <= millis <= DATE_NANOS_MAX_MILLIS:
            raise EsError(400, "illegal_argument_exception",
                          f"date[{value}] is {'before the epoch in 1970' if millis < 0 else 'after 2262-04-11T23:47:16.854775807'}"
                          f" and cannot be stored in nanosecond resolution")
        return millis
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if value == "true":
            return True
        if value in ("false", ""):
            return False
        raise EsError(400, "illegal_argument_exception",
                      f"Failed to parse value [{value}] as only [true] or [false] are allowed.")
    if t == "ip":
        try:
            return str(ipaddress.ip_address(str(value)))
        except ValueError:
            raise EsError(400, "illegal_argument_exception",
                          f"'{value}' is not an IP string literal.") from None
    if t == "geo_point":
        return value
    if t == "binary" or t.endswith("_range") or t in ("rank_feature", "rank_features", "sparse_vector"):
        return value
    if t == "alias":
        raise document_parsing(f"Cannot write to a field alias [{f.path}].")
    return value


def _aggregate_metric(f: Field, value: Any, doc: ParsedDoc) -> None:
    """Index an aggregate_metric_double object: each metric in its `path.metric` column, and the default
    metric under the field's own path (what term/range/exists queries and sorting read)."""
    if value is None:
        return
    try:
        parsed = _metric_values(f, value)
    except EsError as err:
        if f.params.get("ignore_malformed"):
            doc.ignored.extend(f"{f.path}.{m}" for m in f.params.get("metrics", ()))
            return
        raise document_parsing(f"[1:1] failed to parse field [{f.path}] of type [aggregate_metric_double] in "
                               f"document with id. Preview of field's value: '{_show(value)}'",
                               caused_by=err) from None
    for metric, number in parsed.items():
        doc.add(f"{f.path}.{metric}", number)
    doc.add(f.path, parsed[default_metric(f.params)])


def _metric_values(f: Field, value: Any) -> dict[str, float | int]:
    if isinstance(value, list):
        if len(value) == 1:
            value = value[0]
        else:
            raise illegal_argument(f"Field [{f.path}] of type [aggregate_metric_double] does not support indexing "
                                   f"multiple values for the same field in the same document")
    if not isinstance(value, dict):
        raise EsError(400, "parsing_exception", "Failed to parse object: expecting token of type [START_OBJECT] "
                      f"but found [{_token_name(value)}]")
    metrics = list(f.params.get("metrics", ()))
    parsed: dict[str, float | int] = {}
    for name, number in value.items():
        if name not in AGG_METRICS:
            raise illegal_argument(f"No enum constant org.elasticsearch.xpack.aggregatemetric.mapper."
                                   f"AggregateDoubleMetricFieldMapper.Metric.{name}")
        if name not in metrics:
            raise illegal_argument(f"Aggregate metric [{name}] does not exist in the mapping of field [{f.path}]")
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise EsError(400, "parsing_exception", "Failed to parse object: expecting token of type "
                          f"[VALUE_NUMBER] but found [{_token_name(number)}]")
        if name == "value_count":
            count = int(number)
            if count < 0:
                raise illegal_argument(f"Aggregate metric [value_count] of field [{f.path}] cannot be a negative "
                                       f"number")
            if count > 2**31 - 1:
                raise illegal_argument(f"Value [{number}] is out of range for an integer")
            parsed[name] = count
        else:
            if not math.isfinite(float(number)):
                raise illegal_argument(f"[double] supports only finite values, but got [{number}]")
            parsed[name] = float(number)
    if any(m not in parsed for m in metrics):
        listed = ", ".join(m for m in AGG_METRICS if m in metrics)
        raise illegal_argument(f"Aggregate metric field [{f.path}] must contain all metrics [{listed}]")
    return parsed


def default_metric(params: dict[str, Any]) -> str:
    """The metric that queries on an aggregate_metric_double field read: `default_metric`, else the only one."""
    configured = params.get("default_metric")
    if configured is not None:
        return str(configured)
    return str(params.get("metrics", [""])[0])


def _token_name(value: Any) -> str:
    if value is None:
        return "VALUE_NULL"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if isinstance(value, int | float):
        return "VALUE_NUMBER"
    if isinstance(value, str):
        return "VALUE_STRING"
    return "START_ARRAY" if isinstance(value, list) else "START_OBJECT"


def _validate_aggregate_metric(path: str, definition: dict) -> None:
    """`metrics` and `default_metric` of an aggregate_metric_double field, checked as ES does."""
    name = path.rsplit(".", 1)[-1]
    metrics = definition.get("metrics")
    if isinstance(metrics, str):
        metrics = [metrics]
    if metrics is not None and not isinstance(metrics, list):
        raise mapper_parsing(f"Property [metrics] is required for field [{name}].")
    for metric in metrics or ():
        if metric not in AGG_METRICS:
            raise mapper_parsing(f"Metric [{metric}] is not supported.")
    if not metrics:
        raise mapper_parsing(f"Property [metrics] is required for field [{name}].")
    default = definition.get("default_metric")
    if default is not None and default not in AGG_METRICS:
        raise mapper_parsing(f"Metric [{default}] is not supported.")
    if default is None and len(set(metrics)) != 1:
        raise mapper_parsing(f"Property [default_metric] is required for field [{name}].")
    if default is not None and default not in metrics:
        raise mapper_parsing(f"Default metric [{default}] is not defined in the metrics "
                             f"of field [{name}].")


def _normalized_aggregate_metric(definition: dict[str, Any]) -> dict[str, Any]:
    """As ES shows it: `metrics` in ES's order (min, max, sum, value_count) and `default_metric` set."""
    metrics = definition["metrics"] if isinstance(definition["metrics"], list) else [definition["metrics"]]
    ordered = [m for m in AGG_METRICS if m in metrics]
    return {**definition, "metrics": ordered, "default_metric": definition.get("default_metric", ordered[0])}


def _number(f: Field, value: Any) -> float | int:
    t = f.type
    coerce = f.params.get("coerce", True) is not False
    if isinstance(value, bool):
        raise EsError(400, "illegal_argument_exception", f"Current token (VALUE_{str(value).upper()}) not numeric")
    if isinstance(value, str):
        if not coerce:
            raise EsError(400, "illegal_argument_exception", "Cannot parse a string value when coerce is false")
        try:
            number: float | int = int(value) if re.fullmatch(r"\s*[-+]?\d+\s*", value) else float(value)
        except ValueError:
            raise EsError(400, "number_format_exception", f'For input string: "{value}"') from None
    elif isinstance(value, (int, float)):
        number = value
    else:
        raise EsError(400, "illegal_argument_exception", f"Current token is not numeric: {_show(value)}")
    if t in INTEGER_RANGES:
        if isinstance(number, float):
            if math.isnan(number) or math.isinf(number):
                raise EsError(400, "illegal_argument_exception", f"[{t}] supports only finite values, but got [{number}]")
            if not coerce and number != int(number):
                raise EsError(400, "illegal_argument_exception", f"Value [{number}] has a decimal part")
            number = int(number)
        low, high = INTEGER_RANGES[t]
        if not low <= number <= high:
            raise EsError(400, "illegal_argument_exception",
                          f"Value [{number}] is out of range for {'an' if t == 'integer' else 'a'} {t}")
        return number
    number = float(number)
    if math.isnan(number) or math.isinf(number):
        raise EsError(400, "illegal_argument_exception", f"[{t}] supports only finite values, but got [{number}]")
    if t == "scaled_float":
        factor = float(f.params.get("scaling_factor", 1))
        return round(number * factor) / factor
    if t == "float":
        import struct

        return struct.unpack("f", struct.pack("f", number))[0]
    if t == "half_float":
        import numpy as np

        return float(np.float16(number))
    return number


def _vector(f: Field, value: Any) -> list[float]:
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                               for v in value):
        raise document_parsing(f"[1:1] failed to parse field [{f.path}] of type [dense_vector]")
    dims = f.params.get("dims")
    if dims is not None and len(value) != int(dims):
        raise document_parsing(
            f"[1:1] failed to parse field [{f.path}] of type [dense_vector] in document",
            caused_by=EsError(400, "illegal_argument_exception",
                              f"The [dense_vector] field [{f.path}] in doc [document with id] has a different "
                              f"number of dimensions [{len(value)}] than defined in the mapping [{dims}]"))
    if f.params.get("similarity") == "dot_product" and f.params.get("element_type", "float") == "float":
        norm = math.sqrt(sum(v * v for v in value))
        if abs(norm - 1.0) > 1e-3:
            raise document_parsing(
                f"[1:1] failed to parse field [{f.path}] of type [dense_vector]",
                caused_by=EsError(400, "illegal_argument_exception",
                                  "The [dot_product] similarity can only be used with unit-length vectors."))
    return [float(v) for v in value]


# ---- helpers -----------------------------------------------------------------------------------
def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(value)
    return str(value)


def _subfields(f: Field) -> tuple[Field, ...]:
    return tuple(Field(f"{f.path}.{sub}", subdef.get("type"), subdef, f.nested_path, parent_text=f.path)
                 for sub, subdef in f.params.get("fields", {}).items())


def _flatten_list(items: list) -> list:
    out: list = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flatten_list(item))
        else:
            out.append(item)
    return out


def _flatten(value: Any, prefix: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_flatten(v, f"{prefix}{k}" if not prefix else f"{prefix}.{k}"))
    elif isinstance(value, list):
        for v in value:
            out.extend(_flatten(v, prefix))
    elif value is not None:
        out.append((prefix, value if isinstance(value, str) else _stringify(value)))
    return out


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _dynamic_value(value: Any) -> str:
    text = str(value).lower() if not isinstance(value, bool) else ("true" if value else "false")
    if text not in ("true", "false", "strict", "runtime"):
        raise mapper_parsing(f"Could not convert [dynamic.dynamic] to boolean; unknown value [{value}]")
    return text


def _flat_items(key: str, value: Any) -> list[tuple[str, Any]]:
    """A value under an object without subobjects, as (dotted leaf name, value) pairs: inner objects
    are flattened into their parent's name (`{"a": {"b": 1}}` -> `a.b`), in arrays too."""
    if type(value) is dict:
        out: list[tuple[str, Any]] = []
        for sub, item in value.items():
            out.extend(_flat_items(f"{key}.{sub}", item))
        return out
    if type(value) is list and any(type(item) is dict for item in value):
        out = []
        for item in value:
            out.extend(_flat_items(key, item))
        return out
    return [(key, value)]


def _flattened_object(path: str, name: str, definition: dict[str, Any]) -> dict[str, Any]:
    """The properties of object `name` as dotted leaves of its parent (which has no subobjects)."""
    for param, refused in (("enabled", False), ("subobjects", True)):
        if param in definition and definition[param] in (refused, str(refused).lower()):
            raise mapper_parsing(f"Object mapper [{path}] was found in a context where subobjects is set to false. "
                                 f"Auto-flattening [{path}] failed because the value of [{param}] is "
                                 f"[{str(refused).lower()}]")
    props = definition.get("properties") or {}
    return {f"{name}.{child}": child_def for child, child_def in props.items()}


def _subobjects_value(value: Any, path: str) -> bool | str:
    """A `subobjects` parameter as ES keeps it: true, false or "auto"."""
    if value is True or value is False or value == "auto":
        return value
    if value in ("true", "false"):
        return value == "true"
    raise mapper_parsing(f"Failed to parse mapping: Unknown value [{value}] for field [subobjects] of [{path}] - "
                         f"accepted values are [true, false, auto]")


def _subobjects_mode(value: Any) -> str:
    """"true", "false" or "auto" for a stored `subobjects` value."""
    if value is False or value == "false":
        return "false"
    return "auto" if value == "auto" else "true"


def _expands(name: str, current: dict, subobjects: str) -> bool:
    """Whether a dotted property name stands for objects (rather than being one leaf's name)."""
    if subobjects == "true":
        return True
    if subobjects == "false":
        return False
    head = current.get(name.split(".", 1)[0])
    return head is not None and head.get("type", "object") in ("object", "nested")


def _unwrap_doc_type(mapping: dict[str, Any]) -> dict[str, Any]:
    if len(mapping) == 1 and "_doc" in mapping and isinstance(mapping["_doc"], dict):
        return mapping["_doc"]
    return mapping


def _check_params(name: str, ftype: str, definition: dict) -> None:
    allowed = TYPE_PARAMS[ftype]
    for key in definition:
        if key not in allowed:
            raise mapper_parsing(f"unknown parameter [{key}] on mapper [{name}] of type [{ftype}]")
    if ftype == "scaled_float" and "scaling_factor" not in definition:
        raise mapper_parsing("Field [scaling_factor] is required")
    for sub, subdef in definition.get("fields", {}).items():
        if not isinstance(subdef, dict):
            raise mapper_parsing(f"illegal field [{sub}], only fields can be specified inside fields")
        subtype = subdef.get("type")
        if subtype is None:
            raise mapper_parsing(f"No type specified for field [{sub}]")
        if subtype not in TYPE_PARAMS or subtype in ("object", "nested"):
            raise mapper_parsing(f"No handler for type [{subtype}] declared on field [{sub}]")
        if subtype == "aggregate_metric_double":
            raise mapper_parsing(f"Field [{sub}] of type [{subtype}] can't be used in multifields")
        _check_params(sub, subtype, subdef)


def _validate_leaf(path: str, ftype: str, definition: dict, analysis: Any) -> None:
    if analysis is not None:
        for key in ("analyzer", "search_analyzer", "search_quote_analyzer"):
            if key in definition and not analysis.has_analyzer(definition[key]):
                raise mapper_parsing(f"Failed to parse mapping: analyzer [{definition[key]}] has not been "
                                     f"configured in mappings")
        if "normalizer" in definition:
            try:
                analysis.normalizer(definition["normalizer"])
            except EsError:
                raise mapper_parsing(f"normalizer [{definition['normalizer']}] not found for field "
                                     f"[{path.rsplit('.', 1)[-1]}]") from None
    if ftype == "dense_vector":
        dims = definition.get("dims")
        if dims is not None and (not isinstance(dims, int) or not 1 <= dims <= 4096):
            raise mapper_parsing(f"The number of dimensions should be in the range [1, 4096] but was [{dims}]")
        similarity = definition.get("similarity")
        if similarity is not None and similarity not in ("cosine", "dot_product", "l2_norm", "max_inner_product"):
            raise mapper_parsing(f"Unknown value [{similarity}] for field [similarity] - accepted values are "
                                 f"[l2_norm, dot_product, cosine, max_inner_product]")
        if definition.get("index_options") is not None:
            from .vectors import validate_index_options

            validate_index_options(path.rsplit(".", 1)[-1], definition["index_options"],
                                   str(definition.get("element_type", "float")))
    if ftype == "aggregate_metric_double":
        _validate_aggregate_metric(path, definition)
    if ftype in ("date", "date_nanos") and "format" in definition:
        from .dates import get_formatter

        try:
            get_formatter(definition["format"])
        except EsError as err:
            raise mapper_parsing(f"Error parsing [format] on field [{path}]: {err.reason}") from None


UPDATABLE = {"ignore_above", "fields", "meta", "copy_to", "search_analyzer", "search_quote_analyzer", "boost",
             "eager_global_ordinals", "fielddata", "ignore_malformed", "null_value", "dims",
             "index_options", "similarity", "time_series_metric", "split_queries_on_whitespace"}


def _merge_leaf(path: str, existing: dict, incoming: dict) -> dict:
    old_type, new_type = existing.get("type"), incoming.get("type")
    if old_type != new_type:
        raise illegal_merge(path, old_type, new_type)
    merged = copy.deepcopy(existing)
    for key, value in incoming.items():
        if key == "fields":
            fields = merged.setdefault("fields", {})
            for sub, subdef in value.items():
                if sub in fields:
                    fields[sub] = _merge_leaf(f"{path}.{sub}", fields[sub], subdef)
                else:
                    fields[sub] = copy.deepcopy(subdef)
            continue
        if key in existing and existing[key] != value and key not in UPDATABLE:
            raise illegal_argument_merge(path, key, existing[key], value)
        if key not in existing and key not in UPDATABLE and key != "type" and _default_of(key) != value:
            raise illegal_argument_merge(path, key, _default_of(key), value)
        merged[key] = value
    return merged


def _default_of(key: str) -> Any:
    return {"index": True, "doc_values": True, "store": False, "analyzer": "default", "norms": True}.get(key)


def illegal_merge(path: str, old: str | None, new: str | None) -> EsError:
    return EsError(400, "illegal_argument_exception",
                   f"mapper [{path}] cannot be changed from type [{old}] to [{new}]")


def illegal_argument_merge(path: str, key: str, old: Any, new: Any) -> EsError:
    return EsError(400, "illegal_argument_exception",
                   f"Mapper for [{path}] conflicts with existing mapper:\n\tCannot update parameter [{key}] "
                   f"from [{_show(old)}] to [{_show(new)}]")


def _sorted_props(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key in node:
            value = node[key]
            if key in ("properties", "fields") and isinstance(value, dict):
                out[key] = {k: _sorted_props(value[k]) for k in sorted(value)}
            else:
                out[key] = _sorted_props(value) if key not in ("_meta", "meta") else value
        return out
    return node


_DATE_SHAPE = re.compile(r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}")


def _looks_like_date(value: str, formats: list[str]) -> bool:
    if formats == DEFAULT_DYNAMIC_DATE_FORMATS and not _DATE_SHAPE.match(value):
        return False
    from .dates import get_formatter

    for fmt in formats:
        try:
            get_formatter(fmt).parse(value)
            return True
        except EsError:
            continue
        except Exception:  # noqa: BLE001 - a detector must never fail indexing
            continue
    return False


def _detected_type(sample: Any) -> str:
    if isinstance(sample, bool):
        return "boolean"
    if isinstance(sample, int):
        return "long"
    if isinstance(sample, float):
        return "double"
    if isinstance(sample, dict):
        return "object"
    return "string"


_MATCH_CONDITIONS = frozenset({"match_mapping_type", "unmatch_mapping_type", "match", "path_match"})


def _template_matches(tpl: dict, path: str, sample: Any) -> bool:
    name = path.rsplit(".", 1)[-1]
    detected = _detected_type(sample)
    checks = {
        "match_mapping_type": lambda v: detected in _as_list(v) or "*" in _as_list(v)
        or (detected == "double" and "float" in _as_list(v)),
        "unmatch_mapping_type": lambda v: detected not in _as_list(v),
        "match": lambda v: any(_glob(p, name, tpl.get("match_pattern")) for p in _as_list(v)),
        "unmatch": lambda v: not any(_glob(p, name, tpl.get("match_pattern")) for p in _as_list(v)),
        "path_match": lambda v: any(_glob(p, path, None) for p in _as_list(v)),
        "path_unmatch": lambda v: not any(_glob(p, path, None) for p in _as_list(v)),
    }
    if not _MATCH_CONDITIONS.intersection(tpl):
        return False  # a template without match conditions is only used when a bulk item names it
    return all(check(tpl[key]) for key, check in checks.items() if key in tpl)


def _glob(pattern: str, value: str, kind: str | None) -> bool:
    if kind == "regex":
        return re.match(pattern, value) is not None
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), value) is not None


def _substitute(node: Any, name: str, detected: str) -> Any:
    if isinstance(node, dict):
        return {k: _substitute(v, name, detected) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, name, detected) for v in node]
    if isinstance(node, str):
        return node.replace("{name}", name).replace("{dynamic_type}", detected)
    return node
