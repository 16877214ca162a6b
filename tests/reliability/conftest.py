"""Fixtures for the reliability tests: es360's assets under a prefix of their own, and small CRM files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from es360.setup import run_setup

PREFIX = "reltest-"
CRM_HEADER = ("contact_id,first_name,last_name,email,phone,street,city,postcode,country,birth_date,created_at,"
              "updated_at,email_opt_in,account_owner\n")


@pytest.fixture(scope="session")
def cluster(es: Elasticsearch) -> Elasticsearch:
    """The session's cluster with es360's assets installed under PREFIX."""
    run_setup(es, PREFIX)
    return es


def crm_rows(tag: str, n: int) -> list[str]:
    """`n` valid CRM contact rows with ids `{tag}-0` … (no header)."""
    return [f"{tag}-{i},Sam{i},Smith,{tag.lower()}{i}@x.io,020 7946 {i % 10000:04d},,London,,UK,1980-01-01,"
            f"2021-01-01T00:00:00Z,,yes,owner\n" for i in range(n)]


def write_crm(path: Path, rows: list[str]) -> Path:
    path.write_text(CRM_HEADER + "".join(rows))
    return path


def source_id_counts(es: Elasticsearch, prefix: str, tag: str) -> Counter[str]:
    """How many CRM record documents hold each source id starting with `tag-`."""
    es.indices.refresh(index=f"{prefix}records")
    resp = es.search(index=f"{prefix}records", size=10_000, source=["source_id"], track_total_hits=True,
                     query={"bool": {"filter": [{"prefix": {"source_id": f"{tag}-"}}, {"term": {"source": "crm"}}]}})
    assert resp["hits"]["total"]["value"] <= 10_000
    return Counter(h["_source"]["source_id"] for h in resp["hits"]["hits"])


def dead_letters(path: str | None) -> list[dict[str, Any]]:
    """The dead-letter file's entries (NDJSON; split on \\n only: U+2028 may appear inside a string)."""
    if not path:
        return []
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").split("\n") if x]


def run_cli(args: list[str], env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run the `es360` console script with `env` added to a clean copy of the environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ES360_")}
    exe = Path(sys.executable).with_name("es360")
    return subprocess.run([str(exe), *args], env={**base, **env}, capture_output=True, text=True, timeout=timeout)
