"""`es360 search tickets`: modes find the right tickets, filters hold, similar-to works, no input breaks it."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.tickets.search import fuse, search_tickets
from tests.tickets.conftest import ISSUE, LABELED, doc_id
from tests.tickets.fakes import HashEmbedder

EMB = HashEmbedder()


def issues(hits: list, n: int) -> list[str]:
    return [ISSUE[h.ticket_id] for h in hits[:n]]


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_every_mode_puts_same_issue_tickets_first(es: Elasticsearch, searchable: str, mode: str) -> None:
    results = search_tickets(es, searchable, "charged twice for my order", mode=mode, embedder=EMB, size=5)
    assert results.mode == mode
    assert issues(results.hits, 2) == ["double_charge", "double_charge"]


def test_semantic_finds_a_paraphrase_keyword_search_misses(es: Elasticsearch, searchable: str) -> None:
    text = "package never came"  # the fake model knows parcel/delivery/shipment ~ package
    keyword = search_tickets(es, searchable, text, mode="keyword", embedder=EMB, size=4)
    semantic = search_tickets(es, searchable, text, mode="semantic", embedder=EMB, size=4)
    hybrid = search_tickets(es, searchable, text, embedder=EMB, size=4)
    assert issues(semantic.hits, 4) == ["delivery"] * 4
    assert issues(keyword.hits, 4).count("delivery") < 4
    assert issues(hybrid.hits, 2) == ["delivery"] * 2
    assert issues(hybrid.hits, 4).count("delivery") > issues(keyword.hits, 4).count("delivery")
    assert hybrid.fusion == "rrf" and all(h.semantic_rank for h in hybrid.hits[:3])


def test_hits_carry_fields_and_a_highlighted_snippet(es: Elasticsearch, searchable: str) -> None:
    hit = search_tickets(es, searchable, "password reset", mode="keyword", embedder=EMB).hits[0]
    assert hit.ticket_id == "T-90010" and hit.subject == "Password reset email never comes"
    assert hit.status == "closed" and hit.created_at.startswith("2021-03-04")
    assert "<em>password" in hit.snippet.lower()
    semantic = search_tickets(es, searchable, "password reset", mode="semantic", embedder=EMB).hits[0]
    assert "<em>" in semantic.snippet  # semantic hits are highlighted with the keyword query too


def test_a_ticket_id_finds_that_ticket_first(es: Elasticsearch, searchable: str) -> None:
    for mode in ("keyword", "hybrid"):
        assert search_tickets(es, searchable, "T-90007", mode=mode, embedder=EMB).hits[0].ticket_id == "T-90007"


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_filters_hold_in_every_mode(es: Elasticsearch, searchable: str, mode: str) -> None:
    def ids(**filters: object) -> set[str]:
        return {h.ticket_id for h in search_tickets(es, searchable, "order account parcel charged login", mode=mode,
                                                    embedder=EMB, size=20, **filters).hits}

    assert ids(status=["open"]) == {t for t, *_, s, _e, _c in LABELED if s == "open"} or mode == "keyword"
    assert ids(status=["open"]) <= {t for t, *_, s, _e, _c in LABELED if s == "open"}
    assert ids(status=["OPEN,pending"]) <= {t for t, *_, s, _e, _c in LABELED if s in ("open", "pending")}
    assert ids(customer="C-ANN") <= {"T-90001", "T-90004", "T-90008"} and ids(customer="C-ANN")
    assert ids(customer="Bob@Example.com") <= {"T-90002", "T-90005", "T-90011"} and ids(customer="bob@example.com")
    recent = {t for t, *_, c in LABELED if not c.startswith("2021")}
    assert ids(since="now-30d") <= recent and ids(since="now-30d/d")
    assert ids(since="2021-03-05") <= recent
    assert ids(since="2021-01-01||-1M") == ids()
    assert ids(status=["open"], since="now-30d", customer="C-ANN") <= {"T-90001"}


def test_a_bad_since_is_one_clear_sentence(es: Elasticsearch, searchable: str) -> None:
    for bad in ("yesterday", "now-30x", "2021-13", "now-30d OR 1=1", '{"gte": 1}'):
        with pytest.raises(Es360Error, match="--since must be a date"):
            search_tickets(es, searchable, "parcel", embedder=EMB, since=bad)


@pytest.mark.parametrize("mode", ["semantic", "hybrid", "keyword"])
def test_similar_to_finds_tickets_like_it_but_not_itself(es: Elasticsearch, searchable: str, mode: str) -> None:
    results = search_tickets(es, searchable, similar_to="T-90009", mode=mode, embedder=EMB, size=3)
    assert "T-90009" not in {h.ticket_id for h in results.hits}
    assert issues(results.hits, 2) == ["login", "login"]
    assert results.similar_to == "T-90009"


def test_similar_to_respects_filters_and_unknown_ids_fail_clearly(es: Elasticsearch, searchable: str) -> None:
    hits = search_tickets(es, searchable, similar_to="T-90001", status=["closed"], embedder=EMB, size=5).hits
    assert hits and all(h.status == "closed" for h in hits)
    with pytest.raises(Es360Error, match="No ticket 'T-00000'"):
        search_tickets(es, searchable, similar_to="T-00000", embedder=EMB)


def test_similar_to_a_ticket_without_a_vector_embeds_it_on_the_fly(es: Elasticsearch, fresh: tuple,
                                                                   fake: HashEmbedder) -> None:
    prefix, _ = fresh  # nothing embedded here: the source ticket is embedded for the query, others by backfill
    from es360.tickets.backfill import backfill_embeddings

    backfill_embeddings(es, prefix, fake, limit=len(LABELED) - 1)
    missing = [t for t, *_ in LABELED if "embedding" not in es.search(
        index=f"{prefix}tickets", query={"term": {"ticket_id": t}})["hits"]["hits"][0]["_source"]]
    assert len(missing) == 1
    hits = search_tickets(es, prefix, similar_to=missing[0], mode="semantic", embedder=HashEmbedder()).hits
    assert hits and issues(hits, 1) == [ISSUE[missing[0]]]


HOSTILE = ['"', "\\", "AND OR NOT", "*", "?", "status:open OR 1=1", "(((", "/.*/", '{"match_all": {}}', "~1^2",
           "x" * 5000, "nul\x00 bytes\x01\x1f", "🙂 colis perdu ünïcödé", "'; DROP TABLE tickets; --", "<script>alert(1)</script>",
           "[bold]markup[/]", "the of and", "-", "+parcel -never", "a" * 70, "T-", "  \t  parcel  \n"]


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_hostile_input_never_errors(es: Elasticsearch, searchable: str, mode: str) -> None:
    for text in HOSTILE:
        results = search_tickets(es, searchable, text, mode=mode, embedder=EMB, size=5)
        assert len(results.hits) <= 5
    wide = search_tickets(es, searchable, "status:open OR 1=1", mode="keyword", embedder=EMB, size=20)
    assert len(wide.hits) < len(LABELED)  # typed syntax is text, it cannot widen the query


def test_empty_input_and_bad_options_are_one_clear_sentence(es: Elasticsearch, searchable: str) -> None:
    for text in ("", "   ", "\x00"):
        with pytest.raises(Es360Error, match="Give some text"):
            search_tickets(es, searchable, text, embedder=EMB)
    with pytest.raises(Es360Error, match="Unknown search mode"):
        search_tickets(es, searchable, "parcel", mode="fuzzy", embedder=EMB)
    with pytest.raises(Es360Error, match="--size"):
        search_tickets(es, searchable, "parcel", size=0, embedder=EMB)


def test_fusions_rank_agreement_first() -> None:
    kw = [{"_id": "a", "_score": 9.0}, {"_id": "b", "_score": 5.0}, {"_id": "c", "_score": 1.0}]
    sem = [{"_id": "b", "_score": 0.95}, {"_id": "d", "_score": 0.94}, {"_id": "a", "_score": 0.70}]
    for fusion in ("linear", "rrf"):
        ranked = fuse(kw, sem, fusion)
        assert ranked[0].id == "b" and {h.id for h in ranked} == {"a", "b", "c", "d"}
        assert (ranked[0].keyword_rank, ranked[0].semantic_rank) == (2, 1)
    assert [f.id for f in fuse(kw, [], "linear")] == ["a", "b", "c"]


def test_similar_to_uses_the_stored_vector_without_loading_a_model(es: Elasticsearch, searchable: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def no_model(*_: object, **__: object) -> None:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr("es360.embeddings.get_embedder", no_model)
    hits = search_tickets(es, searchable, similar_to="T-90005", mode="semantic", size=2).hits
    assert issues(hits, 2) == ["double_charge", "double_charge"]


def test_vectors_of_another_model_are_never_compared(es: Elasticsearch, fresh: tuple, fake: HashEmbedder) -> None:
    prefix, _ = fresh
    from es360.tickets.backfill import backfill_embeddings

    results = search_tickets(es, prefix, "charged twice", embedder=fake)
    assert results.warning and "es360 backfill embeddings" in results.warning
    assert results.hits and all(h.semantic_rank is None for h in results.hits)  # keyword matches still shown
    backfill_embeddings(es, prefix, fake)
    for tid in ("T-90005", "T-90006", "T-90001", "T-90009"):  # as if a different model had embedded these
        es.update(index=f"{prefix}tickets", id=doc_id(es, prefix, tid), doc={"embedding_model": "other-model"})
    es.indices.refresh(index=f"{prefix}tickets")
    hits = search_tickets(es, prefix, "charged twice", mode="semantic", embedder=fake, size=20).hits
    other = {h["_source"]["ticket_id"] for h in es.search(index=f"{prefix}tickets", size=20, query={
        "term": {"embedding_model": "other-model"}})["hits"]["hits"]}
    assert len(other) == 4 and len(hits) == len(LABELED) - 4 and not other & {h.ticket_id for h in hits}


def test_hybrid_falls_back_to_keywords_when_no_model_is_available(es: Elasticsearch, searchable: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(*_: object, **__: object) -> None:
        raise Es360Error("Embedding needs sentence-transformers: pip install 'es360[embeddings]'.")

    monkeypatch.setattr("es360.embeddings.get_embedder", missing)
    results = search_tickets(es, searchable, "charged twice")
    assert results.hits[0].ticket_id == "T-90005" and results.fusion is None
    assert results.warning and "es360[embeddings]" in results.warning
    with pytest.raises(Es360Error, match="es360\\[embeddings\\]"):
        search_tickets(es, searchable, "charged twice", mode="semantic")
