"""The `_security` APIs es360 uses: authenticate, roles, users, API keys, has_privileges, OAuth2 tokens.

These routes exist only with security on (otherwise ES answers that security is not enabled).
"""

from __future__ import annotations

import re
from typing import Any

from ..engine import Engine
from ..errors import EsError, action_request_validation, illegal_argument, x_content_parse
from ..rest import Request, Response, route
from ..security.access import Access, cluster_denied, current
from ..security.actions import Rule, register
from ..security.hashing import hash_secret, token_digest
from ..security.privileges import CLUSTER_PRIVILEGES, INDEX_PRIVILEGES, matches
from ..security.realm import KIND_ROLE, KIND_USER, RESERVED_USERS, AuthFailure, Realm
from ..security.roles import BUILTIN_ROLES, parse_role, validate_role_name

SEC = "cluster:admin/xpack/security"
USER_KEYS = {"username", "password", "password_hash", "roles", "full_name", "email", "metadata", "enabled"}
API_KEY_KEYS = {"name", "expiration", "role_descriptors", "metadata", "type"}
USERNAME_RE = re.compile(r"^[\x21-\x7e]([\x20-\x7e]{0,505}[\x21-\x7e])?$")
TIME_UNITS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1, "nanos": 0, "micros": 0}


def _rule(methods: str, patterns: tuple[str, ...], action: str, kind: str = "cluster") -> None:
    for method in methods.split(","):
        for pattern in patterns:
            register(method, pattern, Rule(action, kind))


def _security(engine: Engine) -> tuple[Realm, Access]:
    gate = engine.extensions.get("security")
    access = current()
    if gate is None or access is None:
        raise EsError(500, "exception", "Security must be explicitly enabled when using a [basic] license. Enable "
                                        "security by setting [xpack.security.enabled] to [true] in the "
                                        "elasticsearch.yml file and restart the node.")
    return gate.realm, access


def _require(access: Access, action: str) -> None:
    if not access.subject.permission.cluster_allows(action):
        raise cluster_denied(access.subject, action)


# ---- authenticate -------------------------------------------------------------------------------------
_rule("GET", ("/_security/_authenticate",), f"{SEC}/user/authenticate", "none")


@route("GET", "/_security/_authenticate")
def authenticate(engine: Engine, req: Request) -> dict[str, Any]:
    _, access = _security(engine)
    return access.subject.authenticate_body()


# ---- roles --------------------------------------------------------------------------------------------
_rule("PUT,POST", ("/_security/role/{name}",), f"{SEC}/role/put")
_rule("GET", ("/_security/role", "/_security/role/{name}"), f"{SEC}/role/get")
_rule("DELETE", ("/_security/role/{name}",), f"{SEC}/role/delete")


@route("PUT,POST", "/_security/role/{name}")
def put_role(engine: Engine, req: Request) -> dict[str, Any]:
    realm, _ = _security(engine)
    name = req.path_params["name"]
    if name in BUILTIN_ROLES:
        raise action_request_validation([f"Role [{name}] is reserved and may not be used."])
    validate_role_name(name)
    stored = parse_role(name, req.json_object(required=True))
    created = name not in realm.roles
    realm.save(KIND_ROLE, name, stored)
    return {"role": {"created": created}}


@route("GET", "/_security/role", "/_security/role/{name}")
def get_roles(engine: Engine, req: Request) -> Response:
    realm, _ = _security(engine)
    everything = {**BUILTIN_ROLES, **realm.roles}
    names = req.path_params.get("name")
    if names is None:
        return Response(200, dict(sorted(everything.items())))
    found = {n: everything[n] for n in names.split(",") if n in everything}
    return Response(200 if found else 404, found)


@route("DELETE", "/_security/role/{name}")
def delete_role(engine: Engine, req: Request) -> Response:
    realm, _ = _security(engine)
    name = req.path_params["name"]
    if name in BUILTIN_ROLES:
        raise illegal_argument(f"role [{name}] is reserved and cannot be deleted")
    found = name in realm.roles
    if found:
        realm.save(KIND_ROLE, name, None)
    return Response(200 if found else 404, {"found": found})


# ---- users --------------------------------------------------------------------------------------------
_rule("PUT,POST", ("/_security/user/{username}",), f"{SEC}/user/put")
_rule("GET", ("/_security/user", "/_security/user/{username}"), f"{SEC}/user/get")
_rule("DELETE", ("/_security/user/{username}",), f"{SEC}/user/delete")
_rule("PUT,POST", ("/_security/user/{username}/_enable", "/_security/user/{username}/_disable"),
      f"{SEC}/user/set_enabled")
_rule("PUT,POST", ("/_security/user/{username}/_password", "/_security/user/_password"),
      f"{SEC}/user/change_password", "handler")


def _public_user(record: dict[str, Any]) -> dict[str, Any]:
    return {"username": record["username"], "roles": record.get("roles", []), "full_name": record.get("full_name"),
            "email": record.get("email"), "metadata": record.get("metadata") or {},
            "enabled": record.get("enabled", True)}


def _check_password(password: Any) -> str:
    if not isinstance(password, str) or len(password) < 6:
        raise action_request_validation(["passwords must be at least [6] characters long"])
    return password


@route("PUT,POST", "/_security/user/{username}")
def put_user(engine: Engine, req: Request) -> dict[str, Any]:
    realm, _ = _security(engine)
    username = req.path_params["username"]
    body = req.json_object(required=True)
    for key in body:
        if key not in USER_KEYS:
            raise EsError(400, "parse_exception", f"failed to parse add user request. unexpected field [{key}]")
    problems = []
    if username in RESERVED_USERS:
        problems.append(f"user [{username}] is reserved and only the password can be changed")
    if not USERNAME_RE.match(username):
        problems.append("Valid usernames must be at least 1 and no more than 507 characters. They can contain "
                        "alphanumeric characters (a-z, A-Z, 0-9), spaces, punctuation, and printable symbols in the "
                        "Basic Latin (ASCII) block. Leading or trailing whitespace is not allowed.")
    existing = realm.users.get(username)
    if "roles" not in body:
        problems.append("roles are missing")
    if existing is None and "password" not in body and "password_hash" not in body:
        problems.append("password must be specified unless you are updating an existing user")
    if "password" in body and (not isinstance(body["password"], str) or len(body["password"]) < 6):
        problems.append("passwords must be at least [6] characters long")
    roles = body.get("roles", [])
    if isinstance(roles, str):
        roles = [roles]
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        problems.append("roles must be an array of strings")
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise EsError(400, "parse_exception", "failed to parse add user request. expected field [metadata] to be an "
                                              "object")
    if any(str(k).startswith("_") for k in metadata):
        problems.append("metadata keys may not start with [_]")
    if "password_hash" in body:
        problems.append("The provided password hash is not a hash or it could not be resolved to a supported hash "
                        "algorithm. The supported password hash algorithms are [pbkdf2]")
    if problems:
        raise action_request_validation(problems)
    record = {"username": username, "roles": roles, "full_name": body.get("full_name"), "email": body.get("email"),
              "metadata": metadata, "enabled": bool(body.get("enabled", True)),
              "password_hash": hash_secret(body["password"]) if "password" in body else existing["password_hash"]}
    realm.save(KIND_USER, username, record)
    return {"created": existing is None}


@route("GET", "/_security/user", "/_security/user/{username}")
def get_users(engine: Engine, req: Request) -> Response:
    realm, _ = _security(engine)
    names = req.path_params.get("username")
    wanted = names.split(",") if names else [*RESERVED_USERS, *sorted(realm.users)]
    out = {}
    for name in wanted:
        record = realm.user(name)
        if record is not None:
            out[name] = _public_user(record)
    return Response(200 if out or not names else 404, out)


@route("DELETE", "/_security/user/{username}")
def delete_user(engine: Engine, req: Request) -> Response:
    realm, _ = _security(engine)
    name = req.path_params["username"]
    if name in RESERVED_USERS:
        raise illegal_argument(f"user [{name}] is reserved and cannot be deleted")
    found = name in realm.users
    if found:
        realm.save(KIND_USER, name, None)
    return Response(200 if found else 404, {"found": found})


@route("PUT,POST", "/_security/user/{username}/_enable", "/_security/user/{username}/_disable")
def set_enabled(engine: Engine, req: Request) -> dict[str, Any]:
    realm, access = _security(engine)
    name = req.path_params["username"]
    record = realm.user(name)
    if record is None:
        raise EsError(404, "resource_not_found_exception", f"user [{name}] does not exist")
    if name == access.subject.username:
        raise illegal_argument("users may not update the enabled status of their own account")
    stored = dict(realm.users.get(name) or record)
    stored["enabled"] = req.path.rstrip("/").endswith("_enable")
    realm.save(KIND_USER, name, stored)
    return {}


@route("PUT,POST", "/_security/user/{username}/_password", "/_security/user/_password")
def change_password(engine: Engine, req: Request) -> dict[str, Any]:
    realm, access = _security(engine)
    name = req.path_params.get("username") or access.subject.username
    if name != access.subject.username or access.subject.api_key is not None:
        _require(access, f"{SEC}/user/change_password")
    body = req.json_object(required=True)
    password = _check_password(body.get("password"))
    record = realm.user(name)
    if record is None:
        raise EsError(404, "resource_not_found_exception", f"user [{name}] does not exist")
    stored = dict(realm.users.get(name) or {"username": name, "enabled": True})
    stored["password_hash"] = hash_secret(password)
    realm.save(KIND_USER, name, stored)
    return {}


# ---- API keys -----------------------------------------------------------------------------------------
_rule("POST,PUT", ("/_security/api_key",), f"{SEC}/api_key/create")
_rule("GET", ("/_security/api_key",), f"{SEC}/api_key/get", "handler")
_rule("DELETE", ("/_security/api_key",), f"{SEC}/api_key/invalidate", "handler")


def parse_time_ms(value: Any, what: str) -> int:
    """An ES time value (`1d`, `30m`, `10s`) in milliseconds."""
    found = re.fullmatch(r"\s*(\d+)\s*(d|h|m|s|ms|micros|nanos)\s*", str(value))
    if not found:
        raise EsError(400, "illegal_argument_exception", f"failed to parse setting [{what}] with value [{value}] as "
                                                          f"a time value: unit is missing or unrecognized")
    return int(found.group(1)) * TIME_UNITS[found.group(2)]


@route("POST,PUT", "/_security/api_key")
def create_api_key(engine: Engine, req: Request) -> dict[str, Any]:
    realm, access = _security(engine)
    body = req.json_object(required=True)
    for key in body:
        if key not in API_KEY_KEYS:
            raise x_content_parse(f"[api_key_request] unknown field [{key}]")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise action_request_validation(["api key name is required"])
    expiration = parse_time_ms(body["expiration"], "expiration") if body.get("expiration") is not None else None
    raw = body.get("role_descriptors") or {}
    if not isinstance(raw, dict):
        raise x_content_parse("[api_key_request] failed to parse field [role_descriptors]")
    descriptors = {n: parse_role(n, d, for_api_key=True) for n, d in raw.items()}
    metadata = body.get("metadata") or {}
    if any(str(k).startswith("_") for k in metadata):
        raise action_request_validation(["API key metadata keys may not start with [_]"])
    if access.subject.api_key is not None and descriptors:
        raise illegal_argument("creating derived api keys requires an explicit role descriptor that is empty (has no "
                               "privileges)")
    return realm.create_api_key(access.subject, name, expiration, descriptors, metadata)


def _api_key_scope(access: Access, action: str, owner_only: bool) -> bool:
    """True when the caller may see every key; False when only its own ones (manage_own_api_key)."""
    permission = access.subject.permission
    if not owner_only and permission.cluster_allows(f"{SEC}/api_key/{action}"):
        return True
    if permission.cluster_allows(f"{SEC}/api_key/{action}#own") or permission.cluster_allows(
            f"{SEC}/api_key/{action}"):
        return False
    raise cluster_denied(access.subject, f"{SEC}/api_key/{action}")


def _select_keys(realm: Realm, access: Access, *, ids: list[str], name: str | None, username: str | None,
                 realm_name: str | None, owner: bool) -> list[dict[str, Any]]:
    subject = access.subject
    out = []
    for record in realm.api_keys.values():
        if ids and record["id"] not in ids:
            continue
        if name and not matches(name, record.get("name") or ""):
            continue
        if username and record["username"] != username:
            continue
        if realm_name and record["realm"] != realm_name:
            continue
        if owner:
            if subject.api_key is not None:
                if record["id"] != subject.api_key["id"]:
                    continue
            elif record["username"] != subject.username or record["realm"] != subject.realm["name"]:
                continue
        out.append(record)
    return sorted(out, key=lambda r: r["creation"])


def _public_key(record: dict[str, Any], with_limited_by: bool) -> dict[str, Any]:
    out = {"id": record["id"], "name": record.get("name"), "type": "rest", "creation": record["creation"],
           "invalidated": record.get("invalidated", False), "username": record["username"], "realm": record["realm"],
           "metadata": record.get("metadata") or {}, "role_descriptors": record.get("role_descriptors") or {}}
    if record.get("expiration") is not None:
        out["expiration"] = record["expiration"]
    if record.get("invalidation") is not None:
        out["invalidation"] = record["invalidation"]
    if with_limited_by:
        out["limited_by"] = [record.get("limited_by") or {}]
    return out


@route("GET", "/_security/api_key")
def get_api_keys(engine: Engine, req: Request) -> dict[str, Any]:
    realm, access = _security(engine)
    owner = req.params.get("owner") in ("", "true")
    all_keys = _api_key_scope(access, "get", owner)
    key_id = req.params.get("id")
    records = _select_keys(realm, access, ids=[key_id] if key_id else [], name=req.params.get("name"),
                           username=req.params.get("username"), realm_name=req.params.get("realm_name"),
                           owner=owner or not all_keys)
    if req.params.get("active_only") in ("", "true"):
        now = realm.now_ms()
        records = [r for r in records if not r.get("invalidated") and (r.get("expiration") or now + 1) > now]
    if not records and (key_id or req.params.get("name")):
        raise EsError(404, "resource_not_found_exception", "unable to find API key with given criteria")
    with_limited_by = req.params.get("with_limited_by") in ("", "true")
    return {"api_keys": [_public_key(r, with_limited_by) for r in records]}


@route("DELETE", "/_security/api_key")
def invalidate_api_keys(engine: Engine, req: Request) -> dict[str, Any]:
    realm, access = _security(engine)
    body = req.json_object(required=True)
    for key in body:
        if key not in ("id", "ids", "name", "owner", "username", "realm_name"):
            raise x_content_parse(f"[invalidate_api_key_request] unknown field [{key}]")
    ids = body.get("ids") or ([body["id"]] if body.get("id") else [])
    owner = bool(body.get("owner"))
    if not (ids or body.get("name") or body.get("username") or body.get("realm_name") or owner):
        raise action_request_validation(["One of [api key id(s), api key name, username, realm name] must be "
                                         "specified if [owner] flag is false"])
    all_keys = _api_key_scope(access, "invalidate", owner)
    records = _select_keys(realm, access, ids=ids, name=body.get("name"), username=body.get("username"),
                           realm_name=body.get("realm_name"), owner=owner or not all_keys)
    return realm.invalidate_api_keys(records)


# ---- has_privileges -----------------------------------------------------------------------------------
_rule("GET,POST", ("/_security/user/_has_privileges", "/_security/user/{username}/_has_privileges"),
      f"{SEC}/user/has_privileges", "none")


def _cluster_has(access: Access, privilege: str) -> bool:
    patterns = CLUSTER_PRIVILEGES.get(privilege, (privilege,))
    return all(access.subject.permission.cluster_allows(p) for p in patterns)


def _index_has(access: Access, name: str, privilege: str) -> bool:
    patterns = INDEX_PRIVILEGES.get(privilege, (privilege,))
    return all(access.subject.permission.index_allows(p, name) for p in patterns)


@route("GET,POST", "/_security/user/_has_privileges", "/_security/user/{username}/_has_privileges")
def has_privileges(engine: Engine, req: Request) -> dict[str, Any]:
    _, access = _security(engine)
    target = req.path_params.get("username")
    if target is not None and target != access.subject.username:
        raise illegal_argument("users may only check the privileges of their own account")
    body = req.json_object(required=True)
    for key in body:
        if key not in ("cluster", "index", "application"):
            raise EsError(400, "parse_exception", f"failed to parse privilege check for user "
                                                  f"[{access.subject.username}]. unexpected field [{key}]")
    cluster = {p: _cluster_has(access, p) for p in body.get("cluster") or []}
    index: dict[str, dict[str, bool]] = {}
    for entry in body.get("index") or []:
        names = entry.get("names", [])
        for name in [names] if isinstance(names, str) else names:
            row = index.setdefault(name, {})
            for privilege in entry.get("privileges", []):
                row[privilege] = _index_has(access, name, privilege)
    has_all = all(cluster.values()) and all(v for row in index.values() for v in row.values())
    return {"username": access.subject.username, "has_all_requested": has_all, "cluster": cluster, "index": index,
            "application": {}}


# ---- OAuth2 tokens ------------------------------------------------------------------------------------
_rule("POST", ("/_security/oauth2/token",), f"{SEC}/token/create")
_rule("DELETE", ("/_security/oauth2/token",), f"{SEC}/token/invalidate")


@route("POST", "/_security/oauth2/token")
def create_token(engine: Engine, req: Request) -> dict[str, Any]:
    realm, access = _security(engine)
    body = req.json_object(required=True)
    for key in body:
        if key not in ("grant_type", "username", "password", "refresh_token", "scope", "kerberos_ticket"):
            raise EsError(400, "parse_exception", f"failed to parse token request. unexpected field [{key}]")
    grant = body.get("grant_type")
    if grant == "password":
        problems = [f"{k} is missing" for k in ("username", "password") if not body.get(k)]
        if problems:
            raise action_request_validation(problems)
        try:
            subject = realm.authenticate_basic(str(body["username"]), str(body["password"]))
        except AuthFailure:
            raise EsError(401, "security_exception", f"unable to authenticate user [{body['username']}] for "
                                                     f"action [{SEC}/token/create]") from None
        return realm.create_token(subject, with_refresh=True)
    if grant == "client_credentials":
        if access.subject.api_key is not None:
            raise illegal_argument("cannot create a token for an API key")
        return realm.create_token(access.subject, with_refresh=False)
    if grant == "refresh_token":
        found = realm.token_by_refresh(str(body.get("refresh_token") or ""))
        if found is None or found[1].get("refresh_used") or found[1]["expires"] + 24 * 3600_000 < realm.now_ms():
            raise EsError(400, "invalid_grant", "could not refresh the requested token")
        key, record = found
        user = realm.user(record["username"])
        if user is None:
            raise EsError(400, "invalid_grant", "could not refresh the requested token")
        realm.invalidate_tokens([key], refresh=True)
        return realm.create_token(realm.subject_for_user(user, "token"), with_refresh=True)
    if grant is None:
        raise action_request_validation(["grant_type is missing"])
    raise action_request_validation([f"grant_type [{grant}] is not supported"])


@route("DELETE", "/_security/oauth2/token")
def invalidate_token(engine: Engine, req: Request) -> Response:
    realm, _ = _security(engine)
    body = req.json_object(required=True)
    if body.get("token"):
        keys = [token_digest(str(body["token"]))]
    elif body.get("refresh_token"):
        found = realm.token_by_refresh(str(body["refresh_token"]))
        keys = [found[0]] if found else []
    elif body.get("username") or body.get("realm_name"):
        keys = [k for k, r in realm.tokens.items() if not body.get("username") or r["username"] == body["username"]]
    else:
        raise action_request_validation(["One of [token, refresh_token, realm_name, username] must be specified"])
    result = realm.invalidate_tokens(keys)
    found_any = result["invalidated_tokens"] or result["previously_invalidated_tokens"]
    return Response(200 if found_any else 404, result)
