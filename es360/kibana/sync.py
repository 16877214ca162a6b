"""Import kibana/ into Kibana, and export what Kibana holds back into kibana/ (round-trip safe)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from es360.assets import DEFAULT_PREFIX
from es360.errors import Es360Error
from es360.kibana.client import KibanaClient
from es360.kibana.saved_objects import (
    decode_object,
    dump_object,
    load_saved_objects,
    object_path,
    parse_ndjson,
    to_ndjson,
)


@dataclass
class ObjectResult:
    """What happened to one saved object."""

    type: str
    id: str
    title: str
    outcome: str  # created | updated | error (import); written | new | unchanged (export)
    reason: str = ""

    def as_dict(self) -> dict[str, str]:
        out = {"type": self.type, "id": self.id, "title": self.title, "outcome": self.outcome}
        if self.reason:
            out["reason"] = self.reason
        return out


class _Outcomes:
    """Counting per-object outcomes, shared by the import and export reports."""

    results: list[ObjectResult]

    def count(self, outcome: str) -> int:
        """How many objects had this outcome."""
        return sum(1 for r in self.results if r.outcome == outcome)


@dataclass
class ImportReport(_Outcomes):
    """Per-object outcome of `_import`; `sent = created + updated + errors` when it reconciles."""

    where: str
    sent: int
    results: list[ObjectResult] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.sent == self.count("created") + self.count("updated") + self.count("error")

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (`--json`)."""
        return {"kibana": self.where, "sent": self.sent, "created": self.count("created"),
                "updated": self.count("updated"), "errors": self.count("error"), "reconciles": self.reconciles,
                "objects": [r.as_dict() for r in self.results]}


@dataclass
class ExportReport(_Outcomes):
    """Per-object outcome of `_export` written back to disk."""

    where: str
    folder: str
    results: list[ObjectResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (`--json`)."""
        return {"kibana": self.where, "folder": self.folder, "exported": len(self.results),
                "written": self.count("written"), "new": self.count("new"), "unchanged": self.count("unchanged"),
                "objects": [r.as_dict() for r in self.results]}


def import_saved_objects(client: KibanaClient, root: Path | None = None,
                         prefix: str = DEFAULT_PREFIX) -> ImportReport:
    """Send every object of kibana/ to Kibana's `_import?overwrite=true`; one result per object sent."""
    objects = load_saved_objects(root, prefix)
    body = client.import_ndjson(to_ndjson(objects), overwrite=True)
    titles = {(o["type"], o["id"]): _title(o) for o in objects}
    report = ImportReport(client.where, len(objects))
    for item in body.get("successResults") or []:
        key = (item.get("type", ""), item.get("id", ""))
        outcome = "updated" if item.get("overwrite") else "created"
        report.results.append(ObjectResult(key[0], key[1], titles.get(key, _meta_title(item)), outcome))
    for item in body.get("errors") or []:
        key = (item.get("type", ""), item.get("id", ""))
        report.results.append(ObjectResult(key[0], key[1], titles.get(key, item.get("title") or _meta_title(item)),
                                           "error", _error_reason(item.get("error") or {})))
    return report


def export_saved_objects(client: KibanaClient, root: Path, prefix: str = DEFAULT_PREFIX) -> ExportReport:
    """Export the objects of `root` (and everything they reference) from Kibana and write them back.

    Files are rewritten only when their content changed, so exporting what was just imported
    leaves the folder byte-for-byte identical. Objects Kibana returns that `root` lacks (a panel a
    user added in Kibana) become new files. An empty or missing `root` receives es360's shipped
    objects as Kibana holds them.
    """
    has_objects = root.is_dir() and any(root.glob("*/*.json"))
    local = load_saved_objects(root if has_objects else None, prefix)
    wanted = [{"type": o["type"], "id": o["id"]} for o in local]
    text = client.export_ndjson(wanted, include_references_deep=True)
    summary = _export_summary(text)
    if summary.get("missingRefCount"):
        missing = ", ".join(f"{m.get('type')}/{m.get('id')}" for m in summary.get("missingReferences") or [])
        raise Es360Error(f"Kibana's export misses {summary['missingRefCount']} referenced objects ({missing}); "
                         f"nothing was written.")
    exported = parse_ndjson(text)
    for obj in exported:
        if not {"id", "type", "attributes"} <= obj.keys():
            raise Es360Error("Kibana's export holds an object without id, type or attributes; nothing was written.")
    report = ExportReport(client.where, str(root))
    planned: list[tuple[Path, str, ObjectResult]] = []
    for obj in exported:
        decoded = decode_object(obj, prefix)
        path = object_path(root, decoded)
        text_out = dump_object(decoded)
        before = path.read_text() if path.is_file() else None
        outcome = "new" if before is None else "unchanged" if before == text_out else "written"
        planned.append((path, text_out, ObjectResult(decoded["type"], decoded["id"], _title(decoded), outcome)))
    for path, text_out, result in planned:
        if result.outcome != "unchanged":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text_out)
        report.results.append(result)
    return report


def _export_summary(text: str) -> dict[str, Any]:
    for line in reversed(text.splitlines()):
        if line.strip():
            try:
                last = json.loads(line)
            except json.JSONDecodeError:
                return {}
            return last if isinstance(last, dict) and "exportedCount" in last and "id" not in last else {}
    return {}


def _title(obj: dict[str, Any]) -> str:
    attrs = obj.get("attributes") or {}
    return str(attrs.get("title") or attrs.get("name") or obj.get("id", ""))


def _meta_title(item: dict[str, Any]) -> str:
    return str((item.get("meta") or {}).get("title") or item.get("id", ""))


def _error_reason(error: dict[str, Any]) -> str:
    kind = error.get("type", "unknown")
    if kind == "missing_references":
        refs = ", ".join(f"{r.get('type')}/{r.get('id')}" for r in error.get("references") or [])
        return f"missing references: {refs}"
    if kind == "conflict":
        return "conflict with an existing object"
    if kind == "unsupported_type":
        return "Kibana does not support this object type"
    message = error.get("message") or error.get("reason") or ""
    return f"{kind}: {message}".rstrip(": ")

