"""The CLI: `es360 backfill embeddings` and `es360 search tickets` (wired with `register`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from elasticsearch import Elasticsearch
from rich.console import Console
from typer.testing import CliRunner

from es360.tickets.commands import register
from tests.tickets.conftest import LABELED
from tests.tickets.fakes import HashEmbedder

runner = CliRunner()


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app)
    return app


@pytest.fixture()
def env(es_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("ES360_ES_URL", es_url)
    monkeypatch.setenv("ES360_HOME", str(tmp_path))
    monkeypatch.setattr("es360.embeddings.get_embedder", lambda model=None, device=None: HashEmbedder())
    monkeypatch.setattr("es360.cli.console", Console(width=200))
    return monkeypatch


def test_search_tickets_json(env: pytest.MonkeyPatch, searchable: str) -> None:
    env.setenv("ES360_PREFIX", searchable)
    result = runner.invoke(make_app(), ["search", "tickets", "charged twice", "--json", "--size", "3"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["mode"] == "hybrid" and payload["fusion"] == "rrf" and payload["count"] == 3
    assert payload["hits"][0]["ticket_id"] in {"T-90005", "T-90006", "T-90007", "T-90008"}
    assert {"ticket_id", "subject", "status", "created_at", "customer_id", "snippet"} <= set(payload["hits"][0])


def test_search_tickets_table_with_filters_and_similar_to(env: pytest.MonkeyPatch, searchable: str) -> None:
    env.setenv("ES360_PREFIX", searchable)
    result = runner.invoke(make_app(), ["search", "tickets", "parcel", "--status", "open", "--since", "now-30d",
                                        "--mode", "keyword"])
    assert result.exit_code == 0, result.output
    assert "T-90001" in result.stdout and "Parcel never arrived" in result.stdout and "T-90004" not in result.stdout
    similar = runner.invoke(make_app(), ["search", "tickets", "--similar-to", "T-90009", "--size", "2"])
    assert similar.exit_code == 0 and similar.stdout.startswith("2 tickets like T-90009")
    rows = similar.stdout.splitlines()[1:]
    assert not any("T-90009" in row for row in rows) and sum("T-900" in row for row in rows) == 2


@pytest.mark.parametrize("text", ["[bold]x[/]", "[/]", "<em>x</em>]", "\\", '"unbalanced'])
def test_hostile_text_prints_fine(env: pytest.MonkeyPatch, searchable: str, text: str) -> None:
    env.setenv("ES360_PREFIX", searchable)
    result = runner.invoke(make_app(), ["search", "tickets", text])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("args", "message"), [
    (["search", "tickets", ""], "Give some text"),
    (["search", "tickets", "parcel", "--since", "yesterday"], "--since must be a date"),
    (["search", "tickets", "--similar-to", "T-NOPE"], "No ticket"),
    (["search", "tickets", "parcel", "--mode", "fuzzy"], "fuzzy"),
])
def test_user_errors_exit_non_zero_with_one_sentence(env: pytest.MonkeyPatch, searchable: str, args: list[str],
                                                     message: str) -> None:
    env.setenv("ES360_PREFIX", searchable)
    result = runner.invoke(make_app(), args)
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output


def test_backfill_embeddings_json_and_dry_run(env: pytest.MonkeyPatch, es: Elasticsearch, fresh: tuple) -> None:
    prefix, _ = fresh
    env.setenv("ES360_PREFIX", prefix)
    dry = runner.invoke(make_app(), ["backfill", "embeddings", "--dry-run", "--json"])
    assert dry.exit_code == 0 and json.loads(dry.stdout)["stale"] == len(LABELED)
    result = runner.invoke(make_app(), ["backfill", "embeddings", "--json", "--batch-size", "5"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["scanned"], report["embedded"], report["skipped"], report["failed"]) == (len(LABELED),) * 2 + (0, 0)
    assert report["reconciles"] and report["model"] == "fake-hash"
    text = runner.invoke(make_app(), ["backfill", "embeddings"])
    assert text.exit_code == 0 and text.stdout.startswith("nothing to embed: every ticket has a vector from fake-hash")


def test_register_reuses_groups_other_modules_added() -> None:
    app = typer.Typer()
    backfill = typer.Typer(help="theirs")
    search = typer.Typer()

    @search.command("customers")
    def customers() -> None:
        """Their command."""

    app.add_typer(backfill, name="backfill")
    app.add_typer(search, name="search")
    register(app)
    names = [g.name for g in app.registered_groups]
    assert names.count("backfill") == 1 and names.count("search") == 1
    assert [c.name for c in search.registered_commands] == ["customers", "tickets"]
    assert [c.name for c in backfill.registered_commands] == ["embeddings"]
