"""Orders quoted in support tickets: evidence of who wrote them.

A ticket that quotes an order number ("my order O-104233 arrived broken") was almost always
written by the person who placed that order, often from another mailbox than the shop account's.
The tickets pipeline keeps the order numbers a ticket quotes as digits (`order_refs`); the orders'
digits are computed when resolve asks (a search-time runtime field over `order.id`), so ingesting
orders pays nothing for it. Joining the two gives, per account that placed a quoted order, the
requester mailboxes that quoted it. Identity resolution treats them like mailboxes seen with the
account in activity (es360.identity.source.activity_emails). A number that matches no order, or
orders of more than one account, is no evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from elasticsearch import Elasticsearch

from es360.identity.source import activity_emails, composite_buckets
from es360.identity.text import canonical_email

TERMS_BATCH = 10_000  # numbers per terms query: each query computes every order's digits once
# the digits of an order id ('O-104233' -> '104233'), as tickets' order_refs hold quoted numbers
ORDER_DIGITS = {"order_digits": {"type": "keyword", "script": {"lang": "painless", "source": (
    "if (doc['order.id'].size() == 0) { return; } "
    "String digits = /[^0-9]/.matcher(doc['order.id'].value).replaceAll(''); "
    "if (digits.length() >= 5) { emit(digits); }")}}}


def _quoted(es: Elasticsearch, tickets: str, refs: list[str] | None) -> dict[str, set[str]]:
    """Order number -> canonical requester mailboxes of the tickets quoting it."""
    filters: list[dict[str, Any]] = [{"exists": {"field": "order_refs"}}, {"exists": {"field": "requester.email"}}]
    out: dict[str, set[str]] = {}
    for batch in _batches(refs):
        query = {"bool": {"filter": filters + ([{"terms": {"order_refs": batch}}] if batch is not None else [])}}
        asked = set(batch) if batch is not None else None  # a ticket may quote other numbers too
        for key in composite_buckets(es, tickets, query, [{"ref": {"terms": {"field": "order_refs"}}},
                                                          {"email": {"terms": {"field": "requester.email"}}}]):
            email = canonical_email(str(key["email"]))
            if email and (asked is None or key["ref"] in asked):
                out.setdefault(str(key["ref"]), set()).add(email)
    return out


def _placed(es: Elasticsearch, activity: str, refs: list[str] | None = None,
            source_ids: list[str] | None = None) -> dict[str, set[str]]:
    """Order number -> record ids (`source:source_id`) of the accounts whose orders carry it."""
    filters: list[dict[str, Any]] = [{"exists": {"field": "order.id"}}, {"exists": {"field": "identity.source_id"}}]
    if source_ids is not None:
        filters.append({"terms": {"identity.source_id": source_ids}})
    out: dict[str, set[str]] = {}
    for batch in _batches(refs):
        query = {"bool": {"filter": filters + ([{"terms": {"order_digits": batch}}] if batch is not None else [])}}
        sources = [{"ref": {"terms": {"field": "order_digits"}}}, {"source": {"terms": {"field": "identity.source"}}},
                   {"id": {"terms": {"field": "identity.source_id"}}}]
        for key in composite_buckets(es, activity, query, sources, ORDER_DIGITS):
            out.setdefault(str(key["ref"]), set()).add(f"{key['source']}:{key['id']}")
    return out


def _batches(values: list[str] | None) -> Iterator[list[str] | None]:
    if values is None:
        yield None
        return
    for start in range(0, len(values), TERMS_BATCH):
        yield values[start:start + TERMS_BATCH]


def ticket_order_emails(es: Elasticsearch, tickets: str, activity: str,
                        record_ids: list[str] | None = None) -> dict[str, set[str]]:
    """record_id -> mailboxes of ticket requesters who quoted an order that record's account placed
    (only orders of that one account carry the number). With `record_ids`, only for those records."""
    if not (es.indices.exists_alias(name=tickets) and es.indices.exists_alias(name=activity)):
        return {}
    if record_ids is None:
        quoted = _quoted(es, tickets, None)
        placed = _placed(es, activity, refs=sorted(quoted)) if quoted else {}
    else:
        ids = sorted({r.partition(":")[2] for r in record_ids})
        placed = _placed(es, activity, source_ids=ids) if ids else {}
        quoted = _quoted(es, tickets, sorted(placed)) if placed else {}
        placed = _placed(es, activity, refs=sorted(placed)) if placed else {}  # every account with the number
    wanted = set(record_ids) if record_ids is not None else None
    out: dict[str, set[str]] = {}
    for ref, emails in quoted.items():
        accounts = placed.get(ref, set())
        if len(accounts) != 1:
            continue  # unknown number, or orders of several accounts carry it
        account = next(iter(accounts))
        if wanted is None or account in wanted:
            out.setdefault(account, set()).update(emails)
    return out


def mailboxes_seen(es: Elasticsearch, prefix: str, record_ids: list[str] | None = None) -> dict[str, set[str]]:
    """record_id -> mailboxes seen with the record outside it: used with its id in activity (orders,
    logins) and by requesters of tickets quoting its orders. With `record_ids`, only for those."""
    seen = activity_emails(es, f"{prefix}activity", record_ids)
    for record_id, emails in ticket_order_emails(es, f"{prefix}tickets", f"{prefix}activity", record_ids).items():
        seen.setdefault(record_id, set()).update(emails)
    return seen
