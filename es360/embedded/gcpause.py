"""Pausing Python's cyclic garbage collector while the engine works on a request.

The server pauses it around every request and every periodic refresh (under the engine lock, so
a pause is one request's alone). While the collector is paused, reference counting still frees
everything acyclic: a search's hits and response die with the request instead of being promoted
to older generations by collections in its middle (which made searches trigger full collections).
Cyclic garbage a request makes waits for the end of the request (a bulk request also runs a young
collection every 20,000 items, for failed items' tracebacks).

What is left when a pause ends is mostly index data that lives as long as its index. Left to the
collector, those objects were traversed by a young collection, again by a middle one, and then
counted towards the next full collection, which walks all index data: with indices growing
request by request, full collections came every few bulk requests. So after a pause that leaves
many new objects, they are moved straight into the oldest generation (`gc.freeze()` then
`gc.unfreeze()`, which is documented to put them back there), untraversed and not counted towards
the collector's next full collection. They are not exempt from collection: every full collection
examines them and frees cyclic garbage among them. To keep such garbage bounded even when
nothing else triggers a full collection, one is run as soon as the objects moved since the last
one exceed RATIO times the objects that survived it (FULL_MIN at least): garbage that escaped the
young collections never exceeds RATIO times the live objects, and full collections walk the data
about (1 + RATIO) / RATIO times over its growth rather than about five times. When other code in
the process has frozen objects (`gc.get_freeze_count()`), the collector is left to itself, so as
not to unfreeze theirs.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

MOVE_MIN = 10_000  # fewer new objects than this are left to the collector's young collections
FULL_MIN = 1_000_000  # moved objects below this never force a full collection
RATIO = 4  # a full collection once the objects moved since the last one outnumber RATIO times what it kept


class _Settler:
    """Moves the objects a pause left into the oldest generation, with full collections as needed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.moved = 0  # objects moved since the last full collection this class ran
        self.kept = 0  # tracked objects that survived that collection
        self.moves = 0
        self.full_collections = 0
        self.collected = 0  # garbage objects the full collections of this class found

    def settle(self) -> None:
        with self.lock:
            young = gc.get_count()[0]  # objects allocated minus objects freed since the last young collection
            if young < MOVE_MIN or gc.get_freeze_count():
                return  # small, or someone else in this process froze objects: theirs stay frozen
            gc.freeze()
            gc.unfreeze()
            self.moves += 1
            self.moved += young
            if self.moved > max(RATIO * self.kept, FULL_MIN):
                self.collected += gc.collect()
                self.full_collections += 1
                self.kept = len(gc.get_objects())
                self.moved = 0


settler = _Settler()


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Run the block without cyclic collections (reference counting still frees everything acyclic).

    When the block leaves many new objects, they go straight to the oldest generation (see the
    module docstring). The collector is re-enabled afterwards only if it was enabled before (an
    inner pause inside an outer one leaves settling to the outer one).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            try:
                settler.settle()
            finally:
                gc.enable()
