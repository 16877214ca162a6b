"""Customer search quality and speed: es360's query vs a plain multi_match fuzziness:AUTO baseline.

    python benchmarks/customer_search.py --customers 100000 --queries 1000
    python benchmarks/customer_search.py --es-url http://localhost:9200   # a real cluster

Known customers come from the demo world's people factory (es360.demo: names, emails, phones and
addresses of many countries, with households and namesakes), or from a small built-in generator when
the demo package is unavailable. They are indexed as golden profiles, a few with orders and tickets,
and for a sample of them the script types queries the way support reps do: nicknames, typos,
swapped names, initials, lowercase without accents, "smith ends in 4471", phones in any format, full
or partial emails, postcodes and streets with a surname, order and ticket ids. It prints recall@1
and recall@5 per query kind for es360 and for the baseline on the same index, and latency
percentiles of `search_customers` (end to end: id lookups, search, rollup join).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from elasticsearch import Elasticsearch, helpers  # noqa: E402
from engine_process import start_engine

from es360.assets import index_alias  # noqa: E402
from es360.search.customers import search_customers  # noqa: E402
from es360.setup import run_setup  # noqa: E402

PREFIX = "csbench-"
BASELINE_FIELDS = ["name.full", "names", "emails", "phones", "address.street", "address.city", "address.postcode",
                   "customer_id"]


@dataclass
class Known:
    """A customer as the benchmark knows them (the truth behind the queries)."""

    customer_id: str
    first: str
    last: str
    emails: list[str]
    phones: list[str]  # E.164
    typed_phones: list[str]  # the same numbers written the way people say them
    street: str
    city: str
    postcode: str
    country: str
    order_id: str | None = None
    ticket_id: str | None = None



# ---- customers -----------------------------------------------------------------------------------------
def demo_people(n: int, seed: int) -> list[Known] | None:
    """People from es360.demo's factory; None when the demo package cannot be used."""
    try:
        from es360.demo.emails import EmailRegistry
        from es360.demo.people import PeopleFactory
        from es360.demo.phones import format_phone
        from es360.demo.rates import DEFAULT_RATES
    except Exception:  # noqa: BLE001 - the demo package is optional here
        return None
    rng = Random(f"customer-search-bench:{seed}")
    factory = PeopleFactory(rng, DEFAULT_RATES, EmailRegistry(n), 1_793_000_000)
    out: list[Known] = []
    while len(out) < n:
        for p in factory.unit(n - len(out)):
            phones = [ph for ph in (p.mobile, p.landline) if ph is not None]
            emails = [e for e in (p.email, p.work_email, p.family_email) if e]
            out.append(Known(f"C-{len(out) + 1:07d}", p.first, p.last, emails, [ph.e164 for ph in phones],
                             [format_phone(rng, ph) for ph in phones], p.address.street, p.address.city.name,
                             p.address.postcode, p.country.code))
    return out


_FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda William Elizabeth David Barbara Richard Susan "
          "Joseph Jessica Thomas Sarah Charles Karen Samuel Samantha Daniel Nancy Matthew Lisa Anthony Betty "
          "Hans Anna Jürgen Katarzyna Piotr Giulia Marco Lucía José Sophie Pierre Emma Liam Noah Olivia")
_LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Wilson "
         "Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker "
         "Müller Schmidt Schneider Fischer Weber Nowak Kowalski Rossi Russo Bianchi Dubois Moreau Laurent "
         "García Fernández O'Brien Murphy Kelly Nguyen Tran Pham Kim Park Singh Patel")


def builtin_people(n: int, seed: int) -> list[Known]:
    """A simple generator for when the demo package is unavailable."""
    rng = Random(seed)
    out = []
    for i in range(n):
        first, last = rng.choice(_FIRST.split()), rng.choice(_LAST.split())
        local = f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}".replace("'", "")
        phone = f"+447{rng.randint(100000000, 999999999)}"
        out.append(Known(f"C-{i + 1:07d}", first, last, [f"{local}@example.com"], [phone],
                         [f"0{phone[3:7]} {phone[7:]}"], f"{rng.randint(1, 200)} {rng.choice(_LAST.split())} Road", "London",
                         f"E{rng.randint(1, 20)} {rng.randint(1, 9)}AB", "GB"))
    return out


def customer_doc(k: Known) -> dict[str, Any]:
    full = f"{k.first} {k.last}"
    return {"customer_id": k.customer_id, "name": {"first": k.first, "last": k.last, "full": full},
            "names": [full], "emails": k.emails, "phones": k.phones, "email": k.emails[0] if k.emails else None,
            "source_ids": [f"crm:{k.customer_id[2:]}"], "record_ids": [f"crm:{k.customer_id[2:]}"],
            "sources": ["crm"], "record_count": 1,
            "address": {"street": k.street, "city": k.city, "postcode": k.postcode, "country": k.country}}


def assign_ids(people: list[Known], rng: Random) -> None:
    """An order for 3% of customers and a ticket for 3% (for id lookups); deterministic per seed."""
    for k in people:
        if rng.random() < 0.03:
            k.order_id = f"ORD-{rng.randint(10_000_000, 99_999_999)}"
        if rng.random() < 0.03:
            k.ticket_id = f"T-{rng.randint(100_000, 999_999)}"


def index_world(es: Elasticsearch, people: list[Known]) -> None:
    """Golden profiles, plus their orders and tickets."""
    run_setup(es, PREFIX)

    def actions() -> Iterator[dict[str, Any]]:
        for k in people:
            yield {"_index": index_alias("customers", PREFIX), "_id": k.customer_id, "pipeline": "_none",
                   "_source": {key: v for key, v in customer_doc(k).items() if v is not None}}
            if k.order_id:
                yield {"_index": index_alias("activity", PREFIX), "_id": k.order_id, "pipeline": "_none",
                       "_source": {"@timestamp": "2026-09-01T00:00:00Z", "customer_id": k.customer_id,
                                   "event": {"id": k.order_id, "category": "order", "action": "order_placed"},
                                   "order": {"id": k.order_id, "amount": 10.0, "currency": "EUR"}}}
            if k.ticket_id:
                yield {"_index": index_alias("tickets", PREFIX), "_id": k.ticket_id, "pipeline": "_none",
                       "_source": {"ticket_id": k.ticket_id, "customer_id": k.customer_id, "subject": "Help",
                                   "status": "open"}}

    started = time.perf_counter()
    for ok, item in helpers.streaming_bulk(es.options(request_timeout=600), actions(), chunk_size=2000,
                                           raise_on_error=False):
        if not ok:
            raise SystemExit(f"indexing failed: {item}")
    es.indices.refresh(index=f"{PREFIX}*")
    print(f"indexed {len(people):,} customers in {time.perf_counter() - started:.1f}s", flush=True)


# ---- queries as reps type them -------------------------------------------------------------------------
def _nicknames() -> dict[str, list[str]]:
    try:
        from es360.demo.names import NICKNAMES
        return {k.lower(): list(v) for k, v in NICKNAMES.items()}
    except Exception:  # noqa: BLE001
        return {"samuel": ["Sam", "Sammy"], "william": ["Bill", "Will"], "elizabeth": ["Liz", "Beth"]}


def _typo(rng: Random, text: str) -> str:
    try:
        from es360.demo.noise import typo
        return typo(rng, text)
    except Exception:  # noqa: BLE001
        i = rng.randrange(1, max(2, len(text)))
        return text[:i] + text[i + 1:]


def _fold(text: str) -> str:
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _last_digits(k: Known, n: int = 4) -> str:
    return k.phones[0][-n:]


def make_queries(people: list[Known], count: int, rng: Random) -> list[tuple[str, str, str]]:
    """(kind, text, expected customer_id) for `count` customers sampled from `people`."""
    nick = _nicknames()
    kinds: list[tuple[str, float, Callable[[Known], str | None]]] = [
        ("name", 10, lambda k: f"{k.first} {k.last}"),
        ("name+phone4", 14, lambda k: f"{k.first} {k.last} {_last_digits(k)}" if k.phones else None),
        ("nickname+phone4", 6, lambda k: (f"{rng.choice(nick[k.first.lower()])} {k.last} ends in {_last_digits(k)}"
                                          if k.phones and k.first.lower() in nick else None)),
        ("typo+phone4", 8, lambda k: f"{_typo(rng, k.first)} {_typo(rng, k.last)} {_last_digits(k)}"
         if k.phones else None),
        ("swapped+city", 6, lambda k: f"{k.last}, {k.first} {k.city}"),
        ("initial+postcode", 6, lambda k: f"{k.first[0]}. {k.last} {k.postcode}"),
        ("lower-noaccents+street", 6, lambda k: _fold(f"{k.first} {k.last} {k.street}").lower()),
        ("phone", 12, lambda k: rng.choice(k.typed_phones) if k.typed_phones else None),
        ("email", 8, lambda k: k.emails[0].upper() if rng.random() < 0.2 else k.emails[0]),
        ("email-local", 6, lambda k: k.emails[0].split("@")[0] + "@"),
        ("email-typo", 4, lambda k: _typo(rng, k.emails[0])),
        ("surname+postcode", 6, lambda k: f"{k.last} {k.postcode.lower()}"),
        ("order-id", 4, lambda k: k.order_id.lower() if k.order_id and rng.random() < 0.3 else k.order_id),
        ("ticket-id", 4, lambda k: k.ticket_id),
    ]
    total_w = sum(w for _, w, _ in kinds)
    out: list[tuple[str, str, str]] = []
    with_ids = [k for k in people if k.order_id or k.ticket_id]
    nicknamed = [k for k in people if k.first.lower() in nick] or people
    while len(out) < count:
        x = rng.random() * total_w
        kind, fn = kinds[-1][0], kinds[-1][2]
        for name, w, make in kinds:
            x -= w
            if x < 0:
                kind, fn = name, make
                break
        pool = with_ids if kind in ("order-id", "ticket-id") else nicknamed if kind.startswith("nick") else people
        k = pool[int(rng.random() * len(pool))]
        text = fn(k)
        if text:
            out.append((kind, text, k.customer_id))
    return out


# ---- evaluation ----------------------------------------------------------------------------------------
def baseline(es: Elasticsearch, text: str, size: int = 5) -> list[str]:
    """A plain multi_match fuzziness:AUTO over the profile's fields."""
    resp = es.search(index=index_alias("customers", PREFIX), size=size, source=False,
                     query={"multi_match": {"query": text, "fields": BASELINE_FIELDS, "fuzziness": "AUTO",
                                            "lenient": True}})
    return [h["_id"] for h in resp["hits"]["hits"]]


def ours(es: Elasticsearch, text: str, size: int = 5) -> list[str]:
    """es360's customer search exactly as the CLI runs it (highlights and rollup join included)."""
    return [h.customer_id for h in search_customers(es, PREFIX, text, size=size).hits]


def ours_prefix(es: Elasticsearch, text: str, size: int = 5) -> list[str]:
    """The `--prefix` autocomplete mode."""
    return [h.customer_id for h in search_customers(es, PREFIX, text, size=size, prefix_mode=True).hits]


def make_prefix_queries(people: list[Known], count: int, rng: Random) -> list[tuple[str, str, str]]:
    """Half-typed names and emails, as a rep types into an autocomplete box."""
    out = []
    for _ in range(count):
        k = people[int(rng.random() * len(people))]
        if rng.random() < 0.5:
            text = f"{k.first} {k.last[:max(3, len(k.last) // 2)]}"
            out.append(("prefix: first + half last", text, k.customer_id))
        else:
            out.append(("prefix: half email", k.emails[0][:max(6, len(k.emails[0]) * 2 // 3)], k.customer_id))
    return out


def evaluate(es: Elasticsearch, queries: list[tuple[str, str, str]], fn: Callable[[Elasticsearch, str], list[str]],
             show_misses: int = 0) -> tuple[dict[str, list[int]], list[float]]:
    """Per kind: the rank of the expected customer (0 = not in the top 5); and latencies in ms."""
    ranks: dict[str, list[int]] = defaultdict(list)
    latencies: list[float] = []
    for kind, text, expected in queries:
        started = time.perf_counter()
        ids = fn(es, text)
        latencies.append((time.perf_counter() - started) * 1000)
        rank = ids.index(expected) + 1 if expected in ids else 0
        ranks[kind].append(rank)
        if rank != 1 and show_misses > 0:
            show_misses -= 1
            print(f"  miss ({kind}, rank {rank or '>5'}): {text!r} expected {expected}, got {ids[:3]}")
    return ranks, latencies


def _recall(ranks: list[int], k: int) -> float:
    return sum(1 for r in ranks if 0 < r <= k) / max(len(ranks), 1)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(ours_ranks: dict[str, list[int]], base_ranks: dict[str, list[int]]) -> None:
    print(f"\n{'query kind':26} {'n':>5}  {'es360 R@1':>9} {'R@5':>6}   {'baseline R@1':>12} {'R@5':>6}")
    for kind in sorted(ours_ranks):
        o, b = ours_ranks[kind], base_ranks[kind]
        print(f"{kind:26} {len(o):5d}  {_recall(o, 1):9.3f} {_recall(o, 5):6.3f}   {_recall(b, 1):12.3f} "
              f"{_recall(b, 5):6.3f}")
    all_o = [r for v in ours_ranks.values() for r in v]
    all_b = [r for v in base_ranks.values() for r in v]
    print(f"{'ALL':26} {len(all_o):5d}  {_recall(all_o, 1):9.3f} {_recall(all_o, 5):6.3f}   "
          f"{_recall(all_b, 1):12.3f} {_recall(all_b, 5):6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--es-url", help="a running cluster (default: an embedded engine in a temp dir)")
    parser.add_argument("--data", type=Path, help="engine data dir to reuse between runs (kept)")
    parser.add_argument("--show-misses", type=int, default=0, help="print up to N es360 queries not ranked first")
    args = parser.parse_args()
    proc = None
    if args.es_url:
        es = Elasticsearch(args.es_url, request_timeout=600)
    else:  # the engine in its own process, as `es360 engine start` runs it
        proc, url = start_engine(args.data or Path(tempfile.mkdtemp(prefix="es360-csbench-")))
        es = Elasticsearch(url, request_timeout=600)
    try:
        rng = Random(args.seed)
        started = time.perf_counter()
        people = demo_people(args.customers, args.seed)
        source = "es360.demo people factory"
        if people is None:
            people, source = builtin_people(args.customers, args.seed), "built-in generator"
        print(f"{len(people):,} customers from the {source} ({time.perf_counter() - started:.1f}s)", flush=True)
        assign_ids(people, Random(args.seed + 1))
        existing = es.options(ignore_status=404).count(index=index_alias("customers", PREFIX)).get("count")
        if existing == len(people):
            print("reusing the index already in the data dir")
        else:
            index_world(es, people)
        queries = make_queries(people, args.queries, rng)
        warm = {kind: text for kind, text, _ in queries}  # one query of each kind builds the engine's
        for text in [*warm.values(), *(t for _, t, _ in queries[:20])]:  # per-field term caches, as any
            ours(es, text)  # running service has
            ours_prefix(es, text)
            baseline(es, text)
        ours_ranks, ours_ms = evaluate(es, queries, ours, args.show_misses)
        base_ranks, base_ms = evaluate(es, queries, baseline)
        report(ours_ranks, base_ranks)
        prefix_ranks, prefix_ms = evaluate(es, make_prefix_queries(people, max(100, args.queries // 5), rng),
                                           ours_prefix)
        print()
        for kind, ranks in sorted(prefix_ranks.items()):
            print(f"{kind:26} {len(ranks):5d}  R@1 {_recall(ranks, 1):.3f}  R@5 {_recall(ranks, 5):.3f}")
        print(f"\nlatency es360 search_customers (end to end, {len(ours_ms)} queries): "
              f"p50 {statistics.median(ours_ms):.1f} ms  p95 {_pct(ours_ms, 95):.1f} ms  p99 {_pct(ours_ms, 99):.1f} ms")
        print(f"latency baseline multi_match:                     "
              f"p50 {statistics.median(base_ms):.1f} ms  p95 {_pct(base_ms, 95):.1f} ms  p99 {_pct(base_ms, 99):.1f} ms")
        print(f"latency es360 --prefix autocomplete:              "
              f"p50 {statistics.median(prefix_ms):.1f} ms  p95 {_pct(prefix_ms, 95):.1f} ms  p99 {_pct(prefix_ms, 99):.1f} ms")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
