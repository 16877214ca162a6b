"""Source mappings: a small TOML file maps one system's columns to es360 fields.

```toml
name = "crm"                  # the source system (becomes `source` on records)
format = "csv"                # optional: csv | jsonl (else from the file name)

[[targets]]                   # one document per row per target
kind = "records"              # records | activity | tickets
key = "contact_id"            # the column that identifies the row in its system
required = ["source_id"]      # es360 fields that must be present, else the row is rejected
optional = false              # true: skip this target when its key column is empty
[targets.fields]              # es360 field = source column (dotted paths reach into JSON objects)
source_id = "contact_id"
"name.first" = "first_name"
[targets.constants]           # fixed values
source = "crm"
```
Columns no target maps land in `extra` (a flattened field); the whole row is kept in `raw`
for records and tickets. Normalization happens in the ingest pipelines, not here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from es360.errors import Es360Error

KINDS = ("records", "activity", "tickets")
KEEPS_RAW = {"records", "tickets"}
BUILTIN_DIR = Path(__file__).parent / "sources"


class RowError(Exception):
    """A row that maps to an invalid document (the message is the dead-letter reason)."""


@dataclass
class Target:
    """How one row becomes one document of one index kind."""

    kind: str
    key: str
    fields: dict[str, str]
    constants: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    optional: bool = False  # skip this target (instead of rejecting the row) when its key is empty


@dataclass
class SourceMapping:
    """A system's column mapping (built-in or from a TOML file)."""

    name: str
    targets: list[Target]
    format: str | None = None

    @cached_property
    def mapped_columns(self) -> set[str]:
        return {column.split(".")[0] for t in self.targets for column in t.fields.values()} | {
            t.key.split(".")[0] for t in self.targets}

    def apply(self, values: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        """Map one row to `(kind, key, document)` per target; raises RowError with the reason."""
        extra = {k: v for k, v in values.items() if k not in self.mapped_columns and not _empty(v)}
        out = []
        for target in self.targets:
            key_value = _get(values, target.key)
            if _empty(key_value) and target.optional:
                continue
            if _empty(key_value):
                raise RowError(f"missing {target.key!r}, which identifies the row")
            doc: dict[str, Any] = {}
            for path, value in target.constants.items():
                _set(doc, path, value)
            for path, column in target.fields.items():
                value = _get(values, column)
                if not _empty(value):
                    _set(doc, path, value.strip() if isinstance(value, str) else value)
            missing = [p for p in target.required if _empty(_get(doc, p))]
            if missing:
                raise RowError(f"missing required {', '.join(missing)} for {target.kind}")
            if extra:
                doc["extra"] = extra
            if target.kind in KEEPS_RAW:
                doc["raw"] = values
            out.append((target.kind, f"{self.name}:{key_value}", doc))
        if not out:  # every target is optional and none applies: nothing would be written
            raise RowError(f"no document to write: every target's key ({', '.join(t.key for t in self.targets)}) "
                           f"is empty")
        return out


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _get(values: dict[str, Any], path: str) -> Any:
    if path in values:
        return values[path]
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    node = doc
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def parse_mapping(text: str, origin: str) -> SourceMapping:
    """Validate a TOML mapping; errors name the file and the problem in one sentence."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Es360Error(f"{origin} is not valid TOML: {exc}.") from None
    unknown = set(data) - {"name", "format", "targets", "description"}
    if unknown:
        raise Es360Error(f"{origin}: unknown key(s) {', '.join(sorted(unknown))}.")
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise Es360Error(f"{origin}: `name` (the source system) is required.")
    targets = []
    for i, spec in enumerate(data.get("targets") or []):
        where = f"{origin}: targets[{i}]"
        bad = set(spec) - {"kind", "key", "fields", "constants", "required", "optional"}
        if bad:
            raise Es360Error(f"{where} has unknown key(s) {', '.join(sorted(bad))}.")
        if spec.get("kind") not in KINDS:
            raise Es360Error(f"{where}: kind must be one of {', '.join(KINDS)}.")
        if not spec.get("key"):
            raise Es360Error(f"{where}: `key` (the column identifying a row) is required.")
        fields = spec.get("fields") or {}
        if not all(isinstance(v, str) for v in fields.values()):
            raise Es360Error(f"{where}: every field must map to a column name (a string).")
        targets.append(Target(spec["kind"], spec["key"], dict(fields), dict(spec.get("constants") or {}),
                              list(spec.get("required") or []), bool(spec.get("optional", False))))
    if not targets:
        raise Es360Error(f"{origin}: at least one [[targets]] table is required.")
    return SourceMapping(data["name"], targets, data.get("format"))


def builtin_sources() -> list[str]:
    """Names of the built-in mappings (the demo systems)."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def load_mapping(source: str, mapping_file: Path | None = None) -> SourceMapping:
    """A built-in mapping by name, or the TOML file given with --mapping."""
    if mapping_file is not None:
        if not mapping_file.is_file():
            raise Es360Error(f"Mapping file {mapping_file} does not exist.")
        return parse_mapping(mapping_file.read_text(), str(mapping_file))
    path = BUILTIN_DIR / f"{source}.toml"
    if not path.is_file():
        raise Es360Error(f"No built-in mapping named {source!r}; built-ins are {', '.join(builtin_sources())}, "
                         f"or pass --mapping FILE.toml.")
    return parse_mapping(path.read_text(), path.name)
