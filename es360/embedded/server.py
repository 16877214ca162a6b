"""The HTTP server: ES wire conventions (product header, compatibility media types, error bodies)."""

from __future__ import annotations

import fcntl
import gzip
import logging
import os
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson

from . import DEFAULT_PORT
from .engine import Engine
from .errors import EsError
from .gcpause import no_cyclic_gc
from .rest import MethodNotAllowed, Request, Response, router

MAX_BODY = 100 * 1024 * 1024
log = logging.getLogger("es360.embedded")


def _load_handlers() -> None:
    from .api import load_all

    load_all()


def install_services(engine: Engine) -> None:
    """Start the engine's background services: periodic refresh, and transforms (which resume here)."""
    from .enrich import service as enrich
    from .ingest import install as install_ingest
    from .transforms import service as transforms

    install_ingest(engine)
    enrich(engine)
    engine.extensions["cluster_settings"] = engine.store.load_objects("cluster_settings")
    for index in engine.indices.values():
        index.refresh()  # recovered data is searchable at start, as after an ES restart
    engine.extensions["refresher"] = Refresher(engine)
    transforms(engine)


class Refresher:
    """Refreshes indices with unrefreshed writes every `index.refresh_interval` (default 1s)."""

    TICK_S = 0.1

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="es360-refresher", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        import time

        while not self._stop.wait(self.TICK_S):
            with self.engine.lock, no_cyclic_gc():  # a refresh builds index data, as a bulk request does
                now = time.monotonic()
                for index in list(self.engine.indices.values()):
                    if not index.dirty:
                        continue
                    try:
                        interval = index.refresh_interval_s()
                    except EsError:
                        interval = 1.0
                    if interval is not None and now - index.last_refresh >= interval:
                        index.refresh()

    def close(self) -> None:
        self._stop.set()


def shutdown(engine: Engine) -> None:
    """Stop background services, then close storage."""
    for extension in list(engine.extensions.values()):
        closer = getattr(extension, "close", None)
        if callable(closer):
            closer()
    engine.close()


class EngineHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], engine: Engine) -> None:
        super().__init__(address, _Handler)
        self.engine = engine


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms delayed-ACK stall per response
    server: EngineHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def _serve(self) -> None:
        split = urlsplit(self.path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        compat = "compatible-with" in headers.get("accept", "") + headers.get("content-type", "")
        if length > MAX_BODY:
            self._drain_and_close()
            err = EsError(413, "content_too_long_exception",
                          f"request body is too large: {length} bytes, limit is {MAX_BODY} bytes")
            self._send(Response(413, err.body()), compat, params, head=False)
            return
        try:
            body = self.rfile.read(length) if length else b""
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            return
        if len(body) < length:  # client went away mid-request: apply nothing
            self.close_connection = True
            return
        if headers.get("content-encoding") == "gzip" and body:
            body = gzip.decompress(body)
        path = unquote(split.path) if "%2F" not in split.path.upper() else split.path
        request = Request(self.command, path, params, body, headers, uri=self.path)
        response = dispatch(self.server.engine, request)
        self._send(response, compat, params, head=self.command == "HEAD")

    def _drain_and_close(self) -> None:
        self.close_connection = True

    def _send(self, response: Response, compat: bool, params: dict[str, str], head: bool) -> None:
        body = response.body
        content_type = response.content_type
        if body is None:
            payload = b""
        elif isinstance(body, (bytes, str)):
            payload = body.encode() if isinstance(body, str) else body
            content_type = content_type or "text/plain; charset=UTF-8"
        else:
            if params.get("filter_path"):
                body = filter_path(body, params["filter_path"])
            payload = json_payload(body, pretty=params.get("pretty") in ("", "true"))
            if content_type is None:
                content_type = ("application/vnd.elasticsearch+json;compatible-with=8" if compat
                                else "application/json")
        self.send_response(response.status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in response.headers.items():
            for one in value if isinstance(value, list) else [value]:  # a list: one header line per value
                self.send_header(key, one.encode("utf-8").decode("latin-1"))  # never drop the connection
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # headers and body leave in one write (end_headers() would flush the headers separately)
        self._headers_buffer.append(b"\r\n")
        data = b"".join(self._headers_buffer)
        self._headers_buffer = []
        self.wfile.write(data if head else data + payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve


def json_payload(body: Any, pretty: bool = False) -> bytes:
    """A response body as JSON; keys that are not strings (numbers, ...) are written as strings."""
    option = orjson.OPT_INDENT_2 if pretty else 0
    try:  # string keys only (nearly always): twice as fast as with OPT_NON_STR_KEYS
        return orjson.dumps(body, option=option)
    except orjson.JSONEncodeError:
        return orjson.dumps(body, option=option | orjson.OPT_NON_STR_KEYS)


def dispatch(engine: Engine, request: Request) -> Response:
    """Route one request and turn results and errors into ES-shaped responses; the response leaves
    only once what the request wrote is durable (committed outside the engine lock, see storage.py)."""
    durable = _Ticket()
    response = _respond(engine, request, durable)
    try:
        engine.wait_durable(durable.value)
    except Exception as exc:  # noqa: BLE001 - a write that is not durable is not acknowledged
        log.exception("commit failed on %s %s", request.method, request.path)
        return Response(500, EsError(500, "exception", f"{type(exc).__name__}: {exc}").body())
    return response


class _Ticket:
    """The durability ticket of a request's writes (0: none)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


def _respond(engine: Engine, request: Request, durable: _Ticket) -> Response:
    security = engine.extensions.get("security")
    try:
        if security is None:
            handler, path_params, _ = router.resolve(request.method, request.path)
            request.path_params = path_params
            with engine.lock, no_cyclic_gc():
                result = _run(engine, handler, request, durable)
        else:
            with engine.lock:
                subject = security.authenticate(request)
            handler, path_params, pattern = router.resolve(request.method, request.path)
            request.path_params = path_params
            with engine.lock, no_cyclic_gc(), security.authorize(subject, request, pattern):
                result = _run(engine, handler, request, durable)
                security.remember(subject, pattern, result)
    except MethodNotAllowed as exc:
        text = (f"Incorrect HTTP method for uri [{exc.path}] and method [{exc.method}], allowed: "
                f"[{', '.join(exc.allowed)}]")
        return Response(405, {"error": text, "status": 405})
    except EsError as err:
        if err.type == "no_handler":
            return Response(400, {"error": err.reason, "status": 400})
        return Response(err.status, err.body(), headers=dict(getattr(err, "headers", {})))
    except Exception as exc:  # noqa: BLE001 - the server must answer, with ES's 500 shape
        log.exception("internal error on %s %s", request.method, request.path)
        err = EsError(500, "exception", f"{type(exc).__name__}: {exc}")
        return Response(500, err.body())
    if isinstance(result, Response):
        return result
    if isinstance(result, tuple):
        status, body = result
        return Response(status, body)
    return Response(200, result)


def _run(engine: Engine, handler: Any, request: Request, durable: _Ticket) -> Any:
    """Run a handler (under the engine lock) and seal what it wrote, even when it fails: writes
    already applied in memory become durable too. The caller waits for them outside the lock."""
    try:
        return handler(engine, request)
    finally:
        durable.value = engine.seal()


# ---- filter_path ---------------------------------------------------------------------------------
def filter_path(body: Any, spec: str) -> Any:
    """Apply ES's `filter_path` response filtering (`a.b`, `*`, `**`, and `-exclusions`)."""
    includes = [p.split(".") for p in spec.split(",") if p and not p.startswith("-")]
    excludes = [p[1:].split(".") for p in spec.split(",") if p.startswith("-")]
    if includes:
        body = _include(body, includes)
        if body is None:
            body = {}
    if excludes:
        body = _exclude(body, excludes)
    return body


def _seg_match(pattern: str, key: str) -> bool:
    if pattern == "*":
        return True
    if "*" in pattern:
        import fnmatch

        return fnmatch.fnmatchcase(key, pattern)
    return pattern == key


def _below(paths: list[list[str]], key: str) -> list[list[str]]:
    """What is left of each path below `key` (an empty path: `key` itself matched)."""
    rest: list[list[str]] = []
    for p in paths:
        if p[0] == "**":  # any depth: keep looking below, and match the next part here
            rest.append(p)
            if len(p) > 1 and _seg_match(p[1], key):
                rest.append(p[2:])
        elif _seg_match(p[0], key):
            rest.append(p[1:])
    return rest


def _include(node: Any, paths: list[list[str]]) -> Any:
    if any(not p for p in paths):
        return node
    if isinstance(node, list):
        items = [_include(item, paths) for item in node]
        items = [i for i in items if i is not None]
        return items or None
    if not isinstance(node, dict):
        return None
    out: dict[str, Any] = {}
    for key, value in node.items():
        rest = _below(paths, key)
        if rest:
            kept = _include(value, rest)
            if kept is not None:
                out[key] = kept
    return out or None


def _exclude(node: Any, paths: list[list[str]]) -> Any:
    if isinstance(node, list):
        return [_exclude(item, paths) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        rest = _below(paths, key)
        if any(not r for r in rest):
            continue
        out[key] = _exclude(value, rest) if rest else value
    return out


# ---- lifecycle -----------------------------------------------------------------------------------
@dataclass
class RunningServer:
    """An engine serving HTTP in a background thread (tests, auto-start)."""

    url: str
    port: int
    engine: Engine
    httpd: EngineHTTPServer
    thread: threading.Thread

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        with self.engine.lock:
            shutdown(self.engine)


def start_server(data_dir: str | Path, port: int = 0, *, security: bool = False, elastic_password: str | None = None,
                 tls_cert: str | Path | None = None, tls_key: str | Path | None = None) -> RunningServer:
    """Start an engine on 127.0.0.1 in a background thread; port 0 picks a free port.

    `security=True` turns on authentication and authorization (`elastic_password` is the bootstrap
    password of the built-in superuser `elastic`); `tls_cert`/`tls_key` (PEM files) serve HTTPS.
    """
    engine, httpd = _open(data_dir, port, security, elastic_password, tls_cert, tls_key)
    thread = threading.Thread(target=httpd.serve_forever, name="es360-engine", daemon=True)
    thread.start()
    real_port = httpd.server_address[1]
    scheme = "https" if tls_cert else "http"
    return RunningServer(f"{scheme}://127.0.0.1:{real_port}", real_port, engine, httpd, thread)


def _open(data_dir: str | Path, port: int, security: bool, elastic_password: str | None,
          tls_cert: str | Path | None, tls_key: str | Path | None) -> tuple[Engine, EngineHTTPServer]:
    """An engine with its services (and security, when asked) and its HTTP server, not serving yet;
    on any failure the engine is shut down again."""
    _load_handlers()
    engine = Engine(data_dir)
    try:
        if security:
            from .security import install

            install(engine, elastic_password)
        install_services(engine)
        return engine, _http_server(engine, port, tls_cert, tls_key)
    except BaseException:
        with engine.lock:
            shutdown(engine)
        raise


def _http_server(engine: Engine, port: int, tls_cert: str | Path | None, tls_key: str | Path | None
                 ) -> EngineHTTPServer:
    """The HTTP server on 127.0.0.1:port, serving HTTPS with the given PEM certificate and key."""
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("HTTPS needs both a certificate (--tls-cert) and its private key (--tls-key)")
    httpd = EngineHTTPServer(("127.0.0.1", port), engine)
    if tls_cert is not None:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(str(tls_cert), str(tls_key))
        except (OSError, ssl.SSLError) as exc:
            httpd.server_close()
            raise ValueError(f"cannot load the TLS certificate {tls_cert} and key {tls_key}: {exc}") from None
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    return httpd


class DataDirLocked(RuntimeError):
    """Another engine already owns the data directory."""


def lock_data_dir(data_dir: Path) -> Any:
    """Take the data dir's exclusive lock (held for the process lifetime); raise if another engine has it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(data_dir / "engine.lock", "a+")  # noqa: SIM115 - kept open to hold the lock
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DataDirLocked(f"another engine is already running on data dir {data_dir}") from None
    return handle


def serve_forever(data_dir: str | Path, port: int = DEFAULT_PORT, *, security: bool = False,
                  elastic_password: str | None = None, tls_cert: str | Path | None = None,
                  tls_key: str | Path | None = None) -> None:
    """Run the engine in the foreground (python -m es360.embedded)."""
    data = Path(data_dir)
    lock = lock_data_dir(data)
    try:
        engine, httpd = _open(data, port, security, elastic_password, tls_cert, tls_key)
    except BaseException:
        lock.close()
        raise
    scheme = "https" if tls_cert else "http"
    info = {"pid": os.getpid(), "port": httpd.server_address[1],
            "url": f"{scheme}://127.0.0.1:{httpd.server_address[1]}", "security": security,
            "tls_cert": str(Path(tls_cert).resolve()) if tls_cert else None}
    (data / "engine.json").write_bytes(orjson.dumps(info))
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
        with engine.lock:
            shutdown(engine)
        (data / "engine.json").unlink(missing_ok=True)
        lock.close()
