"""A small, hand-made Customer 360 for search/show tests: golden customers, rollup, activity, tickets, merges.

Written straight into the aliases (pipeline `_none`), as identity resolution, the rollup transform and
ingest would leave them, so these tests do not depend on those components.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch, helpers

from es360.assets import index_alias
from es360.setup import run_setup


def _customer(cid: str, first: str, last: str, *, emails: list[str], phones: list[str], country: str,
              street: str = "", city: str = "", postcode: str = "", sources: tuple[str, ...] = ("crm",),
              names: list[str] | None = None, consent: str = "opt_in") -> dict[str, Any]:
    full = f"{first} {last}"
    return {
        "customer_id": cid, "name": {"first": first, "last": last, "full": full},
        "names": names or [full], "emails": emails, "phones": phones,
        "email": emails[0] if emails else None, "phone": phones[0] if phones else None,
        "source_ids": [f"{s}:{cid[2:]}-{s[:1].upper()}" for s in sources],
        "record_ids": [f"{s}:{cid[2:]}-{s[:1].upper()}" for s in sources], "sources": list(sources),
        "record_count": len(sources),
        "address": {"street": street, "city": city, "postcode": postcode, "country": country},
        "consent": {"email": {"status": consent, "source": sources[0], "updated_at": "2026-01-05T10:00:00Z"}},
        "birth_date": "1984-03-07", "created_at": "2024-02-01T09:00:00Z", "updated_at": "2026-10-01T09:00:00Z",
    }


CUSTOMERS: list[dict[str, Any]] = [
    _customer("C-0001", "Samuel", "Smith", emails=["sam.smith@example.com", "samuel.smith@work.example.org"],
              phones=["+447700904471", "+442079460958"], country="GB", street="10 Downing Street",
              city="London", postcode="SW1A 1AA", sources=("crm", "shop", "support"),
              names=["Samuel Smith", "Sammy Smith", "S. Smith"]),
    _customer("C-0002", "Samantha", "Smith", emails=["samantha.smith@example.com"], phones=["+447700900123"],
              country="GB", street="5 Baker Street", city="London", postcode="NW1 6XE"),
    _customer("C-0003", "Sam", "Smithers", emails=["smithers@mail.example.net"], phones=["+16175550199"],
              country="US", street="12 Elm Street", city="Boston", postcode="02108"),
    _customer("C-0004", "John", "Smith", emails=["jsmith@gmail.com"], phones=["+15551234567"], country="US",
              street="742 Evergreen Terrace", city="Springfield", postcode="49007", sources=("shop",)),
    _customer("C-0005", "Katarzyna", "Nowak", emails=["k.nowak@poczta.pl"], phones=["+48601234567"],
              country="PL", street="ul. Marszałkowska 10", city="Warszawa", postcode="00-590",
              sources=("support", "shop")),
    _customer("C-0006", "Jürgen", "Müller", emails=["juergen.mueller@web.de"], phones=["+49301234567"],
              country="DE", street="Hauptstraße 5", city="Berlin", postcode="10115"),
    _customer("C-0007", "William", "Turner", emails=["w.turner@example.co.uk"], phones=["+441632960555"],
              country="GB", street="221B Baker Street", city="London", postcode="NW1 6XE", sources=("shop",)),
    _customer("C-0008", "Elizabeth", "Taylor", emails=["liz.taylor@gmail.com"], phones=["+33612345678"],
              country="FR", street="8 Rue de Rivoli", city="Paris", postcode="75001", consent="opt_out"),
    _customer("C-0009", "Siobhan", "O'Brien", emails=["siobhan.obrien@eircom.ie"], phones=["+353871234567"],
              country="IE", street="3 Grafton Street", city="Dublin", postcode="D02 X285"),
    _customer("C-0010", "Robert", "Johnson", emails=["bob.j@gmail.com"], phones=["+15559876543"], country="US",
              street="1 Main Street", city="Austin", postcode="73301"),
]
_FILLER = [("Anna", "Schmidt", "DE"), ("Marco", "Rossi", "IT"), ("Lucía", "García", "ES"), ("Pieter", "de Vries", "NL"),
           ("Emma", "Johnson", "US"), ("Oliver", "Brown", "GB"), ("Sophie", "Martin", "FR"), ("Lukas", "Weber", "DE"),
           ("Chloe", "Wilson", "GB"), ("Noah", "Miller", "US"), ("Sara", "Smith", "US"), ("Daniel", "Smith", "GB")]
for i, (first, last, cc) in enumerate(_FILLER, start=11):
    CUSTOMERS.append(_customer(f"C-{i:04d}", first, last, emails=[f"{first.lower()}{i}@mail.example.com"],
                               phones=[f"+4420{7000000 + i * 1111:08d}"], country=cc, city="Town",
                               street=f"{i} High Street", postcode=f"AB{i} 1CD"))

STAGES = {"C-0001": ("at_risk", 1250.0, 71), "C-0002": ("active", 300.0, 12), "C-0003": ("churned", 40.0, 95),
          "C-0004": ("active", 5400.0, 8), "C-0005": ("new", 80.0, 20), "C-0006": ("active", 990.0, 15),
          "C-0007": ("at_risk", 2100.0, 66), "C-0008": ("one_time", 25.0, 40)}


def rollup_docs() -> list[dict[str, Any]]:
    out = []
    for c in CUSTOMERS:
        stage, spend, risk = STAGES.get(c["customer_id"], ("prospect", 0.0, 50))
        out.append({"customer_id": c["customer_id"], "spend": {"lifetime_net": spend, "last_90d": spend / 10},
                    "orders": {"count": 3 if spend else 0, "last_at": "2026-08-01T10:00:00Z"},
                    "tickets": {"total": 2, "open": 1 if c["customer_id"] == "C-0001" else 0},
                    "rfm": {"segment": "loyal" if spend > 1000 else "other", "recency_days": 90},
                    "churn": {"risk": risk, "stage": stage, "reasons": ["no_order_90d"] if risk > 60 else []},
                    "last_activity_at": "2026-09-20T10:00:00Z", "computed_at": "2026-10-31T00:00:00Z"})
    return out


ACTIVITY: list[dict[str, Any]] = [
    {"@timestamp": "2026-08-01T10:00:00Z", "customer_id": "C-0007",
     "event": {"id": "o-1", "kind": "event", "category": "order", "action": "order_placed", "dataset": "shop.orders"},
     "order": {"id": "ORD-10023", "status": "paid", "amount": 120.5, "currency": "GBP", "net_amount_eur": 141.0,
               "items": 2}},
    {"@timestamp": "2026-09-01T10:00:00Z", "customer_id": "C-0001",
     "event": {"id": "o-2", "kind": "event", "category": "order", "action": "order_placed", "dataset": "shop.orders"},
     "order": {"id": "ORD-20001", "status": "paid", "amount": 80.0, "currency": "GBP", "net_amount_eur": 93.6,
               "items": 1}},
    {"@timestamp": "2026-09-10T10:00:00Z", "customer_id": "C-0001",
     "event": {"id": "o-3", "kind": "event", "category": "order", "action": "refund", "dataset": "shop.orders"},
     "order": {"id": "ORD-20001-R", "refund_of": "ORD-20001", "status": "refunded", "amount": -80.0,
               "currency": "GBP", "net_amount_eur": -93.6}},
    {"@timestamp": "2026-09-15T08:00:00Z", "customer_id": "C-0001",
     "event": {"id": "w-1", "kind": "event", "category": "web", "action": "page_view", "dataset": "web.events"},
     "url": {"path": "/account/orders"}, "session": {"id": "s-1", "device": "mobile"}},
    {"@timestamp": "2026-09-20T10:00:00Z", "customer_id": "C-0001",
     "event": {"id": "t-1", "kind": "event", "category": "ticket", "action": "ticket_opened", "dataset": "support.tickets"},
     "ticket": {"id": "T-9001"}},
    {"@timestamp": "2026-07-20T10:00:00Z", "customer_id": "C-0001",
     "event": {"id": "e-1", "kind": "event", "category": "email", "action": "email_open", "dataset": "marketing.events"},
     "email": {"campaign": {"id": "cmp-7", "name": "Summer sale"}}},
]

TICKETS: list[dict[str, Any]] = [
    {"ticket_id": "T-5561", "customer_id": "C-0005", "subject": "Parcel never arrived", "body": "Where is my parcel?",
     "status": "solved", "priority": "normal", "channel": "email", "created_at": "2026-05-01T10:00:00Z",
     "solved_at": "2026-05-03T10:00:00Z", "requester": {"email": "k.nowak@poczta.pl", "name": "Kasia Nowak"}},
    {"ticket_id": "T-9001", "customer_id": "C-0001", "subject": "Refund not received",
     "body": "I returned the jacket two weeks ago.", "status": "open", "priority": "high", "channel": "phone",
     "created_at": "2026-09-20T10:00:00Z", "requester": {"email": "sam.smith@example.com", "name": "Sammy Smith"}},
    {"ticket_id": "T-8000", "customer_id": "C-0001", "subject": "Change delivery address",
     "body": "Please deliver to my office.", "status": "solved", "priority": "low", "channel": "chat",
     "created_at": "2026-03-02T10:00:00Z", "solved_at": "2026-03-02T12:00:00Z", "csat": 5},
]

MERGES: list[dict[str, Any]] = [
    {"@timestamp": "2026-06-01T00:00:00Z", "run_id": "r-1", "action": "merge", "customer_id": "C-0001",
     "other_customer_ids": ["C-0099"], "record_ids": ["shop:0001-S", "support:0001-S"], "match_weight": 14.2,
     "evidence": {"email": "exact", "name": "nickname"}},
]

RECORDS: list[dict[str, Any]] = [
    {"record_id": "crm:0001-C", "source": "crm", "source_id": "0001-C", "customer_id": "C-0001",
     "name": {"first": "Samuel", "last": "Smith", "full": "Samuel Smith"}, "email": "sam.smith@example.com",
     "phone": "+447700904471", "consent": {"email": {"status": "opt_in", "source": "crm"}}},
    {"record_id": "shop:0001-S", "source": "shop", "source_id": "0001-S", "customer_id": "C-0001",
     "name": {"first": "Sammy", "last": "Smith", "full": "Sammy Smith"}, "email": "samuel.smith@work.example.org",
     "phone": "+442079460958"},
    {"record_id": "support:0001-S", "source": "support", "source_id": "0001-S", "customer_id": "C-0001",
     "name": {"full": "S. Smith"}, "email": "sam.smith@example.com"},
]

IDENTITY: list[dict[str, Any]] = [
    {"identifier": "email:sam.smith@example.com", "type": "email", "value": "sam.smith@example.com",
     "customer_id": "C-0001"},
    {"identifier": "phone:+447700904471", "type": "phone", "value": "+447700904471", "customer_id": "C-0001"},
    {"identifier": "loyalty:LX-77", "type": "source_id", "value": "loyalty:LX-77", "customer_id": "C-0001"},
]


def load_world(es: Elasticsearch, prefix: str) -> None:
    """Install es360's assets under `prefix` and write the test world into its aliases."""
    run_setup(es, prefix)
    actions: list[dict[str, Any]] = []

    def add(kind: str, docs: list[dict[str, Any]], key: str | None) -> None:
        for i, doc in enumerate(docs):
            clean = {k: v for k, v in doc.items() if v is not None}
            actions.append({"_index": index_alias(kind, prefix), "_id": str(doc[key]) if key else f"{kind}-{i}",
                            "_source": clean, "pipeline": "_none"})

    add("customers", CUSTOMERS, "customer_id")
    add("rollup", rollup_docs(), "customer_id")
    add("activity", ACTIVITY, None)
    add("tickets", TICKETS, "ticket_id")
    add("merge-log", MERGES, None)
    add("records", RECORDS, "record_id")
    add("identity", IDENTITY, "identifier")
    ok, errors = helpers.bulk(es, actions, refresh=True, raise_on_error=False)
    assert not errors, errors[:3]
