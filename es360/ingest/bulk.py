"""Bulk writes that survive a busy or flaky cluster: retries with backoff, per-item outcomes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from elastic_transport import NdjsonSerializer, SerializationError
from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as EsConnectionError

from es360.errors import Es360Error

RETRYABLE_STATUS = {429, 502, 503, 504}
# a whole bulk request refused with one of these may be one document's fault (a body over
# http.max_content_length, a document that breaks the request): the batch is split until it is isolated
SPLITTABLE_STATUS = {400, 413, 500}


class _RequestRefused(Exception):
    """A whole bulk request was refused with a SPLITTABLE_STATUS."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


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
        self._dumps = line_serializer(es)

    def encode(self, actions: list[Action]) -> list[bytes]:
        """Each action's two NDJSON lines, serialized exactly as the client would serialize them.

        Encoding ahead of `write` lets a caller do it while the previous bulk request is in flight.
        """
        dumps = self._dumps
        return [dumps({"index": {"_index": a.index, "_id": a.key}}) + b"\n" + dumps(a.doc) + b"\n"
                for a in actions]

    def write(self, actions: list[Action], encoded: list[bytes] | None = None) -> list[Outcome]:
        """Outcomes in the same order as `actions`; `encoded`: what `encode(actions)` returned."""
        return self._write(encoded if encoded is not None else self.encode(actions))

    def _write(self, lines: list[bytes]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(lines)
        pending = list(range(len(lines)))
        for attempt in range(self.max_retries + 1):
            try:
                items = self._send([lines[i] for i in pending], attempt)
            except _RequestRefused as refused:  # one document can fail a whole request: isolate it
                if len(pending) == 1:
                    outcomes[pending[0]] = Outcome(refused.status, reason=refused.reason)
                else:
                    half = len(pending) // 2
                    for part in (pending[:half], pending[half:]):
                        for i, outcome in zip(part, self._write([lines[i] for i in part]), strict=True):
                            outcomes[i] = outcome
                break
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

    def _send(self, lines: list[bytes], attempt: int) -> list[dict[str, Any]]:
        operations = b"".join(lines)  # the client sends an NDJSON body given as bytes as it is
        for retry in range(self.max_retries + 1):
            try:
                response = self.es.bulk(operations=operations, require_alias=True)  # type: ignore[arg-type]
                return list(response["items"])
            except (EsConnectionError, TransportError) as exc:
                if retry == self.max_retries:
                    raise Es360Error(f"Elasticsearch could not be reached after {retry} retries: "
                                     f"{str(exc).splitlines()[0][:200]}") from None
            except ApiError as exc:
                if exc.status_code in SPLITTABLE_STATUS:
                    raise _RequestRefused(exc.status_code, _reason(getattr(exc, "body", None) or {})) from None
                if exc.status_code not in RETRYABLE_STATUS or retry == self.max_retries:
                    raise Es360Error(f"Elasticsearch rejected a bulk request ({exc.status_code}): "
                                     f"{_reason(getattr(exc, 'body', None) or {})}") from None
            self._wait(retry)
        raise AssertionError("unreachable")

    def _wait(self, attempt: int) -> None:
        self.retries += 1
        self.sleep(min(self.backoff_s * (2 ** attempt), 30.0))


def line_serializer(es: Any) -> Callable[[Any], bytes]:
    """The client's own JSON serialization of one NDJSON line (the default one for a stand-in client)."""
    try:
        serializer = es.transport.serializers.get_serializer("application/x-ndjson")
        dumps: Callable[[Any], bytes] = serializer.json_dumps
    except (AttributeError, SerializationError):
        dumps = NdjsonSerializer().json_dumps
    return dumps


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
