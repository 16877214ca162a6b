"""Calling rest-api-spec APIs by name through the official Python client.

An API name such as ``indices.create`` maps to ``client.indices.create``. Parameters the client
method does not know are still sent, as query parameters, through a small client subclass. APIs
the client lacks are sent with ``perform_request`` using URL patterns from Elastic's OpenAPI spec
(plus a small table for stateful APIs the serverless spec leaves out).
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from elasticsearch import ApiError, Elasticsearch, TransportError, UnsupportedProductError

from tests.conformance.skips import parse_version
from tests.conformance.suite import REPO_ROOT

NDJSON_APIS = frozenset({"bulk", "msearch", "msearch_template", "fleet.msearch", "monitoring.bulk"})
JSON_HEADERS = {"accept": "application/json", "content-type": "application/json"}
NDJSON_HEADERS = {"accept": "application/json", "content-type": "application/x-ndjson"}
OPENAPI_FILE = REPO_ROOT.parent / "shared" / "es-spec" / "elasticsearch-serverless-openapi.json"

# Stateful APIs missing from the serverless OpenAPI file (only used when the client method fails).
EXTRA_ROUTES: dict[str, list[tuple[str, str]]] = {
    "cluster.health": [("GET", "/_cluster/health"), ("GET", "/_cluster/health/{index}")],
    "cluster.get_settings": [("GET", "/_cluster/settings")],
    "cluster.put_settings": [("PUT", "/_cluster/settings")],
    "indices.stats": [("GET", "/_stats"), ("GET", "/{index}/_stats"), ("GET", "/{index}/_stats/{metric}")],
    "indices.close": [("POST", "/{index}/_close")],
    "indices.open": [("POST", "/{index}/_open")],
}


class ParamError(Exception):
    """The client refused the call before sending it (the `catch: param` case)."""


@dataclass
class ApiResult:
    """Outcome of one API call: status, decoded body, and error text for `catch` regexes."""

    status: int
    body: Any
    error_text: str = ""
    ignored: bool = False

    @property
    def is_error(self) -> bool:
        """4xx/5xx, except a HEAD 404 (an `exists` answer) and statuses the call said to `ignore`."""
        head_miss = self.status == 404 and isinstance(self.body, bool)
        return self.status >= 400 and not head_miss and not self.ignored


def api_key(name: str) -> str:
    """rest-api-spec name -> OpenAPI operationId stem: indices.get_alias -> indices-get-alias."""
    return name.replace(".", "-").replace("_", "-")


@dataclass
class RouteTable:
    """API name -> [(HTTP method, path template)], used when the client cannot make the call."""

    routes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def from_openapi(cls, spec: Mapping[str, Any]) -> RouteTable:
        """Index an OpenAPI document by operationId (trailing -N variants merged)."""
        table = cls()
        for template, operations in spec.get("paths", {}).items():
            for method, operation in operations.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    stem = re.sub(r"-\d+$", "", operation["operationId"])
                    table.routes.setdefault(stem, []).append((method.upper(), template))
        for name, routes in EXTRA_ROUTES.items():
            table.routes.setdefault(api_key(name), []).extend(routes)
        return table

    @classmethod
    def load(cls, path: Path = OPENAPI_FILE) -> RouteTable:
        """From the OpenAPI file when present, else only the built-in extras."""
        if path.is_file():
            return cls.from_openapi(json.loads(path.read_text(encoding="utf-8")))
        return cls.from_openapi({})

    def path_vars(self, api: str) -> set[str]:
        """Every {part} used in any URL pattern of an API."""
        return {v for _, template in self.routes.get(api_key(api), []) for v in _template_vars(template)}

    def resolve(self, api: str, params: Mapping[str, Any], has_body: bool) -> tuple[str, str, dict[str, Any]]:
        """(method, path, query params) for a call; the most specific template whose parts are given."""
        candidates = self.routes.get(api_key(api))
        if not candidates:
            raise KeyError(f"unknown API {api!r}")
        usable = [(m, t) for m, t in candidates if set(_template_vars(t)) <= set(params)]
        if not usable:
            raise KeyError(f"{api}: no URL pattern for parameters {sorted(params)}")
        order = (
            ["POST", "PUT", "GET", "DELETE", "HEAD"] if has_body else ["GET", "HEAD", "DELETE", "POST", "PUT"]
        )
        method, template = max(usable, key=lambda mt: (len(_template_vars(mt[1])), -_rank(order, mt[0])))
        path_vars = set(_template_vars(template))
        path = re.sub(r"\{(\w+)\}", lambda m: _quote_part(params[m.group(1)]), template)
        query = {k: v for k, v in params.items() if k not in path_vars}
        return method, path, query


def _rank(order: list[str], method: str) -> int:
    return order.index(method) if method in order else len(order)


def _template_vars(template: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", template)


def _quote_part(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(_quote_part(v) for v in value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    return quote(str(value), safe=",*")


class RunnerClient(Elasticsearch):
    """Official client that can add query parameters and headers the API method does not set."""

    extra_params: dict[str, Any]
    forced_headers: dict[str, str]

    def perform_request(  # type: ignore[override]
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        endpoint_id: str | None = None,
        path_parts: Mapping[str, Any] | None = None,
    ) -> Any:
        """Merge this instance's extra params and headers into every request."""
        extra = getattr(self, "extra_params", None)
        forced = getattr(self, "forced_headers", None)
        if extra:
            params = {**(params or {}), **extra}
        if forced:
            headers = {**(headers or {}), **forced}
        return super().perform_request(
            method,
            path,
            params=params,
            headers=headers,
            body=body,
            endpoint_id=endpoint_id,
            path_parts=path_parts,
        )


def make_client(url: str) -> RunnerClient:
    """Client with a 30 s timeout and no retries."""
    return RunnerClient(url, request_timeout=30, max_retries=0, retry_on_timeout=False)


def resolve_method(client: Elasticsearch, api: str) -> Callable[..., Any] | None:
    """client.<namespace>.<method> for an API name, or None if the client lacks it."""
    target: Any = client
    for part in api.split("."):
        target = getattr(target, part, None)
        if target is None or part.startswith("_"):
            return None
    return target if callable(target) and not inspect.isclass(target) else None


def body_fields(method: Callable[..., Any]) -> frozenset[str]:
    """Keyword arguments the client would move into the request body (read from its decorator)."""
    func = getattr(method, "__func__", method)
    try:
        nonlocals = inspect.getclosurevars(func).nonlocals
    except (TypeError, ValueError):
        return frozenset()
    fields = set(nonlocals.get("body_fields") or ())
    if nonlocals.get("body_name"):
        fields.add(nonlocals["body_name"])
    return frozenset(fields)


def python_kwargs(
    method: Callable[..., Any], params: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split YAML params into (method keyword arguments, params to send as-is in the query string).

    In the YAML format every argument but `body` is a path or query parameter, so arguments the
    client would move into the body (search's `size`, `sort`, ...) are sent as query parameters.
    """
    accepted = set(inspect.signature(method).parameters) - body_fields(method) - {"body"}
    known: dict[str, Any] = {}
    query: dict[str, Any] = {}
    for key, value in params.items():
        name = next((n for n in (key, key + "_", key.lstrip("_")) if n in accepted), None)
        if name is None:
            query[key] = value
        else:
            known[name] = value
    return known, query


def normalize_body(api: str, body: Any) -> Any:
    """NDJSON APIs keep line lists/strings (with a final newline); JSON strings become objects."""
    if api in NDJSON_APIS:
        if isinstance(body, str) and not body.endswith("\n"):
            return body + "\n"
        return body
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


def error_text(error: ApiError) -> str:
    """Text a `catch: /regex/` is matched against: the raw error body plus the client's message."""
    body = error.body
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return f"{text} {error.message}"


class Backend:
    """Makes API calls, probes capabilities and wipes state on one server."""

    def __init__(self, url: str, routes: RouteTable | None = None) -> None:
        self.url = url
        self.client = make_client(url)
        self.routes = routes if routes is not None else RouteTable.load()
        self._capability_cache: dict[str, bool] = {}
        self._unsupported: set[tuple[str, str]] = set()

    def call(
        self,
        api: str,
        args: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
        catch_param: bool = False,
    ) -> ApiResult:
        """Call an API by rest-api-spec name; errors are returned as results, not raised."""
        params = {k: v for k, v in copy.deepcopy(dict(args)).items() if v is not None}
        ignore = _statuses(params.pop("ignore", None))
        has_body = "body" in params
        body = normalize_body(api, params.pop("body", None))
        client = self.client.options(ignore_status=ignore) if ignore else self.client.options()
        client.forced_headers = {k.lower(): str(v) for k, v in (headers or {}).items()}
        client.extra_params = {}
        try:
            result = _to_result(self._invoke(client, api, params, body, has_body, catch_param))
        except UnsupportedProductError:
            raise
        except ApiError as exc:
            result = ApiResult(exc.meta.status, exc.body, error_text(exc))
        result.ignored = result.status in ignore
        return result

    def _invoke(
        self,
        client: RunnerClient,
        api: str,
        params: dict[str, Any],
        body: Any,
        has_body: bool,
        catch_param: bool,
    ) -> Any:
        method = resolve_method(client, api)
        if method is not None:
            known, query = python_kwargs(method, params)
            if set(query) & self.routes.path_vars(api):  # e.g. scroll_id: a URL part, not the body
                return self._raw_call(client, api, params, body, has_body)
            client.extra_params = query
            try:
                return method(**known, body=body) if has_body else method(**known)
            except (TypeError, ValueError) as exc:
                if catch_param:
                    raise ParamError(str(exc)) from exc
            finally:
                client.extra_params = {}
        return self._raw_call(client, api, params, body, has_body)

    def _raw_call(
        self, client: RunnerClient, api: str, params: dict[str, Any], body: Any, has_body: bool
    ) -> Any:
        try:
            http_method, path, query = self.routes.resolve(api, params, has_body)
        except KeyError as exc:
            raise ParamError(str(exc.args[0])) from exc
        headers = dict(NDJSON_HEADERS if api in NDJSON_APIS else JSON_HEADERS)
        return client.perform_request(
            http_method, path, params=query, headers=headers, body=body if has_body else None
        )

    def raw(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> ApiResult:
        """A plain HTTP call through the client (errors returned as results)."""
        try:
            response = self.client.perform_request(
                method,
                path,
                params=params,
                headers=JSON_HEADERS if body is not None else {"accept": "application/json"},
                body=body,
            )
        except ApiError as exc:
            return ApiResult(exc.meta.status, exc.body, error_text(exc))
        return _to_result(response)

    def has_capabilities(self, checks: list[dict[str, Any]]) -> bool:
        """Ask GET /_capabilities for each check; unsupported when the engine cannot say."""
        return all(self._probe(check) for check in checks if isinstance(check, dict))

    def _probe(self, check: dict[str, Any]) -> bool:
        params = {
            "method": check.get("method", "GET"),
            "path": check.get("path", "/"),
            "capabilities": ",".join(map(str, check.get("capabilities") or [])),
            "parameters": ",".join(map(str, check.get("parameters") or [])),
        }
        key = json.dumps(params, sort_keys=True)
        if key not in self._capability_cache:
            result = self.raw("GET", "/_capabilities", {k: v for k, v in params.items() if v})
            supported = isinstance(result.body, dict) and result.body.get("supported") is True
            self._capability_cache[key] = not result.is_error and supported
        return self._capability_cache[key]

    def engine_version(self) -> tuple[int, int, int] | None:
        """version.number from GET /, if the engine answers."""
        try:
            result = self.raw("GET", "/")
        except TransportError:
            return None
        number = result.body.get("version", {}).get("number") if isinstance(result.body, dict) else None
        return parse_version(number) if isinstance(number, str) else None

    def wipe(self) -> None:
        """Delete what tests create; APIs the engine lacks are skipped (and remembered)."""
        self._wipe_transforms()
        self._wipe_enrich_policies()
        for path, params in (
            ("/_search/scroll/_all", None),
            ("/_data_stream/*", {"expand_wildcards": "all"}),
            ("/*", {"expand_wildcards": "all"}),
            ("/_index_template/*", None),
            ("/_component_template/*", None),
            ("/_template/*", None),
            ("/_ingest/pipeline/*", None),
        ):
            self._cleanup("DELETE", path, params)
        self._reset_cluster_settings()

    def _cleanup(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> ApiResult:
        """A wipe call; after the engine once said it has no such endpoint it is not asked again."""
        key = (method, path)
        if key in self._unsupported:
            return ApiResult(404, None)
        result = self.raw(method, path, params, body)
        if result.status in (405, 501) or (result.is_error and "no handler found" in result.error_text):
            self._unsupported.add(key)
        return result

    def _wipe_transforms(self) -> None:
        listing = self._cleanup("GET", "/_transform/_all", {"size": 1000})
        for item in _items(listing, "transforms"):
            tid = quote(str(item.get("id", "")), safe="")
            self.raw("POST", f"/_transform/{tid}/_stop", {"force": "true", "wait_for_completion": "true"})
            self.raw("DELETE", f"/_transform/{tid}", {"force": "true"})

    def _wipe_enrich_policies(self) -> None:
        listing = self._cleanup("GET", "/_enrich/policy")
        for item in _items(listing, "policies"):
            config = item.get("config", {})
            for policy in config.values() if isinstance(config, dict) else []:
                if isinstance(policy, dict) and policy.get("name"):
                    self.raw("DELETE", f"/_enrich/policy/{quote(str(policy['name']), safe='')}")

    def _reset_cluster_settings(self) -> None:
        current = self._cleanup("GET", "/_cluster/settings", {"flat_settings": "true"})
        if current.is_error or not isinstance(current.body, dict):
            return
        reset = {
            scope: dict.fromkeys(current.body.get(scope) or {}, None)
            for scope in ("persistent", "transient")
            if current.body.get(scope)
        }
        if reset:
            self.raw("PUT", "/_cluster/settings", None, reset)


def _statuses(ignore: Any) -> list[int]:
    """The `ignore` parameter (one status or a list) as a list of ints."""
    if ignore is None:
        return []
    return [int(s) for s in (ignore if isinstance(ignore, list) else [ignore])]


def _items(result: ApiResult, key: str) -> list[dict[str, Any]]:
    if result.is_error or not isinstance(result.body, dict):
        return []
    return [item for item in result.body.get(key) or [] if isinstance(item, dict)]


def _to_result(response: Any) -> ApiResult:
    if isinstance(response, bool):  # ping() in some client versions
        return ApiResult(200 if response else 404, response)
    return ApiResult(response.meta.status, response.body)
