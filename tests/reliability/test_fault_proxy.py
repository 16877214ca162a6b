"""`es360 ingest` through a proxy that answers 429/503, rejects items and drops connections mid-request
and mid-response: every row ends up present exactly once or in the dead-letter file, and the counts add up."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from elasticsearch import Elasticsearch

from tests.reliability.conftest import PREFIX, crm_rows, dead_letters, run_cli, source_id_counts, write_crm
from tests.reliability.proxy import FaultProxy, Faults

ALL_FAULTS = Faults(http_429=0.12, http_503=0.12, item_429=0.15, drop_request=0.1, drop_response=0.12, seed=3)


def test_ingest_through_faults_keeps_every_row_exactly_once(cluster: Elasticsearch, es_url: str,
                                                           tmp_path: Path) -> None:
    rows = crm_rows("FLT", 240)
    rows[17] = ",NoKey,Smith,nokey@x.io,,,,,,,,,,\n"  # rejected by the mapping: no contact_id
    rows[101] = "FLT-101,Too,Many,x@x.io,,,,,,,,,,,surplus\n"  # rejected by the reader: surplus value
    path = write_crm(tmp_path / "contacts.csv", rows)
    with FaultProxy(es_url, ALL_FAULTS) as proxy:
        done = run_cli(["ingest", "crm", str(path), "--batch-size", "10", "--json"],
                       {"ES360_ES_URL": proxy.url, "ES360_PREFIX": PREFIX, "ES360_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for fault in ("429", "503", "item_429", "drop_request", "drop_response"):
        assert proxy.counts[fault] > 0, (fault, proxy.counts)  # every kind of fault really happened
    assert report["read"] == 240 and report["rejected"] == 2 and report["retries"] > 0
    assert report["read"] == report["indexed"] + report["duplicates"] + report["rejected"] + report["suppressed"]
    counts = source_id_counts(cluster, PREFIX, "FLT")
    expected = {f"FLT-{i}" for i in range(240)} - {"FLT-17", "FLT-101"}
    assert set(counts) == expected and set(counts.values()) == {1}
    entries = dead_letters(report["dead_letter"])
    assert [(e["file"], e["line"]) for e in entries] == [(str(path), 19), (str(path), 103)]
    assert "missing 'contact_id'" in entries[0]["reason"] and "header has 14 columns" in entries[1]["reason"]


def test_proxy_passes_requests_through_and_answers_faults_like_elasticsearch(es_url: str) -> None:
    with FaultProxy(es_url, Faults(http_429=1.0)) as proxy:
        assert httpx.get(f"{proxy.url}/").json()["tagline"] == "You Know, for Search"
        resp = httpx.post(f"{proxy.url}/_bulk", content=b'{"index": {"_index": "x"}}\n{}\n',
                          headers={"content-type": "application/x-ndjson"})
    assert resp.status_code == 429
    assert resp.json()["error"]["type"] == "es_rejected_execution_exception"
    assert proxy.counts["429"] == 1 and proxy.counts["bulk_forwarded"] == 0
