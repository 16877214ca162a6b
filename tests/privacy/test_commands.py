"""`es360 forget` and `es360 export` on the command line: confirmation, --dry-run, --json, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from es360.cli import app
from es360.privacy import commands
from tests.privacy.conftest import World


def env(es_url: str, world: World) -> dict[str, str]:
    return {"ES360_ES_URL": es_url, "ES360_PREFIX": world.prefix, "ES360_HOME": str(world.home)}


def count(es: Elasticsearch, world: World) -> int:
    es.indices.refresh(index=f"{world.prefix}*")
    return int(es.count(index=f"{world.prefix}records,{world.prefix}customers")["count"])


def test_forget_needs_confirmation_when_not_interactive(es: Elasticsearch, es_url: str, world: World) -> None:
    before = count(es, world)
    result = CliRunner().invoke(app, ["forget", "crm:C-3"], env=env(es_url, world))
    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == ("error: Refusing to erase without confirmation: pass --yes when not "
                                               "running interactively.")
    result = CliRunner().invoke(app, ["forget", "nobody@example.com", "--yes"], env=env(es_url, world))
    assert result.exit_code == 1 and "No es360 customer" in result.stderr and "Traceback" not in result.output
    assert count(es, world) == before


def test_forget_dry_run_then_erase(es: Elasticsearch, es_url: str, world: World) -> None:
    result = CliRunner().invoke(app, ["forget", "piet@example.nl", "--dry-run", "--json"], env=env(es_url, world))
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["dry_run"] and plan["total"] > 0 and plan["audit_id"] is None
    result = CliRunner().invoke(app, ["forget", plan["customer_id"], "--yes"], env=env(es_url, world))
    assert result.exit_code == 0, result.output
    assert "removed" in result.stdout and f"customer {plan['customer_id']}" in result.stdout
    result = CliRunner().invoke(app, ["forget", plan["customer_id"], "--yes"], env=env(es_url, world))
    assert result.exit_code == 1 and "No es360 customer" in result.stderr


def test_export_command(es_url: str, world: World, tmp_path: Path) -> None:
    out = tmp_path / "sar.json"
    result = CliRunner().invoke(app, ["export", "crm:C-2", "--out", str(out), "--json"], env=env(es_url, world))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["customer_id"] == world.anna and summary["counts"]["records"] == 2
    assert json.loads(out.read_text())["profile"]["customer_id"] == world.anna
    result = CliRunner().invoke(app, ["export", world.anna], env=env(es_url, world))
    assert result.exit_code == 0 and json.loads(result.stdout)["es360_export"]["customer_id"] == world.anna


def test_forget_asks_at_a_terminal(es: Elasticsearch, es_url: str, world: World,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "_interactive", lambda: True)
    before = count(es, world)
    result = CliRunner().invoke(app, ["forget", "crm:C-4"], input="n\n", env=env(es_url, world))
    assert result.exit_code == 1 and "would remove" in result.stdout and "Nothing was erased" in result.stderr
    assert count(es, world) == before
    result = CliRunner().invoke(app, ["forget", "crm:C-4"], input="y\n", env=env(es_url, world))
    assert result.exit_code == 0 and "removed" in result.stdout
    assert count(es, world) < before
