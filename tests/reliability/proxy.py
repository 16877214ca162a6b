"""A fault-injecting HTTP proxy in front of Elasticsearch (or the embedded engine).

Every request is forwarded unchanged, except a seeded share of `_bulk` requests, which get one of:

- `429`: a whole-request 429 `es_rejected_execution_exception` (nothing reaches the engine);
- `503`: a whole-request 503 `unavailable_shards_exception` (nothing reaches the engine);
- `item_429`: a random part of the bulk's documents is held back and answered with per-item 429s,
  the rest is forwarded (what a busy cluster does: some items rejected, the others written);
- `drop_request`: the connection is closed after reading half the body (nothing forwarded);
- `drop_response`: the request is forwarded and written, then the connection is closed halfway
  through the response (the client never learns the outcome: it must retry without duplicating).

`on_bulk(n)` runs after the n-th forwarded bulk request reached the engine and before its answer is
read: the engine-kill scenario kills the engine there. An unreachable engine is answered 502, as a
load balancer would. Counts of what happened are in `FaultProxy.counts`.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import socketserver
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

FAULTS = ("429", "503", "item_429", "drop_request", "drop_response")
ERRORS = {
    429: ("es_rejected_execution_exception", "rejected execution of bulk (injected by the fault proxy)"),
    502: ("bad_gateway", "the engine behind the fault proxy is unreachable"),
    503: ("unavailable_shards_exception", "primary shard is not active (injected by the fault proxy)"),
}


@dataclass
class Faults:
    """The share (0..1) of `_bulk` requests that get each fault; the rest pass through."""

    http_429: float = 0.0
    http_503: float = 0.0
    item_429: float = 0.0
    drop_request: float = 0.0
    drop_response: float = 0.0
    item_share: float = 0.3  # for item_429: the share of a bulk's documents answered 429
    seed: int = 7

    def pick(self, rng: random.Random) -> str | None:
        """One fault for a bulk request, or None to pass it through."""
        roll = rng.random()
        for name, share in zip(FAULTS, (self.http_429, self.http_503, self.item_429, self.drop_request,
                                        self.drop_response), strict=True):
            if roll < share:
                return name
            roll -= share
        return None


@dataclass
class _Request:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


class FaultProxy:
    """A threaded HTTP/1.1 proxy on 127.0.0.1; `url` is where clients connect."""

    def __init__(self, upstream: str, faults: Faults | None = None,
                 on_bulk: Callable[[int], None] | None = None) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 9200)
        self.faults = faults or Faults()
        self.on_bulk = on_bulk
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.connection, self.rfile)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self._server.daemon_threads = True
        self._server.allow_reuse_address = True
        self._server.server_bind()
        self._server.server_activate()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- one client connection ---------------------------------------------------------------------
    def _serve(self, conn: socket.socket, rfile: Any) -> None:
        upstream: http.client.HTTPConnection | None = None
        try:
            while True:
                head = _read_head(rfile)
                if head is None:
                    return
                method, target, headers = head
                length = int(next((v for k, v in headers if k.lower() == "content-length"), "0") or 0)
                is_bulk = "/_bulk" in target.split("?")[0]
                fault = self._pick() if is_bulk else None
                if fault == "drop_request":
                    rfile.read(length // 2)
                    self._count("drop_request")
                    return  # closing with unread data: the client sees a reset mid-request
                request = _Request(method, target, headers, rfile.read(length) if length else b"")
                if fault in ("429", "503"):
                    self._count(fault)
                    conn.sendall(_error_response(int(fault)))
                    continue
                if upstream is None:
                    upstream = http.client.HTTPConnection(*self.upstream, timeout=300)
                answer = self._forward(upstream, request, is_bulk, fault)
                if answer is None:
                    upstream.close()
                    upstream = None
                    return  # the engine went away mid-request: so does the client's connection
                if fault == "drop_response":
                    self._count("drop_response")
                    conn.sendall(answer[: max(len(answer) // 2, 1)])
                    return
                conn.sendall(answer)
                if (request.header("connection") or "").lower() == "close":
                    return
        except (OSError, ValueError):
            return
        finally:
            if upstream is not None:
                upstream.close()

    def _pick(self) -> str | None:
        with self._lock:
            return self.faults.pick(self._rng)

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def _forward(self, upstream: http.client.HTTPConnection, request: _Request, is_bulk: bool,
                 fault: str | None) -> bytes | None:
        """The engine's answer as raw HTTP bytes (None if the engine died), with item_429 applied."""
        held: list[int] = []
        body = request.body
        if fault == "item_429":
            body, held = self._hold_back(body)
        if not body and held:  # every document held back: nothing to send
            return _bulk_response([], held, _items_of(request.body))
        try:
            self._send(upstream, request, body)
        except (OSError, http.client.HTTPException):
            upstream.close()  # a stale keep-alive connection, or the engine is down: one fresh try
            try:
                self._send(upstream, request, body)
            except (OSError, http.client.HTTPException):
                upstream.close()
                self._count("engine_unreachable")
                return _error_response(502)
        if is_bulk:
            with self._lock:
                self.counts["bulk_forwarded"] += 1
                number = self.counts["bulk_forwarded"]
            if self.on_bulk is not None:
                self.on_bulk(number)
        try:
            response = upstream.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self._count("engine_lost_mid_request")
            return None
        if held and response.status == 200:
            self._count("item_429")
            self._count("items_429", len(held))
            return _bulk_response(json.loads(payload)["items"], held, _items_of(request.body))
        return _raw_response(response.status, response.reason, response.getheaders(), payload)

    def _send(self, upstream: http.client.HTTPConnection, request: _Request, body: bytes) -> None:
        upstream.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
        upstream.putheader("Host", f"{self.upstream[0]}:{self.upstream[1]}")
        for key, value in request.headers:
            if key.lower() not in ("content-length", "connection", "host"):
                upstream.putheader(key, value)
        upstream.putheader("Content-Length", str(len(body)))
        upstream.endheaders(body)

    def _hold_back(self, body: bytes) -> tuple[bytes, list[int]]:
        """Split a bulk body: the pairs to forward, and the positions of those answered 429."""
        lines = body.split(b"\n")
        pairs = [lines[i:i + 2] for i in range(0, len(lines) - 1, 2) if lines[i].strip()]
        with self._lock:
            held = [i for i in range(len(pairs)) if self._rng.random() < self.faults.item_share]
        skip = set(held)
        kept = [p for i, p in enumerate(pairs) if i not in skip]
        return b"".join(b"\n".join(p) + b"\n" for p in kept), held


def _read_head(rfile: Any) -> tuple[str, str, list[tuple[str, str]]] | None:
    line = rfile.readline(65537)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers = []
    while True:
        raw = rfile.readline(65537)
        if raw in (b"\r\n", b"\n", b""):
            break
        key, _, value = raw.decode("latin-1").partition(":")
        headers.append((key.strip(), value.strip()))
    return method, target, headers


def _raw_response(status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    skip = {"content-length", "transfer-encoding", "connection"}
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers if k.lower() not in skip]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _json_response(status: int, reason: str, doc: dict[str, Any]) -> bytes:
    headers = [("Content-Type", "application/vnd.elasticsearch+json;compatible-with=8"),
               ("X-Elastic-Product", "Elasticsearch")]
    return _raw_response(status, reason, headers, json.dumps(doc).encode())


def _error_response(status: int) -> bytes:
    kind, reason = ERRORS[status]
    error = {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason}
    return _json_response(status, {429: "Too Many Requests", 502: "Bad Gateway", 503: "Service Unavailable"}[status],
                          {"error": error, "status": status})


def _items_of(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(op type, its metadata) of every action line of a bulk body."""
    out = []
    lines = [x for x in body.split(b"\n") if x.strip()]
    for action in lines[0::2]:
        op, meta = next(iter(json.loads(action).items()))
        out.append((op, meta))
    return out


def _bulk_response(forwarded: list[dict[str, Any]], held: list[int],
                   actions: list[tuple[str, dict[str, Any]]]) -> bytes:
    """The engine's items for the forwarded documents with 429 items spliced in at the held positions."""
    items: list[dict[str, Any]] = []
    sent = iter(forwarded)
    for i, (op, meta) in enumerate(actions):
        if i in held:
            kind, reason = ERRORS[429]
            items.append({op: {"_index": meta.get("_index"), "_id": meta.get("_id"), "status": 429,
                               "error": {"type": kind, "reason": reason}}})
        else:
            items.append(next(sent))
    return _json_response(200, "OK", {"took": 1, "errors": True, "items": items})
