"""The engine's domain root: indices, aliases, templates, and name resolution."""

from __future__ import annotations

import copy
import fnmatch
import re
import threading
import time
import uuid as uuid_mod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import settings as settings_mod
from .errors import EsError, illegal_argument, index_not_found, resource_already_exists
from .index import Index
from .storage import Store

INVALID_NAME_CHARS = set('\\/*?"<>| ,#:')


@dataclass(slots=True)
class Target:
    """A resolved search/read target: an index and the filter of the alias it was reached through."""

    index: Index
    alias_filter: dict[str, Any] | None = None


class Engine:
    """Holds every index and named cluster object; one lock serializes all access."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.store = Store(self.data_dir)
        self.lock = threading.RLock()
        self.indices: dict[str, Index] = {}
        self.index_templates: dict[str, dict[str, Any]] = self.store.load_objects("index_template")
        self.component_templates: dict[str, dict[str, Any]] = self.store.load_objects("component_template")
        self.started = time.time()
        self.extensions: dict[str, Any] = {}
        self._recover()

    def _recover(self) -> None:
        for uuid, name, meta in self.store.load_indices():
            index = Index(name, uuid, meta.get("settings", {}), meta.get("mappings"), meta.get("creation_date"),
                          self.store)
            index.aliases = meta.get("aliases", {})
            index.closed = meta.get("closed", False)
            for doc_id, seq_no, version, term, routing, raw in self.store.iter_docs(uuid):
                index.load_doc(doc_id, seq_no, version, term, routing, raw)
            self.indices[name] = index

    def commit(self) -> None:
        self.store.commit()

    def close(self) -> None:
        self.store.close()

    # ---- index lifecycle --------------------------------------------------------------------
    def create_index(self, name: str, body: dict[str, Any] | None = None, *, auto: bool = False) -> Index:
        body = body or {}
        unknown = [k for k in body if k not in ("settings", "mappings", "aliases")]
        if unknown:
            raise EsError(400, "parsing_exception", f"unknown key [{unknown[0]}] for create index", line=1, col=2)
        validate_index_name(name)
        if name in self.indices:
            raise resource_already_exists(name, self.indices[name].uuid)
        if name in self.alias_names():
            raise EsError(400, "invalid_index_name_exception",
                          f"Invalid index name [{name}], an alias with the same name already exists",
                          index_uuid="_na_", index=name)
        settings, mappings, aliases = self._apply_templates(name, body)
        flat = settings_mod.flatten_settings(settings)
        settings_mod.validate(flat)
        uuid = uuid_mod.uuid4().hex[:22]
        index = Index(name, uuid, flat, None, store=self.store)
        for mapping in mappings:
            index.mapping.merge(mapping)
        for alias, spec in aliases.items():
            self._check_alias_name(alias, name)
            index.aliases[alias] = _alias_spec(spec or {})
        self.indices[name] = index
        index.persist_meta()
        return index

    def delete_index(self, index: Index) -> None:
        self.store.delete_index(index.uuid)
        del self.indices[index.name]

    def _apply_templates(self, name: str, body: dict[str, Any]) -> tuple[dict, list[dict], dict]:
        template = self.matching_template(name)
        settings: dict[str, Any] = {}
        mappings: list[dict] = []
        aliases: dict[str, Any] = {}
        if template is not None:
            parts = [self.component_templates[c]["template"] for c in template.get("composed_of", [])
                     if c in self.component_templates]
            parts.append(template.get("template", {}))
            for part in parts:
                settings = _deep_merge(settings, settings_mod.nest(settings_mod.flatten_settings(
                    part.get("settings", {}))))
                if part.get("mappings"):
                    mappings.append(part["mappings"])
                aliases.update(part.get("aliases", {}))
        settings = _deep_merge(settings, settings_mod.nest(settings_mod.flatten_settings(body.get("settings", {}))))
        if body.get("mappings"):
            mappings.append(body["mappings"])
        aliases.update(body.get("aliases", {}))
        return settings, mappings, aliases

    def matching_template(self, name: str) -> dict[str, Any] | None:
        best: tuple[int, str] | None = None
        for tname, tpl in self.index_templates.items():
            if any(fnmatch.fnmatchcase(name, p) for p in tpl.get("index_patterns", [])):
                prio = int(tpl.get("priority", 0))
                if best is None or prio > best[0]:
                    best = (prio, tname)
        return self.index_templates[best[1]] if best else None

    # ---- templates --------------------------------------------------------------------------
    def put_index_template(self, name: str, body: dict[str, Any]) -> None:
        for c in body.get("composed_of", []):
            if c not in self.component_templates and c not in body.get("ignore_missing_component_templates", []):
                raise EsError(400, "invalid_index_template_exception",
                              f"index_template [{name}] invalid, cause [index template [{name}] specifies "
                              f"component templates [{c}] that do not exist]")
        self._validate_template(name, body.get("template", {}))
        self.index_templates[name] = body
        self.store.put_object("index_template", name, body)

    def put_component_template(self, name: str, body: dict[str, Any]) -> None:
        self._validate_template(name, body.get("template", {}))
        self.component_templates[name] = body
        self.store.put_object("component_template", name, body)

    def _validate_template(self, name: str, template: dict[str, Any]) -> None:
        flat = settings_mod.flatten_settings(template.get("settings", {}))
        settings_mod.validate(flat)
        if template.get("mappings"):
            probe = Index("validate", "_na_", flat, None)
            probe.mapping.merge(template["mappings"])

    # ---- resolution -------------------------------------------------------------------------
    def alias_names(self) -> set[str]:
        return {a for idx in self.indices.values() for a in idx.aliases}

    def resolve(self, expression: str | list[str] | None, *, ignore_unavailable: bool = False,
                allow_no_indices: bool = True, expand_wildcards: str = "open") -> list[Target]:
        """Resolve an index expression (names, aliases, wildcards, `-exclusions`, `_all`) to targets."""
        names = _split(expression)
        if not names or names == ["_all"] or names == ["*"] and False:
            names = ["*"]
        expand = set((expand_wildcards or "open").split(","))
        if "all" in expand:
            expand = {"open", "closed", "hidden"}
        result: dict[str, Target] = {}
        for i, raw in enumerate(names):
            if raw.startswith("-") and i > 0:
                pattern = raw[1:]
                for key in [k for k in result if fnmatch.fnmatchcase(k, pattern)]:
                    del result[key]
                continue
            if "*" in raw or raw == "_all":
                pattern = "*" if raw == "_all" else raw
                if "none" in expand and len(expand) == 1:
                    continue
                for idx in self.indices.values():
                    if fnmatch.fnmatchcase(idx.name, pattern) and self._visible(idx, expand, pattern):
                        result.setdefault(idx.name, Target(idx))
                for idx in self.indices.values():
                    for alias, spec in idx.aliases.items():
                        if fnmatch.fnmatchcase(alias, pattern) and (not spec.get("is_hidden") or "hidden" in expand
                                                                    or pattern.startswith(".")):
                            if self._visible(idx, expand | {"hidden"}, pattern):
                                result.setdefault(idx.name, Target(idx, spec.get("filter")))
                continue
            if raw in self.indices:
                result.setdefault(raw, Target(self.indices[raw]))
                continue
            found = False
            for idx in self.indices.values():
                spec = idx.aliases.get(raw)
                if spec is not None:
                    result.setdefault(idx.name, Target(idx, spec.get("filter")))
                    found = True
            if not found and not ignore_unavailable:
                raise index_not_found(raw)
        if not result and not allow_no_indices:
            raise index_not_found(",".join(names) if names != ["*"] else "*")
        targets = list(result.values())
        if not ignore_unavailable:
            for t in targets:
                if t.index.closed and "closed" not in expand:
                    raise EsError(400, "index_closed_exception", "closed", index_uuid=t.index.uuid,
                                  index=t.index.name)
        return [t for t in targets if not t.index.closed or "closed" in expand]

    def _visible(self, idx: Index, expand: set[str], pattern: str) -> bool:
        hidden = idx.setting("hidden") == "true"
        if hidden and "hidden" not in expand and not (pattern.startswith(".") and idx.name.startswith(".")):
            return False
        if idx.closed:
            return "closed" in expand
        return "open" in expand

    def write_index(self, name: str, *, auto_create: bool = True) -> Index:
        """The index a write to `name` goes to (concrete index, or the alias's write index)."""
        if name in self.indices:
            return self.indices[name]
        holders = [idx for idx in self.indices.values() if name in idx.aliases]
        if holders:
            writers = [i for i in holders if i.aliases[name].get("is_write_index")]
            if len(writers) == 1:
                return writers[0]
            if len(holders) == 1 and holders[0].aliases[name].get("is_write_index") is not False:
                return holders[0]
            raise illegal_argument(
                f"no write index is defined for alias [{name}]. The write index may be explicitly disabled using "
                f"is_write_index=false or the alias points to multiple indices without one being designated as "
                f"a write index")
        if not auto_create:
            raise index_not_found(name)
        return self.create_index(name, auto=True)

    # ---- aliases ----------------------------------------------------------------------------
    def _check_alias_name(self, alias: str, index_name: str) -> None:
        if alias in self.indices or alias == index_name:
            raise EsError(400, "invalid_alias_name_exception",
                          f"Invalid alias name [{alias}]: an index or data stream exists with the same name as "
                          f"the alias", index_uuid="_na_", index=alias)
        if alias.startswith("_") or alias != alias.lower() and False:
            raise EsError(400, "invalid_alias_name_exception",
                          f"Invalid alias name [{alias}]: must not start with '_'", index_uuid="_na_", index=alias)

    def update_aliases(self, actions: list[dict[str, Any]]) -> None:
        """Apply add/remove/remove_index actions atomically (all validated before any is applied)."""
        planned: list[tuple[str, Any]] = []
        for action in actions:
            if not isinstance(action, dict) or len(action) != 1:
                raise illegal_argument("[aliases] action must contain exactly one action")
            kind, spec = next(iter(action.items()))
            if kind not in ("add", "remove", "remove_index"):
                raise EsError(400, "x_content_parse_exception", f"[1:1] [aliases] unknown field [{kind}]")
            index_names = _split(spec.get("index") or spec.get("indices"))
            alias_names = _split(spec.get("alias") or spec.get("aliases")) if kind != "remove_index" else []
            if not index_names:
                raise illegal_argument("One of [index] or [indices] is required")
            if kind != "remove_index" and not alias_names:
                raise illegal_argument("One of [alias] or [aliases] is required")
            targets = self.resolve(index_names, ignore_unavailable=False, expand_wildcards="open,closed")
            if kind == "remove_index":
                for t in targets:
                    planned.append(("remove_index", t.index))
                continue
            for t in targets:
                for alias in alias_names:
                    if kind == "add":
                        self._check_alias_name(alias, t.index.name)
                        planned.append(("add", (t.index, alias, _alias_spec(spec))))
                    else:
                        matched = [a for a in t.index.aliases if fnmatch.fnmatchcase(a, alias)]
                        if not matched and spec.get("must_exist") is not False:
                            if spec.get("must_exist") or "*" not in alias:
                                raise EsError(404, "aliases_not_found_exception", f"aliases [{alias}] missing",
                                              **{"resource.type": "aliases", "resource.id": alias})
                        planned.extend(("remove", (t.index, a)) for a in matched)
        for kind, payload in planned:
            if kind == "add":
                index, alias, spec = payload
                index.aliases[alias] = spec
            elif kind == "remove":
                index, alias = payload
                index.aliases.pop(alias, None)
            else:
                self.delete_index(payload)
        touched = {p[0].name for k, p in planned if k in ("add", "remove")}
        for name in touched:
            if name in self.indices:
                self.indices[name].persist_meta()
        self._check_write_indices()

    def _check_write_indices(self) -> None:
        counts: dict[str, int] = {}
        for idx in self.indices.values():
            for alias, spec in idx.aliases.items():
                if spec.get("is_write_index"):
                    counts[alias] = counts.get(alias, 0) + 1
        for alias, n in counts.items():
            if n > 1:
                raise illegal_argument(f"alias [{alias}] has more than one write index")


def _alias_spec(spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("filter", "is_write_index", "is_hidden", "routing", "index_routing", "search_routing"):
        if key in spec and spec[key] is not None:
            out[key] = spec[key]
    if "routing" in out:
        out.setdefault("index_routing", out["routing"])
        out.setdefault("search_routing", out.pop("routing"))
        out.pop("routing", None)
    return out


def _split(expression: str | list[str] | None) -> list[str]:
    if expression is None:
        return []
    if isinstance(expression, list):
        out: list[str] = []
        for item in expression:
            out.extend(_split(item))
        return out
    return [p.strip() for p in str(expression).split(",") if p.strip()]


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate_index_name(name: str) -> None:
    """Reject names ES rejects, with ES's invalid_index_name_exception."""
    def bad(why: str) -> EsError:
        return EsError(400, "invalid_index_name_exception", f"Invalid index name [{name}], {why}",
                       index_uuid="_na_", index=name)
    if name != name.lower():
        raise bad("must be lowercase")
    if name in (".", ".."):
        raise bad("must not be '.' or '..'")
    if name[:1] in ("_", "-", "+"):
        raise bad("must not start with '_', '-', or '+'")
    if any(c in INVALID_NAME_CHARS for c in name):
        raise bad('must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]')
    if len(name.encode()) > 255:
        raise bad("index name is too long, (" + str(len(name.encode())) + " > 255)")
    if re.search(r"\s", name):
        raise bad("must not contain whitespace")
