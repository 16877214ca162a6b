"""`es360 export`: everything es360 holds about one person, as one JSON document (subject access).

The documents are exactly those `es360 forget` would erase (es360.privacy.footprint), read through
a point in time with search_after and written as they arrive, so a long history never has to fit
in memory. Ticket embedding vectors are replaced by a note (`{"omitted": true, "dims": 384}`): they
are derived from the ticket text, which is exported in full.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson
from elasticsearch import Elasticsearch

from es360 import __version__
from es360.assets import index_alias
from es360.errors import Es360Error
from es360.identity.source import scan_pit
from es360.privacy.audit import current_actor, new_audit_id, write_audit
from es360.privacy.footprint import PERSONAL_KINDS, Footprint, build_footprint, resolve_customer

FORMAT_VERSION = 1
PAGE = 1000  # documents per search_after page
SECTIONS = (("records", "records"), ("identity", "identity"), ("activity", "activity"), ("tickets", "tickets"),
            ("merge-log", "merge_log"))


@dataclass
class ExportReport:
    """What was exported: per-section document counts and where it went."""

    customer_id: str
    audit_id: str
    path: str | None
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _ticket(src: dict[str, Any]) -> dict[str, Any]:
    vector = src.pop("embedding", None)
    if vector is not None:
        src["embedding"] = {"omitted": True, "dims": len(vector) if isinstance(vector, list) else None}
    return src


def _identifiers(fp: Footprint) -> list[dict[str, Any]]:
    own = [{"type": kind, "value": value, "shared_with_other_customers": False}
           for kind, _, value in (i.partition(":") for i in sorted(fp.identifiers()))]
    shared = [{"type": kind, "value": value, "shared_with_other_customers": True}
              for kind, _, value in (i.partition(":") for i in sorted(fp.shared))]
    return own + shared


def _documents(es: Elasticsearch, prefix: str, fp: Footprint, kind: str) -> Iterator[dict[str, Any]]:
    for hit in scan_pit(es, index_alias(kind, prefix), query=fp.query(kind), page=PAGE):
        src = dict(hit.get("_source") or {})
        yield _ticket(src) if kind == "tickets" else src


def write_export(es: Elasticsearch, prefix: str, fp: Footprint, out: TextIO) -> dict[str, int]:
    """Stream the export document for `fp` to `out`; returns documents per section."""
    counts: dict[str, int] = {}
    profile = fp.profile
    out.write("{\n" + _json("es360_export") + ": " + _json({
        "format_version": FORMAT_VERSION, "generated_at": datetime.now(UTC).isoformat(),
        "es360_version": __version__, "customer_id": fp.customer_id, "customer_ids": fp.customer_ids,
        "embeddings": "ticket embedding vectors are derived from the ticket text and are omitted"}))
    out.write(",\n" + _json("profile") + ": " + _json(profile))
    out.write(",\n" + _json("identifiers") + ": " + _json(_identifiers(fp)))
    rollup = es.search(index=index_alias("rollup", prefix), size=1, query=fp.query("rollup"))["hits"]["hits"]
    out.write(",\n" + _json("rollup") + ": " + _json(rollup[0]["_source"] if rollup else None))
    counts["customers"] = 1 if profile else 0
    counts["rollup"] = len(rollup)
    by_source: list[dict[str, Any]] = []
    for kind, key in SECTIONS:
        out.write(",\n" + _json(key) + ": [")
        n = 0
        for doc in _documents(es, prefix, fp, kind):
            out.write(("\n" if n == 0 else ",\n") + _json(doc))
            n += 1
            if kind == "records" and (doc.get("consent") or {}).get("email"):
                by_source.append({"source": doc.get("source"), "record_id": doc.get("record_id"),
                                  **doc["consent"]["email"]})
        out.write("\n]" if n else "]")
        counts[kind] = n
    consent = {"email": ((profile or {}).get("consent") or {}).get("email") or {}, "by_source": by_source}
    out.write(",\n" + _json("consent") + ": " + _json(consent))
    out.write(",\n" + _json("counts") + ": " + _json(counts) + "\n}\n")
    return counts


def _audit(es: Elasticsearch, prefix: str, audit_id: str, fp: Footprint, counts: dict[str, int]) -> None:
    write_audit(es, prefix, audit_id, {
        "action": "export", "customer_id": fp.customer_id,
        "related_customer_ids": [c for c in fp.customer_ids if c != fp.customer_id], "actor": current_actor(es),
        "indices": [{"kind": k, "index": index_alias(k, prefix), "count": counts.get(k, 0)} for k in PERSONAL_KINDS],
        "identifiers": fp.counts(), "total": sum(counts.values())})


def _prepare(es: Elasticsearch, prefix: str, customer: str) -> Footprint:
    for kind in (*PERSONAL_KINDS, "audit"):
        if not es.indices.exists_alias(name=index_alias(kind, prefix)):
            raise Es360Error(f"Index alias {index_alias(kind, prefix)} does not exist; run `es360 setup` first.")
    return build_footprint(es, prefix, resolve_customer(es, prefix, customer))


def export_customer(es: Elasticsearch, prefix: str, customer: str, out: TextIO) -> ExportReport:
    """Export `customer` to an open text stream (e.g. stdout) and audit it."""
    fp = _prepare(es, prefix, customer)
    counts = write_export(es, prefix, fp, out)
    out.flush()
    report = ExportReport(fp.customer_id, new_audit_id(), None, counts)
    _audit(es, prefix, report.audit_id, fp, counts)
    return report


def export_to_file(es: Elasticsearch, prefix: str, customer: str, path: Path) -> ExportReport:
    """Export `customer` to `path` (owner-only permissions; written in full or not at all) and audit it."""
    fp = _prepare(es, prefix, customer)
    path = Path(path)
    if not path.parent.is_dir():
        raise Es360Error(f"The folder {path.parent} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=".es360-export-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp files are 0600
            counts = write_export(es, prefix, fp, out)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    report = ExportReport(fp.customer_id, new_audit_id(), str(path), counts)
    _audit(es, prefix, report.audit_id, fp, counts)
    return report
