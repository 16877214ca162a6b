"""`es360 backfill embeddings`: only missing or stale tickets, resumable, idempotent, counts reconcile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.tickets.backfill import BackfillReport, backfill_embeddings, count_stale, embed_new_tickets
from tests.tickets.conftest import LABELED, doc_id, ingest, source, ticket_rows
from tests.tickets.fakes import HashEmbedder

N = len(LABELED)


def counts(report: BackfillReport) -> tuple[int, int, int, int]:
    return report.scanned, report.embedded, report.skipped, report.failed


def test_backfill_embeds_every_ticket_once_then_nothing(es: Elasticsearch, fresh: tuple[str, Path],
                                                        fake: HashEmbedder) -> None:
    prefix, _ = fresh
    first = backfill_embeddings(es, prefix, fake, batch_size=5)
    assert counts(first) == (N, N, 0, 0) and first.total == N and first.reconciles
    doc = source(es, prefix, "T-90005")
    assert (doc["embedding_model"], doc["embedding_version"]) == ("fake-hash", "1")
    assert np.allclose(doc["embedding"], fake.encode(["Charged twice\nI was charged twice for the same order on "
                                                      "my card."])[0], atol=1e-6)
    again = HashEmbedder()
    second = backfill_embeddings(es, prefix, again)
    assert counts(second) == (0, 0, 0, 0) and second.reconciles
    assert again.calls == 0  # nothing stale: the model is never even asked
    assert source(es, prefix, "T-90005")["embedding"] == doc["embedding"]


def test_only_tickets_from_another_model_or_version_are_reembedded(es: Elasticsearch, fresh: tuple[str, Path],
                                                                   fake: HashEmbedder) -> None:
    prefix, _ = fresh
    backfill_embeddings(es, prefix, fake)
    es.update(index=f"{prefix}tickets", id=doc_id(es, prefix, "T-90002"), doc={"embedding_model": "old-model"},
              refresh=True)
    es.update(index=f"{prefix}tickets", id=doc_id(es, prefix, "T-90003"), doc={"embedding_version": "0"},
              refresh=True)
    assert count_stale(es, prefix, fake) == 2
    report = backfill_embeddings(es, prefix, fake)
    assert counts(report) == (2, 2, 0, 0)
    assert source(es, prefix, "T-90002")["embedding_model"] == "fake-hash"
    upgraded = backfill_embeddings(es, prefix, HashEmbedder(version="2"))
    assert counts(upgraded) == (N, N, 0, 0)
    assert {source(es, prefix, t)["embedding_version"] for t in ("T-90001", "T-90012")} == {"2"}


def test_an_interrupted_run_resumes_where_it_stopped(es: Elasticsearch, fresh: tuple[str, Path],
                                                     fake: HashEmbedder) -> None:
    prefix, _ = fresh
    part = backfill_embeddings(es, prefix, fake, batch_size=2, limit=5)
    assert counts(part) == (5, 5, 0, 0)
    assert count_stale(es, prefix, fake) == N - 5
    rest = backfill_embeddings(es, prefix, fake, batch_size=2)
    assert counts(rest) == (N - 5, N - 5, 0, 0)
    assert count_stale(es, prefix, fake) == 0


def test_progress_is_reported_per_batch_and_ends_complete(es: Elasticsearch, fresh: tuple[str, Path],
                                                          fake: HashEmbedder) -> None:
    prefix, _ = fresh
    seen: list[tuple[int, int, int]] = []
    backfill_embeddings(es, prefix, fake, batch_size=4, progress=lambda r: seen.append((r.scanned, r.embedded, r.total)))
    assert [s[0] for s in seen] == [4, 8, 12]
    assert seen[-1] == (N, N, N)


def test_tickets_without_text_are_skipped_and_counted(es: Elasticsearch, fresh: tuple[str, Path],
                                                      fake: HashEmbedder) -> None:
    prefix, home = fresh
    blank = ticket_rows([("T-90099", "none", "", "", "open", "zed@example.com", "2024-01-01T00:00:00Z")])
    blank[0]["subject"] = blank[0]["description"] = None
    ingest(es, prefix, blank, home)
    report = backfill_embeddings(es, prefix, fake)
    assert counts(report) == (N + 1, N, 1, 0) and report.reconciles
    assert report.skip_reasons == {"no subject or body": 1}


def test_a_ticket_changed_mid_run_keeps_no_stale_vector(es: Elasticsearch, fresh: tuple[str, Path]) -> None:
    prefix, _ = fresh
    target = doc_id(es, prefix, "T-90001")

    class EditingEmbedder(HashEmbedder):
        def encode(self, texts: Any, batch_size: int = 64) -> np.ndarray:
            if self.calls == 0:  # a re-ingest lands between reading the ticket and writing its vector
                es.update(index=f"{prefix}tickets", id=target, doc={"subject": "Parcel arrived broken"})
            return super().encode(texts, batch_size)

    report = backfill_embeddings(es, prefix, EditingEmbedder(), batch_size=N)
    assert counts(report) == (N, N - 1, 1, 0) and report.reconciles
    assert "embedding" not in source(es, prefix, "T-90001")
    follow_up = backfill_embeddings(es, prefix, HashEmbedder())
    assert counts(follow_up) == (1, 1, 0, 0)


def test_new_tickets_are_embedded_after_ingest(es: Elasticsearch, fresh: tuple[str, Path], fake: HashEmbedder) -> None:
    prefix, home = fresh
    backfill_embeddings(es, prefix, fake)
    ingest(es, prefix, ticket_rows([("T-90100", "login", "2FA code never arrives", "The SMS code does not come.",
                                     "open", "fay@example.com", "2025-01-01T00:00:00Z")]), home)
    report = embed_new_tickets(es, prefix, HashEmbedder())
    assert counts(report) == (1, 1, 0, 0)
    assert source(es, prefix, "T-90100")["embedding_model"] == "fake-hash"


def test_a_model_of_the_wrong_size_fails_with_one_sentence(es: Elasticsearch, fresh: tuple[str, Path]) -> None:
    prefix, _ = fresh
    with pytest.raises(Es360Error, match="makes 8-dimensional vectors but .* stores 384"):
        backfill_embeddings(es, prefix, HashEmbedder(name="tiny", dims=8))
    assert count_stale(es, prefix, HashEmbedder()) == N


def test_a_missing_index_says_to_run_setup(es: Elasticsearch, fake: HashEmbedder) -> None:
    with pytest.raises(Es360Error, match="run `es360 setup`"):
        backfill_embeddings(es, "tktest-nothing-here-", fake)
