"""Golden profiles: one document per customer, chosen field by field from its records (survivorship).

Rules (docs/identity.md has the steward's version):
- name: the most complete name (first and last, not an initial), then source priority
  crm > shop > support > marketing > others, then the most recently updated record.
- email, phone: the most recently updated record that has one (ties: source priority).
- birth_date: the value most records agree on (ties: source priority, then recency).
- address: the most complete address (street, city, postcode, country), then source priority, then recency.
- consent.email: conservative. Any opt-out wins (the latest opt-out, with its source and time);
  otherwise the latest opt-in; otherwise the latest 'unknown'. The winner is chosen from each record's
  current status; `consent.email.events` keeps every record's consent events (its opt-in time, when the
  source gives one apart from the status, and its current status), oldest first, duplicates dropped.
- emails, phones, names, source_ids, record_ids, sources: every distinct value, sorted.
- created_at: the earliest record's; updated_at: the latest change of any record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from es360.identity.features import NEVER, Rec, epoch

SOURCE_PRIORITY = {"crm": 0, "shop": 1, "support": 2, "marketing": 3}


def _priority(r: Rec) -> int:
    return SOURCE_PRIORITY.get(r.source, len(SOURCE_PRIORITY))


def _iso(moment: float) -> str | None:
    if moment in (NEVER, -NEVER):
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def _recent_first(r: Rec) -> tuple[float, int, str]:
    return (-r.activity_time, _priority(r), r.record_id)


def _name(records: list[Rec]) -> dict[str, str] | None:
    def score(r: Rec) -> tuple[int, int, float, str]:
        name = r.doc.get("name") or {}
        complete = int(bool(name.get("first")) and bool(name.get("last")) and len(r.first) > 1)
        return (-complete, _priority(r), -r.activity_time, r.record_id)

    named = [r for r in records if (r.doc.get("name") or {}).get("full") or r.first or r.last]
    if not named:
        return None
    name = dict(min(named, key=score).doc.get("name") or {})
    out = {k: str(name[k]) for k in ("first", "last", "full") if name.get(k)}
    if "full" not in out and (out.get("first") or out.get("last")):
        out["full"] = f"{out.get('first', '')} {out.get('last', '')}".strip()
    return out or None


def _address(records: list[Rec]) -> dict[str, str] | None:
    keys = ("street", "city", "postcode", "country")

    def score(r: Rec) -> tuple[int, int, float, str]:
        address = r.doc.get("address") or {}
        return (-sum(1 for k in keys if address.get(k)), _priority(r), -r.activity_time, r.record_id)

    with_address = [r for r in records if any((r.doc.get("address") or {}).get(k) for k in keys)]
    if not with_address:
        return None
    address = min(with_address, key=score).doc.get("address") or {}
    return {k: str(address[k]) for k in keys if address.get(k)}


def _birth_date(records: list[Rec]) -> str | None:
    dated = [r for r in records if r.dob]
    if not dated:
        return None
    votes = Counter(r.dob for r in dated)
    return min(dated, key=lambda r: (-votes[r.dob], _priority(r), -r.activity_time, r.record_id)).dob


@dataclass(frozen=True)
class ConsentEvent:
    """One email consent event of one source record: what it said (`status`), when (`at`, None when
    unknown), and whether it is the record's current status or an earlier opt-in its source dates."""

    status: str
    source: str
    record_id: str
    at: str | None
    current: bool
    moment: float | None = field(init=False, compare=False)  # seconds since the epoch; None: unknown time

    def __post_init__(self) -> None:
        moment = epoch(self.at)
        object.__setattr__(self, "moment", None if moment in (NEVER, -NEVER) else moment)

    def as_doc(self) -> dict[str, Any]:
        """The event as stored in `consent.email.events` (no `at` when the time is unknown)."""
        doc: dict[str, Any] = {"status": self.status, "source": self.source, "record_id": self.record_id}
        if self.at:
            doc["at"] = self.at
        doc["current"] = self.current
        return doc


def consent_events(r: Rec) -> list[ConsentEvent]:
    """A record's email consent events, its current status last: the opt-in its source dates apart from
    the status (`consent.email.opt_in_at`, e.g. a subscription date), then the status with its time
    (`consent.email.updated_at`, else the record's updated_at or created_at). No status, no events."""
    consent = ((r.doc.get("consent") or {}).get("email")) or {}
    status = consent.get("status")
    if not status:
        return []
    source = str(consent.get("source") or r.source)
    when = consent.get("updated_at") or r.doc.get("updated_at") or r.doc.get("created_at")
    events = []
    if consent.get("opt_in_at"):
        events.append(ConsentEvent("opt_in", source, r.record_id, str(consent["opt_in_at"]), False))
    events.append(ConsentEvent(str(status), source, r.record_id, str(when) if when else None, True))
    return events


def _history_order(e: ConsentEvent) -> tuple[bool, float, bool, str, str]:
    moment = e.moment
    return (moment is None, moment or 0.0, e.current, e.record_id, e.status)


def consent_history(records: list[Rec]) -> list[ConsentEvent]:
    """Every consent event of `records`, oldest first (undated last). A record that states the same
    status at the same moment twice (subscribed, and still subscribed since then) counts once, as its
    current status."""
    return _history([e for r in records for e in consent_events(r)])


def _history(events: list[ConsentEvent]) -> list[ConsentEvent]:
    kept: dict[tuple[str, str, float | str | None], ConsentEvent] = {}
    for event in events:
        key = (event.record_id, event.status, event.moment if event.moment is not None else event.at)
        if key not in kept or event.current:
            kept[key] = event
    return sorted(kept.values(), key=_history_order)


def _consent(records: list[Rec]) -> dict[str, Any] | None:
    per_record = [events for events in map(consent_events, records) if events]
    if not per_record:
        return None
    current = [events[-1] for events in per_record]
    for wanted in ("opt_out", "opt_in", "unknown"):
        chosen = [e for e in current if e.status == wanted]
        if chosen:
            break
    else:
        chosen = current
    winner = max(chosen, key=lambda e: (e.moment is not None, e.moment or 0.0, e.record_id))
    out: dict[str, Any] = {"status": winner.status, "source": winner.source}
    if winner.at:
        out["updated_at"] = winner.at
    out["events"] = [e.as_doc() for e in _history([e for events in per_record for e in events])]
    return out


def _distinct(values: Iterable[str | None]) -> list[str]:
    return sorted({v for v in values if v})


def golden_profile(customer_id: str, records: list[Rec], merged_from: Iterable[str] = ()) -> dict[str, Any]:
    """The customer document (without resolution.run_id, which the writer adds when the document changes)."""
    doc: dict[str, Any] = {"customer_id": customer_id}
    name = _name(records)
    if name:
        doc["name"] = name
    with_email = sorted((r for r in records if r.email), key=_recent_first)
    if with_email:
        email = with_email[0].email
        doc["email"] = email
        local, _, domain = email.rpartition("@")
        doc["email_local"], doc["email_domain"] = local, domain
    with_phone = sorted((r for r in records if r.phone), key=_recent_first)
    if with_phone:
        doc["phone"] = with_phone[0].phone
        doc["phone_last4"] = with_phone[0].phone[-4:]
    birth = _birth_date(records)
    if birth:
        doc["birth_date"] = birth
    address = _address(records)
    if address:
        doc["address"] = address
    consent = _consent(records)
    if consent:
        doc["consent"] = {"email": consent}
    doc["emails"] = _distinct(r.email for r in records)
    doc["phones"] = _distinct(r.phone for r in records)
    doc["names"] = _distinct(str((r.doc.get("name") or {}).get("full") or "").strip() or None for r in records)
    doc["source_ids"] = _distinct(r.source_id for r in records)
    doc["record_ids"] = _distinct(r.record_id for r in records)
    doc["sources"] = _distinct(r.source for r in records)
    doc["record_count"] = len(records)
    created = min((r.created for r in records), default=NEVER)
    updated = max((max(r.created if r.created != NEVER else -NEVER, r.activity_time) for r in records),
                  default=-NEVER)
    if _iso(created):
        doc["created_at"] = _iso(created)
    if _iso(updated):
        doc["updated_at"] = _iso(updated)
    doc["resolution"] = {"merged_from": _distinct(merged_from)}
    return doc
