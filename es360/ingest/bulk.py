"""Bulk writes that survive a busy or flaky cluster: retries with backoff, per-item outcomes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as EsConnectionError

from es360.errors import Es360Error

RETRYABLE_STATUS = {429, 502, 503, 504}


@dataclass(slots=True)
class Action:
    """One document to write: the alias, the key es360 sends as `_id`, and the document."""

    index: str
    key: str
    doc: dict[str, Any]


@dataclass(slots=True)
class Outcome:
    """What happened to one action: created, updated (already there), or failed with a reason."""

    status: int
    result: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


class BulkWriter:
    """Writes actions with op_type `index` to aliases (`require_alias`), retrying what can be retried."""

    def __init__(self, es: Elasticsearch, max_retries: int = 6, backoff_s: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.es = es
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.retries = 0

    def write(self, actions: list[Action]) -> list[Outcome]:
        """Outcomes in the same order as `actions`."""
        outcomes: list[Outcome | None] = [None] * len(actions)
        pending = list(range(len(actions)))
        for attempt in range(self.max_retries + 1):
            items = self._send([actions[i] for i in pending], attempt)
            retry = []
            for i, item in zip(pending, items, strict=True):
                result = item.get("index", {})
                status = int(result.get("status", 500))
                if status in RETRYABLE_STATUS and attempt < self.max_retries:
                    retry.append(i)
                    continue
                if "error" in result:
                    outcomes[i] = Outcome(status, reason=_reason(result["error"]))
                else:
                    outcomes[i] = Outcome(status, result.get("result"))
            if not retry:
                break
            pending = retry
            self._wait(attempt)
        return [o if o is not None else Outcome(429, reason="still rejected after retries (cluster busy)")
                for o in outcomes]

    def _send(self, batch: list[Action], attempt: int) -> list[dict[str, Any]]:
        operations: list[dict[str, Any]] = []
        for action in batch:
            operations.append({"index": {"_index": action.index, "_id": action.key}})
            operations.append(action.doc)
        for retry in range(self.max_retries + 1):
            try:
                response = self.es.bulk(operations=operations, require_alias=True)
                return list(response["items"])
            except (EsConnectionError, TransportError) as exc:
                if retry == self.max_retries:
                    raise Es360Error(f"Elasticsearch could not be reached after {retry} retries: "
                                     f"{str(exc).splitlines()[0][:200]}") from None
            except ApiError as exc:
                if exc.status_code not in RETRYABLE_STATUS or retry == self.max_retries:
                    raise Es360Error(f"Elasticsearch rejected a bulk request ({exc.status_code}): "
                                     f"{_reason(getattr(exc, 'body', None) or {})}") from None
            self._wait(retry)
        raise AssertionError("unreachable")

    def _wait(self, attempt: int) -> None:
        self.retries += 1
        self.sleep(min(self.backoff_s * (2 ** attempt), 30.0))


def _reason(error: Any) -> str:
    if isinstance(error, dict):
        inner = error.get("error", error)
        if isinstance(inner, dict):
            text = f"{inner.get('type', 'error')}: {inner.get('reason', '')}"
            cause = inner.get("caused_by")
            if isinstance(cause, dict) and cause.get("reason"):
                text += f" ({cause['reason']})"
            return text
        return str(inner)
    return str(error)
