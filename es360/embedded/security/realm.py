"""The security store: native users, roles, API keys and bearer tokens, persisted (hashed) in the data dir."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import EsError
from .hashing import VerifiedCache, hash_secret, token_digest
from .permission import LimitedPermission, Permission
from .roles import BUILTIN_ROLES, compile_role

TOKEN_TIMEOUT_S = 20 * 60  # ES's xpack.security.authc.token.timeout default
RESERVED_USERS = {"elastic": ["superuser"]}
NATIVE_REALM = {"name": "default_native", "type": "native"}
RESERVED_REALM = {"name": "reserved", "type": "reserved"}
API_KEY_REALM = {"name": "_es_api_key", "type": "_es_api_key"}

KIND_USER, KIND_ROLE, KIND_KEY, KIND_TOKEN = "security_user", "security_role", "security_api_key", "security_token"


@dataclass(slots=True)
class Subject:
    """Who a request runs as, with the permission that authorizes it."""

    username: str
    roles: list[str]
    permission: Permission
    realm: dict[str, str]
    auth_type: str  # "realm", "api_key" or "token"
    full_name: str | None = None
    email: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    api_key: dict[str, Any] | None = None

    def authenticate_body(self) -> dict[str, Any]:
        """GET /_security/_authenticate's body."""
        body: dict[str, Any] = {"username": self.username, "roles": [] if self.api_key else self.roles,
                                "full_name": self.full_name, "email": self.email, "metadata": self.metadata,
                                "enabled": True, "authentication_realm": self.realm, "lookup_realm": self.realm,
                                "authentication_type": self.auth_type}
        if self.api_key is not None:
            body["api_key"] = {"id": self.api_key["id"], "name": self.api_key.get("name")}
        return body


class AuthFailure(Exception):
    """Credentials were given but do not authenticate (401)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Realm:
    """Holds the security objects of one engine and answers "who is this?"."""

    def __init__(self, store: Any, elastic_password: str, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.cache = VerifiedCache()
        self.users: dict[str, dict[str, Any]] = store.load_objects(KIND_USER)
        self.roles: dict[str, dict[str, Any]] = store.load_objects(KIND_ROLE)
        self.api_keys: dict[str, dict[str, Any]] = store.load_objects(KIND_KEY)
        self.tokens: dict[str, dict[str, Any]] = store.load_objects(KIND_TOKEN)
        # the bootstrap password of `elastic` holds until its password is changed through the API
        self._bootstrap_hash = hash_secret(elastic_password)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # ---- persistence -------------------------------------------------------------------------------
    def save(self, kind: str, name: str, body: dict[str, Any] | None) -> None:
        table = {KIND_USER: self.users, KIND_ROLE: self.roles, KIND_KEY: self.api_keys, KIND_TOKEN: self.tokens}[kind]
        if body is None:
            table.pop(name, None)
            self.store.delete_object(kind, name)
        else:
            table[name] = body
            self.store.put_object(kind, name, body)
        self.store.commit()

    # ---- users and roles ---------------------------------------------------------------------------
    def user(self, name: str) -> dict[str, Any] | None:
        """A user's record (reserved users included), or None."""
        if name in RESERVED_USERS:
            stored = self.users.get(name, {})
            return {"username": name, "roles": RESERVED_USERS[name], "full_name": None, "email": None,
                    "metadata": {"_reserved": True}, "enabled": stored.get("enabled", True),
                    "password_hash": stored.get("password_hash", self._bootstrap_hash)}
        return self.users.get(name)

    def role_descriptor(self, name: str) -> dict[str, Any] | None:
        return BUILTIN_ROLES.get(name) or self.roles.get(name)

    def permission_for(self, role_names: list[str]) -> Permission:
        roles = []
        for name in role_names:
            descriptor = self.role_descriptor(name)
            if descriptor is not None:
                roles.append(compile_role(name, descriptor))
        return Permission(roles)

    def descriptors_of(self, role_names: list[str]) -> dict[str, dict[str, Any]]:
        return {n: d for n in role_names if (d := self.role_descriptor(n)) is not None}

    def subject_for_user(self, record: dict[str, Any], auth_type: str = "realm") -> Subject:
        """The subject of a user record (its roles resolved now)."""
        name = record["username"]
        realm = RESERVED_REALM if name in RESERVED_USERS else NATIVE_REALM
        return Subject(name, list(record.get("roles", [])), self.permission_for(record.get("roles", [])), realm,
                       auth_type, record.get("full_name"), record.get("email"), dict(record.get("metadata") or {}))

    # ---- authentication -----------------------------------------------------------------------------
    def authenticate_basic(self, username: str, password: str) -> Subject:
        record = self.user(username)
        if record is None or not record.get("enabled", True) \
                or not self.cache.verify(password, record["password_hash"]):
            raise AuthFailure("basic", username)
        return self.subject_for_user(record)

    def authenticate_api_key(self, key_id: str, secret: str) -> Subject:
        record = self.api_keys.get(key_id)
        if record is None or not self.cache.verify(secret, record["hash"]):
            raise AuthFailure("api_key", f"unable to find apikey with id {key_id}" if record is None
                              else f"invalid credentials for API key [{key_id}]")
        if record.get("invalidated"):
            raise AuthFailure("api_key", f"api key [{key_id}] has been invalidated")
        if record.get("expiration") is not None and record["expiration"] <= self.now_ms():
            raise AuthFailure("api_key", "api key is expired")
        limited_by = Permission([compile_role(n, d) for n, d in record["limited_by"].items()])
        own_descriptors = record.get("role_descriptors") or {}
        own = Permission([compile_role(n, d) for n, d in own_descriptors.items()]) if own_descriptors else None
        owner = self.user(record["username"]) or {}
        return Subject(record["username"], list(owner.get("roles", [])), LimitedPermission(own, limited_by),
                       API_KEY_REALM, "api_key", owner.get("full_name"), owner.get("email"),
                       dict(owner.get("metadata") or {}), {"id": key_id, "name": record.get("name")})

    def authenticate_token(self, token: str) -> Subject:
        record = self.tokens.get(token_digest(token))
        if record is None:
            raise AuthFailure("token", "invalid token")
        if record.get("invalidated") or record["expires"] <= self.now_ms():
            raise AuthFailure("token_expired")
        user = self.user(record["username"])
        if user is None or not user.get("enabled", True):
            raise AuthFailure("token", "invalid token")
        return self.subject_for_user(user, "token")

    # ---- API keys ----------------------------------------------------------------------------------
    def create_api_key(self, owner: Subject, name: str, expiration_ms: int | None,
                       role_descriptors: dict[str, dict[str, Any]], metadata: dict[str, Any]) -> dict[str, Any]:
        key_id = base64.urlsafe_b64encode(secrets.token_bytes(15)).decode()
        secret = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        if owner.api_key is not None:  # a key created by a key is limited by its creator's own limits
            limited_by = self.api_keys[owner.api_key["id"]]["limited_by"]
        else:
            limited_by = self.descriptors_of(owner.roles)
        now = self.now_ms()
        record = {"id": key_id, "name": name, "creation": now,
                  "expiration": now + expiration_ms if expiration_ms is not None else None,
                  "invalidated": False, "username": owner.username, "realm": owner.realm["name"],
                  "metadata": metadata, "role_descriptors": role_descriptors, "limited_by": limited_by,
                  "hash": hash_secret(secret)}
        self.save(KIND_KEY, key_id, record)
        out = {"id": key_id, "name": name}
        if record["expiration"] is not None:
            out["expiration"] = record["expiration"]
        encoded = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
        return {**out, "api_key": secret, "encoded": encoded}

    def invalidate_api_keys(self, keys: list[dict[str, Any]]) -> dict[str, Any]:
        done, before = [], []
        for record in keys:
            if record.get("invalidated"):
                before.append(record["id"])
                continue
            record = {**record, "invalidated": True, "invalidation": self.now_ms()}
            self.save(KIND_KEY, record["id"], record)
            done.append(record["id"])
        return {"invalidated_api_keys": done, "previously_invalidated_api_keys": before, "error_count": 0}

    # ---- tokens ------------------------------------------------------------------------------------
    def create_token(self, subject: Subject, with_refresh: bool) -> dict[str, Any]:
        self._prune_tokens()
        token = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        refresh = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=") if with_refresh else None
        record = {"username": subject.username, "expires": self.now_ms() + TOKEN_TIMEOUT_S * 1000,
                  "invalidated": False, "refresh": token_digest(refresh) if refresh else None,
                  "refresh_used": False}
        self.save(KIND_TOKEN, token_digest(token), record)
        out: dict[str, Any] = {"access_token": token, "type": "Bearer", "expires_in": TOKEN_TIMEOUT_S,
                               "scope": "full"}
        if refresh is not None:
            out["refresh_token"] = refresh
        out["authentication"] = subject.authenticate_body()
        return out

    def token_by_refresh(self, refresh: str) -> tuple[str, dict[str, Any]] | None:
        digest = token_digest(refresh)
        for key, record in self.tokens.items():
            if record.get("refresh") == digest:
                return key, record
        return None

    def invalidate_tokens(self, keys: list[str], refresh: bool = False) -> dict[str, Any]:
        done = before = 0
        for key in keys:
            record = self.tokens.get(key)
            if record is None:
                continue
            flag = "refresh_used" if refresh else "invalidated"
            if record.get(flag):
                before += 1
                continue
            self.save(KIND_TOKEN, key, {**record, flag: True, "invalidated": True})
            done += 1
        return {"invalidated_tokens": done, "previously_invalidated_tokens": before, "error_count": 0}

    def _prune_tokens(self) -> None:
        now = self.now_ms()
        for key in [k for k, r in self.tokens.items() if r["expires"] + 24 * 3600_000 < now]:
            self.save(KIND_TOKEN, key, None)


def not_found_error(kind: str, name: str) -> EsError:
    return EsError(404, "resource_not_found_exception", f"{kind} [{name}] not found")
