"""Support requesters: what all of a requester's tickets say, not only the last one.

A help desk keys requesters by email, so every ticket re-indexes the requester's source record
and the record keeps what the latest ticket said: a chat that came in as "Ximena" with no phone
hides the "Ximena Delgado, 919 596 030" of an earlier email. Resolution reads every ticket's
requester name and phone (composite aggregations over the tickets index) and completes the record:

- the fullest name the tickets give, when every full name among them is the same person's (a family
  mailbox whose tickets are signed by two people is left as it is) and it contains the record's own;
- the phone, when the record has none and the tickets give exactly one number.

A requester record is one whose source id is its own email address (es360/ingest/sources/support.toml
keys them so). The completed values are normalized as the records pipeline would, so they compare
like any stated value, and the golden profile sees them too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch

from es360.identity.features import Rec, from_source, split_full_name
from es360.identity.source import composite_buckets
from es360.identity.text import clean_name
from es360.privacy.normalize import normalize_phone


@dataclass
class Requester:
    """The names and phones a requester's tickets gave."""

    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)


def requester_details(es: Elasticsearch, tickets: str, emails: Iterable[str] | None = None) -> dict[str, Requester]:
    """Requester email (as the tickets index stores it) -> names and E.164 phones its tickets gave."""
    if not es.indices.exists_alias(name=tickets):
        return {}
    base: list[dict[str, Any]] = [{"exists": {"field": "requester.email"}}]
    if emails is not None:
        wanted = sorted({e for e in emails if e})
        if not wanted:
            return {}
        base.append({"terms": {"requester.email": wanted}})
    out: dict[str, Requester] = {}
    for attr, path in (("names", "requester.name.raw"), ("phones", "requester.phone")):
        query = {"bool": {"filter": [*base, {"exists": {"field": path}}]}}
        sources = [{"email": {"terms": {"field": "requester.email"}}}, {"value": {"terms": {"field": path}}}]
        for key in composite_buckets(es, tickets, query, sources):
            value = str(key["value"]).strip()
            if attr == "phones":
                value = normalize_phone(value) or ""
            if value:
                getattr(out.setdefault(str(key["email"]), Requester()), attr).add(value)
    return out


def _words(full: str) -> list[str]:
    first, last = split_full_name(full)
    return sorted(clean_name(f"{first} {last}").split())


def _fullest_name(names: set[str], own: list[str]) -> str:
    """The requester's full name when the tickets agree on one person and it extends the record's own."""
    read = {n: tuple(_words(n)) for n in names}
    full = {words: n for n, words in read.items() if len(words) >= 2}
    if len(full) != 1:
        return ""  # none, or two people writing from one mailbox
    words, name = next(iter(full.items()))
    return name if len(words) > len(own) and set(own) <= set(words) else ""


def complete_requesters(records: list[Rec], details: dict[str, Requester]) -> int:
    """Complete requester records (in place in `records`) with the names and phones of all their
    tickets; returns how many changed."""
    changed = 0
    for i, r in enumerate(records):
        key = r.source_id.strip().lower()
        seen = details.get(key) if key and key == r.email else None
        if seen is None:
            continue
        doc = dict(r.doc)
        fields: list[str] = []
        name = _fullest_name(seen.names, _words(str((doc.get("name") or {}).get("full") or "")))
        if name:
            first, last = split_full_name(name)
            doc["name"] = {"first": first, "last": last, "full": name}
            fields.append("name")
        if not doc.get("phone") and len(seen.phones) == 1:
            doc["phone"] = next(iter(seen.phones))
            fields.append("phone")
        if not fields:
            continue
        completed = from_source(r.idx, doc, r.doc_id, r.index)
        completed.alt_emails = r.alt_emails
        completed.completed = tuple(fields)
        records[i] = completed
        changed += 1
    return changed
