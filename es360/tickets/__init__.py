"""Support tickets: embedding backfill (and the on-ingest hook) and keyword/semantic/hybrid ticket search.

Names load lazily, so `import es360.tickets` (and the CLI's `--help`) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"BackfillReport": "backfill", "backfill_embeddings": "backfill", "count_stale": "backfill",
            "embed_new_tickets": "backfill", "stale_query": "backfill", "MODES": "search", "TicketHit": "search",
            "TicketResults": "search", "search_tickets": "search"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"es360.tickets.{module}"), name)
