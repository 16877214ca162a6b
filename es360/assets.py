"""The Elasticsearch assets es360 installs, read from mappings/, pipelines/ and transforms/.

These JSON files are exactly what a real cluster receives; the only rewrite is the index
prefix (`es360-` by default) and a content hash in `_meta` so `es360 setup --check` can detect
drift even though Elasticsearch normalizes what it stores.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from es360.errors import Es360Error

DEFAULT_PREFIX = "es360-"
INDEX_KINDS = ("records", "activity", "tickets", "customers", "identity", "rollup", "merge-log", "ingest-log",
               "suppression", "audit")


@cache
def assets_root() -> Path:
    """Where the asset folders live: packaged inside the wheel, or the repository root."""
    packaged = Path(__file__).parent / "_assets"
    if (packaged / "mappings").is_dir():
        return packaged
    repo = Path(__file__).resolve().parent.parent
    if (repo / "mappings").is_dir():
        return repo
    raise Es360Error("es360's Elasticsearch assets (mappings/, pipelines/) are missing from the installation.")


@dataclass(frozen=True)
class Asset:
    """One installable object: its kind, name (with prefix applied) and body."""

    kind: str  # component_template | index_template | pipeline | enrich_policy | transform
    name: str
    body: dict[str, Any]

    @property
    def version(self) -> int | None:
        meta = self.body.get("_meta") or {}
        return meta.get("version", self.body.get("version"))

    @property
    def digest(self) -> str:
        return content_hash(self.body)


def content_hash(body: dict[str, Any]) -> str:
    """A short, stable hash of an asset's content (ignoring the hash field itself)."""
    clean = copy.deepcopy(body)
    (clean.get("_meta") or {}).pop("es360_hash", None)
    return hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()[:16]


def with_prefix(node: Any, prefix: str) -> Any:
    """Rewrite every `es360-...` name in an asset to use `prefix` instead."""
    return copy.deepcopy(node) if prefix == DEFAULT_PREFIX else replace_prefix(node, DEFAULT_PREFIX, prefix)


def replace_prefix(node: Any, old: str, new: str) -> Any:
    """`node` with every string that starts with `old` starting with `new` instead (a new structure)."""
    if isinstance(node, dict):
        return {k: replace_prefix(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [replace_prefix(v, old, new) for v in node]
    if isinstance(node, str) and node.startswith(old):
        return new + node[len(old):]
    return node


def _load(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise Es360Error(f"Asset {path.name} is not valid JSON: {exc.msg} at line {exc.lineno}.") from None


def _stamp(body: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(body)
    body.setdefault("_meta", {})["es360_hash"] = content_hash(body)
    return body


def load_assets(prefix: str = DEFAULT_PREFIX) -> list[Asset]:
    """Every asset in install order: component templates, index templates, pipelines, policies, transforms."""
    root = assets_root()
    out: list[Asset] = []
    groups = [
        ("component_template", root / "mappings" / "component"),
        ("index_template", root / "mappings" / "index"),
        ("pipeline", root / "pipelines"),
        ("enrich_policy", root / "pipelines" / "enrich"),
        ("transform", root / "transforms"),
    ]
    for kind, folder in groups:
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            body = with_prefix(_load(path), prefix)
            name = with_prefix(path.stem, prefix)
            stamped = body if kind == "enrich_policy" else _stamp(body)
            out.append(Asset(kind, name, stamped))
    return out


def index_alias(kind: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The alias es360 reads and writes for an index kind, e.g. `es360-customers`."""
    if kind not in INDEX_KINDS:
        raise Es360Error(f"Unknown index kind {kind!r}; expected one of {', '.join(INDEX_KINDS)}.")
    return f"{prefix}{kind}"


def concrete_index(kind: str, generation: int, prefix: str = DEFAULT_PREFIX) -> str:
    """The versioned concrete index behind an alias, e.g. `es360-customers-000001`."""
    return f"{index_alias(kind, prefix)}-{generation:06d}"
