"""REST plumbing: the request object handlers receive, responses, and the method+path router."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import orjson

from .errors import EsError, illegal_argument

TRUE_VALUES = {"", "true"}
FALSE_VALUES = {"false"}


@dataclass
class Request:
    """An HTTP request as handlers see it: method, path params, query params and raw body."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)
    uri: str = ""  # the path and query string as sent (security error messages quote it)
    _json: Any = None
    _parsed: bool = False
    consumed: set[str] = field(default_factory=set)

    @property
    def has_body(self) -> bool:
        return bool(self.body.strip())

    def json(self, required: bool = False) -> Any:
        """The body parsed as JSON (None if empty); malformed JSON raises ES's parse error."""
        if not self._parsed:
            self._parsed = True
            if not self.has_body:
                if required:
                    raise EsError(400, "parse_exception", "request body is required")
                self._json = None
            else:
                self._json = parse_json(self.body)
        return self._json

    def json_object(self, required: bool = False) -> dict[str, Any]:
        body = self.json(required)
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise EsError(400, "parse_exception", "request body must be a JSON object")
        return body

    def param(self, name: str, default: str | None = None) -> str | None:
        self.consumed.add(name)
        return self.params.get(name, default)

    def flag(self, name: str, default: bool = False) -> bool:
        self.consumed.add(name)
        value = self.params.get(name)
        if value is None:
            return default
        if value in TRUE_VALUES:
            return True
        if value in FALSE_VALUES:
            return False
        raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")

    def int_param(self, name: str, default: int | None = None) -> int | None:
        self.consumed.add(name)
        value = self.params.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise illegal_argument(f"Failed to parse int parameter [{name}] with value [{value}]") from None


def parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        line, col = _position(raw, exc.pos)
        if not raw.strip().startswith((b"{", b"[")):
            raise EsError(400, "not_x_content_exception",
                          "Compressor detection can only be called on some xcontent bytes or compressed "
                          "xcontent bytes") from None
        raise EsError(400, "x_content_parse_exception",
                      f"[{line}:{col}] Unexpected character or end-of-input: {exc.msg}", line=line,
                      col=col) from None


def _position(raw: bytes, pos: int) -> tuple[int, int]:
    head = raw[:pos]
    line = head.count(b"\n") + 1
    col = pos - (head.rfind(b"\n") + 1) + 1
    return line, col


@dataclass
class Response:
    """A handler's answer: status, body (JSON-able, text or None) and extra headers."""

    status: int = 200
    body: Any = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Any, Request], Any]


class Router:
    """Routes method + path to handlers; literal path segments win over `{param}` segments."""

    def __init__(self) -> None:
        self._routes: list[tuple[tuple[int, ...], str, re.Pattern[str], list[str], Handler, str]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        names: list[str] = []
        parts = []
        specificity = []
        for segment in pattern.strip("/").split("/") if pattern != "/" else []:
            if segment.startswith("{") and segment.endswith("}"):
                names.append(segment[1:-1])
                parts.append("([^/]+)")
                specificity.append(0)
            else:
                parts.append(re.escape(segment))
                specificity.append(1)
        regex = re.compile("^/" + "/".join(parts) + "/?$")
        key = (len(specificity), *[-s for s in specificity])
        self._routes.append((key, method, regex, names, handler, pattern))
        self._routes.sort(key=lambda r: r[0])

    def route(self, methods: str, *patterns: str) -> Callable[[Handler], Handler]:
        def decorator(fn: Handler) -> Handler:
            for method in methods.split(","):
                for pattern in patterns:
                    self.add(method.strip(), pattern, fn)
            return fn
        return decorator

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        handler, params, _pattern = self.resolve(method, path)
        return handler, params

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str], str]:
        """The handler, path parameters and route pattern of a request."""
        allowed: list[str] = []
        best: tuple[Handler, dict[str, str], str] | None = None
        for _key, m, regex, names, handler, pattern in self._routes:
            found = regex.match(path)
            if not found:
                continue
            if m == method or (method == "HEAD" and m == "GET" and best is None):
                params = {n: unquote(v) for n, v in zip(names, found.groups(), strict=True)}
                if m == method:
                    return handler, params, pattern
                best = (handler, params, pattern)
            else:
                allowed.append(m)
        if best is not None:
            return best
        if allowed:
            raise MethodNotAllowed(path, method, sorted(set(allowed)))
        raise EsError(400, "no_handler", f"no handler found for uri [{path}] and method [{method}]")


class MethodNotAllowed(Exception):
    def __init__(self, path: str, method: str, allowed: list[str]) -> None:
        super().__init__(path)
        self.path, self.method, self.allowed = path, method, allowed


router = Router()
route = router.route
