"""One bulk request in flight while the caller reads and maps the next batch.

Elasticsearch (or the embedded engine, in its own process) spends most of an ingest run working
on a bulk request; reading and mapping rows is the client's share. `InFlight` sends each batch on
a worker thread and hands back the *previous* batch's outcomes, so both sides work at once while
every batch is still sent, answered and handled one after the other, in file order: the caller
handles a batch's outcomes (counts, dead letters, checkpoint) only after its response arrived.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from es360.ingest.bulk import Outcome

T = TypeVar("T")


class InFlight(Generic[T]):
    """At most one write running at a time; `T` is what the caller keeps to handle its outcomes."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._pending: tuple[T, Future[list[Outcome]]] | None = None

    def submit(self, batch: T, write: Callable[[], list[Outcome]]) -> tuple[T, list[Outcome]] | None:
        """Wait for the write in flight (if any), start `write` (the bulk request of `batch`), and
        return the finished write's batch and outcomes. A failed write raises here, and `write`
        is then not started."""
        done = self.wait()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="es360-bulk")
        self._pending = (batch, self._executor.submit(write))
        return done

    def wait(self) -> tuple[T, list[Outcome]] | None:
        """The write in flight, once it has finished (None if there is none); its error is raised."""
        if self._pending is None:
            return None
        batch, future = self._pending
        try:
            return batch, future.result()
        finally:
            if future.done():  # interrupted while waiting: still pending, for the caller's clean-up
                self._pending = None

    def close(self) -> None:
        """Stop the worker thread (after any write still running: it cannot be taken back)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
