"""A small ingested and resolved world for privacy tests: Sam (to be erased), Anna and Piet (kept).

Built through the real product path: `es360 setup`, CRM contacts ingested and resolved, then shop
orders and support tickets ingested (tagged with customer_id by the enrich policy), ticket
embeddings backfilled, and the rollup transform's first checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from es360.identity.resolve import resolve
from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun
from es360.rollup import service as rollup
from es360.setup import run_setup
from es360.tickets.backfill import backfill_embeddings
from tests.tickets.fakes import HashEmbedder

CRM_HEADER = ("contact_id,first_name,last_name,email,phone,street,city,postcode,country,birth_date,created_at,"
              "updated_at,email_opt_in\n")
CRM_ROWS = [
    "C-1,Samuel,Smith,Sam.Smith@Example.com,020 7946 0958,1 High St,London,SW1A 1AA,UK,1984-03-07,"
    "2021-01-01T00:00:00Z,,yes\n",
    "C-2,Anna,Jones,anna.jones@example.org,+49 30 1234567,Hauptstr. 5,Berlin,10115,Germany,1990-01-01,"
    "2021-01-02T00:00:00Z,,no\n",
    "C-3,Piet,de Vries,piet@example.nl,06 12345678,Kade 1,Utrecht,3511,NL,1975-05-05,2021-01-03T00:00:00Z,,yes\n",
    # a household: mother and son share one mailbox (it stays Lia's when Max is erased)
    "C-4,Lia,Berg,family@example.net,0171 1111111,Ringweg 2,Hamburg,20095,DE,1960-02-02,2020-01-01T00:00:00Z,,yes\n",
    "C-5,Max,Berg,family@example.net,0171 2222222,Ringweg 2,Hamburg,20095,DE,1995-09-09,2021-06-01T00:00:00Z,,no\n",
]
ORDERS_HEADER = "order_id,order_ts,type,refund_of,status,amount,currency,items,customer_number,email\n"
ORDER_ROWS = [
    "O-1,2026-09-01T10:00:00Z,order,,paid,120.00,GBP,2,S-1,sam.smith@example.com\n",
    "O-2,2026-09-02T10:00:00Z,order,,paid,80.00,EUR,1,S-2,anna.jones@example.org\n",
    "O-3,2026-09-03T10:00:00Z,order,,paid,55.50,EUR,1,S-3,piet@example.nl\n",
    # a guest order from a plus-address of Sam's mailbox: never tagged with a customer, still his
    "O-4,2026-09-04T10:00:00Z,order,,paid,10.00,EUR,1,,Sam.Smith+Shop@example.com\n",
]
TICKETS = [
    {"ticket_id": "T-1", "requester_email": "sam.smith@example.com", "requester_name": "Samuel Smith",
     "requester_phone": "020 7946 0958", "subject": "Parcel never arrived", "description": "My parcel is lost.",
     "status": "open", "priority": "normal", "channel": "email", "created": "2026-09-05T10:00:00Z"},
    {"ticket_id": "T-2", "requester_email": "anna.jones@example.org", "requester_name": "Anna Jones",
     "subject": "Parcel late", "description": "My parcel is two weeks late.", "status": "open",
     "priority": "normal", "channel": "email", "created": "2026-09-06T10:00:00Z"},
    {"ticket_id": "T-3", "requester_email": "family@example.net", "requester_name": "Lia Berg",
     "subject": "Invoice copy", "description": "Please send a copy of my invoice.", "status": "solved",
     "priority": "low", "channel": "email", "created": "2026-09-07T10:00:00Z"},
]
# strings that identify Sam: none may survive anywhere es360 answers from, nor appear in the audit
SAM_PII = ["sam.smith", "Smith", "Samuel", "2079460958", "7946 0958", "SW1A", "1984-03-07", "C-1", "S-1", "T-1",
           "High St"]


@dataclass
class World:
    prefix: str  # one per test module, so modules never see each other's erasures
    home: Path
    crm: Path
    orders: Path
    support: Path
    sam: str  # customer ids
    anna: str


def customer_of(es: Elasticsearch, prefix: str, record_id: str) -> str:
    hits = es.search(index=f"{prefix}records", query={"term": {"record_id": record_id}})["hits"]["hits"]
    return str(hits[0]["_source"]["customer_id"])


@pytest.fixture(scope="module")
def world(es: Elasticsearch, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> World:
    prefix = "priv-" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-") + "-"
    home = tmp_path_factory.mktemp("privacy-home")
    run_setup(es, prefix)
    crm = home / "contacts.csv"
    crm.write_text(CRM_HEADER + "".join(CRM_ROWS))
    orders = home / "orders.csv"
    orders.write_text(ORDERS_HEADER + "".join(ORDER_ROWS))
    support = home / "tickets.jsonl"
    support.write_text("".join(json.dumps(t) + "\n" for t in TICKETS))
    report = IngestRun(es, load_mapping("crm"), prefix, home).run([str(crm)])
    assert report.rejected == 0, report
    resolve(es, prefix, home)
    for source, path in (("shop-orders", orders), ("support", support)):
        report = IngestRun(es, load_mapping(source), prefix, home).run([str(path)])
        assert report.rejected == 0, report
    backfill_embeddings(es, prefix, HashEmbedder())
    sam, anna = customer_of(es, prefix, "crm:C-1"), customer_of(es, prefix, "crm:C-2")
    # merge history as earlier resolutions would have logged it: two entries name Sam, one Anna
    for i, (cid, others, records) in enumerate([(sam, ["cus_00000000000000aa"], ["crm:C-1"]),
                                                 ("cus_00000000000000bb", [], ["crm:C-1", "crm:C-9"]),
                                                 (anna, ["cus_00000000000000cc"], ["crm:C-2"])]):
        es.index(index=f"{prefix}merge-log", id=f"m{i}", document={
            "@timestamp": "2026-01-01T00:00:00Z", "run_id": "r0", "action": "merge" if others else "split",
            "customer_id": cid, "other_customer_ids": others, "record_ids": records})
    tid = rollup.transform_id(prefix)
    es.transform.update_transform(transform_id=tid, sync={"time": {"field": "@timestamp", "delay": "1s"}})
    rollup.start(es, prefix)
    rollup.wait_for_checkpoint(es, prefix, 1, timeout_s=60)
    rollup.stop(es, prefix)
    es.indices.refresh(index=f"{prefix}*")
    return World(prefix, home, crm, orders, support, sam, anna)
