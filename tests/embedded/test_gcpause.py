"""The collector pause around requests: what a request leaves goes to the oldest generation untraversed,
and cyclic garbage among such objects stays bounded (full collections catch up with it)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from es360.embedded import gcpause
from es360.embedded.gcpause import _Settler, no_cyclic_gc


@pytest.fixture()
def collector_enabled(es_server: Any) -> Iterator[None]:
    """The collector on, and the session's in-process engine (whose requests and refreshes pause
    and settle it too) held still meanwhile."""
    with es_server.engine.lock if es_server is not None else contextlib.nullcontext():
        was = gc.isenabled()
        gc.enable()
        yield
        if not was:
            gc.disable()


def in_oldest_generation(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects(generation=2))


def test_what_a_large_pause_leaves_goes_straight_to_the_oldest_generation(collector_enabled: None) -> None:
    gc.collect()
    with no_cyclic_gc():
        assert not gc.isenabled()
        kept = [[n] for n in range(gcpause.MOVE_MIN * 2)]  # index data built by a bulk request
        assert gc.get_count()[0] >= gcpause.MOVE_MIN
    assert gc.isenabled()
    assert gc.get_count()[0] < gcpause.MOVE_MIN  # nothing young left to traverse
    assert in_oldest_generation(kept) and in_oldest_generation(kept[-1])


def test_a_small_pause_is_left_to_the_young_collections(collector_enabled: None) -> None:
    gc.collect()
    with no_cyclic_gc():
        kept = [[n] for n in range(100)]
    assert gc.isenabled()
    assert not in_oldest_generation(kept)


def test_an_inner_pause_leaves_the_collector_to_the_outer_one(collector_enabled: None) -> None:
    with no_cyclic_gc():
        with no_cyclic_gc():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_cyclic_garbage_moved_by_many_pauses_stays_bounded(monkeypatch: pytest.MonkeyPatch,
                                                          collector_enabled: None) -> None:
    """Moved objects are never traversed by young collections; full collections forced by the moved
    count are what frees cycles among them, so the tracked objects do not grow without bound."""
    monkeypatch.setattr(gcpause, "RATIO", 1)
    monkeypatch.setattr(gcpause, "FULL_MIN", 50_000)
    settler = _Settler()
    was = gc.isenabled()
    gc.disable()  # only the settler may collect here
    try:
        gc.collect()
        start = len(gc.get_objects())
        peak = start
        for _ in range(12):
            for _ in range(40_000):  # cyclic garbage, as a failed bulk item's traceback leaves
                node: list[object] = []
                node.append(node)
            del node
            settler.settle()
            peak = max(peak, len(gc.get_objects()))
        assert settler.full_collections >= 2
        assert settler.collected >= 12 * 40_000 - 2 * max(start, 50_000) - 40_000
        # garbage never exceeds what the last full collection kept (RATIO 1) plus one round
        assert peak <= 2 * max(start, 50_000) + 2 * 40_000 + start
    finally:
        if was:
            gc.enable()


def test_objects_frozen_by_someone_else_stay_frozen(collector_enabled: None) -> None:
    theirs = [[1]]
    gc.freeze()
    try:
        with no_cyclic_gc():
            kept = [[n] for n in range(gcpause.MOVE_MIN * 2)]
        assert not any(o is theirs for o in gc.get_objects())  # still frozen: in no generation
        assert kept
    finally:
        gc.unfreeze()
