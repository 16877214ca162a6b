"""The current request's access (a context variable) and the hooks read paths call.

With security off no access is set and every hook is a no-op. With it on, API handlers call:
`guard_index` before acting on one named index (bulk items, mget items), `narrow_expression` to
authorize an index expression (wildcards silently narrowed to authorized names), and `restrict` /
`restrict_targets` to read an index through the user's field- and document-level security.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ..errors import EsError
from .fls import FieldSubsetIndex
from .permission import IndexAccess
from .privileges import granting_cluster_privileges, granting_index_privileges
from .realm import Subject

READ = "indices:data/read/search"
UPDATE_REFUSED = {
    "indices:data/write/update": "Can't execute an update request if field or document level security is enabled",
    "indices:data/write/update/byquery": "Can't execute an update by query request if field or document level "
                                         "security is enabled",
    "indices:data/write/delete/byquery": "Can't execute a delete by query request if field or document level "
                                         "security is enabled",
    "indices:data/write/reindex": "Can't execute a reindex request if field or document level security is enabled "
                                  "on its source",
}
UPDATES = frozenset(UPDATE_REFUSED)
BULK_UPDATE_REFUSED = ("Can't execute a bulk item request with update requests embedded if field or document level "
                       "security is enabled")


@dataclass
class Access:
    """Who runs the current request and what their permission lets them see."""

    subject: Subject
    engine: Any
    views: dict[tuple[str, str], Any] = field(default_factory=dict)

    # ---- authorization -----------------------------------------------------------------------------
    def allows(self, action: str, name: str) -> bool:
        permission = self.subject.permission
        if permission.index_allows(action, name):
            return True
        holders = self.engine.alias_map().get(name)  # an alias: allowed when all its indices are
        return bool(holders) and all(permission.index_allows(action, idx.name) for idx, _ in holders)

    def denied(self, action: str, names: list[str], reported: str | None = None) -> EsError:
        return unauthorized(self.subject, reported or action, names, granting_index_privileges(action), "index")

    def guard(self, action: str, name: str, reported: str | None = None) -> None:
        if not self.allows(action, name):
            raise self.denied(action, [name], reported)
        if action in UPDATES:
            self.refuse_update_under_fls(action, name, in_bulk=reported == "indices:data/write/bulk[s]")

    def refuse_update_under_fls(self, action: str, expression: str | list[str] | None, in_bulk: bool = False) -> None:
        """ES refuses updates (they read then rewrite whole documents) under field or document level
        security: a partial view must never be written back over the hidden part."""
        from ..engine import simple_match

        parts = expression if isinstance(expression, list) else (expression or "*").split(",")
        for part in ["*" if p == "_all" else p for p in parts if p and not p.startswith("-")]:
            for idx in self.engine.indices.values():
                names = [idx.name, *idx.aliases]
                if not any(simple_match(part, n) for n in names):
                    continue
                restricted = self.subject.permission.access(READ, names)
                if restricted.fields is not None or restricted.queries is not None:
                    raise EsError(400, "security_exception", BULK_UPDATE_REFUSED if in_bulk else UPDATE_REFUSED[action])

    def narrow(self, action: str, expression: str | list[str] | None, expand_wildcards: str | None = None,
               reported: str | None = None, lenient: bool = False) -> Any:
        """The expression with wildcards replaced by the authorized names they match; explicit names the
        user may not access raise ES's 403. An expression left with nothing matches no index. A user
        granted the action on every index (`*`) gets the expression back unchanged."""
        from ..engine import parse_expand_wildcards, resolve_date_math, simple_match

        if self.subject.permission.index_allows(action, "*"):
            return expression

        parts = expression if isinstance(expression, list) else (expression or "_all").split(",")
        parts = [p.strip() for p in parts if p.strip()] or ["_all"]
        expand = parse_expand_wildcards(expand_wildcards or "open")
        kept: list[str] = []
        denied: list[str] = []
        had_wildcard = False
        for part in parts:
            if part.startswith("-") and had_wildcard:
                kept = [k for k in kept if not simple_match(part[1:], k)]
                continue
            if part == "_all" or "*" in part:
                had_wildcard = True
                pattern = "*" if part == "_all" else part
                for name in self._candidates(pattern, expand):
                    if name not in kept and self.allows(action, name):
                        kept.append(name)
                continue
            if self.allows(action, resolve_date_math(part) if _date_math(part) else part):
                kept.append(part)
            else:
                denied.append(part)
        if denied and not lenient:  # with ignore_unavailable, unauthorized names are skipped like missing ones
            raise self.denied(action, denied, reported)
        return ",".join(kept) if kept else "*,-*"

    def _candidates(self, pattern: str, expand: set[str]) -> list[str]:
        from ..engine import _visible, simple_match

        names = [idx.name for idx in self.engine.indices.values()
                 if simple_match(pattern, idx.name) and _visible(idx, expand, pattern)]
        for alias, holders in self.engine.alias_map().items():
            if simple_match(pattern, alias) and (not any(s.get("is_hidden") for _, s in holders)
                                                 or "hidden" in expand or pattern.startswith(".")):
                names.append(alias)
        return names

    # ---- field- and document-level security --------------------------------------------------------
    def index_access(self, index: Any, action: str = READ) -> IndexAccess:
        return self.subject.permission.access(action, [index.name, *index.aliases])

    def restrict(self, index: Any, action: str = READ) -> Any:
        key = (index.uuid, action)
        view = self.views.get(key)
        if view is None:
            access = self.index_access(index, action)
            view = FieldSubsetIndex(index, access.fields) if access.fields is not None else index
            self.views[key] = view
        return view

    def dls_filter(self, index: Any, base: dict[str, Any] | None, action: str = READ) -> dict[str, Any] | None:
        queries = self.index_access(index, action).queries
        if not queries:
            return base
        return {"bool": {"filter": ([base] if base is not None else []) + list(queries)}}


def _date_math(part: str) -> bool:
    return part.startswith("<") and part.endswith(">")


def unauthorized(subject: Subject, action: str, names: list[str] | None, granted_by: list[str], kind: str) -> EsError:
    """ES's 403 security_exception for an action the subject may not run."""
    if subject.api_key is not None:
        who = f"API key id [{subject.api_key['id']}] of user [{subject.username}]"
    else:
        who = f"user [{subject.username}] with effective roles [{','.join(sorted(subject.permission.role_names()))}]"
    text = f"action [{action}] is unauthorized for {who}"
    if names:
        text += f" on indices [{','.join(names)}]"
    if granted_by:
        text += f", this action is granted by the {kind} privileges [{','.join(granted_by)}]"
    return EsError(403, "security_exception", text)


def cluster_denied(subject: Subject, action: str) -> EsError:
    return unauthorized(subject, action, None, granting_cluster_privileges(action), "cluster")


_current: ContextVar[Access | None] = ContextVar("es360_security_access", default=None)


def current() -> Access | None:
    """The access of the request being handled (None when security is off)."""
    return _current.get()


def set_current(access: Access | None) -> Any:
    return _current.set(access)


def reset_current(token: Any) -> None:
    _current.reset(token)


# ---- hooks for API handlers (no-ops with security off) ---------------------------------------------
def guard_index(name: str, action: str, reported: str | None = None) -> None:
    """Raise ES's 403 when the current user may not run `action` on the index or alias `name`."""
    access = _current.get()
    if access is not None:
        access.guard(action, name, reported)


def narrow_expression(expression: str | list[str] | None, action: str = READ, expand_wildcards: str | None = None,
                      lenient: bool = False) -> Any:
    """The index expression narrowed to what the current user may access (unchanged with security off)."""
    access = _current.get()
    if access is None:
        return expression
    return access.narrow(action, expression, expand_wildcards, lenient=lenient)


def restrict(index: Any, action: str = READ) -> Any:
    """The index as the current user may read it (itself when no field-level security applies)."""
    access = _current.get()
    return index if access is None else access.restrict(index, action)


def restrict_targets(targets: list[Any], action: str = READ) -> list[Any]:
    """Search targets read through the user's field-level (view) and document-level (filter) security."""
    access = _current.get()
    if access is None:
        return targets
    from ..engine import Target

    return [Target(access.restrict(t.index, action), access.dls_filter(t.index, t.alias_filter, action))
            for t in targets]


def visible_doc(index: Any, doc_id: str, action: str = "indices:data/read/get") -> bool:
    """Document-level security for a get: whether the doc matches the user's role queries."""
    access = _current.get()
    if access is None:
        return True
    real = getattr(index, "unrestricted", index)
    flt = access.dls_filter(real, None, action)
    if flt is None:
        return True
    from ..engine import Target
    from ..search import count_docs

    real.refresh()
    return count_docs(access.engine, [Target(real, None)], {"bool": {"filter": [{"ids": {"values": [doc_id]}},
                                                                                 flt]}}) > 0
