"""The client-side identifier normalizer equals the records pipeline, case by case."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import Elasticsearch

from es360.assets import load_assets
from es360.identity.text import canonical_email
from es360.privacy.normalize import doc_identifiers, normalize_email, normalize_phone, phone_rules
from tests.privacy.conftest import World

# (phone, country) as a mapping hands them to the pipeline
PHONES: list[tuple[str, str | None]] = [
    ("020 7946 0958", "UK"), ("+44 20 7946 0958", None), ("+44 (0)20 7946 0958", "United Kingdom"),
    ("0049 30 1234567", "Deutschland"), ("030 1234567", "de"), ("(555) 123-4567", "USA"), ("15551234567", None),
    ("1 555 123 4567", "Canada"), ("06 12345678", "NL"), ("06-12345678", " nl "), ("612345678", "Narnia"),
    ("0612345678", "ZZ"), ("0612345678", ""), ("1234", "GB"), ("++44123456789", None), ("00", None),
    ("1234567890123456", None), ("+49-30-1234567", "FR"), ("tel: 030/123 4567", "Österreich"),
    ("０２０ 7946 0958", "GB"), ("abc", None), ("0 7946", "IE"), ("98765432", "Norge"), ("9876543", "xx"),
    ("0660 1234567", "Oesterreich"), ("030 1234567", "Deutschland (DE)"), ("087 1234567", "Éire"),
    ("021 123 4567", "Aotearoa"), ("030 1234567", "Narnia (DE)"), ("030 1234567", "(DE)"),
    ("030 1234567", "Germany (Deutschland)"), ("030 1234567", "Narnia (XYZ)"), ("030 1234567", "de ( )"),
]
EMAILS = ["Sam.Smith@Example.com", "\tANNA@Example.ORG ", "İlknur@example.com", "ΣΑΣ@example.gr", "no-at-sign"]


def _simulate(es: Elasticsearch, sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pipeline = next(a.body for a in load_assets() if a.kind == "pipeline" and a.name == "es360-records")
    body = {k: v for k, v in pipeline.items() if k in ("description", "processors")}
    docs = [{"_source": {"source": "crm", "source_id": str(i), **src}} for i, src in enumerate(sources)]
    return [d["doc"]["_source"] for d in es.ingest.simulate(pipeline=body, docs=docs)["docs"]]


def test_phones_normalize_exactly_like_the_pipeline(es: Elasticsearch) -> None:
    sources = [{"phone": phone, **({"address": {"country": country}} if country is not None else {})}
               for phone, country in PHONES]
    stored = _simulate(es, sources)
    for (phone, country), doc in zip(PHONES, stored, strict=True):
        assert normalize_phone(phone, country) == doc.get("phone"), (phone, country, doc.get("phone"))
    assert sum(1 for d in stored if d.get("phone")) >= 15  # the cases are mostly valid numbers


def test_emails_normalize_like_the_pipeline(es: Elasticsearch) -> None:
    stored = _simulate(es, [{"email": e} for e in EMAILS])
    for email, doc in zip(EMAILS, stored, strict=True):
        if doc.get("email"):  # invalid addresses are dropped by the pipeline and never suppressed
            assert normalize_email(email) == doc["email"], email


def test_port_is_pinned_to_the_pipeline_scripts() -> None:
    # Changing the `country` or `phone_e164` scripts in pipelines/es360-records.json changes this digest:
    # port the change to es360/privacy/normalize.py, re-run the equality tests above, then update it.
    assert phone_rules().scripts_digest == "5dc097a43e3f1e13"


@pytest.mark.parametrize(("kind", "doc", "expected"), [
    ("records", {"source": "crm", "source_id": "C-1", "email": " Sam@X.io", "phone": "020 7946 0958",
                 "address": {"country": "UK"}}, {"email:sam@x.io", "phone:+442079460958", "record:crm:C-1"}),
    ("activity", {"identity": {"source": "shop", "source_id": 17, "email": "S.am+n@Gmail.com"}},
     {"email:s.am+n@gmail.com", "email:sam@gmail.com", "record:shop:17"}),
    ("tickets", {"requester": {"email": "a@b.co"}}, {"email:a@b.co"}),
    ("activity", {"identity": {"source": "shop", "source_id": ""}}, set()),
])
def test_doc_identifiers(kind: str, doc: dict[str, Any], expected: set[str]) -> None:
    assert doc_identifiers(kind, doc) == expected


def test_activity_and_ticket_identifiers_match_their_pipelines(es: Elasticsearch, world: World) -> None:
    activity = [{"event": {"id": f"E-{i}", "dataset": "web.events", "action": "view"},
                 "@timestamp": "2026-10-01T00:00:00Z", "identity": identity}
                for i, identity in enumerate([{"source": "shop", "source_id": "S-7", "email": " Ann@X.io\t"},
                                              {"source": "shop", "source_id": 42},
                                              {"email": "ÉVA@Example.com"}, {"source": "shop", "source_id": ""}])]
    stored = es.ingest.simulate(id=f"{world.prefix}activity", docs=[{"_source": d} for d in activity])["docs"]
    for doc, result in zip(activity, stored, strict=True):
        keys = set(result["doc"]["_source"]["identity"]["keys"])
        ours = {i.removeprefix("record:") for i in doc_identifiers("activity", doc)}
        email = result["doc"]["_source"]["identity"].get("email")
        assert keys <= ours and ours - keys <= {f"email:{canonical_email(email or '')}"}, (doc, keys, ours)
    tickets = [{"ticket_id": "T-9", "created_at": "2026-10-01T00:00:00Z", "requester": {"email": " Bo@Y.io "}}]
    stored = es.ingest.simulate(id=f"{world.prefix}tickets", docs=[{"_source": d} for d in tickets])["docs"]
    assert doc_identifiers("tickets", tickets[0]) == {f"email:{stored[0]['doc']['_source']['requester']['email']}"}
