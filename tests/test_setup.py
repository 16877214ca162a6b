"""`es360 setup`: installs every asset, is idempotent, reports drift, and its pipelines normalize."""

from __future__ import annotations

import json

import pytest
from elasticsearch import Elasticsearch

from es360.assets import INDEX_KINDS, assets_root, load_assets
from es360.setup import has_drift, run_setup


@pytest.fixture(scope="module")
def prefix(es: Elasticsearch) -> str:
    """Install once per module under a prefix of its own, so other tests' data is untouched."""
    name = "setuptest-"
    run_setup(es, name)
    return name


def test_setup_creates_aliases_over_versioned_indices(es: Elasticsearch, prefix: str) -> None:
    for kind in INDEX_KINDS:
        alias = f"{prefix}{kind}"
        assert es.indices.get_alias(name=alias) == {f"{alias}-000001": {"aliases": {alias: {"is_write_index": True}}}}
    mapping = es.indices.get_mapping(index=f"{prefix}records")
    props = next(iter(mapping.values()))["mappings"]["properties"]
    assert props["email"]["type"] == "keyword" and props["extra"]["type"] == "flattened"
    settings = es.indices.get_settings(index=f"{prefix}records")
    assert next(iter(settings.values()))["settings"]["index"]["default_pipeline"] == f"{prefix}records"


def test_setup_is_idempotent_and_check_sees_no_drift(es: Elasticsearch, prefix: str) -> None:
    again = run_setup(es, prefix)
    assert {i.action for i in again} == {"unchanged"}
    assert not has_drift(run_setup(es, prefix, check=True))


def test_check_reports_drift_without_changing_anything(es: Elasticsearch, prefix: str) -> None:
    es.ingest.delete_pipeline(id=f"{prefix}tickets")
    es.ingest.put_pipeline(id=f"{prefix}activity", processors=[{"set": {"field": "x", "value": 1}}])
    report = {(i.kind, i.name): i.action for i in run_setup(es, prefix, check=True)}
    assert report[("pipeline", f"{prefix}tickets")] == "missing"
    assert report[("pipeline", f"{prefix}activity")] == "drift"
    assert not es.options(ignore_status=404).ingest.get_pipeline(id=f"{prefix}tickets")  # still missing
    fixed = {(i.kind, i.name): i.action for i in run_setup(es, prefix)}
    assert fixed[("pipeline", f"{prefix}tickets")] == "created"
    assert fixed[("pipeline", f"{prefix}activity")] == "updated"


def test_records_pipeline_normalizes_messy_rows(es: Elasticsearch, prefix: str) -> None:
    docs = [
        {"_source": {"source": "crm", "source_id": "C-1", "name": {"full": "Smith, Sammy "},
                     "email": "  Sammy.Smith@Example.COM ", "phone": "020 7946 0958",
                     "address": {"country": "United Kingdom"}, "birth_date": "07/03/1984",
                     "consent": {"email": {"status": "yes"}}, "created_at": "2021-05-02T10:11:12Z"}},
        {"_source": {"source": "shop", "source_id": "S-9", "email": "not-an-email", "phone": "(555) 123-4567",
                     "address": {"country": "USA"}, "birth_date": "31/31/2000"}},
        {"_source": {"source": "crm", "source_id": "C-2", "phone": "0049 30 1234567",
                     "address": {"country": "Deutschland"}}},
    ]
    out = [d["doc"] for d in es.ingest.simulate(id=f"{prefix}records", docs=docs)["docs"]]
    first, second, third = (d["_source"] for d in out)
    assert first["name"] == {"full": "Sammy Smith", "first": "Sammy", "last": "Smith"}
    assert first["email"] == "sammy.smith@example.com" and first["email_domain"] == "example.com"
    assert first["phone"] == "+442079460958" and first["phone_last4"] == "0958"
    assert first["address"]["country"] == "GB" and first["birth_date"] == "1984-03-07"
    assert first["consent"]["email"]["status"] == "opt_in" and first["record_id"] == "crm:C-1"
    assert "email" not in second and set(second["quality"]["issues"]) == {"email_invalid", "birth_date_invalid"}
    assert second["phone"] == "+15551234567" and second["address"]["country"] == "US"
    assert third["phone"] == "+49301234567" and third["address"]["country"] == "DE"
    assert out[0]["_id"] != out[1]["_id"]  # the fingerprint of (source, source_id)


def test_same_record_twice_is_one_document(es: Elasticsearch, prefix: str) -> None:
    alias = f"{prefix}records"
    row = {"source": "crm", "source_id": "C-77", "email": "x@y.io"}
    for _ in range(2):  # as ingest writes: op_type index with the record key; the pipeline sets the real _id
        es.index(index=alias, id="crm:C-77", document=row, refresh=True)
    assert es.count(index=alias, query={"term": {"record_id": "crm:C-77"}})["count"] == 1


def test_custom_prefix_renames_every_asset() -> None:
    names = {a.name for a in load_assets("acme-")}
    assert "acme-records" in names and not any(n.startswith("es360-") for n in names)
    template = next(a for a in load_assets("acme-") if a.name == "acme-records" and a.kind == "index_template")
    assert template.body["index_patterns"] == ["acme-records-*"]
    assert template.body["template"]["settings"]["index"]["default_pipeline"] == "acme-records"


def test_component_templates_share_one_analysis_definition() -> None:
    root = assets_root() / "mappings" / "component"
    analysis = json.loads((root / "es360-analysis.json").read_text())["template"]["settings"]
    person = json.loads((root / "es360-person.json").read_text())["template"]["settings"]
    assert person == analysis  # ES validates each component alone, so the person one carries a copy


def test_activity_pipeline_parses_order_lines_and_converts_currency(es: Elasticsearch, prefix: str) -> None:
    def order(items: str, action: str = "order", currency: str = "USD") -> dict:
        doc = {"_source": {"event": {"id": "O-1", "dataset": "shop.orders", "action": action},
                           "@timestamp": "2024-01-01T10:00:00+02:00",
                           "order": {"amount": "10.00", "currency": currency, "items": items},
                           "identity": {"source": "shop", "source_id": "S-1", "email": " A@B.io "}}}
        return es.ingest.simulate(id=f"{prefix}activity", docs=[doc])["docs"][0]
    first = order("P-1:1;P-2:2")["doc"]["_source"]
    assert first["order"]["products"] == ["P-1", "P-2"] and first["order"]["items"] == 3
    assert first["order"]["net_amount_eur"] == 9.2 and first["@timestamp"] == "2024-01-01T08:00:00.000Z"
    assert first["identity"]["keys"] == ["shop:S-1", "email:a@b.io"]
    assert order("2", action="refund", currency="EUR")["doc"]["_source"]["order"]["net_amount_eur"] == -10.0
    assert order("P-1:x")["error"]["caused_by"]["type"] == "number_format_exception"
