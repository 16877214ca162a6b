"""The role and API-key templates in security/, expanded into what Elasticsearch receives.

Two rewrites happen, both visible with `es360 security apply --dry-run --json`:
- the index prefix (`es360-` → the configured prefix), as for every other asset;
- a field group such as `"$sensitive"` inside `field_security` becomes the group's fields from
  security/fields.json — each field and its sub-fields (`birth_date`, `birth_date.*`) — limited
  to the fields that exist in the mappings of the indices that entry names. The groups are the one
  place where "sensitive" and "direct identifier" are defined.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from es360.assets import DEFAULT_PREFIX, INDEX_KINDS, assets_root, index_alias, with_prefix
from es360.errors import Es360Error

ROLE_NAMES = ("es360_admin", "es360_ingest", "es360_support", "es360_analyst")


@dataclass(frozen=True)
class Role:
    """One role: its name and the body of `PUT /_security/role/<name>`."""

    name: str
    body: dict[str, Any]


def security_root() -> Path:
    """The security/ folder (packaged in the wheel, or at the repository root)."""
    return assets_root() / "security"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise Es360Error(f"Security template {path} is missing from the installation.") from None
    except json.JSONDecodeError as exc:
        raise Es360Error(f"Security template {path.name} is not valid JSON: {exc.msg} at line {exc.lineno}.") from None


@cache
def field_groups() -> dict[str, list[str]]:
    """The named field groups of security/fields.json, e.g. `sensitive` → [birth_date, ...]."""
    raw = _read_json(security_root() / "fields.json")
    return {name: list(group["fields"]) for name, group in raw.items()}


@cache
def mapped_fields(kind: str) -> dict[str, bool]:
    """Every field path of an index kind's mapping (with multi-fields) → whether it is a leaf."""
    root = assets_root() / "mappings"
    template = _read_json(root / "index" / f"{DEFAULT_PREFIX}{kind}.json")
    parts = [_read_json(root / "component" / f"{name}.json") for name in template.get("composed_of", [])]
    out: dict[str, bool] = {}
    for body in [*parts, template]:
        _walk((body.get("template", {}).get("mappings") or {}).get("properties") or {}, "", out)
    return out


def _walk(properties: dict[str, Any], prefix: str, out: dict[str, bool]) -> None:
    for name, spec in properties.items():
        path = prefix + name
        children = spec.get("properties")
        out[path] = children is None
        if children:
            _walk(children, path + ".", out)
        for sub in spec.get("fields") or {}:
            out[f"{path}.{sub}"] = True


def kinds_named(names: list[str], prefix: str = DEFAULT_PREFIX) -> list[str]:
    """The index kinds whose alias (or concrete indices) an index-privilege entry's `names` cover."""
    found = []
    for kind in INDEX_KINDS:
        alias = index_alias(kind, prefix)
        if any(fnmatch.fnmatchcase(alias, n) or fnmatch.fnmatchcase(f"{alias}-000001", n) for n in names):
            found.append(kind)
    return found


def expand_fields(patterns: list[str], kinds: list[str]) -> list[str]:
    """`field_security` patterns with each `$group` replaced by its fields that exist in `kinds`.

    A name counts only where it is a leaf field (with `field.*`, its multi-fields): Elasticsearch
    applies field patterns per leaf, and a name that is an object in some index (the rollup's
    `email` engagement counters, its `raw` window sums) must not take that object along.
    """
    groups = field_groups()
    mapped = {path: leaf for kind in kinds for path, leaf in mapped_fields(kind).items()}
    out: list[str] = []
    for pattern in patterns:
        if not pattern.startswith("$"):
            out.append(pattern)
            continue
        if pattern[1:] not in groups:
            raise Es360Error(f"Unknown field group {pattern!r}; security/fields.json defines "
                             f"{', '.join('$' + g for g in groups)}.")
        for name in groups[pattern[1:]]:
            wanted = [name, f"{name}.*"] if mapped.get(name) else []
            out.extend(p for p in wanted if p not in out)
    return out


def _expand_role(body: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(body)
    for entry in body.get("indices", []):
        security = entry.get("field_security")
        if not security:
            continue
        kinds = kinds_named(entry.get("names", []))
        for key in ("grant", "except"):
            if key in security:
                security[key] = expand_fields(security[key], kinds)
    return body


def role_template(name: str) -> dict[str, Any]:
    """A role's template exactly as written in security/roles/ (no expansion, no prefix)."""
    if name not in ROLE_NAMES:
        raise Es360Error(f"Unknown role {name!r}; es360's roles are {', '.join(ROLE_NAMES)}.")
    return _read_json(security_root() / "roles" / f"{name}.json")


def load_role(name: str, prefix: str = DEFAULT_PREFIX) -> Role:
    """One role, expanded and with the index prefix applied: what the cluster receives."""
    return Role(name, with_prefix(_expand_role(role_template(name)), prefix))


def load_roles(prefix: str = DEFAULT_PREFIX) -> list[Role]:
    """All four es360 roles, in the order they are installed."""
    return [load_role(name, prefix) for name in ROLE_NAMES]


def api_key_request(role: str, prefix: str = DEFAULT_PREFIX, *, name: str | None = None,
                    expiration: str | None = None) -> dict[str, Any]:
    """The body of `POST /_security/api_key` for a key limited to `role` (security/api-keys/<role>.json)."""
    if role not in ROLE_NAMES:
        raise Es360Error(f"Unknown role {role!r}; es360's roles are {', '.join(ROLE_NAMES)}.")
    body = _read_json(security_root() / "api-keys" / f"{role}.json")
    descriptors = {}
    for key, value in (body.get("role_descriptors") or {}).items():
        if isinstance(value, dict) and set(value) == {"$role"}:
            value = _expand_role(role_template(value["$role"]))
            value.pop("metadata", None)
        descriptors[key] = value
    body["role_descriptors"] = descriptors
    body = with_prefix(body, prefix)
    if name is not None:
        body["name"] = name
    if expiration is not None:
        body["expiration"] = expiration
    return body
