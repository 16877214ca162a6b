"""A resolution run keeps its long-lived data out of full collections, and gives it back at the end."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from es360.identity.resolve import _RunData


@pytest.fixture(autouse=True)
def engine_still(es_server: Any) -> Iterator[None]:
    """The session's in-process engine pauses the collector for its own requests: hold it still."""
    with es_server.engine.lock if es_server is not None else contextlib.nullcontext():
        yield


def test_kept_data_is_frozen_during_the_run_and_collectable_after_it() -> None:
    assert gc.get_freeze_count() == 0
    kept = _RunData()
    with kept.building():
        assert not gc.isenabled()
        records = [[n] for n in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(records)
    kept.keep()
    kept.release()
    assert gc.get_freeze_count() == 0
    assert any(o is records for o in gc.get_objects(generation=2))


def test_objects_someone_else_froze_stay_frozen() -> None:
    theirs = [[1]]
    gc.freeze()
    try:
        kept = _RunData()
        with kept.building():
            assert gc.isenabled()  # not ours to pause either
        kept.keep()
        kept.release()
        assert gc.get_freeze_count() > 0
        assert not any(o is theirs for o in gc.get_objects())  # still frozen: in no generation
    finally:
        gc.unfreeze()
    assert any(o is theirs for o in gc.get_objects())
