"""Enrich policies: execute snapshots the source data; lookups see the snapshot, not live changes."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ApiError, Elasticsearch

from es360.embedded.enrich import service


@pytest.fixture()
def customers(es: Elasticsearch) -> str:
    es.options(ignore_status=404).enrich.delete_policy(name="en-customer")
    es.options(ignore_status=404).indices.delete(index="en-customers")
    es.indices.create(index="en-customers", mappings={"properties": {"email": {"type": "keyword"},
                                                                     "customer_id": {"type": "keyword"},
                                                                     "tier": {"type": "keyword"}}})
    es.index(index="en-customers", id="1", document={"email": "sam@x.io", "customer_id": "c1", "tier": "gold"})
    es.index(index="en-customers", id="2", document={"email": "liz@x.io", "customer_id": "c2", "tier": "silver"},
             refresh=True)
    return "en-customers"


def test_policy_lifecycle_and_snapshot_semantics(es: Elasticsearch, customers: str, engine: Any) -> None:
    es.enrich.put_policy(name="en-customer", match={"indices": customers, "match_field": "email",
                                                    "enrich_fields": ["customer_id", "tier"]})
    got = es.enrich.get_policy(name="en-customer")["policies"][0]["config"]["match"]
    assert got["match_field"] == "email" and got["indices"] == [customers]
    assert es.enrich.execute_policy(name="en-customer")["status"]["phase"] == "COMPLETE"
    svc = service(engine)
    assert svc.lookup("en-customer", "sam@x.io") == [{"email": "sam@x.io", "customer_id": "c1", "tier": "gold"}]
    es.index(index=customers, id="3", document={"email": "new@x.io", "customer_id": "c3"}, refresh=True)
    assert svc.lookup("en-customer", "new@x.io") == []  # not until the next execute
    es.enrich.execute_policy(name="en-customer")
    assert svc.lookup("en-customer", "new@x.io")[0]["customer_id"] == "c3"


def test_bad_policies_are_rejected(es: Elasticsearch, customers: str) -> None:
    with pytest.raises(ApiError) as err:
        es.enrich.put_policy(name="en-bad", match={"indices": customers, "match_field": "email"})
    assert err.value.status_code == 400
    with pytest.raises(ApiError) as err:
        es.perform_request("PUT", "/_enrich/policy/en-bad2", headers={"content-type": "application/json"},
                           body={"match": {"indices": customers, "match_field": "email",
                                           "enrich_fields": ["tier"], "colour": "red"}})
    assert err.value.status_code == 400
    with pytest.raises(ApiError) as err:
        es.enrich.execute_policy(name="en-missing")
    assert err.value.status_code == 404

