"""es360 run as each role against an engine in security mode: what each can and cannot see or do.

As `elastic`: `es360 security apply` and one API key per role. Then the admin key runs setup,
resolve and the rollup; the ingest key ingests a CRM export and shop orders; the support key uses
`es360 show` / `search customers`; the analyst key aggregates. Negative checks go through the
official client with the same key, and assert Elasticsearch's 403.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import AuthorizationException, Elasticsearch
from typer.testing import CliRunner

from es360.cli import app
from es360.errors import Es360Error

ELASTIC_PASSWORD = "e2e-Elastic-Secret-42"
CRM = ("contact_id,first_name,last_name,email,phone,street,city,postcode,country,birth_date,created_at,updated_at,"
       "email_opt_in,account_owner\n"
       "C-1,Ada,Quillfeather,ada.quill@example.org,+44 20 7946 0101,12 Hidden Lane,London,N1 9GU,UK,1983-04-17,"
       "2021-01-01T00:00:00Z,,yes,owner\n"
       "C-2,Brent,Okonkwo,brent.ok@example.org,+44 20 7946 0202,99 Private Road,Leeds,LS1 4AP,UK,1975-11-02,"
       "2021-01-01T00:00:00Z,,no,owner\n")
ORDERS = ("order_id,order_ts,type,refund_of,status,amount,currency,items,customer_number,email\n"
          "O-1,2026-10-01T10:00:00Z,purchase,,paid,120.00,EUR,2,K-1,ada.quill@example.org\n"
          "O-2,2026-11-01T10:00:00Z,purchase,,paid,80.00,EUR,1,K-1,ada.quill@example.org\n"
          "O-3,2026-11-10T10:00:00Z,purchase,,paid,40.00,EUR,1,K-2,brent.ok@example.org\n")
ROLES = ("es360_admin", "es360_ingest", "es360_support", "es360_analyst")


def _security_mode_available() -> bool:
    from es360.embedded.server import start_server

    return "security" in inspect.signature(start_server).parameters


pytestmark = pytest.mark.skipif(not _security_mode_available(),
                                reason="the embedded engine has no security mode yet (start_server(security=...))")


@dataclass
class Secured:
    """A security-mode engine with es360's roles applied, one API key per role, and a small world."""

    url: str
    home: Path
    keys: dict[str, str]
    setup_output: dict[str, Any]
    ingest_output: dict[str, Any]

    def env(self, role: str | None = None, **extra: str) -> dict[str, str]:
        auth = ({"ES360_USERNAME": "elastic", "ES360_PASSWORD": ELASTIC_PASSWORD} if role is None
                else {"ES360_API_KEY": self.keys[role]})
        return {"ES360_ES_URL": self.url, "ES360_HOME": str(self.home), **auth, **extra}

    def client(self, role: str) -> Elasticsearch:
        return Elasticsearch(self.url, api_key=self.keys[role], request_timeout=30)


def es360(args: list[str], env: dict[str, str], ok: bool = True) -> Any:
    """Run the CLI; with `ok`, assert it succeeded and return its parsed --json output (or stdout)."""
    result = CliRunner().invoke(app, args, env=env)
    for secret in (ELASTIC_PASSWORD, "Rep-Password-7"):  # every run, success or failure, keeps passwords out
        assert secret not in result.stdout + result.stderr
    if ok:
        assert result.exit_code == 0, f"es360 {' '.join(args)}: {result.stdout}{result.stderr}"
        return json.loads(result.stdout) if "--json" in args else result.stdout
    assert result.exit_code != 0, f"es360 {' '.join(args)} should have failed"
    return result


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    from es360.embedded.server import start_server

    home = tmp_path_factory.mktemp("secured-home")
    server = start_server(tmp_path_factory.mktemp("secured-engine"), security=True, elastic_password=ELASTIC_PASSWORD)
    try:
        world = Secured(server.url, home, {}, {}, {})
        planned = es360(["security", "apply", "--dry-run", "--json"], world.env())
        assert [(r["role"], r["action"]) for r in planned["roles"]] == [(r, "create") for r in ROLES]
        applied = es360(["security", "apply", "--json"], world.env())
        assert [(r["role"], r["action"]) for r in applied["roles"]] == [(r, "created") for r in ROLES]
        for role in ROLES:
            key = es360(["security", "api-key", role, "--name", f"e2e-{role}", "--json"], world.env())
            assert key["role"] == role and key["id"] and key["expiration"]
            world.keys[role] = key["encoded"]
        admin = world.env("es360_admin")
        world.setup_output = {"items": es360(["setup", "--json"], admin)}
        crm, orders = home / "contacts.csv", home / "orders.csv"
        crm.write_text(CRM)
        orders.write_text(ORDERS)
        world.ingest_output = es360(["ingest", "crm", str(crm), "--json"], world.env("es360_ingest"))
        es360(["resolve", "--json"], admin)
        es360(["ingest", "shop-orders", str(orders), "--json"], world.env("es360_ingest"))
        es360(["rollup", "recompute", "--json"], admin)
        yield world
    finally:
        server.stop()


def test_apply_is_idempotent_and_needs_manage_security(secured: Secured) -> None:
    again = es360(["security", "apply", "--json"], secured.env())
    assert {r["action"] for r in again["roles"]} == {"unchanged"}
    denied = es360(["security", "apply"], secured.env("es360_admin"), ok=False)
    assert "lacks the privilege" in denied.stderr and "Traceback" not in denied.stderr


def test_admin_can_run_setup(secured: Secured) -> None:
    assert not [i for i in secured.setup_output["items"] if i["action"] == "error"]
    es360(["setup", "--check"], secured.env("es360_admin"))  # no drift: everything was installed


def test_ingest_can_ingest_but_not_read_delete_or_manage(secured: Secured) -> None:
    assert secured.ingest_output["indexed"] == 2 and secured.ingest_output["rejected"] == 0
    es = secured.client("es360_ingest")
    for attempt in (lambda: es.search(index="es360-customers"),
                    lambda: es.search(index="es360-records"),
                    lambda: es.delete(index="es360-records", id="crm:C-1"),
                    lambda: es.delete_by_query(index="es360-activity", query={"match_all": {}}),
                    lambda: es.indices.delete(index="es360-records-000001"),
                    lambda: es.ingest.put_pipeline(id="evil", processors=[])):
        with pytest.raises(AuthorizationException):
            attempt()
    admin = secured.client("es360_admin")
    assert admin.count(index="es360-records")["count"] == 2


def test_support_reads_but_never_sees_birth_date_or_street(secured: Secured) -> None:
    env = secured.env("es360_support")
    view = es360(["show", "ada.quill@example.org", "--json"], env)
    text = json.dumps(view)
    assert "Quillfeather" in text and "ada.quill@example.org" in text
    for hidden in ("1983-04-17", "birth_date", "Hidden Lane"):
        assert hidden not in text
    found = es360(["search", "customers", "Quillfeather", "--json"], env)
    assert "Quillfeather" in json.dumps(found) and "1983-04-17" not in json.dumps(found)
    es = secured.client("es360_support")
    assert es.count(index="es360-customers", query={"exists": {"field": "birth_date"}})["count"] == 0
    assert es.count(index="es360-customers", query={"match": {"address.street": "Hidden"}})["count"] == 0
    assert secured.client("es360_admin").count(index="es360-customers",
                                               query={"exists": {"field": "birth_date"}})["count"] > 0
    with pytest.raises(AuthorizationException):
        es.index(index="es360-customers", id="x", document={"customer_id": "x"})
    with pytest.raises(AuthorizationException):
        es.delete_by_query(index="es360-tickets", query={"match_all": {}})


def test_analyst_sees_rollup_aggregates_but_no_emails(secured: Secured) -> None:
    es = secured.client("es360_analyst")
    spend = es.search(index="es360-rollup", size=0, aggs={"total": {"sum": {"field": "spend.lifetime_net"}}})
    assert spend["aggregations"]["total"]["value"] == pytest.approx(240.0)
    events = es.search(index="es360-activity", size=10, aggs={"emails": {"terms": {"field": "identity.email"}}})
    assert events["hits"]["hits"] and events["aggregations"]["emails"]["buckets"] == []
    assert "example.org" not in json.dumps(events.body)
    for index in ("es360-customers", "es360-records", "es360-identity", "es360-tickets"):
        with pytest.raises(AuthorizationException):
            es.search(index=index)


def test_wrong_password_is_one_sentence_without_the_password(secured: Secured) -> None:
    env = secured.env(ES360_PASSWORD="Wrong-Guess-99")
    failed = es360(["status"], env, ok=False)
    assert "rejected the credentials (401)" in failed.stderr and "ES360_USERNAME/ES360_PASSWORD" in failed.stderr
    assert "Wrong-Guess-99" not in failed.stdout + failed.stderr


def test_api_key_prints_the_key_once_on_stdout_only(secured: Secured) -> None:
    result = CliRunner().invoke(app, ["security", "api-key", "es360_support", "--name", "helpdesk",
                                      "--expiration", "1h"], env=secured.env())
    assert result.exit_code == 0, result.stderr
    key = result.stdout.strip()
    assert "\n" not in key and key not in result.stderr and "shown once" in result.stderr
    me = Elasticsearch(secured.url, api_key=key).security.authenticate()
    assert me["authentication_type"] == "api_key" and me["api_key"]["name"] == "helpdesk"


def test_credentials_reach_the_embedded_engine(secured: Secured, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no ES360_ES_URL, es360 sends the configured credentials to the local engine."""
    from es360 import engine_control
    from es360.config import Settings, connect

    running = engine_control.EngineStatus(True, secured.home, url=secured.url)
    monkeypatch.setattr(engine_control, "ensure_engine", lambda *_: running)
    settings = Settings.from_env({"ES360_HOME": str(secured.home), "ES360_API_KEY": secured.keys["es360_support"]})
    assert settings.uses_embedded_engine
    assert connect(settings).security.authenticate()["authentication_type"] == "api_key"
    with pytest.raises(Es360Error, match="rejected the credentials"):
        connect(Settings.from_env({"ES360_HOME": str(secured.home)}))


def test_a_support_user_works_with_basic_auth_and_a_bearer_token(secured: Secured) -> None:
    """A person (not a key) with the es360_support role: basic auth, then an OAuth2 token from it."""
    elastic = Elasticsearch(secured.url, basic_auth=("elastic", ELASTIC_PASSWORD))
    elastic.security.put_user(username="rep", password="Rep-Password-7", roles=["es360_support"])
    basic = {"ES360_USERNAME": "rep", "ES360_PASSWORD": "Rep-Password-7"}
    found = es360(["search", "customers", "Quillfeather", "--json"], {**secured.env(), **basic})
    assert "Quillfeather" in json.dumps(found) and "1983-04-17" not in json.dumps(found)
    token = elastic.security.get_token(grant_type="password", username="rep", password="Rep-Password-7")
    env = {"ES360_ES_URL": secured.url, "ES360_HOME": str(secured.home), "ES360_BEARER_TOKEN": token["access_token"]}
    view = es360(["show", "ada.quill@example.org", "--json"], env)
    assert "Quillfeather" in json.dumps(view) and "Hidden Lane" not in json.dumps(view)
    with pytest.raises(AuthorizationException):
        Elasticsearch(secured.url, bearer_auth=token["access_token"]).index(index="es360-tickets", document={})
