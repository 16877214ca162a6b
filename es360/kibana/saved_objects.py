"""Kibana saved objects in kibana/: one diff-friendly JSON file per object, `kibana/<type>/<id>.json`.

On disk, attributes that Kibana stores as JSON *strings* (a dashboard's `panelsJSON`, a data
view's `fieldFormatMap`, any `...JSON` attribute) are kept decoded, with sorted keys and two-space
indentation, so a change to one panel is a small diff. `load_saved_objects` re-encodes them and
returns the objects exactly as Kibana's `_import` expects them; `write_saved_objects` does the
reverse for objects that Kibana's `_export` returned, dropping server-side bookkeeping
(`updated_at`, `version`, ...) and sorting references by name, so that exporting what was
imported produces no diff.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from es360.assets import DEFAULT_PREFIX, assets_root, replace_prefix, with_prefix
from es360.errors import Es360Error

#: Import order: what others reference comes first (Kibana resolves references in any order,
#: but a reader of the NDJSON follows it more easily this way).
TYPE_ORDER = ("index-pattern", "search", "lens", "visualization", "dashboard")

#: Attributes (dot paths) that Kibana stores as JSON strings, besides every key ending in "JSON".
ENCODED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "index-pattern": ("fieldAttrs", "fieldFormatMap", "fields", "runtimeFieldMap", "sourceFilters", "typeMeta"),
    "visualization": ("visState",),
}

#: Top-level keys every object must have for Kibana's `_import`.
REQUIRED_KEYS = ("id", "type", "attributes", "references")

#: Server-side bookkeeping in an export that does not belong in the repository.
VOLATILE_KEYS = ("updated_at", "created_at", "version", "created_by", "updated_by", "namespaces", "originId",
                 "sort")


def kibana_root() -> Path:
    """The kibana/ folder shipped with es360 (repository root or packaged assets)."""
    return assets_root() / "kibana"


def load_saved_objects(root: Path | None = None, prefix: str = DEFAULT_PREFIX) -> list[dict[str, Any]]:
    """Every saved object under `root` (default: es360's kibana/), ready for Kibana's `_import`.

    JSON-string attributes are re-encoded; objects come in `TYPE_ORDER`, then by id. With a
    non-default `prefix`, every `es360-...` string (ids, references, index patterns) is rewritten
    so that several es360 installations can share one Kibana space.
    """
    root = root or kibana_root()
    if not root.is_dir():
        raise Es360Error(f"The Kibana saved objects folder {root} does not exist.")
    objects = [_read_object(path) for path in sorted(root.glob("*/*.json"))]
    objects.sort(key=_order_key)
    seen: set[tuple[str, str]] = set()
    for obj in objects:
        key = (obj["type"], obj["id"])
        if key in seen:
            raise Es360Error(f"Saved object {obj['type']}/{obj['id']} is defined twice in {root}.")
        seen.add(key)
    return [encode_object(with_prefix(obj, prefix)) for obj in objects]


def to_ndjson(objects: Iterable[dict[str, Any]]) -> str:
    """Objects as Kibana's import NDJSON: one compact JSON object per line, newline-terminated."""
    return "".join(json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n" for obj in objects)


def parse_ndjson(text: str) -> list[dict[str, Any]]:
    """The objects of an NDJSON export, without Kibana's trailing export summary line."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise Es360Error(f"Line {n} of the Kibana export is not JSON: {exc.msg}.") from None
        if not isinstance(obj, dict):
            raise Es360Error(f"Line {n} of the Kibana export is not a JSON object.")
        if "exportedCount" in obj and "id" not in obj:
            continue  # the export summary
        out.append(obj)
    return out


def encode_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of `obj` with its decoded JSON-string attributes encoded again, as Kibana stores them."""
    obj = copy.deepcopy(obj)
    obj["attributes"] = _map_encoded(obj["type"], obj["attributes"], _encode)
    return obj


def decode_object(obj: dict[str, Any], prefix: str = DEFAULT_PREFIX) -> dict[str, Any]:
    """The on-disk form of an object Kibana exported: JSON strings decoded, bookkeeping dropped."""
    obj = with_prefix_reversed(copy.deepcopy(obj), prefix)
    for key in VOLATILE_KEYS:
        obj.pop(key, None)
    if obj.get("managed") is False:
        obj.pop("managed")
    obj["attributes"] = _map_encoded(obj["type"], obj.get("attributes") or {}, _decode)
    obj["references"] = sorted(obj.get("references") or [], key=_reference_key)
    return obj


def object_path(root: Path, obj: dict[str, Any]) -> Path:
    """Where an object lives on disk: `<root>/<type>/<id>.json` (ids that are not plain file names are refused)."""
    for part in (obj["type"], obj["id"]):
        if not isinstance(part, str) or not _SAFE_NAME.fullmatch(part):
            raise Es360Error(f"Saved object {obj['type']}/{obj['id']} has a type or id that cannot be a file name; "
                             f"nothing was written.")
    return root / obj["type"] / f"{obj['id']}.json"


_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,200}")


def dump_object(obj: dict[str, Any]) -> str:
    """The stable on-disk text of a decoded object: sorted keys, two-space indent, final newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def with_prefix_reversed(node: Any, prefix: str) -> Any:
    """Undo `with_prefix`: rewrite `<prefix>...` strings back to `es360-...`."""
    return node if prefix == DEFAULT_PREFIX else replace_prefix(node, prefix, DEFAULT_PREFIX)


def _read_object(path: Path) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise Es360Error(f"Saved object {path} is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
    if not isinstance(obj, dict):
        raise Es360Error(f"Saved object {path} is not a JSON object.")
    missing = [k for k in REQUIRED_KEYS if k not in obj]
    if missing:
        raise Es360Error(f"Saved object {path} lacks {', '.join(missing)}.")
    if obj["type"] != path.parent.name or obj["id"] != path.stem:
        raise Es360Error(f"Saved object {path} holds {obj['type']}/{obj['id']}; its file must be "
                         f"{obj['type']}/{obj['id']}.json.")
    return obj


def _reference_key(ref: dict[str, Any]) -> tuple[str, str, str]:
    """References in a stable order (Kibana ignores their order; a diff should too)."""
    return (str(ref.get("name", "")), str(ref.get("type", "")), str(ref.get("id", "")))


def _order_key(obj: dict[str, Any]) -> tuple[int, str]:
    kind = obj["type"]
    return (TYPE_ORDER.index(kind) if kind in TYPE_ORDER else len(TYPE_ORDER), obj["id"])


def _is_encoded(kind: str, path: str) -> bool:
    return path.endswith("JSON") or path in ENCODED_ATTRIBUTES.get(kind, ())


def _map_encoded(kind: str, attributes: dict[str, Any], convert: Any, base: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        path = f"{base}{key}"
        if _is_encoded(kind, path):
            out[key] = convert(value)
        elif isinstance(value, dict) and path in _CONTAINERS:
            out[key] = _map_encoded(kind, value, convert, f"{path}.")
        else:
            out[key] = value
    return out


#: Attribute objects that hold JSON-string attributes one level down.
_CONTAINERS = frozenset({"kibanaSavedObjectMeta", "controlGroupInput"})


def _encode(value: Any) -> Any:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError:
        return value
    return decoded if isinstance(decoded, dict | list) else value
