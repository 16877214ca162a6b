"""Role descriptors: parsing and validation as ES does it, built-in roles, and their rendering."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..errors import EsError, action_request_validation, illegal_argument
from .privileges import (
    CLUSTER_PRIVILEGES,
    INDEX_PRIVILEGES,
    matches,
    valid_cluster_privilege,
    valid_index_privilege,
)

ROLE_KEYS = {"cluster", "indices", "applications", "run_as", "metadata", "transient_metadata", "global",
             "remote_indices", "remote_cluster", "description", "restriction"}
INDEX_KEYS = {"names", "privileges", "field_security", "query", "allow_restricted_indices"}
NAME_RE = re.compile(r"^[\w@!$%^&*()+=\-.:;,'\"/\\<>?`~{}\[\]|#]{1,507}$")


@dataclass(slots=True)
class FieldSecurity:
    """`field_security`: the granted field patterns minus the excepted ones."""

    grant: list[str]
    exclude: list[str] = field(default_factory=list)

    def allows(self, path: str) -> bool:
        """Index-level visibility (postings, doc values): the field name itself must be granted, as in ES's
        FieldSubsetReader (`customer` does not grant `customer.handle`; `customer.*` does)."""
        return any(matches(g, path) for g in self.grant) and not any(matches(e, path) for e in self.exclude)

    def allows_source(self, path: str) -> bool:
        """`_source` visibility: as ES's source filtering, a pattern matching an object covers its subtree."""
        prefixes = _prefixes(path)
        return (any(matches(g, p) for g in self.grant for p in prefixes)
                and not any(matches(e, p) for e in self.exclude for p in prefixes))


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@dataclass(slots=True)
class IndexGroup:
    """One `indices` entry of a role."""

    names: list[str]
    privileges: list[str]
    field_security: FieldSecurity | None = None
    query: dict[str, Any] | None = None
    allow_restricted_indices: bool = False


@dataclass(slots=True)
class Role:
    """A parsed role descriptor."""

    name: str
    cluster: list[str]
    indices: list[IndexGroup]
    body: dict[str, Any]


def _parse_error(reason: str) -> EsError:
    return EsError(400, "parse_exception", reason)


def _string_list(value: Any, what: str, role: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _parse_error(f"failed to parse {what} for role [{role}]. expected field [{what.split()[-1]}] value "
                           f"to be an array of strings, but found [{type(value).__name__}] instead")
    return list(value)


def parse_role(name: str, body: Any, *, for_api_key: bool = False) -> dict[str, Any]:
    """Validate a role descriptor body; return its normalized stored form (ES's GET shape)."""
    if not isinstance(body, dict):
        raise _parse_error(f"failed to parse role [{name}]. expected an object but found [{type(body).__name__}]")
    for key in body:
        if key not in ROLE_KEYS or (key == "restriction" and not for_api_key):
            raise _parse_error(f"failed to parse role [{name}]. unexpected field [{key}]")
    problems: list[str] = []
    cluster = _string_list(body.get("cluster", []), "cluster privileges", name)
    for privilege in cluster:
        if not valid_cluster_privilege(privilege):
            problems.append(f"unknown cluster privilege [{privilege}]. a privilege must be either one of the "
                            f"predefined cluster privilege names [{','.join(sorted(CLUSTER_PRIVILEGES))}] or a "
                            f"pattern over one of the available cluster actions")
    indices_raw = body.get("indices", [])
    if not isinstance(indices_raw, list):
        raise _parse_error(f"failed to parse indices privileges for role [{name}]. expected field [indices] value "
                           f"to be an array, but found [{type(indices_raw).__name__}] instead")
    indices = [_parse_index_entry(name, entry, problems) for entry in indices_raw]
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _parse_error(f"failed to parse role [{name}]. expected field [metadata] value to be an object")
    if any(str(k).startswith("_") for k in metadata) and not for_api_key:
        problems.append("role metadata keys may not start with [_]")
    run_as = _string_list(body.get("run_as", []), "run_as", name)
    if problems:
        raise action_request_validation(problems)
    out: dict[str, Any] = {"cluster": cluster, "indices": indices, "applications": body.get("applications", []),
                           "run_as": run_as, "metadata": metadata, "transient_metadata": {"enabled": True}}
    if body.get("description") is not None:
        out["description"] = body["description"]
    return out


def _parse_index_entry(role: str, entry: Any, problems: list[str]) -> dict[str, Any]:
    where = f"failed to parse indices privileges for role [{role}]."
    if not isinstance(entry, dict):
        raise _parse_error(f"{where} expected an object but found [{type(entry).__name__}]")
    for key in entry:
        if key not in INDEX_KEYS:
            raise _parse_error(f"{where} unexpected field [{key}]")
    if "names" not in entry:
        raise _parse_error(f"{where} missing required [names] field")
    if "privileges" not in entry:
        raise _parse_error(f"{where} missing required [privileges] field")
    names = _string_list(entry["names"], "indices privileges", role)
    privileges = _string_list(entry["privileges"], "indices privileges", role)
    for privilege in privileges:
        if not valid_index_privilege(privilege):
            problems.append(f"unknown index privilege [{privilege}]. a privilege must be either one of the predefined "
                            f"fixed indices privileges [{','.join(sorted(INDEX_PRIVILEGES))}] or a pattern over one "
                            f"of the available index actions")
    out: dict[str, Any] = {"names": names, "privileges": privileges}
    fls = entry.get("field_security")
    if fls is not None:
        if not isinstance(fls, dict):
            raise _parse_error(f"{where} expected field [field_security] value to be an object")
        for key in fls:
            if key not in ("grant", "except"):
                raise _parse_error(f"{where} [field_security] only accepts options [grant] and [except], but got: "
                                   f"[{key}]")
        grant = _string_list(fls.get("grant", ["*"]), "field_security grant", role)
        excepted = _string_list(fls.get("except", []), "field_security except", role)
        for pattern in excepted:
            if not any(matches(g, pattern) or g == pattern for g in grant):
                raise illegal_argument(f"Exceptions for field permissions must be a subset of the granted fields but "
                                       f"{excepted} is not a subset of {grant}".replace("'", ""))
        out["field_security"] = {"grant": grant, **({"except": excepted} if excepted else {})}
    query = entry.get("query")
    if query is not None:
        if isinstance(query, str):
            try:
                parsed = orjson.loads(query)
            except orjson.JSONDecodeError:
                raise _parse_error(f"{where} failed to parse [query]") from None
            if not isinstance(parsed, dict):
                raise _parse_error(f"{where} [query] must be a string or an object")
            out["query"] = query
        elif isinstance(query, dict):
            out["query"] = orjson.dumps(query).decode()
        else:
            raise _parse_error(f"{where} [query] must be a string or an object")
    allow = entry.get("allow_restricted_indices", False)
    if not isinstance(allow, bool):
        raise _parse_error(f"{where} expected field [allow_restricted_indices] value to be a boolean")
    out["allow_restricted_indices"] = allow
    return out


def compile_role(name: str, stored: dict[str, Any]) -> Role:
    """A stored role descriptor as a Role ready for authorization."""
    groups = []
    for entry in stored.get("indices", []):
        fls = entry.get("field_security")
        query = entry.get("query")
        groups.append(IndexGroup(
            entry["names"], entry["privileges"],
            FieldSecurity(fls.get("grant", ["*"]), fls.get("except", [])) if fls is not None else None,
            orjson.loads(query) if isinstance(query, str) else query,
            entry.get("allow_restricted_indices", False)))
    return Role(name, list(stored.get("cluster", [])), groups, stored)


def validate_role_name(name: str) -> None:
    if not NAME_RE.match(name) or name.startswith("_") and name != "_":
        raise action_request_validation([f"Role names must be at least 1 and no more than 507 characters. They "
                                         f"can contain alphanumeric characters (a-z, A-Z, 0-9), spaces, "
                                         f"punctuation, and printable symbols in the Basic Latin (ASCII) block. "
                                         f"Leading or trailing whitespace is not allowed. [{name}]"])


_RESERVED_META = {"_reserved": True}
BUILTIN_ROLES: dict[str, dict[str, Any]] = {
    "superuser": {"cluster": ["all"],
                  "indices": [{"names": ["*"], "privileges": ["all"], "allow_restricted_indices": True}],
                  "applications": [{"application": "*", "privileges": ["*"], "resources": ["*"]}],
                  "run_as": ["*"], "metadata": _RESERVED_META, "transient_metadata": {"enabled": True}},
    "viewer": {"cluster": [],
               "indices": [{"names": ["*"], "privileges": ["read", "view_index_metadata"],
                            "allow_restricted_indices": False}],
               "applications": [], "run_as": [], "metadata": _RESERVED_META,
               "transient_metadata": {"enabled": True}},
}
