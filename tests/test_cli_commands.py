"""setup / ingest / status through the CLI, as a data engineer runs them (against the test cluster)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from es360.cli import app

PREFIX = "clitest-"


@pytest.fixture()
def env(es_url: str, tmp_path: Path) -> dict[str, str]:
    return {"ES360_ES_URL": es_url, "ES360_PREFIX": PREFIX, "ES360_HOME": str(tmp_path)}


def run(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.stdout, result.stderr


def test_setup_ingest_status(env: dict[str, str], tmp_path: Path) -> None:
    code, out, _ = run(["setup", "--json"], env)
    assert code == 0 and {i["action"] for i in json.loads(out)} >= {"created"}
    code, out, _ = run(["setup", "--check"], env)
    assert code == 0
    csv = tmp_path / "contacts.csv"
    csv.write_text("contact_id,first_name,last_name,email\nC-1,Sam,Smith,sam@x.io\nC-2,Liz,Lee,not-an-email\n")
    code, out, err = run(["ingest", "crm", str(csv)], env)
    assert code == 0, err
    assert "read 2 = indexed 2 + duplicates 0 + rejected 0" in out
    code, out, _ = run(["status", "--json"], env)
    status = json.loads(out)
    assert status["indices"]["records"]["docs"] == 2
    assert status["last_ingest"][0]["source"] == "crm"
    assert all(a["action"] == "unchanged" for a in status["assets"])


@pytest.mark.parametrize("args,message", [
    (["ingest", "crm", "/no/such/file.csv"], "does not exist"),
    (["ingest", "salesforce", "x.csv"], "No built-in mapping named 'salesforce'"),
    (["ingest", "crm", "x.csv", "--format", "xml"], "Unknown format 'xml'"),
])
def test_ingest_errors_are_one_sentence(env: dict[str, str], args: list[str], message: str) -> None:
    code, _, err = run(args, env)
    assert code == 1
    assert message in err and "Traceback" not in err


def test_unreachable_cluster_is_one_sentence(tmp_path: Path) -> None:
    env = {"ES360_ES_URL": "http://127.0.0.1:9", "ES360_HOME": str(tmp_path)}
    code, _, err = run(["status"], env)
    assert code == 1 and "Cannot reach Elasticsearch at http://127.0.0.1:9" in err
