"""Pausing Python's cyclic garbage collector while the engine builds index data in bulk."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Run the block without cyclic collections (reference counting still frees everything acyclic).

    Otherwise each collection during a bulk write promotes the request's short-lived objects towards
    the oldest generation, and full collections walk the whole index data far more often than it
    grows. The collector is re-enabled afterwards only if it was enabled before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
