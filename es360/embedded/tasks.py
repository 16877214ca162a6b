"""Background tasks (`wait_for_completion=false`) and the _tasks API's view of them."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import EsError

NODE_ID = "es360node"


@dataclass
class Task:
    """One long-running action: its status while it runs and its response when done."""

    id: int
    action: str
    description: str
    start_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    start_ns: int = field(default_factory=time.monotonic_ns)
    status: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    cancelled: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the by-query job, for rethrottling

    @property
    def task_id(self) -> str:
        return f"{NODE_ID}:{self.id}"

    def info(self) -> dict[str, Any]:
        return {
            "node": NODE_ID, "id": self.id, "type": "transport", "action": self.action,
            "status": self.status, "description": self.description, "start_time_in_millis": self.start_ms,
            "running_time_in_nanos": time.monotonic_ns() - self.start_ns, "cancellable": True,
            "cancelled": self.cancelled, "headers": {},
        }


class TaskCancelled(Exception):
    """Raised inside a task's work when it has been cancelled."""


class TaskManager:
    """Runs tasks on threads and keeps finished results for `GET _tasks/{id}`."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.tasks: dict[int, Task] = {}
        self._lock = threading.Lock()

    def start(self, action: str, description: str, work: Callable[[Task], dict[str, Any]]) -> Task:
        """Run `work(task)` in the background; its return value becomes the task's response."""
        with self._lock:
            task = Task(next(self._ids), action, description)
            self.tasks[task.id] = task

        def run() -> None:
            try:
                task.response = work(task)
            except TaskCancelled:
                task.error = {"type": "task_cancelled_exception", "reason": "by user request"}
            except EsError as err:
                task.error = err.to_dict()
            except Exception as exc:  # noqa: BLE001 - a task reports its failure instead of dying silently
                task.error = {"type": "exception", "reason": f"{type(exc).__name__}: {exc}"}
            finally:
                task.done.set()

        threading.Thread(target=run, name=f"es360-task-{task.id}", daemon=True).start()
        return task

    def get(self, task_id: str) -> Task:
        node, _, number = task_id.partition(":")
        if not number.isdigit():
            raise EsError(400, "illegal_argument_exception", f"malformed task id {task_id}")
        task = self.tasks.get(int(number)) if node == NODE_ID else None
        if task is None:
            raise EsError(404, "resource_not_found_exception", f"task [{task_id}] isn't running and hasn't stored "
                                                               f"its results")
        return task

    def running(self) -> list[Task]:
        return [t for t in self.tasks.values() if not t.done.is_set()]
