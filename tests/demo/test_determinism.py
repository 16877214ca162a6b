"""Same seed and clock: byte-identical files, however many processes; another seed: another world."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from es360.demo.generator import generate_world

FILES = ("crm/contacts.csv", "shop/customers.jsonl", "shop/orders.csv", "support/tickets.jsonl",
         "marketing/subscribers.csv", "marketing/email_events.csv", "web/events.jsonl", "truth/people.jsonl",
         "truth/tickets.jsonl", "truth/README.md")


def _bytes(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in FILES}


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    a = generate_world(tmp_path / "a", customers=400, seed=11)
    b = generate_world(tmp_path / "b", customers=400, seed=11)
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    assert a.counts == b.counts


def test_another_seed_or_clock_gives_another_world(tmp_path: Path) -> None:
    generate_world(tmp_path / "a", customers=400, seed=11)
    generate_world(tmp_path / "b", customers=400, seed=12)
    generate_world(tmp_path / "c", customers=400, seed=11, now=datetime(2025, 6, 1, tzinfo=UTC))
    a, b, c = (_bytes(tmp_path / x) for x in "abc")
    assert all(a[name] != b[name] for name in FILES if name != "truth/README.md")
    assert a["shop/orders.csv"] != c["shop/orders.csv"]
    assert max(line[:10] for line in c["support/tickets.jsonl"].decode().split('"created":"')[1:]) < "2025-06-02"


def test_worker_processes_do_not_change_the_files(tmp_path: Path) -> None:
    one = generate_world(tmp_path / "one", customers=900, seed=5, workers=1, chunk_people=200)
    two = generate_world(tmp_path / "two", customers=900, seed=5, workers=2, chunk_people=200)
    assert _bytes(tmp_path / "one") == _bytes(tmp_path / "two")
    assert one.counts == two.counts
    assert not (tmp_path / "two" / ".es360-parts").exists()


def test_sizes_scale_with_people(tmp_path: Path) -> None:
    small = generate_world(tmp_path / "s", customers=200)
    large = generate_world(tmp_path / "l", customers=800)
    assert 3 < large.rows / small.rows < 5
    assert large.counts["truth/people.jsonl"] == 800


def test_rejects_an_empty_world(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_world(tmp_path, customers=0)
