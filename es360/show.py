"""`es360 show`: everything about one customer on one screen (the 360 view), as one document.

The customer is named by id or by anything customer search accepts; when the search is not
decisive the caller gets a numbered pick list instead (choose with `pick`). Everything else comes
from one `_msearch`: the golden profile, its source records and identifiers, the rollup, recent
activity across channels, orders, tickets and the merge log.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from es360.assets import index_alias
from es360.errors import Es360Error
from es360.identity.features import from_source
from es360.identity.golden import consent_history
from es360.search.customers import CustomerHit, search_customers

DECISIVE_RATIO = 1.5  # the best match wins outright when it scores this much more than the next
PICK_LIST_SIZE = 10
CLOSED_STATUSES = ["solved", "closed"]
RECORD_FIELDS = ["record_id", "source", "source_id", "name", "email", "phone", "address", "consent",
                 "created_at", "updated_at"]


@dataclass
class PickList:
    """More than one customer fits what was typed: choose one with `--pick N` (1-based)."""

    query: str
    candidates: list[CustomerHit]

    def as_dict(self) -> dict[str, Any]:
        return {"ambiguous": True, "query": self.query,
                "candidates": [{"pick": i, **c.as_dict()} for i, c in enumerate(self.candidates, start=1)]}


@dataclass
class Customer360:
    """The whole story of one customer."""

    customer_id: str
    matched_by: str  # id | search | pick
    profile: dict[str, Any]
    identifiers: list[dict[str, Any]] = field(default_factory=list)
    consent: dict[str, Any] = field(default_factory=dict)
    rollup: dict[str, Any] | None = None
    timeline: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    open_tickets: list[dict[str, Any]] = field(default_factory=list)
    recent_tickets: list[dict[str, Any]] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    why: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ambiguous": False, **asdict(self)}


def show_customer(es: Elasticsearch, prefix: str, query: str, *, pick: int | None = None, timeline_size: int = 20,
                  orders_size: int = 10, tickets_size: int = 10) -> Customer360 | PickList:
    """The 360 view of the customer `query` names (an id, or anything customer search accepts)."""
    text = (query or "").strip()
    if not text:
        raise Es360Error("Say which customer: a customer id, a name, an email, a phone number, an order or ticket id.")
    profile = None if pick else _by_id(es, prefix, text)
    if profile is not None:
        return build_view(es, prefix, profile, "id", [], timeline_size, orders_size, tickets_size)
    found = search_customers(es, prefix, text, size=PICK_LIST_SIZE)
    hits = found.hits
    if not hits:
        raise Es360Error(f"No customer matches {_quoted(text)}.")
    if pick is not None:
        if not 1 <= pick <= len(hits):
            raise Es360Error(f"--pick must be between 1 and {len(hits)} for {_quoted(text)}.")
        chosen, how = hits[pick - 1], "pick"
    elif len(hits) == 1 or hits[0].score >= DECISIVE_RATIO * hits[1].score:
        chosen, how = hits[0], "search"
    else:
        return PickList(text, hits)
    profile = _by_id(es, prefix, chosen.customer_id) or chosen.source
    return build_view(es, prefix, profile, how, chosen.why, timeline_size, orders_size, tickets_size)


def _by_id(es: Elasticsearch, prefix: str, customer_id: str) -> dict[str, Any] | None:
    resp = es.options(ignore_status=404).search(index=index_alias("customers", prefix), size=1,
                                                 query={"term": {"customer_id": customer_id}}, ignore_unavailable=True)
    hits = (resp.get("hits") or {}).get("hits") or []
    return hits[0]["_source"] if hits else None


def _desc(field_name: str) -> list[dict[str, Any]]:
    return [{field_name: {"order": "desc", "unmapped_type": "date"}}]


def build_view(es: Elasticsearch, prefix: str, profile: dict[str, Any], matched_by: str, why: list[str],
               timeline_size: int = 20, orders_size: int = 10, tickets_size: int = 10) -> Customer360:
    """Gather everything about one golden profile with a single _msearch."""
    cid = profile["customer_id"]
    by_customer = {"term": {"customer_id": cid}}
    header = {"ignore_unavailable": True, "allow_no_indices": True}
    searches: list[dict[str, Any]] = [
        {"index": index_alias("records", prefix), **header},
        {"size": 100, "query": by_customer, "_source": RECORD_FIELDS},
        {"index": index_alias("identity", prefix), **header},
        {"size": 200, "query": by_customer},
        {"index": index_alias("rollup", prefix), **header},
        {"size": 1, "query": by_customer},
        {"index": index_alias("activity", prefix), **header},
        {"size": timeline_size, "query": by_customer, "sort": _desc("@timestamp"), "_source": {"excludes": ["extra"]}},
        {"index": index_alias("activity", prefix), **header},
        {"size": orders_size, "sort": _desc("@timestamp"),
         "query": {"bool": {"filter": [by_customer, {"exists": {"field": "order.id"}}]}}},
        {"index": index_alias("tickets", prefix), **header},
        {"size": tickets_size, "query": by_customer, "sort": _desc("created_at"),
         "_source": {"excludes": ["embedding", "raw", "extra"]}},
        {"index": index_alias("tickets", prefix), **header},
        {"size": tickets_size, "sort": _desc("created_at"), "_source": {"excludes": ["embedding", "raw", "extra"]},
         "query": {"bool": {"filter": [by_customer], "must_not": [{"terms": {"status": CLOSED_STATUSES}}]}}},
        {"index": index_alias("merge-log", prefix), **header},
        {"size": 50, "sort": _desc("@timestamp"),
         "query": {"bool": {"should": [by_customer, {"term": {"other_customer_ids": cid}}], "minimum_should_match": 1}}},
    ]
    try:
        responses = es.msearch(searches=searches)["responses"]
    except ApiError as exc:
        raise Es360Error(f"Could not read the customer's data: {exc.message}") from None
    records, identity, rollup, activity, orders, tickets, open_tickets, merges = (_sources(r) for r in responses)
    return Customer360(
        customer_id=cid, matched_by=matched_by, profile=profile, why=why,
        identifiers=identifiers_of(profile, records, identity),
        consent=consent_of(profile, records), rollup=rollup[0] if rollup else None,
        timeline=[timeline_entry(a) for a in activity], orders=[order_entry(o) for o in orders],
        open_tickets=[ticket_entry(t) for t in open_tickets],
        recent_tickets=[ticket_entry(t) for t in tickets], merges=[merge_entry(m) for m in merges],
        records=[{k: r.get(k) for k in ("record_id", "source", "source_id", "created_at", "updated_at") if r.get(k)}
                 for r in records],
    )


def _sources(resp: dict[str, Any]) -> list[dict[str, Any]]:
    if resp.get("error"):
        return []
    return [h.get("_source") or {} for h in (resp.get("hits") or {}).get("hits", [])]


def identifiers_of(profile: dict[str, Any], records: list[dict[str, Any]],
                   identity: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every email, phone and source id of the customer, with the systems each one came from."""
    found: dict[tuple[str, str], set[str]] = {}

    def add(kind: str, value: Any, source: str) -> None:
        if value:
            found.setdefault((kind, str(value)), set()).add(source)

    for rec in records:
        source = rec.get("source") or "record"
        add("email", rec.get("email"), source)
        add("phone", rec.get("phone"), source)
        add("record", rec.get("record_id") or f"{source}:{rec.get('source_id')}", source)
    for doc in identity:
        kind = doc.get("type") if doc.get("type") in ("email", "phone") else "record"
        value = str(doc.get("value") or doc.get("identifier") or "")
        if value and not any(value == v for (_, v) in found):
            add(kind, value, value.split(":", 1)[0] if kind == "record" and ":" in value else "identity")
    for email in profile.get("emails") or []:
        if ("email", email) not in found:
            add("email", email, "profile")
    for phone in profile.get("phones") or []:
        if ("phone", phone) not in found:
            add("phone", phone, "profile")
    for rid in profile.get("record_ids") or profile.get("source_ids") or []:
        if ("record", rid) not in found:
            add("record", rid, rid.split(":", 1)[0] if ":" in rid else "profile")
    order = {"email": 0, "phone": 1, "record": 2}
    return [{"type": kind, "value": value, "sources": sorted(sources)}
            for (kind, value), sources in sorted(found.items(), key=lambda kv: (order.get(kv[0][0], 3), kv[0][1]))]


def consent_of(profile: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """The golden consent (`email`: status, source, updated_at), its history (every source record's
    consent events, oldest first, as identity resolution stored them; for a profile resolved before
    histories were kept, rebuilt from the records by the same rule), and what each source system says."""
    by_source = [{"source": r.get("source"), "record_id": r.get("record_id"),
                  **((r.get("consent") or {}).get("email") or {})}
                 for r in records if (r.get("consent") or {}).get("email")]
    golden = dict((profile.get("consent") or {}).get("email") or {})
    history = golden.pop("events", None)
    if history is None:
        history = [e.as_doc() for e in consent_history([from_source(i, r) for i, r in enumerate(records)])]
    return {"email": golden, "history": history, "by_source": by_source}


def timeline_entry(doc: dict[str, Any]) -> dict[str, Any]:
    """One activity event as a timeline line: when, channel, action and a short summary."""
    event = doc.get("event") or {}
    order = doc.get("order") or {}
    parts: list[str] = []
    if order.get("id"):
        amount = order.get("amount")
        parts.append(f"order {order['id']}" + (f" {amount} {order.get('currency') or ''}".rstrip() if amount is not None
                                               else ""))
    if (doc.get("ticket") or {}).get("id"):
        parts.append(f"ticket {doc['ticket']['id']}")
    if (doc.get("url") or {}).get("path"):
        parts.append(doc["url"]["path"])
    campaign = ((doc.get("email") or {}).get("campaign") or {})
    if campaign.get("name") or campaign.get("id"):
        parts.append(f"campaign {campaign.get('name') or campaign.get('id')}")
    channel = event.get("category") or (event.get("dataset") or "").split(".")[0] or "event"
    return {"at": doc.get("@timestamp"), "channel": channel, "action": event.get("action"),
            "summary": ", ".join(parts)}


def order_entry(doc: dict[str, Any]) -> dict[str, Any]:
    order = doc.get("order") or {}
    return {"order_id": order.get("id"), "at": doc.get("@timestamp"), "status": order.get("status"),
            "amount": order.get("amount"), "currency": order.get("currency"),
            "net_amount_eur": order.get("net_amount_eur"), "items": order.get("items"),
            "refund_of": order.get("refund_of")}


def ticket_entry(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("ticket_id", "subject", "status", "priority", "channel", "created_at", "solved_at",
                                    "csat", "escalated") if doc.get(k) is not None}


def merge_entry(doc: dict[str, Any]) -> dict[str, Any]:
    return {"at": doc.get("@timestamp"), "action": doc.get("action"), "customer_id": doc.get("customer_id"),
            "other_customer_ids": doc.get("other_customer_ids") or [], "record_ids": doc.get("record_ids") or [],
            "match_weight": doc.get("match_weight"), "run_id": doc.get("run_id"), "evidence": doc.get("evidence")}


def _quoted(text: str, limit: int = 80) -> str:
    """The user's query for an error message, shortened so a huge paste stays one readable sentence."""
    return repr(text if len(text) <= limit else text[:limit] + "…")
