"""Mailboxes named in support tickets: evidence that the requester owns them too.

Customers writing from a work or family address often name their account's mailbox: "My login is
sam.smith@gmail.com", "I no longer use sam@old.example, please change it to ...". The tickets
pipeline keeps the other addresses a ticket names (`mentioned_emails`); identity resolution reads
them as mailboxes of the requester, like mailboxes seen with an account in activity. An address
that more than `MAX_REQUESTERS` different requesters name (a shop's own helpdesk address, a
colleague's) is nobody's in particular and is ignored. The usual household rule still applies: a
named mailbox whose records carry another first name is only weak, *shared* evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from elasticsearch import Elasticsearch

from es360.identity.features import Rec
from es360.identity.source import composite_buckets
from es360.identity.text import canonical_email

MAX_REQUESTERS = 3


def mentioned_mailboxes(es: Elasticsearch, tickets: str, requesters: Iterable[str] | None = None) -> dict[str, set[str]]:
    """Canonical requester mailbox -> canonical mailboxes its tickets name. With `requesters` (emails as
    records store them), only for those requesters (named mailboxes are still counted over all tickets)."""
    if not es.indices.exists_alias(name=tickets):
        return {}
    wanted: set[str] | None = None
    if requesters is None:
        naming, _ = _naming(es, tickets, None)
    else:
        asked = sorted({e for e in requesters if e})
        first, raw = _naming(es, tickets, {"terms": {"requester.email": asked}}) if asked else ({}, set())
        if not first:
            return {}
        wanted = {canonical_email(e) for e in asked}
        naming, _ = _naming(es, tickets, {"terms": {"mentioned_emails": sorted(raw)}})
    out: dict[str, set[str]] = {}
    for named, requesters_naming in naming.items():
        if len(requesters_naming) > MAX_REQUESTERS:
            continue  # a helpdesk's or a colleague's address, not the requester's own
        for requester in requesters_naming:
            if wanted is None or requester in wanted:
                out.setdefault(requester, set()).add(named)
    return out


def _naming(es: Elasticsearch, tickets: str, extra: dict[str, Any] | None) -> tuple[dict[str, set[str]], set[str]]:
    """(canonical named mailbox -> canonical requesters naming it, the named values as stored)."""
    filters: list[dict[str, Any]] = [{"exists": {"field": "mentioned_emails"}}, {"exists": {"field": "requester.email"}}]
    if extra is not None:
        filters.append(extra)
    sources = [{"email": {"terms": {"field": "requester.email"}}}, {"named": {"terms": {"field": "mentioned_emails"}}}]
    naming: dict[str, set[str]] = {}
    raw: set[str] = set()
    for key in composite_buckets(es, tickets, {"bool": {"filter": filters}}, sources):
        requester, named = canonical_email(str(key["email"])), canonical_email(str(key["named"]))
        if requester and named and named != requester:
            naming.setdefault(named, set()).add(requester)
            raw.add(str(key["named"]))
    return naming, raw


def attach_mentioned_mailboxes(records: Iterable[Rec], mentioned: dict[str, set[str]]) -> int:
    """Add to each record the mailboxes its own mailbox's tickets name; returns how many records gained one."""
    count = 0
    for r in records:
        extra = mentioned.get(r.email_canon, set()) - r.alt_emails - {r.email_canon} if r.email_canon else set()
        if extra:
            r.alt_emails = r.alt_emails | extra
            count += 1
    return count
