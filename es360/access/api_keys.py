"""`es360 security api-key ROLE`: an API key limited to one es360 role (security/api-keys/<role>.json)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from es360.access.errors import security_error
from es360.access.roles import api_key_request
from es360.errors import Es360Error

_EXPIRATION = re.compile(r"^[1-9][0-9]{0,5}(d|h|m|s)$")
_NAME = re.compile(r"^[^\x00-\x1f]{1,256}$")


@dataclass
class ApiKey:
    """A created key; `encoded` is the secret, shown once and never logged."""

    id: str
    name: str
    role: str
    expiration: int | None  # epoch milliseconds, None if it never expires
    encoded: str = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "expiration": self.expiration,
                "encoded": self.encoded}


def check_expiration(text: str) -> str:
    """An expiration such as 30d, 12h, 90m (Elasticsearch time units); anything else is a clear error."""
    text = text.strip()
    if not _EXPIRATION.match(text):
        raise Es360Error(f"--expiration must be a number and a unit (d, h, m or s) such as 30d, got {text!r}.")
    return text


def check_request(name: str, expiration: str | None) -> None:
    """Validate a key's name and expiration before anything is sent."""
    if not _NAME.match(name) or not name.strip():
        raise Es360Error("--name must be 1 to 256 printable characters.")
    if expiration is not None:
        check_expiration(expiration)


def create_api_key(es: Elasticsearch, role: str, name: str, prefix: str, expiration: str | None = None) -> ApiKey:
    """Create an API key carrying exactly `role`'s privileges (the creator must hold them too)."""
    check_request(name, expiration)
    body = api_key_request(role, prefix, name=name.strip(),
                           expiration=check_expiration(expiration) if expiration else None)
    try:
        resp = es.security.create_api_key(**body)
    except (ApiError, TransportError) as exc:
        raise security_error(exc, f"create an API key for {role}") from None
    return ApiKey(resp["id"], resp["name"], role, resp.get("expiration"), resp["encoded"])
