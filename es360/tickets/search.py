"""Ticket search for support reps: keyword, semantic (kNN on the ticket embeddings) and hybrid.

    search_tickets(es, "es360-", "card keeps getting declined", status=["open"], since="now-30d")
    search_tickets(es, "es360-", similar_to="T-10042")

Keyword: a `multi_match` over subject (boosted) and body, each with its English-stemmed and its
folded analysis, a sloppy-phrase boost, and an exact ticket-id clause (a typed ticket id is also
pinned first in hybrid mode). User text is never parsed as query syntax, so no
input can fail or widen the query. Semantic: top-level `knn` on `embedding` with the same filters
(exact on the embedded engine, HNSW on Elasticsearch). `--similar-to` uses the stored vector of
that ticket (embedding its text on the fly if it has none) and excludes the ticket itself.

Hybrid fusion is done in es360: both retrievals (a window of 50 each, ids and scores only) go in
one `_msearch`, the lists are fused here, and only the final page is fetched with highlights. That
works on every Elasticsearch 8.x licence (the `rrf` retriever needs a paid one, the `linear`
retriever 8.18+) and lets the benchmark compare fusions on equal terms.

The fusion is reciprocal rank fusion (k=60), chosen by measurement (benchmarks/ticket_search.py:
2,061 demo tickets, 10 issue types, all-MiniLM-L6-v2, 1,000 query tickets; precision@10 of
same-issue tickets, every fusion computed from the same retrieved windows):

                                  subject typed as query    --similar-to the ticket
    keyword (BM25)                        0.806                     0.870
    semantic (kNN)                        0.853                     0.923
    ceiling (exact cosine, numpy)         0.853                     0.923
    hybrid, RRF k=60   <- chosen          0.870                     0.930
    hybrid, RRF k=10                      0.865                     0.924
    hybrid, linear min-max w=0.5          0.867                     0.924
    hybrid, linear min-max w=0.7          0.860                     0.926
    hybrid, linear min-max w=0.9          0.856                     0.925

RRF is the best on both query sets and has nothing to tune. Weighted linear fusion of min-max
normalized scores wants a different weight per query type (0.5 for typed queries, 0.6-0.8 for
similar-to) and still trails RRF, probably because min-max gives the top of each list 1.0 however
weak that list is. The margins are small: an earlier 300-query run on a slightly different demo
world had RRF ahead for similar-to (0.939 vs 0.935) and linear w=0.5 ahead for typed queries
(0.866 vs 0.862); the 1,000-query figures above decide. Hybrid beats the better single mode on
both sets, as required.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from es360.assets import index_alias
from es360.embeddings.base import Embedder, ticket_text
from es360.errors import Es360Error, api_reason

MODES = ("keyword", "semantic", "hybrid")
FUSIONS = ("rrf", "linear")
DEFAULT_MODE = "hybrid"
DEFAULT_FUSION = "rrf"
RRF_K = 60
SEMANTIC_WEIGHT = 0.5  # the `linear` alternative: w * semantic + (1 - w) * keyword, min-max normalized
MAX_QUERY_CHARS = 1000
MAX_SIZE = 100
SNIPPET_CHARS = 160
PRE_TAG, POST_TAG = "<em>", "</em>"
SOURCE_FIELDS = ["ticket_id", "subject", "body", "status", "priority", "channel", "created_at", "customer_id",
                 "requester.email", "requester.name"]
_UNITS = "yMwdhHms"
_DATE = r"\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?"
_MATH = rf"([+-]\d+[{_UNITS}]|/[{_UNITS}])*"
SINCE_RE = re.compile(rf"^(?P<anchor>now){_MATH}$|^(?P<date>{_DATE})(\|\|{_MATH})?$")


@dataclass
class TicketHit:
    """One ticket in a result list, with its fused score and where each retrieval ranked it."""

    id: str
    ticket_id: str
    subject: str
    status: str | None
    created_at: str | None
    customer_id: str | None
    snippet: str
    score: float
    priority: str | None = None
    channel: str | None = None
    requester_email: str | None = None
    keyword_rank: int | None = None
    semantic_rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "subject": self.subject, "status": self.status,
                "priority": self.priority, "channel": self.channel, "created_at": self.created_at,
                "customer_id": self.customer_id, "requester_email": self.requester_email,
                "score": round(self.score, 6), "snippet": self.snippet, "keyword_rank": self.keyword_rank,
                "semantic_rank": self.semantic_rank, "_id": self.id}


@dataclass(frozen=True)
class Fused:
    """One document of a fused ranking: its id, fused score and rank in each list (None: not in it)."""

    id: str
    score: float
    keyword_rank: int | None
    semantic_rank: int | None


@dataclass
class TicketResults:
    """A ranked list of tickets and how it was produced."""

    query: str
    mode: str
    fusion: str | None
    hits: list[TicketHit] = field(default_factory=list)
    similar_to: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    took_ms: float = 0.0
    warning: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "mode": self.mode, "fusion": self.fusion, "similar_to": self.similar_to,
                "filters": self.filters, "took_ms": round(self.took_ms, 1), "warning": self.warning,
                "count": len(self.hits),
                "hits": [h.as_dict() for h in self.hits]}


def search_tickets(es: Elasticsearch, prefix: str, text: str = "", *, mode: str = DEFAULT_MODE,
                   customer: str | None = None, status: list[str] | None = None, since: str | None = None,
                   similar_to: str | None = None, size: int = 10, embedder: Embedder | None = None,
                   fusion: str = DEFAULT_FUSION, weight: float = SEMANTIC_WEIGHT,
                   window: int | None = None) -> TicketResults:
    """Tickets matching `text` (and/or like ticket `similar_to`), best first, under the given filters."""
    started = time.perf_counter()
    text = _clean(text)
    if mode not in MODES:
        raise Es360Error(f"Unknown search mode {mode!r}; use one of {', '.join(MODES)}.")
    if fusion not in FUSIONS:
        raise Es360Error(f"Unknown fusion {fusion!r}; use one of {', '.join(FUSIONS)}.")
    if not 1 <= size <= MAX_SIZE:
        raise Es360Error(f"--size must be between 1 and {MAX_SIZE}.")
    if not text and not similar_to:
        raise Es360Error("Give some text to search for, or --similar-to TICKET_ID.")
    alias = index_alias("tickets", prefix)
    filters = build_filters(customer, status, since)
    exclude: list[dict[str, Any]] = []
    vector: list[float] | None = None
    model = ""
    keyword_text = text
    if similar_to:
        source_id, source = _find_ticket(es, alias, similar_to)
        exclude.append({"ids": {"values": [source_id]}})
        if mode != "keyword":
            vector, model = _vector_of(source, embedder)
        keyword_text = text or _clean(ticket_text(source.get("subject"), source.get("body")))
    warning = None
    if vector is None and mode != "keyword":
        try:
            vector, model = _embed_query(text, embedder)
        except Es360Error as exc:  # e.g. no model installed: the default mode still answers, by keywords
            if mode == "semantic":
                raise
            warning = f"Semantic matching is unavailable, so only keyword matches are shown: {exc}"
    # Vectors are only comparable within one model: kNN never mixes tickets embedded by another one.
    knn_filters = [*filters, {"term": {"embedding_model": model}}]
    results = TicketResults(text, mode, fusion if mode == "hybrid" and vector is not None else None,
                            similar_to=similar_to, warning=warning,
                            filters={"customer": customer, "status": status or None, "since": since})
    keyword = keyword_query(keyword_text) if keyword_text else None
    highlight = _highlight(keyword)
    try:
        if vector is None:
            assert keyword is not None
            hits = _search(es, alias, _keyword_body(keyword, filters, exclude, size, highlight))
            results.hits = [_hit(h, h["_score"], keyword_rank=i + 1) for i, h in enumerate(hits)]
        elif mode == "semantic" or keyword is None:
            hits = _search(es, alias, _knn_body(vector, knn_filters, exclude, size, size, highlight))
            results.hits = [_hit(h, h["_score"], semantic_rank=i + 1) for i, h in enumerate(hits)]
        else:
            ranked = _hybrid(es, alias, keyword, vector, filters, knn_filters, exclude, _id_token(keyword_text),
                             max(window or 50, size), fusion, weight)
            results.hits = _hydrate(es, alias, ranked[:size], highlight)
        if vector is not None and not any(h.semantic_rank for h in results.hits) and not _any_embedded(es, alias, model):
            results.warning = (f"No ticket has an embedding from {model} yet, so only keyword matches can be shown; "
                               f"run `es360 backfill embeddings`.")
    except ApiError as exc:
        raise Es360Error(f"Ticket search failed ({exc.status_code}): {api_reason(exc)}") from None
    results.took_ms = (time.perf_counter() - started) * 1000
    return results


# ---- query building ------------------------------------------------------------------------------
def keyword_query(text: str) -> dict[str, Any]:
    """Full-text relevance over subject and body; safe for any input (no query syntax is parsed)."""
    from elasticsearch.dsl import Q

    text = text[:MAX_QUERY_CHARS]
    should = [Q("multi_match", query=text, type="most_fields", operator="or",
                fields=["subject^2", "subject.folded^1.5", "body", "body.folded^0.5"]),
              Q("multi_match", query=text, type="phrase", slop=2, boost=0.5, fields=["subject^2", "body"])]
    token = _id_token(text)
    if token:
        should.append(Q("term", ticket_id={"value": token, "boost": 20.0}))
    return Q("bool", should=should, minimum_should_match=1).to_dict()


def build_filters(customer: str | None = None, status: list[str] | None = None,
                  since: str | None = None) -> list[dict[str, Any]]:
    """Filter clauses for --customer (id, or a requester email), --status and --since."""
    filters: list[dict[str, Any]] = []
    if customer:
        customer = customer.strip()
        if "@" in customer:
            filters.append({"term": {"requester.email": customer.lower()}})
        else:
            filters.append({"term": {"customer_id": customer}})
    statuses = sorted({s.strip().lower() for s in status or [] for s in s.split(",") if s.strip()})
    if statuses:
        filters.append({"terms": {"status": statuses}})
    if since:
        since = since.strip()
        if not _valid_since(since):
            raise Es360Error(f"--since must be a date (2025-06-01) or date math (now-30d, now-1M/M); got {since!r}.")
        filters.append({"range": {"created_at": {"gte": since}}})
    return filters


def _keyword_body(keyword: dict[str, Any], filters: list[dict[str, Any]], exclude: list[dict[str, Any]],
                  size: int, highlight: dict[str, Any] | None) -> dict[str, Any]:
    query: dict[str, Any] = {"bool": {"must": [keyword]}}
    if filters:
        query["bool"]["filter"] = filters
    if exclude:
        query["bool"]["must_not"] = exclude
    body: dict[str, Any] = {"query": query, "size": size, "_source": SOURCE_FIELDS, "track_total_hits": False}
    if highlight:
        body["highlight"] = highlight
    return body


def _knn_body(vector: list[float], filters: list[dict[str, Any]], exclude: list[dict[str, Any]], k: int,
              size: int, highlight: dict[str, Any] | None) -> dict[str, Any]:
    knn: dict[str, Any] = {"field": "embedding", "query_vector": vector, "k": k,
                           "num_candidates": min(10_000, max(100, 2 * k))}
    knn_filter = list(filters)
    if exclude:
        knn_filter.append({"bool": {"must_not": exclude}})
    if knn_filter:
        knn["filter"] = knn_filter
    body: dict[str, Any] = {"knn": knn, "size": size, "_source": SOURCE_FIELDS, "track_total_hits": False}
    if highlight:
        body["highlight"] = highlight
    return body


def _highlight(keyword: dict[str, Any] | None) -> dict[str, Any] | None:
    if keyword is None:
        return None
    return {"pre_tags": [PRE_TAG], "post_tags": [POST_TAG], "highlight_query": keyword, "require_field_match": False,
            "fields": {"body": {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1},
                       "subject": {"number_of_fragments": 0}}}


def _hybrid(es: Elasticsearch, alias: str, keyword: dict[str, Any], vector: list[float], filters: list[dict[str, Any]],
            knn_filters: list[dict[str, Any]], exclude: list[dict[str, Any]], token: str | None, window: int,
            fusion: str, weight: float) -> list[Fused]:
    """Keyword and kNN windows in one _msearch (ids and scores only), fused; a typed ticket id is pinned first."""
    bodies = [_keyword_body(keyword, filters, exclude, window, None),
              _knn_body(vector, knn_filters, exclude, window, window, None)]
    if token:
        lookup: dict[str, Any] = {"bool": {"filter": [{"term": {"ticket_id": token}}, *filters]}}
        if exclude:
            lookup["bool"]["must_not"] = exclude
        bodies.append({"query": lookup, "size": 1})
    for body in bodies:
        body["_source"] = False
    kw_hits, sem_hits, *exact = _msearch(es, alias, bodies)
    ranked = fuse(kw_hits, sem_hits, fusion, weight=weight)
    if exact and exact[0]:
        exact_id = exact[0][0]["_id"]
        pinned = next((f for f in ranked if f.id == exact_id), Fused(exact_id, 1.0, None, None))
        ranked = [pinned] + [f for f in ranked if f.id != exact_id]
    return ranked


# ---- fusion --------------------------------------------------------------------------------------
def fuse(keyword_hits: list[dict[str, Any]], semantic_hits: list[dict[str, Any]], fusion: str = DEFAULT_FUSION,
         weight: float = SEMANTIC_WEIGHT, rank_constant: int = RRF_K) -> list[Fused]:
    """One ranked list from the keyword and semantic lists (`linear` or `rrf`), best first."""
    kw_rank = {h["_id"]: i + 1 for i, h in enumerate(keyword_hits)}
    sem_rank = {h["_id"]: i + 1 for i, h in enumerate(semantic_hits)}
    if fusion == "rrf":
        scores = {d: 1.0 / (rank_constant + r) for d, r in kw_rank.items()}
        for d, r in sem_rank.items():
            scores[d] = scores.get(d, 0.0) + 1.0 / (rank_constant + r)
    else:
        kw, sem = _minmax(keyword_hits), _minmax(semantic_hits)
        scores = {d: (1 - weight) * kw.get(d, 0.0) + weight * sem.get(d, 0.0) for d in kw.keys() | sem.keys()}
    ranked = sorted(scores, key=lambda d: (-scores[d], kw_rank.get(d, 10**9) + sem_rank.get(d, 10**9), d))
    return [Fused(d, scores[d], kw_rank.get(d), sem_rank.get(d)) for d in ranked]


def _minmax(hits: list[dict[str, Any]]) -> dict[str, float]:
    if not hits:
        return {}
    scores = [float(h["_score"] or 0.0) for h in hits]
    low, high = min(scores), max(scores)
    span = high - low
    return {h["_id"]: (1.0 if span <= 0 else (s - low) / span) for h, s in zip(hits, scores, strict=True)}


# ---- helpers -------------------------------------------------------------------------------------
def _search(es: Elasticsearch, alias: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    params = {("source" if key == "_source" else key): value for key, value in body.items()}
    return list(es.search(index=alias, **params)["hits"]["hits"])


def _msearch(es: Elasticsearch, alias: str, bodies: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    searches: list[dict[str, Any]] = []
    for body in bodies:
        searches.extend([{"index": alias}, body])
    out = []
    for response in es.msearch(searches=searches)["responses"]:
        if "error" in response:
            error = response["error"]
            reason = error.get("reason", "") if isinstance(error, dict) else str(error)
            raise Es360Error(f"Ticket search failed ({response.get('status', 500)}): {reason}")
        out.append(list(response["hits"]["hits"]))
    return out


def _hydrate(es: Elasticsearch, alias: str, ranked: list[Fused], highlight: dict[str, Any] | None) -> list[TicketHit]:
    """The fused page as full hits (source and highlight fetched for just these ids), in fused order."""
    if not ranked:
        return []
    body: dict[str, Any] = {"query": {"ids": {"values": [f.id for f in ranked]}}, "size": len(ranked),
                            "_source": SOURCE_FIELDS, "track_total_hits": False}
    if highlight:
        body["highlight"] = highlight
    docs = {h["_id"]: h for h in _search(es, alias, body)}
    return [_hit(docs[f.id], f.score, f.keyword_rank, f.semantic_rank) for f in ranked if f.id in docs]


def _find_ticket(es: Elasticsearch, alias: str, ticket_id: str) -> tuple[str, dict[str, Any]]:
    ticket_id = ticket_id.strip()
    try:
        hits = es.search(index=alias, query={"term": {"ticket_id": ticket_id}}, size=1,
                         source=["ticket_id", "subject", "body", "embedding", "embedding_model"])["hits"]["hits"]
    except ApiError as exc:
        raise Es360Error(f"Ticket search failed ({exc.status_code}): {api_reason(exc)}") from None
    if not hits:
        raise Es360Error(f"No ticket {ticket_id!r} in {alias}.")
    return hits[0]["_id"], hits[0].get("_source") or {}


def _vector_of(source: dict[str, Any], embedder: Embedder | None) -> tuple[list[float], str]:
    """A ticket's stored vector and the model that made it (embedding it now if it has none)."""
    vector = source.get("embedding")
    if vector and source.get("embedding_model"):
        return [float(x) for x in vector], str(source["embedding_model"])
    text = ticket_text(source.get("subject"), source.get("body"))
    if not text:
        raise Es360Error(f"Ticket {source.get('ticket_id')} has no text to compare with.")
    return _embed_query(text, embedder)


def _embed_query(text: str, embedder: Embedder | None) -> tuple[list[float], str]:
    """The query's vector and the model's name (the configured model unless one is given)."""
    if embedder is None:
        from es360.embeddings import get_embedder

        embedder = get_embedder()
    return [float(x) for x in embedder.encode([text[:MAX_QUERY_CHARS]])[0]], embedder.name


def _any_embedded(es: Elasticsearch, alias: str, model: str) -> bool:
    return bool(es.count(index=alias, query={"term": {"embedding_model": model}})["count"])


def _hit(h: dict[str, Any], score: float, keyword_rank: int | None = None,
         semantic_rank: int | None = None) -> TicketHit:
    src = h.get("_source") or {}
    requester = src.get("requester") or {}
    return TicketHit(id=h["_id"], ticket_id=str(src.get("ticket_id") or h["_id"]), subject=str(src.get("subject") or ""),
                     status=src.get("status"), created_at=src.get("created_at"), customer_id=src.get("customer_id"),
                     snippet=_snippet(h, src), score=float(score or 0.0), priority=src.get("priority"),
                     channel=src.get("channel"), requester_email=requester.get("email") if isinstance(requester, dict)
                     else None, keyword_rank=keyword_rank, semantic_rank=semantic_rank)


def _snippet(h: dict[str, Any], src: dict[str, Any]) -> str:
    highlight = h.get("highlight") or {}
    for name in ("body", "subject"):
        fragments = highlight.get(name)
        if fragments:
            return " ".join(str(fragments[0]).split())
    body = " ".join(str(src.get("body") or "").split())
    if len(body) <= SNIPPET_CHARS:
        return body
    cut = body[:SNIPPET_CHARS]
    return cut[:cut.rfind(" ")] + " …" if " " in cut else cut + "…"


def _id_token(text: str) -> str | None:
    """The text itself when it could be a ticket id (one short token with a digit), else None."""
    token = text.strip()
    if token and len(token) <= 64 and not any(ch.isspace() for ch in token) and any(ch.isdigit() for ch in token):
        return token
    return None


def _valid_since(value: str) -> bool:
    """A date (partial ISO dates allowed), `now`, or either followed by date math."""
    m = SINCE_RE.match(value)
    if not m:
        return False
    anchor = m.group("date")
    if anchor is None:
        return True
    parts = anchor[:10].split("-")
    month = int(parts[1]) if len(parts) > 1 else 1
    day = int(parts[2]) if len(parts) > 2 else 1
    try:
        datetime(int(parts[0]), month, day)
        if len(anchor) > 10:
            datetime.fromisoformat(anchor.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _clean(text: str | None) -> str:
    """Printable, single-spaced, bounded text (control characters and NULs dropped)."""
    if not text:
        return ""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text)[:MAX_QUERY_CHARS * 2])
    return " ".join(text.split())[:MAX_QUERY_CHARS]

