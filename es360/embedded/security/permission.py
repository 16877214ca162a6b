"""Effective permissions: the union of a user's roles, intersected with an API key's own roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .privileges import any_matches, cluster_grants, index_grants
from .roles import FieldSecurity, IndexGroup, Role

ALWAYS_VISIBLE = frozenset({"_id", "_index", "_routing", "_source", "_seq_no", "_primary_term", "_version",
                            "_field_names", "_ignored", "_doc_count", "_tier", "_data_stream_timestamp",
                            "_feature", "_nested_path", "_score"})


class FieldFilter(Protocol):
    def allows(self, path: str) -> bool: ...

    def allows_source(self, path: str) -> bool: ...


@dataclass(slots=True)
class AllOf:
    """A field is visible only when every filter lets it through (API key ∩ owner)."""

    filters: list[FieldFilter]

    def allows(self, path: str) -> bool:
        return all(f.allows(path) for f in self.filters)

    def allows_source(self, path: str) -> bool:
        return all(f.allows_source(path) for f in self.filters)


@dataclass(slots=True)
class AnyOf:
    """A field is visible when any role's `field_security` grants it (ES unions roles)."""

    filters: list[FieldSecurity]

    def allows(self, path: str) -> bool:
        return any(f.allows(path) for f in self.filters)

    def allows_source(self, path: str) -> bool:
        return any(f.allows_source(path) for f in self.filters)


@dataclass(slots=True)
class IndexAccess:
    """What a permission lets an action see of one index: fields (None: all) and documents (None: all)."""

    fields: FieldFilter | None
    queries: list[dict[str, Any]] | None  # every query must match (each is itself an OR of role queries)


class Permission:
    """A user's roles together: an action is allowed when any role allows it."""

    def __init__(self, roles: list[Role]) -> None:
        self.roles = roles

    def cluster_allows(self, action: str) -> bool:
        return any(cluster_grants(p, action) for r in self.roles for p in r.cluster)

    def _groups(self, action: str, names: list[str]) -> list[IndexGroup]:
        return [g for r in self.roles for g in r.indices
                if any(any_matches(g.names, n) for n in names) and any(index_grants(p, action) for p in g.privileges)]

    def index_allows(self, action: str, name: str) -> bool:
        return bool(self._groups(action, [name]))

    def any_index_allows(self, action: str) -> bool:
        """For composite actions (bulk, mget, msearch): granted somewhere; items are checked one by one."""
        return any(index_grants(p, action) for r in self.roles for g in r.indices for p in g.privileges)

    def access(self, action: str, names: list[str]) -> IndexAccess:
        """Field and document restrictions on an index reached through any of `names` (index, aliases)."""
        groups = self._groups(action, names)
        fields: FieldFilter | None = None
        if groups and all(g.field_security is not None for g in groups):
            fields = AnyOf([g.field_security for g in groups if g.field_security is not None])
        queries: list[dict[str, Any]] | None = None
        if groups and all(g.query is not None for g in groups):
            shoulds = [g.query for g in groups if g.query is not None]
            queries = [shoulds[0] if len(shoulds) == 1 else {"bool": {"should": shoulds, "minimum_should_match": 1}}]
        return IndexAccess(fields, queries)

    def role_names(self) -> list[str]:
        return [r.name for r in self.roles]


class LimitedPermission(Permission):
    """An API key: what its own role descriptors allow AND what its owner's roles allowed at creation."""

    def __init__(self, own: Permission | None, limited_by: Permission) -> None:
        super().__init__(limited_by.roles)
        self.own = own
        self.limited_by = limited_by

    def _both(self) -> list[Permission]:
        return [self.limited_by] if self.own is None else [self.own, self.limited_by]

    def cluster_allows(self, action: str) -> bool:
        return all(p.cluster_allows(action) for p in self._both())

    def index_allows(self, action: str, name: str) -> bool:
        return all(p.index_allows(action, name) for p in self._both())

    def any_index_allows(self, action: str) -> bool:
        return all(p.any_index_allows(action) for p in self._both())

    def access(self, action: str, names: list[str]) -> IndexAccess:
        parts = [p.access(action, names) for p in self._both()]
        fields = [a.fields for a in parts if a.fields is not None]
        queries = [q for a in parts if a.queries is not None for q in a.queries]
        return IndexAccess(AllOf(fields) if fields else None, queries or None)
