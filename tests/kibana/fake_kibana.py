"""A tiny in-process Kibana that implements the saved objects `_import` and `_export` APIs like Kibana 8.x.

It checks what real Kibana checks (kbn-xsrf on writes, credentials, the space in the path, a
multipart `file` part holding NDJSON, references that resolve) and records every request so tests
can assert on the wire format.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SUPPORTED = {"index-pattern", "lens", "dashboard", "search", "visualization", "tag"}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeKibana:
    """State of the fake: objects per space, accepted Authorization headers, recorded requests."""

    authorization: set[str]
    spaces: set[str] = field(default_factory=lambda: {"default"})
    store: dict[str, dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def objects(self, space: str = "default") -> dict[tuple[str, str], dict[str, Any]]:
        return self.store.setdefault(space, {})

    # --------------------------------------------------------------- handlers
    def handle(self, req: Request) -> tuple[int, str, bytes]:
        self.requests.append(req)
        if req.headers.get("authorization") not in self.authorization:
            return _error(401, "Unauthorized", "[security_exception]: unable to authenticate user")
        space, path = "default", req.path
        if path.startswith("/s/"):
            _, _, space, rest = path.split("/", 3)
            path = "/" + rest
        if space not in self.spaces:
            return _error(404, "Not Found", "Not Found")
        if req.method == "POST" and "kbn-xsrf" not in req.headers:
            return _error(400, "Bad Request", "Request must contain a kbn-xsrf header.")
        if req.method == "POST" and path == "/api/saved_objects/_import":
            return self._import(req, space)
        if req.method == "POST" and path == "/api/saved_objects/_export":
            return self._export(req, space)
        return _error(404, "Not Found", "Not Found")

    def _import(self, req: Request, space: str) -> tuple[int, str, bytes]:
        content_type = req.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            return _error(415, "Unsupported Media Type", "Unsupported Media Type")
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + req.body)
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        if "file" not in parts or not str(parts["file"].get_filename()).endswith(".ndjson"):
            return _error(400, "Bad Request", "[request body.file]: expected value of type [object] but got [undefined]")
        lines = [json.loads(line) for line in parts["file"].get_payload(decode=True).decode().splitlines() if line]
        overwrite = req.query.get("overwrite") == ["true"]
        store = self.objects(space)
        batch = {(o["type"], o["id"]) for o in lines}
        ok: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for obj in lines:
            key = (obj["type"], obj["id"])
            title = obj["attributes"].get("title", obj["id"])
            base = {"type": obj["type"], "id": obj["id"], "meta": {"title": title}}
            missing = [r for r in obj.get("references", []) if (r["type"], r["id"]) not in batch | set(store)]
            if obj["type"] not in SUPPORTED:
                errors.append({**base, "title": title, "error": {"type": "unsupported_type"}})
            elif missing:
                errors.append({**base, "title": title, "error": {"type": "missing_references", "references": [
                    {"type": r["type"], "id": r["id"]} for r in missing]}})
            elif key in store and not overwrite:
                errors.append({**base, "title": title, "error": {"type": "conflict"}})
            else:
                existed = key in store
                store[key] = json.loads(json.dumps(obj))
                ok.append({**base, **({"overwrite": True} if existed else {})})
        body: dict[str, Any] = {"success": not errors, "successCount": len(ok), "successResults": ok,
                                "warnings": []}
        if errors:
            body["errors"] = errors
        return 200, "application/json", json.dumps(body).encode()

    def _export(self, req: Request, space: str) -> tuple[int, str, bytes]:
        body = json.loads(req.body)
        store = self.objects(space)
        wanted = [(o["type"], o["id"]) for o in body["objects"]]
        absent = [k for k in wanted if k not in store]
        if absent:
            return 400, "application/json", json.dumps({
                "statusCode": 400, "error": "Bad Request", "message": "Error fetching objects to export",
                "attributes": {"objects": [{"type": t, "id": i, "error": {"statusCode": 404}} for t, i in absent]},
            }).encode()
        seen: list[tuple[str, str]] = []
        queue = list(wanted)
        missing: list[dict[str, str]] = []
        while queue:
            key = queue.pop(0)
            if key in seen:
                continue
            if key not in store:
                missing.append({"type": key[0], "id": key[1]})
                continue
            seen.append(key)
            if body.get("includeReferencesDeep"):
                queue += [(r["type"], r["id"]) for r in store[key]["references"]]
        lines = []
        for key in sorted(seen):
            obj = dict(store[key])
            obj.update({"updated_at": "2026-01-01T00:00:00.000Z", "created_at": "2026-01-01T00:00:00.000Z",
                        "version": "WzEsMV0=", "managed": False})
            lines.append(json.dumps(obj))
        lines.append(json.dumps({"excludedObjects": [], "excludedObjectsCount": 0, "exportedCount": len(seen),
                                 "missingRefCount": len(missing), "missingReferences": missing}))
        return 200, "application/ndjson", ("\n".join(lines) + "\n").encode()


def _error(status: int, error: str, message: str) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps({"statusCode": status, "error": error, "message": message}).encode()


def serve(fake: FakeKibana) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Serve `fake` on 127.0.0.1 (a free port); sets `fake.url`. Call `server.shutdown()` when done."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer()

        def do_GET(self) -> None:  # noqa: N802
            self._answer()

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            req = Request(self.command, parts.path, parse_qs(parts.query),
                          {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
            status, content_type, payload = fake.handle(req)
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread
