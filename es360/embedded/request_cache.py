"""The shard request cache: reuse the whole result of a repeated search while the index is unchanged.

Elasticsearch caches a shard's search result keyed by the request and the shard's reader, by
default only for `size: 0` requests (or any request sent with `?request_cache=true`), never for
scrolls, profiled or DFS searches, with document- or field-level security, or when the request is
not deterministic (it uses `now`, or a random score without a seed). A refresh that changes what
search sees, or a mapping update, opens a new reader and so makes the old entries unreachable.

Here every index keeps `Index.request_cache` (request key -> serialized response) and counts hits,
misses, evictions and memory in `Index.stats` (`request_cache_*`), which `_stats` reports. A
search is answered from the cache only when every index it reads holds the entry; each index
counts its own hit or miss, as each ES shard does. Terms lookups (and other `index`/`id` document
references) read another index's document at request time, so the referenced document's sequence
number is part of the key, as ES's rewrite puts the looked-up terms into its key.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Callable
from typing import Any

import orjson

from .engine import Engine, Target

MAX_BYTES_PER_INDEX = 8 * 1024 * 1024  # ES sizes the cache at 1% of the heap; one index keeps at most this
_IGNORED_PARAMS = {"request_cache", "filter_path", "pretty", "human", "error_trace", "format"}
_NOW = re.compile(r"\s*now(?:[+\-/|]|\s*$)")
_NONDETERMINISTIC = re.compile(r"random|now|currentTime")
_UNCACHED = object()


def cached_search(engine: Engine, targets: list[Target], body: dict[str, Any], params: dict[str, Any],
                  searcher: Any, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a search through the request cache: `run()` on a miss, a copy of the stored response on a hit."""
    indices = [t.index for t in targets]
    key = _request_key(engine, targets, body, params, searcher)
    if key is None or not all(_index_allows(i, params) for i in indices):
        return run()
    start = time.perf_counter()
    entries = [_entries(i) for i in indices]
    stored = [e.get(key) for e in entries]
    if all(blob is not None for blob in stored):
        for index, e in zip(indices, entries, strict=True):
            e[key] = e.pop(key)  # most recently used last
            _bump(index, "request_cache_hit_count")
            _bump(index, "query_total")
        response = orjson.loads(stored[0])  # type: ignore[arg-type]
        response["took"] = int((time.perf_counter() - start) * 1000)
        return response
    response = run()
    blob = None
    if not response.get("timed_out") and not response.get("_shards", {}).get("failed"):
        try:  # a timed-out or partly failed result is not kept, as in ES
            blob = orjson.dumps(response)
        except TypeError:
            blob = None
    for index, e, old in zip(indices, entries, stored, strict=True):
        _bump(index, "request_cache_miss_count" if old is None else "request_cache_hit_count")
        if blob is not None:
            _store(index, e, key, blob)
    return response


def _index_allows(index: Any, params: dict[str, Any]) -> bool:
    if params.get("request_cache") in ("true", ""):
        return True
    return str(index.setting("requests.cache.enable", "true")).lower() != "false"


def _request_key(engine: Engine, targets: list[Target], body: dict[str, Any], params: dict[str, Any],
                 searcher: Any) -> str | None:
    """The cache key of a search, or None when ES would not cache it."""
    explicit = params.get("request_cache")
    if explicit == "false" or not targets:
        return None
    if searcher.size != 0 and explicit not in ("true", ""):
        return None
    if (searcher.scroll or searcher.profile or params.get("search_type") == "dfs_query_then_fetch"
            or getattr(searcher, "pit", None) is not None):
        return None
    from .security import access as security

    if security.current() is not None:
        return None
    kept = {k: v for k, v in sorted(params.items()) if k not in _IGNORED_PARAMS}
    scopes = [[t.index.name, t.alias_filter] for t in targets]  # an alias filter changes what a shard answers
    lookups: list[Any] = []
    if not _deterministic([body, kept, scopes], engine, lookups):
        return None
    try:
        text = orjson.dumps([scopes, body, kept, lookups], option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    return text.decode()


def _deterministic(body: Any, engine: Engine, lookups: list[Any]) -> bool:
    """False when the request reads the clock, a random source, or a document it cannot pin down."""
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _NOW.match(node) is not None:
                return False
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            random = node.get("random_score")
            if random is not None and not (isinstance(random, dict) and "seed" in random):
                return False
            script = node.get("script")
            if script is not None and _NONDETERMINISTIC.search(str(script)):
                return False
            for name_key, id_key in (("index", "id"), ("_index", "_id")):
                if isinstance(node.get(name_key), str) and id_key in node:
                    pinned = _document_version(engine, node[name_key], node[id_key])
                    if pinned is _UNCACHED:
                        return False
                    lookups.append([node[name_key], str(node[id_key]), pinned])
            stack.extend(node.values())
    return True


def _document_version(engine: Engine, name: str, doc_id: Any) -> Any:
    index = engine.indices.get(name)
    if index is None:
        return _UNCACHED  # an alias or a pattern: not pinned down here, so not cached
    state = index.docs.get(str(doc_id))
    return None if state is None else [state.seq_no, state.primary_term]


def _entries(index: Any) -> dict[str, bytes]:
    """The index's cache entries for its current reader (a new reader starts empty, as in ES)."""
    seg = index.segment
    reader = (seg.visible_live, index.mapping.version)
    cache = getattr(index, "request_cache", None)
    held = getattr(index, "request_cache_reader", None)
    if (not isinstance(cache, dict) or held is None or held[0]() is not seg or held[1] is not reader[0]
            or held[2] != reader[1]):
        cache = {}
        index.request_cache = cache
        index.request_cache_reader = (weakref.ref(seg), *reader)
        index.stats["request_cache_memory_size_in_bytes"] = 0
    return cache


def _store(index: Any, entries: dict[str, bytes], key: str, blob: bytes) -> None:
    stats = index.stats
    old = entries.pop(key, None)
    size = stats.get("request_cache_memory_size_in_bytes", 0)
    if old is not None:
        size -= len(key) + len(old)
    entries[key] = blob
    size += len(key) + len(blob)
    while size > MAX_BYTES_PER_INDEX and len(entries) > 1:
        first = next(iter(entries))
        size -= len(first) + len(entries.pop(first))
        _bump(index, "request_cache_evictions")
    stats["request_cache_memory_size_in_bytes"] = size


def _bump(index: Any, stat: str) -> None:
    index.stats[stat] = index.stats.get(stat, 0) + 1


__all__ = ["cached_search"]
