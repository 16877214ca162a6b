"""One source record as the comparable features identity resolution needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from es360.identity import nicknames
from es360.identity.emailname import infer_name
from es360.identity.text import (
    SURNAME_PARTICLES,
    canonical_email,
    clean_name,
    clean_postcode,
    email_local,
    particles_to_last,
    phone_tail,
    street_tokens,
)

NEVER = float("inf")  # created_at of a record without one: it sorts after every dated record


@dataclass(slots=True)
class Rec:
    """A record's identity features; `idx` is its position in the run's record list."""

    idx: int
    record_id: str
    source: str
    source_id: str
    doc_id: str = ""
    index: str = ""
    customer_id: str | None = None
    first: str = ""
    last: str = ""
    email: str = ""
    email_canon: str = ""
    email_local: str = ""
    phone: str = ""
    phone_tail: str = ""
    dob: str = ""
    postcode: str = ""
    street: str = ""
    city: str = ""
    country: str = ""
    alt_emails: frozenset[str] = frozenset()  # other mailboxes seen with this record id in activity
    email_shared: bool = False  # the mailbox is used by people with clearly different first names
    phone_shared: bool = False
    name_from_email: str = ""  # name parts read from the email ('first', 'last', 'first,last'), not stated
    first_alt: str = ""  # the known spelling a rare first name is a slip of (es360.identity.spelling)
    completed: tuple[str, ...] = ()  # fields taken from the requester's other tickets (es360.identity.requesters)
    created: float = NEVER
    updated: float = NEVER
    doc: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def first_groups(self) -> frozenset[str]:
        return nicknames.groups(self.first)

    @property
    def age_key(self) -> tuple[float, str]:
        """Sort key of 'older': earlier created_at first (undated last), then record_id."""
        return (self.created, self.record_id)

    @property
    def activity_time(self) -> float:
        """When this record was last touched: updated_at, else created_at (undated: -inf)."""
        moment = self.updated if self.updated != NEVER else self.created
        return -NEVER if moment == NEVER else moment


def epoch(value: Any) -> float:
    """Seconds since the epoch of an ISO date(-time) string, NEVER when absent or unreadable."""
    if not value:
        return NEVER
    text = str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return NEVER
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC).timestamp()
    return moment.timestamp()


def split_full_name(full: str) -> tuple[str, str]:
    """The records pipeline's rule: 'Smith, Sam' -> ('Sam', 'Smith'); else at the first surname particle
    after the first word ('Kees van den Broek' -> ('Kees', 'van den Broek')), else at the last space."""
    full = full.strip()
    if full.find(",") > 0:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    words = [w for w in full.split(" ") if w]
    if len(words) < 2:
        return "", full
    cut = next((i for i in range(1, len(words) - 1) if words[i].lower() in SURNAME_PARTICLES), len(words) - 1)
    return " ".join(words[:cut]), " ".join(words[cut:])


def from_source(idx: int, src: dict[str, Any], doc_id: str = "", index: str = "") -> Rec:
    """Features of one record as stored in the records index (its `_source`)."""
    name = src.get("name") or {}
    first, last = name.get("first") or "", name.get("last") or ""
    if not first and not last and name.get("full"):
        first, last = split_full_name(str(name["full"]))
    email = str(src.get("email") or "").strip().lower()
    canon = canonical_email(email) if "@" in email else ""
    address = src.get("address") or {}
    source = str(src.get("source") or "")
    source_id = str(src.get("source_id") or "")
    record_id = str(src.get("record_id") or f"{source}:{source_id}")
    first, last = particles_to_last(clean_name(str(first)), clean_name(str(last)))
    inferred = ""
    if canon:
        first, last, inferred = infer_name(first, last, email)
    return Rec(
        idx=idx, record_id=record_id, source=source, source_id=source_id, doc_id=doc_id, index=index,
        customer_id=src.get("customer_id") or None,
        first=first, last=last, name_from_email=inferred,
        email=email if canon else "", email_canon=canon, email_local=email_local(canon) if canon else "",
        phone=str(src.get("phone") or ""), phone_tail=phone_tail(src.get("phone")),
        dob=str(src.get("birth_date") or "")[:10],
        postcode=clean_postcode(address.get("postcode")), street=street_tokens(address.get("street")),
        city=clean_name(str(address.get("city") or "")), country=str(address.get("country") or ""),
        created=epoch(src.get("created_at")), updated=epoch(src.get("updated_at")), doc=src,
    )

