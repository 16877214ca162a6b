"""Consent history end to end: a CRM export and a subscriber list that disagree about consent are
ingested and resolved on an engine in security mode; the golden customer keeps the winner (any
opt-out wins) and every event, per-event (nested) queries answer "opted out via marketing after X"
correctly, `es360 show` tells the story to a support rep, and a role that hides direct identifiers
sees the events without their record ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from es360.access.roles import expand_fields
from es360.cli import app
from es360.identity.overrides import record_override

PASSWORD = "Consent-Elastic-Secret-7"
CRM = ("contact_id,first_name,last_name,email,phone,street,city,postcode,country,birth_date,created_at,updated_at,"
       "email_opt_in,account_owner\n"
       "C-1,Ada,Quillfeather,ada.quill@example.org,+44 20 7946 0101,12 Hidden Lane,London,N1 9GU,UK,1983-04-17,"
       "2021-01-01T00:00:00Z,2022-03-01T12:00:00Z,yes,owner\n"
       "C-2,Brent,Okonkwo,brent.ok@example.org,+44 20 7946 0202,99 Private Road,Leeds,LS1 4AP,UK,1975-11-02,"
       "2021-01-01T00:00:00Z,,no,owner\n")
SUBSCRIBERS = ("subscriber_id,email,first_name,last_name,country,subscribed_at,unsubscribed_at,status\n"
               "M-1,ada.quill@example.org,Ada,Quillfeather,GB,2021-06-01T08:00:00Z,2023-02-01T09:30:00Z,unsubscribed\n"
               "M-2,brent.ok@example.org,Brent,Okonkwo,GB,2023-05-05T10:00:00Z,,subscribed\n")
OPTED_OUT_VIA_MARKETING_SINCE_2023 = {"nested": {"path": "consent.email.events", "query": {"bool": {"filter": [
    {"term": {"consent.email.events.status": "opt_out"}},
    {"term": {"consent.email.events.source": "marketing"}},
    {"range": {"consent.email.events.at": {"gte": "2023-01-01"}}}]}}}}


@dataclass
class World:
    url: str
    home: Path
    keys: dict[str, str]

    def env(self, role: str | None = None) -> dict[str, str]:
        auth = ({"ES360_USERNAME": "elastic", "ES360_PASSWORD": PASSWORD} if role is None
                else {"ES360_API_KEY": self.keys[role]})
        return {"ES360_ES_URL": self.url, "ES360_HOME": str(self.home), **auth}

    def client(self, role: str | None = None) -> Elasticsearch:
        if role is None:
            return Elasticsearch(self.url, basic_auth=("elastic", PASSWORD), request_timeout=30)
        return Elasticsearch(self.url, api_key=self.keys[role], request_timeout=30)


def es360(args: list[str], env: dict[str, str]) -> Any:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, f"es360 {' '.join(args)}: {result.stdout}{result.stderr}"
    return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from es360.embedded.server import start_server

    home = tmp_path_factory.mktemp("consent-home")
    server = start_server(tmp_path_factory.mktemp("consent-engine"), security=True, elastic_password=PASSWORD)
    try:
        w = World(server.url, home, {})
        es360(["security", "apply", "--json"], w.env())
        for role in ("es360_admin", "es360_ingest", "es360_support"):
            w.keys[role] = es360(["security", "api-key", role, "--name", f"consent-{role}", "--json"],
                                 w.env())["encoded"]
        es360(["setup", "--json"], w.env("es360_admin"))
        (home / "contacts.csv").write_text(CRM)
        (home / "subscribers.csv").write_text(SUBSCRIBERS)
        for source, file in (("crm", "contacts.csv"), ("marketing-subscribers", "subscribers.csv")):
            report = es360(["ingest", source, str(home / file), "--json"], w.env("es360_ingest"))
            assert report["indexed"] == 2 and report["rejected"] == 0
        # A steward's must-merge pairs the records: Fellegi-Sunter weights cannot be fitted on four
        # records, and what is tested here is the golden consent, not the matcher.
        record_override(home, "must_merge", "crm:C-2", "marketing:M-2")
        es360(["resolve", "--must-merge", "crm:C-1", "marketing:M-1", "--json"], w.env("es360_admin"))
        yield w
    finally:
        server.stop()


def _customer(es: Elasticsearch, email: str) -> dict[str, Any]:
    hits = es.search(index="es360-customers", query={"term": {"emails": email}})["hits"]["hits"]
    assert len(hits) == 1, f"{email}: {len(hits)} customers"
    return hits[0]["_source"]


def _events(email: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(record id, status, UTC time to the second, current) per event, in stored order."""
    return [(e["record_id"], e["status"], _utc(e["at"]), e["current"]) for e in email["events"]]


def _utc(at: str) -> str:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%S")


def test_the_golden_customer_keeps_the_opt_out_and_every_consent_event(world: World) -> None:
    ada = _customer(world.client("es360_admin"), "ada.quill@example.org")
    assert sorted(ada["record_ids"]) == ["crm:C-1", "marketing:M-1"]
    email = ada["consent"]["email"]
    assert email["status"] == "opt_out" and email["source"] == "marketing"
    assert _utc(email["updated_at"]) == "2023-02-01T09:30:00"
    assert _events(email) == [("marketing:M-1", "opt_in", "2021-06-01T08:00:00", False),  # subscribed
                              ("crm:C-1", "opt_in", "2022-03-01T12:00:00", True),
                              ("marketing:M-1", "opt_out", "2023-02-01T09:30:00", True)]  # unsubscribed
    brent = _customer(world.client("es360_admin"), "brent.ok@example.org")["consent"]["email"]
    assert brent["status"] == "opt_out" and brent["source"] == "crm"  # an older opt-out still wins
    assert _events(brent) == [("crm:C-2", "opt_out", "2021-01-01T00:00:00", True),
                              ("marketing:M-2", "opt_in", "2023-05-05T10:00:00", True)]  # one event, not two


def test_per_event_queries_do_not_mix_one_events_status_with_anothers_source(world: World) -> None:
    es = world.client("es360_admin")
    hits = es.search(index="es360-customers", query=OPTED_OUT_VIA_MARKETING_SINCE_2023)["hits"]["hits"]
    # Brent opted out (via crm) and has a marketing event since 2023 (a subscription): not one event
    assert [h["_source"]["emails"] for h in hits] == [["ada.quill@example.org"]]
    before = {"nested": {"path": "consent.email.events", "query": {"bool": {"filter": [
        {"term": {"consent.email.events.status": "opt_out"}},
        {"range": {"consent.email.events.at": {"lt": "2022-01-01"}}}]}}}}
    hits = es.search(index="es360-customers", query=before)["hits"]["hits"]
    assert [h["_source"]["emails"] for h in hits] == [["brent.ok@example.org"]]


def test_support_sees_the_consent_history_in_show_and_can_query_it(world: World) -> None:
    view = es360(["show", "ada.quill@example.org", "--json"], world.env("es360_support"))
    consent = view["consent"]
    assert consent["email"]["status"] == "opt_out" and "events" not in consent["email"]
    assert [(e["source"], e["record_id"], e["status"]) for e in consent["history"]] == [
        ("marketing", "marketing:M-1", "opt_in"), ("crm", "crm:C-1", "opt_in"), ("marketing", "marketing:M-1", "opt_out")]
    assert "Hidden Lane" not in json.dumps(view)  # still no sensitive fields
    support = world.client("es360_support")
    assert support.count(index="es360-customers", query=OPTED_OUT_VIA_MARKETING_SINCE_2023)["count"] == 1


def test_a_role_without_direct_identifiers_sees_events_but_not_their_record_ids(world: World) -> None:
    hidden = expand_fields(["$direct_identifiers"], ["customers"])
    assert {"consent.email.events.record_id", "record_ids"} <= set(hidden)
    key = world.client().security.create_api_key(name="no-ids", role_descriptors={"no_ids": {"indices": [{
        "names": ["es360-customers"], "privileges": ["read"],
        "field_security": {"grant": ["*"], "except": hidden}}]}})["encoded"]
    es = Elasticsearch(world.url, api_key=key, request_timeout=30)
    docs = [h["_source"] for h in es.search(index="es360-customers", query=OPTED_OUT_VIA_MARKETING_SINCE_2023,
                                            size=10)["hits"]["hits"]]
    assert len(docs) == 1 and "marketing:M-1" not in json.dumps(docs) and "ada.quill" not in json.dumps(docs)
    assert [(e["source"], e["status"]) for e in docs[0]["consent"]["email"]["events"]] == [
        ("marketing", "opt_in"), ("crm", "opt_in"), ("marketing", "opt_out")]
    by_record = {"nested": {"path": "consent.email.events",
                            "query": {"term": {"consent.email.events.record_id": "marketing:M-1"}}}}
    assert es.count(index="es360-customers", query=by_record)["count"] == 0
    assert world.client("es360_admin").count(index="es360-customers", query=by_record)["count"] == 1


def test_setup_check_stays_clean(world: World) -> None:
    items = es360(["setup", "--check", "--json"], world.env("es360_admin"))
    assert [i for i in items if i["action"] != "unchanged"] == []


def test_the_privacy_export_carries_the_consent_history(world: World) -> None:
    out = world.home / "ada-export.json"
    es360(["export", "ada.quill@example.org", "--out", str(out), "--json"], world.env("es360_admin"))
    doc = json.loads(out.read_text())
    assert _events(doc["consent"]["email"]) == _events(doc["profile"]["consent"]["email"])
    assert [e[:2] for e in _events(doc["consent"]["email"])] == [
        ("marketing:M-1", "opt_in"), ("crm:C-1", "opt_in"), ("marketing:M-1", "opt_out")]
    assert {r["record_id"]: r["status"] for r in doc["consent"]["by_source"]} == {
        "crm:C-1": "opt_in", "marketing:M-1": "opt_out"}
