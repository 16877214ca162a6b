"""`es360 security apply`: install es360's roles with `PUT /_security/role`, reporting what changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from es360.access.errors import security_error
from es360.access.roles import Role, load_roles


@dataclass
class RoleResult:
    """What happened (or would happen, with --dry-run) to one role."""

    role: str
    action: str  # created | updated | unchanged | create | update (the last two: dry run)
    body: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "action": self.action, "body": self.body}


def apply_roles(es: Elasticsearch, prefix: str, *, dry_run: bool = False) -> list[RoleResult]:
    """Create or update every es360 role; a role already as the template says is left alone."""
    results = []
    for role in load_roles(prefix):
        current = _current(es, role.name)
        if current is not None and same_role(current, role.body):
            results.append(RoleResult(role.name, "unchanged", role.body))
            continue
        if dry_run:
            results.append(RoleResult(role.name, "create" if current is None else "update", role.body))
            continue
        results.append(RoleResult(role.name, _put(es, role), role.body))
    return results


def _current(es: Elasticsearch, name: str) -> dict[str, Any] | None:
    try:
        found = es.options(ignore_status=404).security.get_role(name=name)
    except (ApiError, TransportError) as exc:
        raise security_error(exc, f"read role {name}") from None
    body = dict(found.body) if hasattr(found, "body") else dict(found)
    return body.get(name)


def _put(es: Elasticsearch, role: Role) -> str:
    try:
        resp = es.security.put_role(name=role.name, **role.body)
    except (ApiError, TransportError) as exc:
        raise security_error(exc, f"install role {role.name}") from None
    return "created" if (resp.get("role") or {}).get("created") else "updated"


def same_role(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether the cluster's role grants exactly what the template says (ignoring ES's defaults)."""
    return _normalize(current) == _normalize(wanted)


def _normalize(body: dict[str, Any]) -> dict[str, Any]:
    def entry(e: dict[str, Any]) -> dict[str, Any]:
        fls = e.get("field_security") or {}
        return {"names": sorted(e.get("names") or []), "privileges": sorted(e.get("privileges") or []),
                "grant": sorted(fls.get("grant") or []) if fls else None,
                "except": sorted(fls.get("except") or []), "query": e.get("query"),
                "restricted": bool(e.get("allow_restricted_indices", False))}

    return {"cluster": sorted(body.get("cluster") or []),
            "indices": sorted((entry(e) for e in body.get("indices") or []), key=repr),
            "applications": body.get("applications") or [], "run_as": sorted(body.get("run_as") or []),
            "metadata": body.get("metadata") or {}}
