"""Customer search for support reps: one free-text box over golden profiles and their identifiers.

The rep's text is split into typed tokens (es360.search.parse); each token becomes a `dis_max` of
the clauses that could explain it, and the clauses are added up in a `bool` so a customer who
matches more of what the caller said ranks higher:

* exact identifiers score highest and flat (constant_score): customer/source/record ids, ids found
  through orders and tickets, full emails, full phone numbers;
* then partial identifiers: the end of a phone number, an email's local part or prefix, postcodes;
* then names, scored by BM25 so rare names weigh more than common ones: exact > nickname
  (search-time synonyms, `es360_nickname_search`) > typo (fuzziness AUTO) > prefix (edge n-grams);
  order does not matter, so swapped first/last names match as well as the right order;
* addresses (street, city) score like names, but lower.

Weak, broad evidence (initials, a city, an email domain, a 1-3 digit number) only re-ranks customers
that something else matched, unless it is all the rep typed. User text only ever becomes a value in
a term/match/prefix clause, never query syntax, so nothing typed can break or widen the query.

Rollup filters (`--stage`, `--min-spend`) are applied by pre-filtering on the rollup's customer ids
when that set is small (exact, any depth) and otherwise by joining the rollup onto the best
`POSTFILTER_WINDOW` matches (bounded cost; relevance beyond that window is not worth a rep's time).
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError
from elasticsearch.dsl import Q
from elasticsearch.dsl.query import Query

from es360.assets import assets_root, index_alias
from es360.errors import Es360Error, api_reason
from es360.search.parse import ParsedQuery, Token, fold, parse

# flat scores for identifiers; BM25 boosts for names and addresses
B_ID = 100.0
B_EMAIL = 80.0
B_PHONE_FULL = 60.0
B_PHONE_PART = 30.0
B_ALL = 25.0
B_EMAIL_FUZZY = 40.0
B_EMAIL_LOCAL = 30.0
B_EMAIL_PREFIX = 15.0
B_PHONE_END = 12.0
B_POSTCODE = 10.0
B_POSTCODE_PREFIX = 4.0
B_DOMAIN = 2.0
B_INITIAL = 2.0
B_NAME = 2.0
B_NICKNAME = 1.5
B_FUZZY = 1.0
B_NAME_PREFIX = 0.8
B_STREET = 1.0
B_CITY = 0.8
B_EMAIL_WORD = 1.0

PREFILTER_MAX = 10_000
POSTFILTER_WINDOW = 1_000
MAX_SIZE = 200
SOURCE_FIELDS = ["customer_id", "name", "emails", "phones", "address", "sources", "source_ids", "birth_date"]
HIGHLIGHT_FIELDS = ["names", "name.full", "address.street", "address.city"]
COUNTRY_ALIASES = {"UK": "GB", "ENGLAND": "GB", "BRITAIN": "GB", "USA": "US", "AMERICA": "US",
                   "GERMANY": "DE", "DEUTSCHLAND": "DE", "FRANCE": "FR", "SPAIN": "ES", "ITALY": "IT",
                   "NETHERLANDS": "NL", "HOLLAND": "NL"}


@dataclass
class CustomerHit:
    """One customer in the result list, with why it matched."""

    customer_id: str
    score: float
    name: str
    emails: list[str]
    phones: list[str]
    address: dict[str, Any]
    why: list[str]
    highlight: dict[str, list[str]] = field(default_factory=dict)
    rollup: dict[str, Any] | None = None
    source: dict[str, Any] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("source")
        return out


@dataclass
class CustomerSearchResult:
    """What `es360 search customers` returns."""

    query: str
    tokens: list[dict[str, str]]
    total: int
    hits: list[CustomerHit]
    took_ms: float
    prefix_mode: bool = False
    filter_mode: str | None = None  # None | prefilter | postfilter
    lookups: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hits"] = [h.as_dict() for h in self.hits]
        return out


@dataclass(frozen=True)
class Lookup:
    """Customers found for an id token through activity (orders, ticket events) or tickets."""

    token: str
    kind: str  # order | ticket
    customer_ids: tuple[str, ...]


# ---- nicknames (from the analysis asset, so the query knows what the analyzer will expand) ----------
@cache
def nickname_words() -> frozenset[str]:
    """Every name the `es360_nicknames` synonym filter knows."""
    import json

    path = assets_root() / "mappings" / "component" / "es360-analysis.json"
    analysis = json.loads(path.read_text())["template"]["settings"]["index"]["analysis"]
    rules = analysis["filter"]["es360_nicknames"]["synonyms"]
    return frozenset(w.strip() for rule in rules for w in rule.split(","))


# ---- clauses -----------------------------------------------------------------------------------------
def _flat(query: Query | dict[str, Any], boost: float, name: str) -> Query:
    return Q("constant_score", filter=query, boost=boost, _name=name)


def _label(reason: str, text: str) -> str:
    return f"{reason}|{text}"


def _compact(text: str) -> str:
    return re.sub(r"[\W_]", "", fold(text))


def _id_variants(text: str) -> list[str]:
    bare = text.lstrip("#")
    return list(dict.fromkeys([text, bare, bare.upper(), bare.lower()]))


def _id_clause(tok: Token, lookups: list[Lookup]) -> list[Query]:
    compact = _compact(tok.text)
    own = Q("bool", should=[
        Q("terms", customer_id=_id_variants(tok.text)),
        Q("term", **{"customer_id.compact": compact}),
        Q("term", **{"source_ids.compact": compact}),
        Q("term", **{"record_ids.compact": compact}),
    ], minimum_should_match=1)
    out = [_flat(own, B_ID, _label("id", tok.text))]
    for found in lookups:
        if found.token == tok.text and found.customer_ids:
            out.append(_flat(Q("terms", customer_id=list(found.customer_ids)), B_ID, _label(found.kind, tok.text)))
    return out


def _phone_clause(digits: str, hint: bool) -> Query:
    if len(digits) >= 9:
        boost = B_PHONE_FULL
    elif len(digits) >= 7:
        boost = B_PHONE_PART
    else:
        boost = B_PHONE_END * (1.5 if hint else 1.0)
    return _flat(Q("match", **{"phones.suffix": {"query": digits}}), boost, _label("phone", digits))


def _postcode_clauses(text: str, exact_only: bool = False) -> list[Query]:
    compact = _compact(text)
    out = [_flat(Q("term", **{"address.postcode.compact": compact}), B_POSTCODE, _label("postcode", text))]
    if not exact_only and len(compact) >= 2:
        out.append(_flat(Q("prefix", **{"address.postcode.compact": compact}), B_POSTCODE_PREFIX,
                         _label("postcode", text)))
    return out


def _word_clauses(tok: Token, prefix_mode: bool) -> list[Query]:
    w, f = tok.text, tok.folded
    out: list[Query] = [Q("multi_match", query=w, fields=["name.first", "name.last", "names"], type="best_fields",
                          boost=B_NAME, _name=_label("name", w))]
    if f in nickname_words():
        out.append(Q("match", names={"query": w, "analyzer": "es360_nickname_search", "boost": B_NICKNAME,
                                     "_name": _label("nickname", w)}))
    if len(f) >= 3 and not prefix_mode:  # as-you-type matches prefixes, not typos
        out.append(Q("match", names={"query": w, "fuzziness": "AUTO", "prefix_length": 1, "max_expansions": 30,
                                     "boost": B_FUZZY, "_name": _label("typo", w)}))
    if len(f) >= 2:
        out.append(Q("match", **{"name.full.prefix": {"query": w, "boost": B_NAME_PREFIX * (2 if prefix_mode else 1),
                                                      "_name": _label("name-prefix", w)}}))
    if len(f) >= 3:
        fuzzy = {} if prefix_mode else {"fuzziness": "AUTO", "prefix_length": 1, "max_expansions": 30}
        out.append(Q("match", **{"address.street": {"query": w, **fuzzy, "boost": B_STREET,
                                                    "_name": _label("street", w)}}))
        out.append(Q("match", **{"address.street.prefix": {"query": w, "boost": B_STREET / 2,
                                                           "_name": _label("street", w)}}))
        out.append(_flat(Q("term", **{"emails.prefix": f[:24]}), B_EMAIL_WORD, _label("email-prefix", w)))
    return out


def _email_clauses(tok: Token) -> list[Query]:
    email = tok.text.lower()
    local = email.rpartition("@")[0]
    return [
        _flat(Q("term", **{"emails.folded": email}), B_EMAIL, _label("email", tok.text)),
        _flat(Q("fuzzy", **{"emails.folded": {"value": email, "fuzziness": "AUTO", "prefix_length": 1,
                                              "max_expansions": 20}}), B_EMAIL_FUZZY, _label("email~", tok.text)),
        _flat(Q("match", **{"emails.local": local}), B_EMAIL_LOCAL, _label("email-local", local)),
    ]


def _local_clauses(local: str) -> list[Query]:
    out = [_flat(Q("match", **{"emails.local": local}), B_EMAIL_LOCAL, _label("email-local", local))]
    if len(local) >= 3:
        out.append(_flat(Q("term", **{"emails.prefix": fold(local)[:24]}), B_EMAIL_PREFIX,
                         _label("email-prefix", local)))
    if len(local) >= 5:
        out.append(_flat(Q("match", **{"emails.local": {"query": local, "fuzziness": "AUTO", "prefix_length": 1,
                                                        "max_expansions": 20}}),
                         B_EMAIL_FUZZY / 2, _label("email-local~", local)))
    return out


def _domain_clause(domain: str) -> Query:
    return _flat(Q("match", **{"emails.domain": domain.lower()}), B_DOMAIN, _label("email-domain", domain))


def token_clauses(tok: Token, parsed: ParsedQuery, lookups: list[Lookup], prefix_mode: bool = False
                  ) -> tuple[list[Query], bool]:
    """The alternative explanations of one token, and whether the token is strong enough to select
    customers on its own (weak tokens only re-rank)."""
    kind = tok.kind
    if kind == "email":
        return _email_clauses(tok), True
    if kind == "email_local":
        return _local_clauses(tok.text), True
    if kind == "domain":
        return [_domain_clause(tok.text)], False
    if kind == "dotted":  # sammy.smith (a local part) or example.com (a domain)
        words = " ".join(p for p in tok.text.split(".") if p)
        return _local_clauses(tok.text) + [
            _domain_clause(tok.text),
            Q("match", names={"query": words, "operator": "and", "boost": B_NAME, "_name": _label("name", words)}),
        ], True
    if kind == "number":
        out = [_phone_clause(parse_digits(tok), parsed.phone_hint)] + _id_clause(tok, lookups)
        if not parsed.phone_hint:
            out += _postcode_clauses(tok.text, exact_only=True)
        return out, True
    if kind == "short_number":
        out = [Q("match", **{"address.street": {"query": tok.text, "boost": B_STREET, "_name": _label("street", tok.text)}})]
        if parsed.phone_hint and len(tok.digits) >= 3:
            out.append(_phone_clause(tok.digits, True))
            return out, True
        return out + _postcode_clauses(tok.text, exact_only=True), False
    if kind == "id":
        out = _id_clause(tok, lookups) + _postcode_clauses(tok.text)
        out.append(Q("match", **{"address.street": {"query": tok.text, "boost": B_STREET,
                                                    "_name": _label("street", tok.text)}}))
        if len(tok.digits) >= 4 and len(tok.digits) >= len(_compact(tok.text)) - 2:
            out.append(_phone_clause(tok.digits.lstrip("0") or tok.digits, parsed.phone_hint))
        return out, True
    if kind == "initial":
        return [
            _flat(Q("prefix", **{"name.first.norm": tok.folded}), B_INITIAL, _label("initial", tok.text)),
            _flat(Q("prefix", **{"name.last.norm": tok.folded}), B_INITIAL / 2, _label("initial", tok.text)),
        ], False
    # a word: name, nickname, typo, prefix, street, city, the start of an email
    out = _word_clauses(tok, prefix_mode)
    fuzzy = {} if prefix_mode else {"fuzziness": "AUTO", "prefix_length": 1, "max_expansions": 20}
    city = Q("match", **{"address.city": {"query": tok.text, **fuzzy, "boost": B_CITY, "_name": _label("city", tok.text)}})
    return out + [city], True


def parse_digits(tok: Token) -> str:
    """The digits of a number token as they end an E.164 phone number."""
    return tok.digits.lstrip("0") or tok.digits


def build_query(parsed: ParsedQuery, lookups: list[Lookup] | None = None, prefix_mode: bool = False) -> Query:
    """The customer query for a parsed text: strong evidence selects, weak evidence re-ranks."""
    lookups = lookups or []
    strong: list[Query] = []
    weak: list[Query] = []
    phone_digits = {parse_digits(t) for t in parsed.of("number")}
    for digits in parsed.phones:
        if digits not in phone_digits:  # multi-part phone runs ("020 7946 0958")
            strong.append(_phone_clause(digits, parsed.phone_hint))
    for tok in parsed.tokens:
        clauses, is_strong = token_clauses(tok, parsed, lookups, prefix_mode)
        group = Q("dis_max", queries=clauses, tie_breaker=0.1) if len(clauses) > 1 else clauses[0]
        (strong if is_strong else weak).append(group)
    pairs = [p for p in parsed.postcodes if not any(_compact(t.text) == p for t in parsed.tokens)]
    for code in pairs:
        weak.append(_flat(Q("term", **{"address.postcode.compact": code}), B_POSTCODE * 1.5, _label("postcode", code)))
    if not strong:
        strong, weak = weak, []
    if not strong:
        return Q("match_none")
    if len(strong) > 1 and not prefix_mode:  # the customer who matches everything the caller said
        weak.append(_flat(Q("bool", must=strong), B_ALL, _label("all", "")))
    if prefix_mode:  # as-you-type: every strong token must match something (the list narrows)
        return Q("bool", must=strong, should=weak)
    return Q("bool", must=[Q("bool", should=strong, minimum_should_match=1)], should=weak)


# ---- lookups: order ids and ticket ids -> customer ids -------------------------------------------------
def lookup_ids(es: Elasticsearch, prefix: str, parsed: ParsedQuery) -> list[Lookup]:
    """Find customers behind id-like tokens in activity (orders, ticket events) and tickets, in one _msearch."""
    candidates = [t for t in parsed.tokens if t.kind == "id" or (t.kind == "number" and len(t.digits) >= 4)][:6]
    if not candidates:
        return []
    activity, tickets = index_alias("activity", prefix), index_alias("tickets", prefix)
    searches: list[dict[str, Any]] = []
    for tok in candidates:
        variants = _id_variants(tok.text)
        searches += [
            {"index": activity, "ignore_unavailable": True, "allow_no_indices": True},
            {"size": 20, "_source": ["customer_id", "order.id", "ticket.id"],
             "query": {"bool": {"filter": [{"exists": {"field": "customer_id"}}], "minimum_should_match": 1,
                                "should": [{"terms": {"order.id": variants}}, {"terms": {"ticket.id": variants}}]}}},
            {"index": tickets, "ignore_unavailable": True, "allow_no_indices": True},
            {"size": 20, "_source": ["customer_id", "ticket_id"],
             "query": {"bool": {"filter": [{"terms": {"ticket_id": variants}}, {"exists": {"field": "customer_id"}}]}}},
        ]
    responses = es.msearch(searches=searches)["responses"]
    out: list[Lookup] = []
    for i, tok in enumerate(candidates):
        orders: list[str] = []
        ticket_ids: list[str] = []
        for resp in responses[2 * i:2 * i + 2]:
            for hit in (resp.get("hits") or {}).get("hits", []):
                src = hit.get("_source") or {}
                cid = src.get("customer_id")
                if not cid:
                    continue
                if (src.get("order") or {}).get("id"):
                    orders.append(cid)
                else:
                    ticket_ids.append(cid)
        if orders:
            out.append(Lookup(tok.text, "order", tuple(dict.fromkeys(orders))))
        if ticket_ids:
            out.append(Lookup(tok.text, "ticket", tuple(dict.fromkeys(ticket_ids))))
    return out


# ---- rollup filters ----------------------------------------------------------------------------------
def _rollup_filters(stage: list[str] | None, min_spend: float | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if stage:
        out.append({"terms": {"churn.stage": [s.strip().lower().replace("-", "_").replace(" ", "_") for s in stage]}})
    if min_spend is not None:
        out.append({"range": {"spend.lifetime_net": {"gte": min_spend}}})
    return out


def _rollups(es: Elasticsearch, prefix: str, ids: list[str], filters: list[dict[str, Any]] | None = None
             ) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    resp = es.options(ignore_status=404).search(
        index=index_alias("rollup", prefix), size=len(ids), ignore_unavailable=True,
        query={"bool": {"filter": [{"terms": {"customer_id": ids}}, *(filters or [])]}},
        source_includes=["customer_id", "spend", "orders.count", "orders.last_at", "churn", "rfm.segment",
                         "tickets.open", "last_activity_at"])
    return {h["_source"]["customer_id"]: h["_source"] for h in (resp.get("hits") or {}).get("hits", [])
            if (h.get("_source") or {}).get("customer_id")}


def _country_codes(country: list[str] | None) -> list[str]:
    return [COUNTRY_ALIASES.get(c.strip().upper(), c.strip().upper()) for c in country or [] if c.strip()]


# ---- explanations --------------------------------------------------------------------------------------
_REASONS = {
    "id": "id {t}", "order": "order {t}", "ticket": "ticket {t}", "email": "email {t}", "email~": "email ~{t}",
    "email-local": "email {t}@…", "email-local~": "email ~{t}@…", "email-prefix": "email {t}…",
    "email-domain": "email …@{t}", "phone": "phone …{t}", "postcode": "postcode {t}", "name": "name {t}",
    "nickname": "nickname {t}", "typo": "name ~{t}", "name-prefix": "name {t}…", "initial": "initial {t}",
    "street": "street {t}", "city": "city {t}", "all": "matches every part of the query",
}


_FAMILIES = (("name", "nickname", "typo", "name-prefix"),
             ("id", "order", "ticket", "email", "email~", "email-local", "email-local~", "email-prefix", "email-domain"),
             ("street",), ("postcode",))


def explain(matched: list[str], src: dict[str, Any]) -> list[str]:
    """Readable reasons from named queries (the strongest per token and family), naming the stored value
    that matched where it helps."""
    by_token: dict[tuple[str, int], str] = {}
    order: list[str] = []
    for label in matched:
        reason, _, text = label.partition("|")
        family = next((i for i, f in enumerate(_FAMILIES) if reason in f), -1)
        if family < 0:
            order.append(label)
            continue
        key = (text, family)
        best = by_token.get(key)
        rank = _FAMILIES[family].index(reason)
        if best is None or rank < _FAMILIES[family].index(best.partition("|")[0]):
            if best is not None:
                order.remove(best)
            by_token[key] = label
            order.append(label)
    out: list[str] = []
    for label in order:
        reason, _, text = label.partition("|")
        line = _REASONS.get(reason, reason + " {t}").format(t=text)
        value = _matched_value(reason, text, src)
        if value:
            line += f" = {value}"
        if line not in out:
            out.append(line)
    return out


def _matched_value(reason: str, text: str, src: dict[str, Any]) -> str | None:
    if reason == "phone":
        return next((p for p in src.get("phones") or [] if re.sub(r"\D", "", p).endswith(text)), None)
    if reason.startswith("email") and reason != "email":
        t = text.lower()
        return next((e for e in src.get("emails") or [] if t in e.lower()), None)
    if reason == "postcode":
        return (src.get("address") or {}).get("postcode")
    if reason in ("nickname", "typo", "name-prefix", "initial"):
        return ((src.get("name") or {}).get("full")) or None
    if reason in ("street", "city"):
        return (src.get("address") or {}).get(reason)
    return None


# ---- the service ---------------------------------------------------------------------------------------
def search_customers(es: Elasticsearch, prefix: str, text: str, *, size: int = 10, country: list[str] | None = None,
                     stage: list[str] | None = None, min_spend: float | None = None, prefix_mode: bool = False,
                     highlight: bool = True) -> CustomerSearchResult:
    """Find customers from whatever a caller said; best first, each with why it matched."""
    started = time.perf_counter()
    size = max(1, min(int(size), MAX_SIZE))
    parsed = parse(text)
    result = CustomerSearchResult(text, [{"text": t.text, "kind": t.kind} for t in parsed.tokens], 0, [], 0.0,
                                  prefix_mode)
    if parsed.empty:
        result.took_ms = (time.perf_counter() - started) * 1000
        return result
    lookups = [] if prefix_mode else lookup_ids(es, prefix, parsed)
    result.lookups = {f"{lk.kind} {lk.token}": list(lk.customer_ids) for lk in lookups}
    filters: list[dict[str, Any]] = []
    countries = _country_codes(country)
    if countries:
        filters.append({"terms": {"address.country": countries}})
    rollup_filters = _rollup_filters(stage, min_spend)
    window = size
    if rollup_filters:
        allowed = _prefilter_ids(es, prefix, rollup_filters)
        if allowed is not None:
            result.filter_mode = "prefilter"
            if not allowed:
                result.took_ms = (time.perf_counter() - started) * 1000
                return result
            filters.append({"terms": {"customer_id": allowed}})
        else:
            result.filter_mode = "postfilter"
            window = POSTFILTER_WINDOW
    query = build_query(parsed, lookups, prefix_mode)
    final = {"bool": {"must": [query.to_dict()], "filter": filters}} if filters else query.to_dict()
    extra: dict[str, Any] = {}
    if highlight:
        extra["highlight"] = {"fields": {f: {"number_of_fragments": 3} for f in HIGHLIGHT_FIELDS},
                              "pre_tags": ["<em>"], "post_tags": ["</em>"]}
    try:
        resp = es.search(index=index_alias("customers", prefix), query=final, size=window, source=SOURCE_FIELDS,
                         track_total_hits=True, **extra)
    except NotFoundError:
        raise Es360Error(f"There is no {index_alias('customers', prefix)} index yet; run `es360 setup` and "
                         f"`es360 resolve` first.") from None
    except ApiError as exc:
        raise Es360Error(f"Customer search failed: {api_reason(exc)}") from None
    hits = resp["hits"]["hits"]
    total = resp["hits"]["total"]["value"]
    ids = [h["_source"].get("customer_id") or h["_id"] for h in hits]
    if result.filter_mode == "postfilter":
        rollups = _rollups(es, prefix, ids, rollup_filters)
        hits = [h for h, cid in zip(hits, ids, strict=True) if cid in rollups][:size]
        total = len(rollups)
    else:
        rollups = _rollups(es, prefix, ids[:size])
    result.total = total
    result.hits = [_hit(h, rollups) for h in hits[:size]]
    result.took_ms = (time.perf_counter() - started) * 1000
    return result


def _prefilter_ids(es: Elasticsearch, prefix: str, filters: list[dict[str, Any]]) -> list[str] | None:
    """The customer ids passing the rollup filters, or None when there are too many to pre-filter."""
    resp = es.options(ignore_status=404).search(
        index=index_alias("rollup", prefix), size=PREFILTER_MAX, ignore_unavailable=True,
        track_total_hits=PREFILTER_MAX + 1, query={"bool": {"filter": filters}}, source_includes=["customer_id"])
    hits = resp.get("hits") or {}
    if (hits.get("total") or {}).get("value", 0) > PREFILTER_MAX:
        return None
    return [h["_source"]["customer_id"] for h in hits.get("hits", []) if (h.get("_source") or {}).get("customer_id")]


def _hit(h: dict[str, Any], rollups: dict[str, dict[str, Any]]) -> CustomerHit:
    src = h.get("_source") or {}
    cid = src.get("customer_id") or h["_id"]
    name = (src.get("name") or {}).get("full") or " ".join(
        p for p in ((src.get("name") or {}).get("first"), (src.get("name") or {}).get("last")) if p)
    return CustomerHit(cid, round(float(h.get("_score") or 0.0), 3), name, list(src.get("emails") or []),
                       list(src.get("phones") or []), dict(src.get("address") or {}),
                       explain(list(h.get("matched_queries") or []), src), dict(h.get("highlight") or {}),
                       _rollup_summary(rollups.get(cid)), src)


def _rollup_summary(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    if not doc:
        return None
    churn = doc.get("churn") or {}
    return {"stage": churn.get("stage"), "churn_risk": churn.get("risk"),
            "lifetime_spend": (doc.get("spend") or {}).get("lifetime_net"),
            "orders": (doc.get("orders") or {}).get("count"), "last_activity_at": doc.get("last_activity_at"),
            "segment": (doc.get("rfm") or {}).get("segment")}

