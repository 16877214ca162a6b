"""Fixtures for ticket embedding and search: a small labeled ticket set ingested through `es360 ingest support`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun
from es360.setup import run_setup
from tests.tickets.fakes import HashEmbedder

NOW = datetime.now(UTC)
RECENT = (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
OLD = "2021-03-04T10:00:00Z"

# (ticket_id, issue, subject, body, status, requester, created)
LABELED: list[tuple[str, str, str, str, str, str, str]] = [
    ("T-90001", "delivery", "Parcel never arrived", "My parcel was due last Tuesday and it never arrived.",
     "open", "ann@example.com", RECENT),
    ("T-90002", "delivery", "Where is my package?", "The tracking page has not updated for a week, package lost?",
     "closed", "bob@example.com", OLD),
    ("T-90003", "delivery", "Delivery missing", "Delivery shows as delivered but nothing is at my door.",
     "solved", "cy@example.com", OLD),
    ("T-90004", "delivery", "Shipment late", "My shipment is two weeks late and no one answers.",
     "open", "ann@example.com", OLD),
    ("T-90005", "double_charge", "Charged twice", "I was charged twice for the same order on my card.",
     "open", "bob@example.com", RECENT),
    ("T-90006", "double_charge", "Duplicate charge on my statement", "My bank statement shows a duplicate charge.",
     "closed", "cy@example.com", OLD),
    ("T-90007", "double_charge", "Billed two times", "You billed me two times, please refund one payment.",
     "pending", "dan@example.com", RECENT),
    ("T-90008", "double_charge", "Double payment taken", "The payment was taken twice from my account.",
     "solved", "ann@example.com", OLD),
    ("T-90009", "login", "Can't log in", "I cannot log in, the site says my password is wrong.",
     "open", "dan@example.com", RECENT),
    ("T-90010", "login", "Password reset email never comes", "I asked for a password reset but no email arrives.",
     "closed", "eve@example.com", OLD),
    ("T-90011", "login", "Locked out of my account", "After three tries I am locked out of my account.",
     "solved", "bob@example.com", OLD),
    ("T-90012", "login", "Sign in broken", "Sign in page spins forever, cannot access my profile.",
     "open", "eve@example.com", RECENT),
]
ISSUE = {row[0]: row[1] for row in LABELED}


def ticket_rows(rows: list[tuple[str, str, str, str, str, str, str]] = LABELED) -> list[dict[str, Any]]:
    """Rows in the support desk's export format (what `es360 ingest support` reads)."""
    return [{"ticket_id": tid, "requester_email": email, "requester_name": "Test Person", "subject": subject,
             "description": body, "status": status, "priority": "normal", "channel": "email", "created": created,
             "updated": created, "solved_at": None, "csat": None, "escalated": False, "tags": [issue]}
            for tid, issue, subject, body, status, email, created in rows]


def ingest(es: Elasticsearch, prefix: str, rows: list[dict[str, Any]], home: Path) -> None:
    """Ingest support rows through the real mapping and pipelines, then refresh."""
    path = home / f"tickets-{rows[0]['ticket_id']}-{len(rows)}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = IngestRun(es, load_mapping("support"), prefix, home, batch_size=500).run([str(path)])
    assert report.rejected == 0, report.as_dict()
    es.indices.refresh(index=f"{prefix}tickets")


def doc_id(es: Elasticsearch, prefix: str, ticket_id: str) -> str:
    """The `_id` the pipeline gave a ticket."""
    hits = es.search(index=f"{prefix}tickets", query={"term": {"ticket_id": ticket_id}})["hits"]["hits"]
    return str(hits[0]["_id"])


def source(es: Elasticsearch, prefix: str, ticket_id: str) -> dict[str, Any]:
    """A ticket's stored document."""
    return dict(es.get(index=f"{prefix}tickets", id=doc_id(es, prefix, ticket_id))["_source"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "model: loads the real packaged embedding model (once per session)")


@pytest.fixture()
def fake() -> HashEmbedder:
    return HashEmbedder()


def drop(es: Elasticsearch, prefix: str) -> None:
    """Delete a prefix's indices by name (real clusters refuse wildcard deletes)."""
    names = list(es.indices.get(index=f"{prefix}*", allow_no_indices=True, ignore_unavailable=True))
    if names:
        es.indices.delete(index=",".join(names))


def module_prefix(request: pytest.FixtureRequest, kind: str) -> str:
    return f"tktest-{request.module.__name__.rsplit('.', 1)[-1].replace('_', '')}-{kind}-"


@pytest.fixture(scope="module")
def fresh_prefix(es: Elasticsearch, request: pytest.FixtureRequest) -> Iterator[str]:
    """A prefix of this module's own, set up once (setup is the slow part)."""
    prefix = module_prefix(request, "fresh")
    run_setup(es, prefix)
    yield prefix
    drop(es, prefix)


@pytest.fixture()
def fresh(es: Elasticsearch, fresh_prefix: str, tmp_path: Path) -> tuple[str, Path]:
    """The module's prefix holding exactly the labeled tickets, freshly ingested (no vectors yet)."""
    es.delete_by_query(index=f"{fresh_prefix}tickets", query={"match_all": {}}, refresh=True, conflicts="proceed")
    ingest(es, fresh_prefix, ticket_rows(), tmp_path)
    return fresh_prefix, tmp_path


@pytest.fixture(scope="module")
def searchable(es: Elasticsearch, tmp_path_factory: pytest.TempPathFactory,
               request: pytest.FixtureRequest) -> Iterator[str]:
    """A prefix (one per test module) whose labeled tickets are all embedded with the fake embedder."""
    from es360.tickets.backfill import backfill_embeddings

    prefix = module_prefix(request, "search")
    home = tmp_path_factory.mktemp("tickets")
    run_setup(es, prefix)
    ingest(es, prefix, ticket_rows(), home)
    for tid in ("T-90001", "T-90004", "T-90008"):
        es.update(index=f"{prefix}tickets", id=doc_id(es, prefix, tid), doc={"customer_id": "C-ANN"})
    es.indices.refresh(index=f"{prefix}tickets")
    report = backfill_embeddings(es, prefix, HashEmbedder())
    assert report.embedded == len(LABELED)
    yield prefix
    drop(es, prefix)
