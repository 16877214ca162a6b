"""The security gate every request passes when security is on: authenticate, then authorize the route's
action (see actions.py), then run the handler with the user's access set (see access.py)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import EsError
from ..rest import Request
from .access import UPDATES, Access, cluster_denied, reset_current, set_current, unauthorized
from .actions import Rule, rule_for
from .privileges import granting_index_privileges
from .realm import AuthFailure, Realm, Subject

CHALLENGES = ['Basic realm="security" charset="UTF-8"', 'Bearer realm="security"', "ApiKey"]
EXPIRED_CHALLENGE = ['Bearer realm="security", error="invalid_token", error_description="The access token expired"']
ANONYMOUS_NOT_ALLOWED = "unable to authenticate with provided credentials and anonymous access is not allowed for " \
                        "this request"


class AuthenticationError(EsError):
    """A 401 security_exception, with the WWW-Authenticate challenges ES sends (body and headers)."""

    def __init__(self, reason: str, challenges: list[str] | None = None, **extra: Any) -> None:
        values = challenges or CHALLENGES
        super().__init__(401, "security_exception", reason, header={"WWW-Authenticate": values}, **extra)
        self.headers = {"WWW-Authenticate": values}


def _uri(request: Request) -> str:
    return getattr(request, "uri", "") or request.path


class SecurityGate:
    """The engine's security extension (engine.extensions["security"])."""

    def __init__(self, engine: Any, realm: Realm) -> None:
        self.engine = engine
        self.realm = realm
        self.context_owners: dict[str, str] = {}  # scroll / point-in-time id -> who opened it

    # ---- search contexts belong to whoever opened them (ES answers "not found" to anyone else) -----
    def remember(self, subject: Subject, pattern: str | None, result: Any) -> None:
        """After a request: note the owner of a scroll or point in time it opened."""
        body = result[1] if isinstance(result, tuple) else getattr(result, "body", result)
        if not isinstance(body, dict):
            return
        opened = body.get("_scroll_id") or (body.get("id") if pattern and pattern.endswith(
            ("/_pit", "/_open_point_in_time")) else None)
        if isinstance(opened, str) and opened not in self.context_owners:
            if len(self.context_owners) > 100_000:
                self.context_owners.clear()
            self.context_owners[opened] = _owner(subject)

    def _check_context_owner(self, subject: Subject, request: Request, pattern: str | None) -> None:
        ids: list[str] = []
        if pattern and pattern.startswith("/_search/scroll") or pattern == "/_pit":
            body = request.json() if request.has_body else None
            body = body if isinstance(body, dict) else {}
            found = body.get("scroll_id", body.get("id")) or request.path_params.get("scroll_id") \
                or request.params.get("scroll_id")
            ids = found if isinstance(found, list) else str(found).split(",") if found else []
        elif pattern in ("/_search", "/{index}/_search") and request.has_body:
            body = request.json()
            pit = body.get("pit") if isinstance(body, dict) else None
            if isinstance(pit, dict) and pit.get("id"):
                ids = [str(pit["id"])]
        for context_id in ids:
            owner = self.context_owners.get(context_id)
            if owner is not None and owner != _owner(subject):
                from ..contexts import context_missing

                missing = context_missing(context_id)
                if pattern and pattern.startswith("/_search/scroll") and request.method != "DELETE":
                    raise EsError(404, "search_phase_execution_exception", "all shards failed", phase="query",
                                  grouped=True, failed_shards=[], caused_by=missing)
                raise missing

    # ---- authentication ----------------------------------------------------------------------------
    def authenticate(self, request: Request) -> Subject:
        """The subject of a request's `Authorization` header, or ES's 401."""
        header = request.headers.get("authorization", "").strip()
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        credentials = credentials.strip()
        if not header or scheme not in ("basic", "apikey", "bearer"):
            raise AuthenticationError(f"missing authentication credentials for REST request [{_uri(request)}]")
        try:
            if scheme == "basic":
                username, password = _decode_pair(credentials)
                try:
                    return self.realm.authenticate_basic(username, password)
                except AuthFailure:
                    raise AuthenticationError(f"unable to authenticate user [{username}] for REST request "
                                              f"[{_uri(request)}]") from None
            if scheme == "apikey":
                key_id, secret = _decode_pair(credentials)
                return self.realm.authenticate_api_key(key_id, secret)
            return self.realm.authenticate_token(credentials)
        except AuthFailure as failure:
            if failure.kind == "token_expired":
                raise AuthenticationError("token expired", EXPIRED_CHALLENGE) from None
            kind = "API key" if failure.kind == "api_key" else "OAuth2 token"
            raise AuthenticationError(ANONYMOUS_NOT_ALLOWED, additional_unsuccessful_credentials=
                                      f"{kind}: {failure.detail}") from None
        except ValueError:
            raise AuthenticationError(ANONYMOUS_NOT_ALLOWED) from None

    # ---- authorization -----------------------------------------------------------------------------
    @contextmanager
    def authorize(self, subject: Subject, request: Request, pattern: str | None) -> Iterator[Access]:
        """Check the route's action for `subject` (403 otherwise), then expose its access to the handler."""
        access = Access(subject, self.engine)
        self._check(access, rule_for(request.method, pattern), request)
        self._check_context_owner(subject, request, pattern)
        token = set_current(access)
        try:
            yield access
        finally:
            reset_current(token)

    def _check(self, access: Access, rule: Rule, request: Request) -> None:
        subject = access.subject
        permission = subject.permission
        if rule.kind in ("none", "handler"):
            return
        if rule.kind == "cluster":
            if not permission.cluster_allows(rule.action):
                raise cluster_denied(subject, rule.action)
            return
        if rule.kind == "composite":
            if not permission.any_index_allows(rule.action):
                raise unauthorized(subject, rule.action, None, granting_index_privileges(rule.action), "index")
            return
        if rule.kind == "index":
            self._check_index(access, rule, request)
        elif rule.kind == "reindex":
            self._check_reindex(access, request)
        elif rule.kind == "aliases":
            self._check_aliases(access, request)

    def _check_index(self, access: Access, rule: Rule, request: Request) -> None:
        action, reported = rule.action, rule.action
        if action.startswith("indices:data/write/index"):
            reported = "indices:data/write/index"
            op_type = request.params.get("op_type")
            if action == "indices:data/write/index":
                action = f"indices:data/write/index:op_type/{'create' if op_type == 'create' else 'index'}"
        param = rule.param or "index"
        expression = request.path_params.get(param)
        if expression is None and action == "indices:data/read/search" and request.has_body \
                and isinstance(request.json(), dict) and "pit" in request.json():
            return  # a point in time carries the indices it was opened (and authorized) on
        lenient = request.params.get("ignore_unavailable") in ("", "true")
        narrowed = access.narrow(action, expression, request.params.get("expand_wildcards"), reported, lenient)
        if narrowed is not None and narrowed != expression:
            request.path_params[param] = narrowed
        if action in UPDATES:
            access.refuse_update_under_fls(action, narrowed)
        if action == "indices:admin/aliases" and param != "name" and request.path_params.get("name"):
            for alias in request.path_params["name"].split(","):
                if "*" not in alias:
                    access.guard(action, alias)

    def _check_reindex(self, access: Access, request: Request) -> None:
        body = request.json_object()
        source = body.get("source") if isinstance(body.get("source"), dict) else {}
        dest = body.get("dest") if isinstance(body.get("dest"), dict) else {}
        if source.get("index") is not None:
            source["index"] = access.narrow("indices:data/read/search", source["index"])
            access.refuse_update_under_fls("indices:data/write/reindex", source["index"])
        if isinstance(dest.get("index"), str):
            op = "create" if dest.get("op_type") == "create" else "index"
            access.guard(f"indices:data/write/index:op_type/{op}", dest["index"], "indices:data/write/index")

    def _check_aliases(self, access: Access, request: Request) -> None:
        body = request.json_object()
        actions = body.get("actions") if isinstance(body.get("actions"), list) else []
        names: list[str] = []
        for item in actions:
            if not isinstance(item, dict):
                continue
            for spec in item.values():
                if not isinstance(spec, dict):
                    continue
                for key in ("index", "indices", "alias", "aliases"):
                    value = spec.get(key)
                    names.extend([value] if isinstance(value, str) else value if isinstance(value, list) else [])
        from ..engine import simple_match

        denied = []
        for name in names:
            if "*" in name:
                matched = [i for i in self.engine.indices if simple_match(name, i)]
                denied.extend(m for m in matched if not access.allows("indices:admin/aliases", m))
            elif not access.allows("indices:admin/aliases", name):
                denied.append(name)
        if denied:
            raise access.denied("indices:admin/aliases", denied)


def _owner(subject: Subject) -> str:
    key = subject.api_key["id"] if subject.api_key else ""
    return f"{subject.realm['name']}/{subject.username}/{key}"


def _decode_pair(credentials: str) -> tuple[str, str]:
    try:
        text = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("malformed credentials") from None
    left, sep, right = text.partition(":")
    if not sep:
        raise ValueError("malformed credentials")
    return left, right
