"""Search contexts that outlive one request: points in time and scrolls.

A point in time freezes each index's visible documents: the visible (refreshed) live flags and
`max_doc` at open time, the segment object itself (a compaction replaces `Index.segment`, leaving
the old one intact), the sources list of that segment and a copy of the doc states. Searches
through the PIT see an `IndexView` over that frozen state (its segment is a `SegmentView`, so
every query that asks the segment for its live docs sees the frozen flags). A scroll is a PIT plus a cursor over the already-ranked result.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from .errors import EsError, illegal_argument

DEFAULT_MAX_KEEP_ALIVE = 24 * 3600 * 1000
DEFAULT_KEEP_ALIVE = 5 * 60 * 1000


class SegmentView:
    """A segment whose visibility is frozen (reads fall through to the live segment object).

    Later writes only append docnums or clear live flags, so freezing the visible flags and
    `max_doc` is enough to see the segment as it was.
    """

    def __init__(self, seg: Any) -> None:
        self._seg = seg
        self.frozen_max_doc = seg.max_doc
        self.frozen_live = seg.live_mask()[: seg.max_doc].copy()
        self.frozen_root = np.frombuffer(bytes(seg.root), dtype=np.uint8).astype(bool)[: seg.max_doc]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._seg, name)

    def live_mask(self) -> np.ndarray:
        n = len(self._seg.ids)
        mask = np.zeros(n, dtype=bool)
        m = min(n, self.frozen_max_doc)
        mask[:m] = self.frozen_live[:m]
        return mask

    def root_mask(self) -> np.ndarray:
        mask = self.live_mask()
        m = min(len(mask), self.frozen_max_doc)
        mask[:m] &= self.frozen_root[:m]
        return mask

    def is_visible(self, docnum: int) -> bool:
        return docnum < self.frozen_max_doc and bool(self.frozen_live[docnum])


class IndexView:
    """An index as it was when a point in time was opened (attribute reads fall through to the index)."""

    def __init__(self, index: Any) -> None:
        self._index = index
        self.segment = SegmentView(index.segment)
        self.max_doc = self.segment.frozen_max_doc
        # Sources stay in place until a compaction, which builds a new list: keeping a reference to
        # the current list keeps every source this view can return.
        self.sources = index.sources
        self.docs = dict(index.docs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)

    @property
    def real(self) -> Any:
        return self._index

    def source_bytes(self, docnum: int) -> bytes | None:
        if docnum >= len(self.sources):
            return None
        return self.sources[docnum]

    def source(self, state: Any) -> dict[str, Any]:
        raw = self.source_bytes(state.docnum)
        return orjson.loads(raw) if raw is not None else {}

    def get(self, doc_id: str) -> Any:
        return self.docs.get(doc_id)

    def scope(self) -> np.ndarray:
        """Visible root docs, padded with False up to the segment's current size."""
        return self.segment.root_mask()

    @property
    def doc_count(self) -> int:
        return len(self.docs)


@dataclass
class PointInTime:
    id: str
    views: list[tuple[IndexView, dict[str, Any] | None]]  # (view, alias filter)
    keep_alive: int
    expires: float
    scroll: bool = False


@dataclass
class ScrollState:
    """A scroll: its frozen view (for expiry) and the cursor over its ranked result."""

    id: str
    pit: PointInTime
    cursor: Any = None


class SearchContexts:
    """Registry of open points in time and scrolls (kept in `engine.extensions`)."""

    def __init__(self) -> None:
        self.pits: dict[str, PointInTime] = {}
        self.scrolls: dict[str, ScrollState] = {}

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, p in self.pits.items() if p.expires < now]:
            del self.pits[key]
        for key in [k for k, s in self.scrolls.items() if s.pit.expires < now]:
            del self.scrolls[key]

    def freeze(self, targets: list[Any], keep_alive: int, kind: str = "pit") -> PointInTime:
        """Frozen views of the targets (not registered)."""
        views = [(IndexView(t.index.real if isinstance(t.index, IndexView) else t.index), t.alias_filter)
                 for t in targets]
        return PointInTime(_new_id(kind), views, keep_alive, time.monotonic() + keep_alive / 1000.0,
                           scroll=kind == "scroll")

    def open_pit(self, targets: list[Any], keep_alive: int) -> PointInTime:
        self._sweep()
        pit = self.freeze(targets, keep_alive)
        self.pits[pit.id] = pit
        return pit

    def get_pit(self, pit_id: str, keep_alive: int | None) -> PointInTime:
        self._sweep()
        pit = self.pits.get(pit_id)
        if pit is None:
            _decode(pit_id)
            raise context_missing(pit_id)
        if keep_alive is not None:
            pit.keep_alive = keep_alive
        pit.expires = time.monotonic() + pit.keep_alive / 1000.0
        return pit

    def close_pit(self, pit_id: str) -> bool:
        return self.pits.pop(pit_id, None) is not None

    def add_scroll(self, state: ScrollState) -> None:
        self._sweep()
        self.scrolls[state.id] = state

    def get_scroll(self, scroll_id: str, keep_alive: int | None) -> ScrollState:
        self._sweep()
        state = self.scrolls.get(scroll_id)
        if state is None:
            raise context_missing(scroll_id)
        if keep_alive is not None:
            state.pit.keep_alive = keep_alive
        state.pit.expires = time.monotonic() + state.pit.keep_alive / 1000.0
        return state

    def clear_scroll(self, scroll_id: str) -> bool:
        return self.scrolls.pop(scroll_id, None) is not None

    def clear_all_scrolls(self) -> int:
        n = len(self.scrolls)
        self.scrolls.clear()
        return n


def registry(engine: Any) -> SearchContexts:
    found = engine.extensions.get("search_contexts")
    if found is None:
        found = engine.extensions["search_contexts"] = SearchContexts()
    return found


def _new_id(kind: str) -> str:
    raw = orjson.dumps({"k": kind, "r": secrets.token_hex(12)})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str) -> dict[str, Any]:
    try:
        padded = text + "=" * (-len(text) % 4)
        return orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except Exception:  # noqa: BLE001 - any malformed id is the same user error
        raise illegal_argument("Cannot parse scroll id") from None


def context_missing(context_id: str) -> EsError:
    return EsError(404, "search_context_missing_exception", f"No search context found for id [{context_id}]")


def max_keep_alive(engine: Any) -> int:
    from .dates import parse_time_value

    value = _cluster_setting(engine, "search.max_keep_alive")
    return parse_time_value(value, "search.max_keep_alive") if value else DEFAULT_MAX_KEEP_ALIVE


def default_keep_alive(engine: Any) -> int:
    from .dates import parse_time_value

    value = _cluster_setting(engine, "search.default_keep_alive")
    return parse_time_value(value, "search.default_keep_alive") if value else DEFAULT_KEEP_ALIVE


def _cluster_setting(engine: Any, name: str) -> Any:
    """A dynamic cluster setting, when the cluster settings API keeps them in engine.extensions."""
    settings = engine.extensions.get("cluster_settings")
    if settings is None:
        return None
    getter = getattr(settings, "get", None)
    if getter is None:
        return None
    for key in (name, f"transient.{name}", f"persistent.{name}"):
        try:
            value = getter(key)
        except Exception:  # noqa: BLE001 - tolerate any settings store shape
            value = None
        if value is not None:
            return value
    for section in ("transient", "persistent"):
        try:
            nested = getter(section)
        except Exception:  # noqa: BLE001
            nested = None
        if isinstance(nested, dict) and nested.get(name) is not None:
            return nested[name]
    return None


def parse_keep_alive(engine: Any, value: Any, what: str = "keep_alive") -> int:
    from .dates import parse_time_value

    millis = parse_time_value(str(value), what)
    limit = max_keep_alive(engine)
    if millis > limit:
        raise illegal_argument(f"Keep alive for request ({_show_time(millis)}) is too large. It must be less than "
                               f"({_show_time(limit)}). This limit can be set by changing the "
                               f"[search.max_keep_alive] cluster level setting.")
    return millis


def _show_time(millis: int) -> str:
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if millis >= size and millis % size == 0:
            return f"{millis // size}{unit}"
    return f"{millis}ms"


__all__ = ["IndexView", "PointInTime", "ScrollState", "SearchContexts", "registry", "context_missing",
           "parse_keep_alive", "default_keep_alive"]
