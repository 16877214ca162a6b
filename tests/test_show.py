"""`es360 show`: the 360 view of one customer, found by id or by anything customer search accepts."""

from __future__ import annotations

import json

import pytest
import typer
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from es360.errors import Es360Error
from es360.search.commands import register
from es360.show import Customer360, PickList, show_customer
from tests.search.data import load_world

PREFIX = "showtest-"


@pytest.fixture(scope="module")
def world(es: Elasticsearch) -> str:
    load_world(es, PREFIX)
    return PREFIX


def test_by_id_shows_the_whole_story(es: Elasticsearch, world: str) -> None:
    view = show_customer(es, world, "C-0001")
    assert isinstance(view, Customer360) and view.matched_by == "id"
    assert view.profile["name"]["full"] == "Samuel Smith"
    ids = {(i["type"], i["value"]): i["sources"] for i in view.identifiers}
    assert ids[("email", "sam.smith@example.com")] == ["crm", "support"]
    assert ids[("phone", "+442079460958")] == ["shop"]
    assert ids[("record", "loyalty:LX-77")] == ["loyalty"]  # known only to the identity index
    assert view.consent["email"]["status"] == "opt_in"
    assert view.rollup is not None and view.rollup["churn"] == {"risk": 71, "stage": "at_risk",
                                                                "reasons": ["no_order_90d"]}
    assert [e["channel"] for e in view.timeline] == ["ticket", "web", "order", "order", "email"]  # newest first
    assert view.timeline[2]["summary"] == "order ORD-20001-R -80.0 GBP"
    assert [o["order_id"] for o in view.orders] == ["ORD-20001-R", "ORD-20001"]
    assert [t["ticket_id"] for t in view.open_tickets] == ["T-9001"]
    assert [t["ticket_id"] for t in view.recent_tickets] == ["T-9001", "T-8000"]
    assert view.merges[0]["other_customer_ids"] == ["C-0099"] and view.merges[0]["match_weight"] == pytest.approx(14.2)


def test_anything_search_accepts_finds_the_customer(es: Elasticsearch, world: str) -> None:
    for text in ("sammy smith 4471", "sam.smith@example.com", "ORD-20001", "T-9001", "020 7946 0958"):
        view = show_customer(es, world, text)
        assert isinstance(view, Customer360) and view.customer_id == "C-0001", text
        assert view.matched_by == "search" and view.why


def test_ambiguous_text_gives_a_pick_list(es: Elasticsearch, world: str) -> None:
    view = show_customer(es, world, "Smith")
    assert isinstance(view, PickList) and len(view.candidates) >= 4
    chosen = show_customer(es, world, "Smith", pick=2)
    assert isinstance(chosen, Customer360) and chosen.customer_id == view.candidates[1].customer_id
    assert chosen.matched_by == "pick"
    with pytest.raises(Es360Error, match="--pick must be between 1 and"):
        show_customer(es, world, "Smith", pick=99)


def test_nothing_found_is_one_sentence(es: Elasticsearch, world: str) -> None:
    with pytest.raises(Es360Error, match="No customer matches 'zzqxv'"):
        show_customer(es, world, "zzqxv")
    with pytest.raises(Es360Error, match="Say which customer"):
        show_customer(es, world, "   ")


def test_a_customer_without_activity(es: Elasticsearch, world: str) -> None:
    view = show_customer(es, world, "C-0012")
    assert isinstance(view, Customer360)
    assert view.timeline == [] and view.orders == [] and view.open_tickets == [] and view.merges == []
    assert [i["sources"] for i in view.identifiers if i["type"] == "email"] == [["profile"]]


@pytest.fixture()
def cli(es_url: str, world: str) -> tuple[typer.Typer, dict[str, str]]:
    app = typer.Typer()
    register(app)
    return app, {"ES360_ES_URL": es_url, "ES360_PREFIX": world}


def test_cli_show_renders_and_json_is_one_document(cli: tuple[typer.Typer, dict[str, str]]) -> None:
    app, env = cli
    result = CliRunner().invoke(app, ["show", "sammy", "smith", "4471"], env=env)
    assert result.exit_code == 0, result.output
    for part in ("Samuel Smith", "C-0001", "at_risk", "ORD-20001", "T-9001", "merge history", "opt_in",
                 "email consent history"):
        assert part in result.stdout, part
    result = CliRunner().invoke(app, ["show", "C-0001", "--json"], env=env)
    doc = json.loads(result.stdout)
    assert doc["ambiguous"] is False and doc["customer_id"] == "C-0001"
    assert {"profile", "identifiers", "consent", "rollup", "timeline", "orders", "open_tickets", "recent_tickets",
            "merges"} <= set(doc)


def test_cli_show_pick_list_and_errors(cli: tuple[typer.Typer, dict[str, str]]) -> None:
    app, env = cli
    result = CliRunner().invoke(app, ["show", "smith"], env=env)
    assert result.exit_code == 0 and "--pick" in result.stdout
    result = CliRunner().invoke(app, ["show", "smith", "--json"], env=env)
    doc = json.loads(result.stdout)
    assert doc["ambiguous"] is True and doc["candidates"][0]["pick"] == 1
    result = CliRunner().invoke(app, ["show", "smith", "--pick", "2", "--json"], env=env)
    assert json.loads(result.stdout)["customer_id"] == doc["candidates"][1]["customer_id"]
    result = CliRunner().invoke(app, ["show", "zzqxv"], env=env)
    assert result.exit_code == 1 and "No customer matches" in result.stderr and "Traceback" not in result.output
