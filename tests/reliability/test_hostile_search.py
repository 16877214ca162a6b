"""Hostile input for `es360 search customers` and `es360 search tickets`: quotes, brackets, wildcards,
query_string syntax, huge strings, control characters and unicode never error and never widen a query.

Pure syntax finds nothing; syntax wrapped around a word finds no more than the word alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from es360.cli import app
from es360.errors import Es360Error
from es360.identity.resolve import resolve
from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun
from es360.search.customers import search_customers
from es360.setup import run_setup
from es360.tickets.search import search_tickets
from tests.reliability.conftest import crm_rows, write_crm

PREFIX = "relsearch-"
PURE_SYNTAX = ["*", "?", "**", "*:*", "* *", "\"", "\"\"", "'", "(", ")", "()", "[", "]", "{", "}", "[* TO *]",
               "{* TO *}", "&&", "||", "!", "+", "-", "~", "^", "~2", "/.*/", "\\", "/", ":", "::", "\\*", "%", "_",
               "@", ".*", "*@*", "_exists_:*", "--", "+-!()", "<>", "#", "$", "`", "\x00", "\x1b[31m", "\u200b",
               "\u202e", "\ufeff", "　", "🙂", "{\"match_all\": {}}"]
WRAPPERS = ["{w}*", "*{w}*", "{w}?", "\"{w}\"", "\"{w}", "({w})", "[{w}]", "{{{w}}}", "{w}~2", "{w}^9", "+{w}",
            "/{w}.*/", "{w}\\", "{w}:*", "{w} *", "{w} \"*\"", "{w} [* TO *]", "{w} || *", "{w} && *", "{w}\x00",
            "{w} 🙂", "'{w}'", "{w} OR *", "_exists_:{w}"]
HUGE = ["a" * 100_000, "sam " * 25_000, "(" * 50_000, "\"" * 50_000, "é" * 50_000, "+44" + "9" * 50_000,
        "x@" * 30_000]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def searchable(es: Elasticsearch, home: Path) -> Iterator[Elasticsearch]:
    """40 resolved CRM customers and 30 support tickets under PREFIX."""
    run_setup(es, PREFIX)
    first = ["Sam", "Liz", "Omar", "Zoë", "Jürgen"]
    last = ["Smith", "Jones", "Brown", "Müller", "Taylor", "Khan", "García", "Novak"]
    rows = [row.replace(f"Sam{i},Smith", f"{first[i % 5]},{last[i % 8]}") for i, row in enumerate(crm_rows("HS", 40))]
    IngestRun(es, load_mapping("crm"), PREFIX, home).run([str(write_crm(home / "contacts.csv", rows))])
    tickets = [{"ticket_id": f"HT-{i}", "requester_email": f"hs{i}@x.io", "created": "2025-05-01T10:00:00Z",
                "subject": ["package never arrived", "refund please", "password reset"][i % 3],
                "description": "my order is late and I want an update", "status": "open"} for i in range(30)]
    path = home / "tickets.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in tickets))
    IngestRun(es, load_mapping("support"), PREFIX, home).run([str(path)])
    resolve(es, PREFIX, home)
    es.indices.refresh(index=f"{PREFIX}customers,{PREFIX}tickets")
    yield es


def _customers(es: Elasticsearch, text: str) -> set[str]:
    return {h.customer_id for h in search_customers(es, PREFIX, text, size=200).hits}


def _tickets(es: Elasticsearch, text: str) -> set[str]:
    return {h.ticket_id for h in search_tickets(es, PREFIX, text, mode="keyword", size=100).hits}


def test_fixture_is_searchable(searchable: Elasticsearch) -> None:
    assert len(_customers(searchable, "Jones")) == 5 and len(_customers(searchable, "Liz")) == 8
    assert len(_tickets(searchable, "refund")) == 10


@pytest.mark.parametrize("text", PURE_SYNTAX)
def test_pure_syntax_finds_nothing(searchable: Elasticsearch, text: str) -> None:
    assert _customers(searchable, text) == set()
    try:
        assert _tickets(searchable, text) == set()
    except Es360Error as exc:  # nothing searchable left after cleaning: one clear sentence, as for ""
        assert "Give some text" in str(exc)


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_syntax_around_a_word_never_widens(searchable: Elasticsearch, wrapper: str) -> None:
    for word in ("Liz", "Jones", "refund"):
        text = wrapper.format(w=word)
        assert _customers(searchable, text) <= _customers(searchable, word), text
        assert _tickets(searchable, text) <= _tickets(searchable, word), text


def test_huge_and_empty_input(searchable: Elasticsearch) -> None:
    everyone = 40
    for text in HUGE:
        assert len(_customers(searchable, text)) < everyone
        search_tickets(searchable, PREFIX, text, mode="keyword")  # no error
    assert _customers(searchable, "") == set() and _customers(searchable, "   ") == set()
    with pytest.raises(Es360Error, match="Give some text"):
        search_tickets(searchable, PREFIX, "  ", mode="keyword")


@pytest.mark.parametrize("text", ["[/]", "[bold]Liz[/bold]", "\x1b[31mLiz", "*", "Liz ]["])
def test_cli_renders_hostile_input_without_error(searchable: Elasticsearch, es_url: str, home: Path,
                                                 text: str) -> None:
    env = {"ES360_ES_URL": es_url, "ES360_PREFIX": PREFIX, "ES360_HOME": str(home)}
    for args in (["search", "customers", text], ["search", "tickets", text, "--mode", "keyword"],
                 ["search", "customers", text, "--json"]):
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 0, (args, result.output)
        if "--json" in args:
            hits = json.loads(result.stdout)["hits"]
            assert {h["customer_id"] for h in hits} <= _customers(searchable, "Liz")
