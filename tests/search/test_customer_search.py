"""Customer search as a rep uses it: names however they come, partial identifiers, ids, filters, noise."""

from __future__ import annotations

import json

import pytest
import typer
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from es360.search import customers as cs
from es360.search.commands import register
from es360.search.customers import search_customers
from tests.search.data import CUSTOMERS


def top(es: Elasticsearch, prefix: str, text: str, n: int = 1, **kw: object) -> list[str]:
    return [h.customer_id for h in search_customers(es, prefix, text, size=n, **kw).hits]  # type: ignore[arg-type]


@pytest.mark.parametrize("text,expected", [
    ("Samuel Smith", "C-0001"),
    ("Bill Turner", "C-0007"),  # nickname -> William
    ("Liz Taylor", "C-0008"),  # nickname -> Elizabeth
    ("Kasia Nowak", "C-0005"),  # nickname -> Katarzyna
    ("Samuel Smtih", "C-0001"),  # typo
    ("Katarzyna Nowac", "C-0005"),
    ("Smith Samuel", "C-0001"),  # swapped
    ("Nowak, Katarzyna", "C-0005"),
    ("J Smith", "C-0004"),  # initial
    ("J. Smith", "C-0004"),
    ("jurgen muller", "C-0006"),  # no accents, lowercase
    ("JÜRGEN MÜLLER", "C-0006"),
    ("obrien", "C-0009"),
])
def test_names_however_they_are_typed(es: Elasticsearch, world: str, text: str, expected: str) -> None:
    assert top(es, world, text) == [expected]


def test_sam_finds_samuel_samantha_and_sam(es: Elasticsearch, world: str) -> None:
    assert set(top(es, world, "Sam Smith", n=3)) == {"C-0001", "C-0002", "C-0003"}


def test_the_callers_story_puts_the_right_sammy_first(es: Elasticsearch, world: str) -> None:
    result = search_customers(es, world, "it's Sammy, Smith, my number ends in 4471")
    best = result.hits[0]
    assert best.customer_id == "C-0001" and best.score > 2 * result.hits[1].score
    assert "phone …4471 = +447700904471" in best.why
    assert any(w.startswith("name Sammy") for w in best.why)


@pytest.mark.parametrize("text,expected", [
    ("sam.smith@example.com", "C-0001"),
    ("SAM.SMITH@EXAMPLE.COM", "C-0001"),
    ("sam.smith@exmaple.com", "C-0001"),  # typo in the domain
    ("sam.smith@", "C-0001"),  # local part
    ("sam.smith", "C-0001"),
    ("samuel.smith@work", "C-0001"),  # the start of another of the customer's emails
    ("k.nowak", "C-0005"),
])
def test_full_and_partial_emails(es: Elasticsearch, world: str, text: str, expected: str) -> None:
    assert top(es, world, text) == [expected]


def test_email_domain_lists_its_customers(es: Elasticsearch, world: str) -> None:
    assert set(top(es, world, "@gmail.com", n=10)) == {"C-0004", "C-0008", "C-0010"}


@pytest.mark.parametrize("text,expected", [
    ("ends in 4471", "C-0001"),
    ("4471", "C-0001"),
    ("+44 7700 904471", "C-0001"),
    ("07700 904471", "C-0001"),
    ("020 7946 0958", "C-0001"),  # the customer's other number
    ("(555) 123-4567", "C-0004"),
    ("555.123.4567", "C-0004"),
    ("0049 30 1234567", "C-0006"),
])
def test_phones_in_any_format_or_only_the_last_digits(es: Elasticsearch, world: str, text: str, expected: str) -> None:
    assert top(es, world, text) == [expected]


@pytest.mark.parametrize("text,expected", [
    ("SW1A 1AA", "C-0001"),
    ("sw1a1aa", "C-0001"),
    ("10115", "C-0006"),
    ("Hauptstr", "C-0006"),
    ("downing street", "C-0001"),
    ("221b baker", "C-0007"),
    ("D02 X285", "C-0009"),
])
def test_postcodes_and_street_fragments(es: Elasticsearch, world: str, text: str, expected: str) -> None:
    assert top(es, world, text) == [expected]


@pytest.mark.parametrize("text,expected,reason", [
    ("C-0006", "C-0006", "id C-0006"),
    ("c0006", "C-0006", "id c0006"),
    ("ORD-10023", "C-0007", "order ORD-10023"),
    ("ord-10023", "C-0007", "order ord-10023"),
    ("order #ORD-20001", "C-0001", "order ORD-20001"),
    ("T-5561", "C-0005", "ticket T-5561"),
    ("t-9001", "C-0001", "ticket t-9001"),
    ("shop:0001-S", "C-0001", "id shop:0001-S"),
])
def test_ids_find_their_customer(es: Elasticsearch, world: str, text: str, expected: str, reason: str) -> None:
    result = search_customers(es, world, text)
    assert [h.customer_id for h in result.hits][:1] == [expected]
    assert reason in result.hits[0].why


def test_country_filter(es: Elasticsearch, world: str) -> None:
    assert set(top(es, world, "smith", n=10, country=["US"])) == {"C-0004", "C-0021", "C-0003"}
    assert set(top(es, world, "smith", n=10, country=["uk"])) == {"C-0001", "C-0002", "C-0022"}


@pytest.mark.parametrize("mode_max", [10_000, 1])  # prefilter by rollup ids, or join after the search
def test_stage_and_spend_filters(es: Elasticsearch, world: str, monkeypatch: pytest.MonkeyPatch, mode_max: int) -> None:
    monkeypatch.setattr(cs, "PREFILTER_MAX", mode_max)
    result = search_customers(es, world, "smith", size=10, stage=["at_risk", "churned"])
    assert result.filter_mode == ("prefilter" if mode_max > 1 else "postfilter")
    assert {h.customer_id for h in result.hits} == {"C-0001", "C-0003"}
    assert all(h.rollup and h.rollup["stage"] in ("at_risk", "churned") for h in result.hits)
    rich = search_customers(es, world, "smith", size=10, min_spend=1000)
    assert [h.customer_id for h in rich.hits] == ["C-0004", "C-0001"] or \
        {h.customer_id for h in rich.hits} == {"C-0004", "C-0001"}
    assert search_customers(es, world, "smith", stage=["no_such_stage"]).hits == []


def test_prefix_mode_narrows_as_you_type(es: Elasticsearch, world: str) -> None:
    assert set(top(es, world, "sam smi", n=10, prefix_mode=True)) == {"C-0001", "C-0002", "C-0003"}
    assert top(es, world, "samu smi", n=10, prefix_mode=True) == ["C-0001"]
    assert top(es, world, "jürg", n=10, prefix_mode=True) == ["C-0006"]
    assert top(es, world, "sam.sm", n=10, prefix_mode=True) == ["C-0001"]


def test_results_carry_highlights_and_rollup(es: Elasticsearch, world: str) -> None:
    hit = search_customers(es, world, "Samuel Smith").hits[0]
    assert "<em>" in json.dumps(hit.highlight)
    assert hit.rollup == {"stage": "at_risk", "churn_risk": 71, "lifetime_spend": 1250.0, "orders": 3,
                          "last_activity_at": "2026-09-20T10:00:00Z", "segment": "loyal"}


HOSTILE = [
    '"', "'", '"smith', "smith\"", "[smith]", "(smith", "{\"query\": {\"match_all\": {}}}", "*", "**", "?", "smith*",
    "sm?th", "smith OR *", "smith AND NOT jones", "name:*", "customer_id:*", "emails:*", "_all", "\\", "/.*/",
    "smith~", "smith^100", "-smith", "+smith", "!", "||", "&&", "1=1; DROP TABLE customers; --", "<script>x</script>",
    "%", "%00", "\x00", "\u200b", "😀", "😀 smith", "שלום", "史密斯", "Ωmega", "ǅ", "e\u0301", "x" * 5000,
    "smith " * 2000, "@", "@@", "a@", "@.", "+", "++44", "0" * 60, "9" * 300, "#", "##ORD", ":", "crm:", "..", ".com",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_errors_or_widens(es: Elasticsearch, world: str, text: str) -> None:
    result = search_customers(es, world, text, size=50)
    assert result.total < len(CUSTOMERS) // 2  # never "everyone"
    for prefix_mode in (True, False):
        search_customers(es, world, text, prefix_mode=prefix_mode, country=["GB"], stage=["at_risk"], min_spend=1)


def test_syntax_characters_are_only_separators(es: Elasticsearch, world: str) -> None:
    plain = top(es, world, "smith", n=50)
    for text in ("smith*", "\"smith\"", "[smith]", "smith OR *", "smith^100", "(smith)"):
        assert top(es, world, text, n=50) == plain


def test_cli_search_customers(es_url: str, world: str) -> None:
    app = typer.Typer()
    register(app)
    register_again = typer.Typer()
    register(register_again)
    env = {"ES360_ES_URL": es_url, "ES360_PREFIX": world}
    result = CliRunner().invoke(app, ["search", "customers", "sammy", "smith", "4471", "--json"], env=env)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["hits"][0]["customer_id"] == "C-0001" and payload["tokens"][0] == {"text": "sammy", "kind": "word"}
    result = CliRunner().invoke(app, ["search", "customers", "Bill Turner", "--country", "GB"], env=env)
    assert result.exit_code == 0 and "C-0007" in result.stdout and "nickname" in result.stdout
    result = CliRunner().invoke(app, ["search", "customers", "***"], env=env)
    assert result.exit_code == 0 and "Nothing searchable" in result.stdout
    result = CliRunner().invoke(app, ["search", "customers", "smith"], env={**env, "ES360_PREFIX": "nosuch-"})
    assert result.exit_code == 1 and "run `es360 setup`" in result.stderr and "Traceback" not in result.output


def test_search_group_is_shared(es_url: str) -> None:
    app = typer.Typer()
    other = typer.Typer()
    app.add_typer(other, name="search")
    register(app)
    assert [g.name for g in app.registered_groups] == ["search"]
    assert [c.name for c in other.registered_commands] == ["customers"]


def test_search_customers_and_tickets_share_the_group() -> None:
    tickets = pytest.importorskip("es360.tickets.commands")
    for first, second in ((register, tickets.register), (tickets.register, register)):
        app = typer.Typer()
        first(app)
        second(app)
        groups = [g for g in app.registered_groups if g.name == "search"]
        assert len(groups) == 1
        assert {c.name for c in groups[0].typer_instance.registered_commands} == {"customers", "tickets"}
