"""The engine's domain root: indices, aliases, templates, and name resolution.

Index expressions resolve as in ES's IndexNameExpressionResolver (comma lists, `_all`, `*` wildcards,
`-exclusions` after a wildcard, date math `<name-{now/d}>`, aliases, expand_wildcards over open /
closed / hidden). Templates compose as in ES: the highest-priority matching composable template with
its component templates in order, then the request; legacy templates only when none matches.
"""

from __future__ import annotations

import copy
import functools
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

INVALID_NAME_CHARS = set('\\/*?"<>| ,')
INVALID_CHARS_TEXT = '[ , ", *, \\, <, |, ,, >, /, ?]'
MAX_NAME_BYTES = 255
ALIAS_KEYS = ("filter", "index_routing", "search_routing", "is_write_index", "is_hidden")


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
        self.legacy_templates: dict[str, dict[str, Any]] = self.store.load_objects("legacy_template")
        self.started = time.time()
        self.extensions: dict[str, Any] = {}
        self._recover()

    def _recover(self) -> None:
        for uuid, name, meta in self.store.load_indices():
            index = Index(name, uuid, meta.get("settings", {}), meta.get("mappings"), meta.get("creation_date"),
                          self.store)
            index.aliases = meta.get("aliases", {})
            index.closed = meta.get("closed", False)
            for row, doc_id, seq_no, version, term, routing, raw in self.store.iter_docs(uuid):
                index.load_doc(doc_id, seq_no, version, term, routing, raw, row)
            self.indices[name] = index

    def commit(self) -> None:
        """Make every write so far durable now (as the engine lock's holder)."""
        self.store.commit()

    def seal(self) -> int:
        """End a request's writes (under the lock); the ticket for `wait_durable` (0: it wrote nothing)."""
        return self.store.seal()

    def wait_durable(self, ticket: int) -> None:
        """Wait, without the lock, until the writes of the request that got `ticket` are committed."""
        if ticket:
            self.store.wait_durable(ticket)

    def close(self) -> None:
        self.store.close()

    # ---- index lifecycle --------------------------------------------------------------------
    def create_index(self, name: str, body: dict[str, Any] | None = None, *, auto: bool = False,
                     templates: bool = True) -> Index:
        """Create an index: templates first (composable, else legacy), then the request body.

        `templates=False` skips template matching (resize copies its settings from the source index).
        """
        request = parse_create_body(body)
        name = resolve_date_math(name)
        validate_index_name(name)
        if name in self.indices:
            raise resource_already_exists(name, self.indices[name].uuid)
        if name in self.alias_names():
            raise EsError(400, "invalid_index_name_exception", f"Invalid index name [{name}], already exists as alias",
                          index_uuid="_na_", index=name)
        request_flat = request["settings"]
        hidden = request_flat.get("index.hidden") == "true"
        parts: list[dict[str, Any]] = []
        found = self.find_v2_template(name, hidden) if templates else None
        if not templates:
            parts = []
        elif found is not None:
            tname, tpl = found
            if tpl.get("data_stream") is not None:
                raise illegal_argument(f"cannot create index with name [{name}], because it matches with template "
                                       f"[{tname}] that creates data streams only, use create data stream api "
                                       f"instead")
            if auto and tpl.get("allow_auto_create") is False:
                raise EsError(404, "index_not_found_exception",
                              f"no such index [composable template {_jlist(tpl['index_patterns'])} forbids index "
                              f"auto creation]", **{"resource.type": "index_expression", "resource.id": name,
                                                    "index_uuid": "_na_", "index": name})
            parts = self.template_parts(tpl)
        else:
            parts = [t for _, t in self.find_v1_templates(name, hidden)]
        parts = [*parts, request]
        flat, mappings, aliases = compose(parts)
        settings_mod.validate(flat)
        flat = {k: v for k, v in flat.items() if v is not None}
        mappings = _apply_source_mode(flat, mappings)
        resolved_aliases: dict[str, dict[str, Any]] = {}
        for alias, spec in aliases.items():
            alias_name = resolve_date_math(alias)
            self._validate_alias(alias_name, name, spec)
            resolved_aliases[alias_name] = spec
        uuid = uuid_mod.uuid4().hex[:22]
        index = Index(name, uuid, flat, None, store=self.store)
        if mappings:
            try:
                index.mapping.merge(mappings)
            except EsError as err:
                raise wrap_mapping_error(err) from None
        for alias, spec in resolved_aliases.items():
            if spec.get("filter") is not None:
                validate_alias_filter(index, alias, spec["filter"])
        index.aliases = resolved_aliases
        _check_alias_state({**{n: i.aliases for n, i in self.indices.items()}, name: resolved_aliases},
                           {**{n: settings_mod.bool_setting(i.settings, "hidden") for n, i in self.indices.items()},
                            name: hidden})
        self.indices[name] = index
        index.persist_meta()
        return index

    def delete_index(self, index: Index) -> None:
        self.store.delete_index(index.uuid)
        del self.indices[index.name]

    def close_index(self, index: Index) -> None:
        if not index.closed:
            index.closed = True
            index.persist_meta()

    def open_index(self, index: Index) -> None:
        if index.closed:
            index.closed = False
            index.persist_meta()

    # ---- templates: lookup and composition --------------------------------------------------
    def find_v2_template(self, name: str, hidden: bool = False,
                         templates: dict[str, dict[str, Any]] | None = None) -> tuple[str, dict[str, Any]] | None:
        """The highest-priority composable template whose patterns match `name`."""
        best: tuple[int, str] | None = None
        source = self.index_templates if templates is None else templates
        for tname in sorted(source):
            tpl = source[tname]
            patterns = tpl.get("index_patterns", [])
            if hidden and "*" in patterns:
                continue
            if any(simple_match(p, name) for p in patterns):
                prio = int(tpl.get("priority") or 0)
                if best is None or prio > best[0]:
                    best = (prio, tname)
        return (best[1], source[best[1]]) if best else None

    def find_v1_templates(self, name: str, hidden: bool = False) -> list[tuple[str, dict[str, Any]]]:
        """Matching legacy templates, lowest order first (later ones override)."""
        out = []
        for tname, tpl in self.legacy_templates.items():
            patterns = tpl.get("index_patterns", [])
            if hidden and "*" in patterns:
                continue
            if any(simple_match(p, name) for p in patterns):
                out.append((tname, tpl))
        out.sort(key=lambda item: (int(item[1].get("order") or 0), item[0]))
        return [(n, {"settings": t.get("settings", {}), "mappings": t.get("mappings"),
                     "aliases": t.get("aliases", {})}) for n, t in out]

    def template_parts(self, tpl: dict[str, Any],
                       components: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The template sections to compose: component templates in order, then the template's own."""
        comps = self.component_templates if components is None else components
        parts = [comps[c].get("template", {}) for c in tpl.get("composed_of", []) if c in comps]
        parts.append(tpl.get("template") or {})
        return parts

    # ---- templates: index templates ---------------------------------------------------------
    def put_index_template(self, name: str, body: Any, *, create: bool = False, dry_run: bool = False) -> dict:
        """Validate and store a composable index template (ES's rules and messages)."""
        tpl = parse_index_template(name, body)
        if create and name in self.index_templates:
            raise illegal_argument(f"index template [{name}] already exists")
        self._validate_index_template(name, tpl, self.index_templates)
        now = int(time.time() * 1000)
        previous = self.index_templates.get(name) or {}
        tpl["created_date_millis"] = previous.get("created_date_millis", now)
        tpl["modified_date_millis"] = now
        if not dry_run:
            self.index_templates[name] = tpl
            self.store.put_object("index_template", name, tpl)
        return tpl

    def _validate_index_template(self, name: str, tpl: dict[str, Any], existing: dict[str, dict[str, Any]],
                                 components: dict[str, dict[str, Any]] | None = None) -> None:
        comps = self.component_templates if components is None else components
        ignore = tpl.get("ignore_missing_component_templates") or []
        missing = [c for c in tpl.get("composed_of", []) if c not in comps and c not in ignore]
        if missing:
            raise invalid_template(name, f"index template [{name}] specifies a missing component templates "
                                         f"[{', '.join(missing)}] that does not exist")
        priority = int(tpl.get("priority") or 0)
        overlaps = {}
        for other_name in sorted(existing):
            other = existing[other_name]
            if other_name == name or int(other.get("priority") or 0) != priority:
                continue
            if patterns_overlap(tpl["index_patterns"], other.get("index_patterns", [])):
                overlaps[other_name] = other.get("index_patterns", [])
        if overlaps:
            raise illegal_argument(
                f"index template [{name}] has index patterns {_jlist(tpl['index_patterns'])} matching patterns from "
                f"existing templates [{','.join(overlaps)}] with patterns ("
                + ",".join(f"{k} => {_jlist(v)}" for k, v in overlaps.items())
                + f") that have the same priority [{priority}], multiple index templates may not match during "
                  f"index creation, please use a different priority")
        flat, mappings, aliases = compose(self.template_parts(tpl, comps))
        if "*" in tpl["index_patterns"] and "index.hidden" in flat:
            raise invalid_template(name, "global composable templates may not specify the setting index.hidden")
        for alias in aliases:
            if alias in tpl["index_patterns"]:
                raise illegal_argument(f"alias [{alias}] cannot be the same as any pattern in "
                                       f"[{', '.join(tpl['index_patterns'])}]")
        try:
            settings_mod.validate(flat)
            probe = Index("validate", "_na_", {k: v for k, v in flat.items() if v is not None}, None)
            if mappings:
                try:
                    probe.mapping.merge(mappings)
                except EsError as err:
                    raise wrap_mapping_error(err) from None
        except EsError as err:
            comp = tpl.get("composed_of") or []
            where = f"with component templates {_jlist(comp)} " if comp else ""
            raise EsError(400, "illegal_argument_exception",
                          f"composable template [{name}] template after composition {where}is invalid",
                          caused_by=err) from None

    def get_index_templates(self, expression: str | None) -> list[tuple[str, dict[str, Any]]]:
        names = _match_names(expression, self.index_templates, "index template")
        return [(n, self.index_templates[n]) for n in names]

    def delete_index_templates(self, expression: str) -> None:
        names = _delete_names(expression, self.index_templates,
                              lambda missing: EsError(404, "index_template_missing_exception",
                                                      f"index_template [{missing}] missing"))
        for n in names:
            del self.index_templates[n]
            self.store.delete_object("index_template", n)

    # ---- templates: component templates -----------------------------------------------------
    def put_component_template(self, name: str, body: Any, *, create: bool = False) -> None:
        tpl = parse_component_template(name, body)
        if create and name in self.component_templates:
            raise illegal_argument(f"component template [{name}] already exists")
        flat, mappings, _aliases = compose([tpl["template"]])
        try:
            settings_mod.validate(flat)
        except EsError as err:
            raise invalid_template(name, f"Validation Failed: 1: {err.reason};") from None
        probe = Index("validate", "_na_", {k: v for k, v in flat.items() if v is not None}, None)
        if mappings:
            try:
                probe.mapping.merge(mappings)
            except EsError as err:
                raise wrap_mapping_error(err) from None
        updated = {**self.component_templates, name: tpl}
        for tname, itpl in sorted(self.index_templates.items()):
            if name in itpl.get("composed_of", []):
                try:
                    self._validate_index_template(tname, itpl, {}, updated)
                except EsError as err:
                    raise EsError(400, "illegal_argument_exception",
                                  f"updating component template [{name}] results in invalid composable template "
                                  f"[{tname}] after templates are merged", caused_by=err) from None
        now = int(time.time() * 1000)
        tpl["created_date_millis"] = (self.component_templates.get(name) or {}).get("created_date_millis", now)
        tpl["modified_date_millis"] = now
        self.component_templates[name] = tpl
        self.store.put_object("component_template", name, tpl)

    def get_component_templates(self, expression: str | None) -> list[tuple[str, dict[str, Any]]]:
        names = _match_names(expression, self.component_templates, "component template")
        return [(n, self.component_templates[n]) for n in names]

    def delete_component_templates(self, expression: str) -> None:
        names = _delete_names(expression, self.component_templates,
                              lambda missing: EsError(404, "resource_not_found_exception", missing))
        used: set[str] = set()
        users: set[str] = set()
        for tname, tpl in self.index_templates.items():
            hit = [c for c in tpl.get("composed_of", []) if c in names]
            if hit:
                used.update(hit)
                users.add(tname)
        if used:
            raise illegal_argument(f"component templates {_jlist(sorted(used))} cannot be removed as they are still "
                                   f"in use by index templates {_jlist(sorted(users))}")
        for n in names:
            del self.component_templates[n]
            self.store.delete_object("component_template", n)

    # ---- templates: legacy ------------------------------------------------------------------
    def put_legacy_template(self, name: str, body: Any, *, create: bool = False, order: int | None = None) -> None:
        tpl = parse_legacy_template(name, body)
        if order is not None:
            tpl["order"] = order
        if create and name in self.legacy_templates:
            raise illegal_argument(f"index_template [{name}] already exists")
        flat, mappings, _aliases = compose([tpl])
        try:
            settings_mod.validate(flat)
        except EsError as err:
            raise invalid_template(name, f"Validation Failed: 1: {err.reason};") from None
        if mappings:
            probe = Index("validate", "_na_", {k: v for k, v in flat.items() if v is not None}, None)
            try:
                probe.mapping.merge(mappings)
            except EsError as err:
                raise EsError(400, "mapper_parsing_exception", f"Failed to parse mapping: {err.reason}",
                              caused_by=err) from None
        self.legacy_templates[name] = tpl
        self.store.put_object("legacy_template", name, tpl)

    def get_legacy_templates(self, expression: str | None) -> list[tuple[str, dict[str, Any]]]:
        if not expression:
            return sorted(self.legacy_templates.items())
        out = []
        for part in _split(expression):
            for n in sorted(self.legacy_templates):
                if simple_match(part, n) and (n, self.legacy_templates[n]) not in out:
                    out.append((n, self.legacy_templates[n]))
        return out

    def delete_legacy_templates(self, expression: str) -> None:
        names = _delete_names(expression, self.legacy_templates,
                              lambda missing: EsError(404, "index_template_missing_exception",
                                                      f"index_template [{missing}] missing"))
        for n in names:
            del self.legacy_templates[n]
            self.store.delete_object("legacy_template", n)

    # ---- templates: simulation --------------------------------------------------------------
    def simulate_index(self, name: str, body: Any = None) -> dict[str, Any]:
        """What creating index `name` would get from templates (body: an extra template to consider)."""
        name = resolve_date_math(name)
        templates = dict(self.index_templates)
        if body is not None:
            tpl = parse_index_template(name, body)
            self._validate_index_template(name, tpl, templates)
            templates[name] = tpl
        found = self.find_v2_template(name, False, templates)
        if found is None:
            return {}
        tname, tpl = found
        overlapping = [{"name": n, "index_patterns": t["index_patterns"]}
                       for n, t in sorted(self.legacy_templates.items())
                       if any(simple_match(p, name) for p in t.get("index_patterns", []))]
        overlapping += [{"name": n, "index_patterns": t["index_patterns"]} for n, t in sorted(templates.items())
                        if n != tname and any(simple_match(p, name) for p in t.get("index_patterns", []))]
        return {"template": self._resolved_template(tpl), "overlapping": overlapping}

    def simulate_template(self, name: str | None, body: Any = None) -> dict[str, Any]:
        """Resolve a template (stored, or given in the body) with its component templates."""
        templates = dict(self.index_templates)
        if body is not None:
            tname = name or "simulate_template_" + uuid_mod.uuid4().hex[:8]
            tpl = parse_index_template(tname, body)
            self._validate_index_template(tname, tpl, templates)
            templates[tname] = tpl
        else:
            if name is None or name not in templates:
                raise illegal_argument(f"unable to simulate template [{name}] that does not exist")
            tname, tpl = name, templates[name]
        overlapping = [{"name": n, "index_patterns": t["index_patterns"]}
                       for n, t in sorted(self.legacy_templates.items())
                       if patterns_overlap(tpl["index_patterns"], t.get("index_patterns", []))]
        overlapping += [{"name": n, "index_patterns": t["index_patterns"]} for n, t in sorted(templates.items())
                        if n != tname and patterns_overlap(tpl["index_patterns"], t.get("index_patterns", []))]
        return {"template": self._resolved_template(tpl), "overlapping": overlapping}

    def _resolved_template(self, tpl: dict[str, Any]) -> dict[str, Any]:
        flat, mappings, aliases = compose(self.template_parts(tpl))
        flat = {k: v for k, v in flat.items() if v is not None}
        probe = Index("simulate", "_na_", flat, None)
        if mappings:
            probe.mapping.merge(mappings)
        return {"settings": settings_mod.nest(flat), "mappings": probe.mapping.to_json(),
                "aliases": {a: render_alias(s) for a, s in aliases.items()}}

    # ---- mappings and settings ----------------------------------------------------------------
    def put_mapping(self, indices: list[Index], mapping: dict[str, Any]) -> None:
        """Merge a mapping into every index, or into none if any of them rejects it."""
        from .mapping import Mapping

        for idx in indices:
            check_metadata_block(idx)
        for idx in indices:
            probe = Mapping(copy.deepcopy(idx.mapping.root), idx.analysis)
            probe.merge(copy.deepcopy(mapping))
        for idx in indices:
            idx.put_mapping(copy.deepcopy(mapping))

    def update_settings(self, indices: list[Index], flat: dict[str, Any], *, preserve_existing: bool = False) -> None:
        """Apply settings to every index after validating them all (dynamic ones only on open indices)."""
        for key, value in flat.items():
            if settings_mod.setting_kind(key) is None:
                raise settings_mod.unknown_setting(key)
            if value is not None:
                settings_mod.check_value(key, value)
        if not all(k.startswith("index.blocks.") for k in flat):
            for idx in indices:
                check_metadata_block(idx)
        static = sorted(k for k in flat if not settings_mod.is_dynamic(k))
        final = [k for k in static if settings_mod.is_final(k)]
        open_indices = [i for i in indices if not i.closed]
        if static and open_indices:
            raise illegal_argument(
                f"Can't update non dynamic settings [[{', '.join(static)}]] for open indices "
                f"[{', '.join(f'[{i.name}/{i.uuid}]' for i in open_indices)}]")
        if final:
            raise illegal_argument(f"final {indices[0].name if indices else 'index'} setting [{final[0]}], "
                                   f"not updateable")
        hidden = flat.get("index.hidden")
        if hidden is not None:
            states = {n: settings_mod.bool_setting(i.settings, "hidden") for n, i in self.indices.items()}
            states.update({i.name: hidden == "true" for i in indices})
            _check_alias_state({n: i.aliases for n, i in self.indices.items()}, states)
        for idx in indices:
            changes = dict(flat)
            if preserve_existing:
                changes = {k: v for k, v in changes.items() if k not in idx.settings}
            if not changes:
                continue
            if any(k.startswith("index.analysis.") for k in changes) and idx.closed:
                idx.update_settings(changes)
                continue
            merged = dict(idx.settings)
            for key, value in changes.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            idx.settings = merged
            idx.persist_meta()

    # ---- resolution -------------------------------------------------------------------------
    def alias_names(self) -> set[str]:
        return {a for idx in self.indices.values() for a in idx.aliases}

    def alias_map(self) -> dict[str, list[tuple[Index, dict[str, Any]]]]:
        """alias -> [(index, alias spec)] over every index."""
        out: dict[str, list[tuple[Index, dict[str, Any]]]] = {}
        for idx in self.indices.values():
            for alias, spec in idx.aliases.items():
                out.setdefault(alias, []).append((idx, spec))
        return out

    def resolve(self, expression: str | list[str] | None, *, ignore_unavailable: bool = False,
                allow_no_indices: bool = True, expand_wildcards: str = "open", forbid_closed: bool = True,
                ignore_aliases: bool = False) -> list[Target]:
        """Resolve an index expression (names, aliases, wildcards, `-exclusions`, `_all`) to targets.

        `forbid_closed`: a closed index named explicitly is an error (skipped with ignore_unavailable);
        otherwise it is returned. `ignore_aliases`: alias names are errors (skipped with ignore_unavailable)
        and wildcards match index names only, as for delete-index.
        """
        names = _split(expression)
        if not names or names == ["_all"]:
            names = ["*"]
        expand = parse_expand_wildcards(expand_wildcards)
        found: dict[str, list[dict[str, Any] | None]] = {}
        aliases = self.alias_map()
        wildcard_seen = False

        def add(idx: Index, flt: dict[str, Any] | None) -> None:
            found.setdefault(idx.name, []).append(flt)

        for raw in names:
            expr = resolve_date_math(raw)
            if expr.startswith("-") and wildcard_seen:
                pattern = expr[1:]
                for key in [k for k in found if simple_match(pattern, k)]:
                    del found[key]
                continue
            if (expr == "_all" or "*" in expr) and expand:
                wildcard_seen = True
                pattern = "*" if expr == "_all" else expr
                matched = False
                for idx in self.indices.values():
                    if simple_match(pattern, idx.name) and _visible(idx, expand, pattern):
                        add(idx, None)
                        matched = True
                if not ignore_aliases:
                    for alias, holders in aliases.items():
                        if not simple_match(pattern, alias):
                            continue
                        if any(s.get("is_hidden") for _, s in holders) and "hidden" not in expand \
                                and not pattern.startswith("."):
                            continue
                        for idx, spec in holders:
                            if ("closed" if idx.closed else "open") in expand:
                                add(idx, spec.get("filter"))
                                matched = True
                if not matched and not allow_no_indices:
                    raise index_not_found(expr)
                continue
            if expr in self.indices:
                idx = self.indices[expr]
                if idx.closed and forbid_closed:
                    if ignore_unavailable:
                        continue
                    raise index_closed(idx)
                add(idx, None)
                continue
            holders = aliases.get(expr)
            if holders:
                if ignore_aliases:
                    if ignore_unavailable:
                        continue
                    raise illegal_argument(f"The provided expression [{expr}] matches an alias, specify the "
                                           f"corresponding concrete indices instead.")
                for idx, spec in holders:
                    if idx.closed and forbid_closed:
                        if ignore_unavailable:
                            continue
                        raise index_closed(idx)
                    add(idx, spec.get("filter"))
                continue
            if ignore_unavailable:
                continue
            raise index_not_found(expr)
        if not found and not allow_no_indices:
            raise index_not_found(",".join(names))
        out = []
        for name, filters in found.items():
            if any(f is None for f in filters):
                flt = None
            elif len(filters) == 1:
                flt = filters[0]
            else:
                flt = {"bool": {"should": filters, "minimum_should_match": 1}}
            out.append(Target(self.indices[name], flt))
        return out

    def write_index(self, name: str, *, auto_create: bool = True) -> Index:
        """The index a write to `name` goes to (concrete index, or the alias's write index)."""
        name = resolve_date_math(name)
        if name in self.indices:
            index = self.indices[name]
            check_write_block(index)
            return index
        holders = [idx for idx in self.indices.values() if name in idx.aliases]
        if holders:
            writers = [i for i in holders if i.aliases[name].get("is_write_index")]
            if len(writers) == 1:
                check_write_block(writers[0])
                return writers[0]
            if len(holders) == 1 and holders[0].aliases[name].get("is_write_index") is None:
                check_write_block(holders[0])
                return holders[0]
            raise illegal_argument(
                f"no write index is defined for alias [{name}]. The write index may be explicitly disabled using "
                f"is_write_index=false or the alias points to multiple indices without one being designated as "
                f"a write index")
        if not auto_create:
            raise index_not_found(name)
        return self.create_index(name, auto=True)

    def write_alias_of(self, name: str) -> tuple[str, dict[str, Any]] | None:
        """For a write through alias `name`: (write index name, alias spec), else None."""
        holders = [idx for idx in self.indices.values() if name in idx.aliases]
        writers = [i for i in holders if i.aliases[name].get("is_write_index")]
        if len(writers) == 1:
            return writers[0].name, writers[0].aliases[name]
        if len(holders) == 1 and holders[0].aliases[name].get("is_write_index") is None:
            return holders[0].name, holders[0].aliases[name]
        return None

    # ---- aliases ----------------------------------------------------------------------------
    def _validate_alias(self, alias: str, index_name: str | None, spec: dict[str, Any] | None = None,
                        removed: set[str] | None = None) -> None:
        if not alias:
            raise illegal_argument("alias name is required")
        problem = name_problem(alias)
        if problem:
            raise EsError(400, "invalid_alias_name_exception", f"Invalid alias name [{alias}]: {problem}")
        existing = self.indices.get(alias)
        if (existing is not None and alias not in (removed or set())) or alias == index_name:
            uuid = existing.uuid if existing is not None else "_na_"
            raise EsError(400, "invalid_alias_name_exception",
                          f"Invalid alias name [{alias}], an index or data stream exists with the same name as the "
                          f"alias", index_uuid=uuid, index=alias)
        routing = (spec or {}).get("index_routing")
        if routing is not None and "," in str(routing):
            raise illegal_argument(f"alias [{alias}] has several index routing values associated with it")
        flt = (spec or {}).get("filter")
        if flt is not None and index_name in self.indices:
            validate_alias_filter(self.indices[index_name], alias, flt)

    def update_aliases(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        """Apply parsed alias actions atomically: all validated before any is applied.

        Each action: {"type": add|remove|remove_index, "indices": [...], "aliases": [...],
        "spec": {...}, "must_exist": bool|None}. Returns ES's response body.
        """
        final: list[tuple[str, str, str, Any]] = []
        results: list[dict[str, Any]] = []
        requested: set[str] = set()
        for action in actions:
            kind = action["type"]
            targets = self.resolve(action["indices"], expand_wildcards="open,closed", forbid_closed=False,
                                   ignore_aliases=kind == "remove_index")
            removed = 0
            names = sorted(t.index.name for t in targets)
            for t in targets:
                idx = t.index
                if kind != "remove_index":
                    check_metadata_block(idx)
                if kind == "add":
                    for alias in action["aliases"]:
                        final.append(("add", idx.name, resolve_date_math(alias), action.get("spec") or {}))
                elif kind == "remove":
                    matched = match_aliases(action["aliases"], list(idx.aliases))
                    if not matched and action.get("must_exist"):
                        matched = list(action["aliases"])
                    for alias in matched:
                        final.append(("remove", idx.name, alias, action.get("must_exist")))
                        removed += 1
                else:
                    final.append(("remove_index", idx.name, "", None))
            requested.update(action.get("aliases") or [])
            result: dict[str, Any] = {"action": {"type": kind, "indices": names,
                                                 "aliases": list(action.get("aliases") or [])}, "status": 200}
            if kind == "remove" and removed == 0:
                err = aliases_not_found(list(action.get("aliases") or []))
                result["status"] = 404
                result["error"] = err.to_dict()
            results.append(result)
        if not final and actions:
            raise aliases_not_found(sorted(requested))
        removed_indices = {op[1] for op in final if op[0] == "remove_index"}
        state = {n: copy.deepcopy(i.aliases) for n, i in self.indices.items() if n not in removed_indices}
        for kind, index_name, alias, payload in final:
            if kind == "add":
                if index_name not in state:
                    raise index_not_found(index_name)
                self._validate_alias(alias, index_name, payload, removed_indices)
                state[index_name][alias] = copy.deepcopy(payload)
            elif kind == "remove":
                if index_name not in state:
                    continue
                if alias not in state[index_name]:
                    if payload:
                        raise EsError(404, "resource_not_found_exception", f"required alias [{alias}] does not exist")
                    continue
                del state[index_name][alias]
        _check_alias_state(state, {n: settings_mod.bool_setting(self.indices[n].settings, "hidden") for n in state})
        for name in removed_indices:
            self.delete_index(self.indices[name])
        for name, aliases in state.items():
            idx = self.indices[name]
            if aliases != idx.aliases:
                idx.aliases = aliases
                idx.persist_meta()
        errors = any(r["status"] != 200 for r in results)
        body: dict[str, Any] = {"acknowledged": True, "errors": errors}
        if errors:
            body["action_results"] = results
        return body


# ---- alias helpers ------------------------------------------------------------------------------
def parse_alias_spec(alias: str, spec: Any) -> dict[str, Any]:
    """An alias definition from create-index / template bodies (ES's Alias.fromXContent rules)."""
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise EsError(400, "parse_exception", "Failed to parse aliases")
    out: dict[str, Any] = {}
    routing = None
    for key, value in spec.items():
        if key == "filter":
            if isinstance(value, dict):
                if value:
                    out["filter"] = value
            elif value is not None:
                raise illegal_argument(f"Unsupported {_token_name(value)} type value [{_java(value)}] for field "
                                       f"[{key}] in alias [{alias}]")
        elif key in ("routing", "index_routing", "search_routing", "indexRouting", "searchRouting",
                     "index-routing", "search-routing"):
            if isinstance(value, (bool, dict, list)):
                raise illegal_argument(f"Unsupported {_token_name(value)} type value [{_java(value)}] for field "
                                       f"[{key}] in alias [{alias}]")
            if value is None:
                continue
            text = str(value)
            if key == "routing":
                routing = text
            elif "index" in key.lower():
                out["index_routing"] = text
            else:
                out["search_routing"] = text
        elif key in ("is_write_index", "is_hidden"):
            if value is None:
                continue
            if not isinstance(value, bool):
                raise illegal_argument(f"Unsupported {_token_name(value)} type value [{_java(value)}] for field "
                                       f"[{key}] in alias [{alias}]")
            out[key] = value
        else:
            raise illegal_argument(f"Unsupported {_token_name(value)} type value [{_java(value)}] for field [{key}] "
                                   f"in alias [{alias}]" if not isinstance(value, dict)
                                   else f"Unsupported field [{key}] in alias [{alias}]")
    if routing is not None:
        out.setdefault("index_routing", routing)
        out.setdefault("search_routing", routing)
    return _ordered_alias(out)


def _ordered_alias(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: spec[k] for k in ALIAS_KEYS if k in spec and spec[k] is not None}


def validate_alias_filter(index: Index, alias: str, flt: Any) -> None:
    """Parse the alias filter as a query against the index, as ES's AliasValidator does."""
    if not isinstance(flt, dict):
        raise illegal_argument(f"failed to parse filter for alias [{alias}]")
    try:
        import numpy as np

        from .query import QueryContext, execute
    except ImportError:  # the query module is optional for metadata operations
        return
    ctx = QueryContext(index, np.zeros(index.segment.max_doc, dtype=bool), int(time.time() * 1000))
    try:
        execute(flt, ctx)
    except EsError as err:
        raise EsError(400, "illegal_argument_exception", f"failed to parse filter for alias [{alias}]",
                      caused_by=err) from None
    except Exception:  # noqa: BLE001 - queries that need a search context cannot be checked here
        return


def render_alias(spec: dict[str, Any]) -> dict[str, Any]:
    """An alias as ES's AliasMetadata renders it."""
    return _ordered_alias(spec)


def _token_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "String"
    if isinstance(value, (int, float)):
        return "Number"
    if isinstance(value, list):
        return "Array"
    return "Object"


def _java(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def match_aliases(patterns: list[str], names: list[str]) -> list[str]:
    """Alias names matching a pattern list (`_all`, `*`, wildcards, `-exclusions` after a wildcard)."""
    selected: list[str] = []
    wildcard_seen = False
    for pattern in patterns:
        if pattern.startswith("-") and wildcard_seen:
            selected = [n for n in selected if not simple_match(pattern[1:], n)]
            continue
        if pattern in ("_all", "*") or "*" in pattern:
            wildcard_seen = True
        target = "*" if pattern == "_all" else pattern
        for n in names:
            if simple_match(target, n) and n not in selected:
                selected.append(n)
    return selected


def aliases_not_found(names: list[str]) -> EsError:
    rid: Any = names[0] if len(names) == 1 else list(names)
    return EsError(404, "aliases_not_found_exception", f"aliases {_jlist(names)} missing",
                   **{"resource.type": "aliases", "resource.id": rid})


def _check_alias_state(state: dict[str, dict[str, dict[str, Any]]], hidden: dict[str, bool]) -> None:
    """Post-change invariants: at most one write index per alias; is_hidden the same on all indices."""
    writers: dict[str, list[str]] = {}
    hidden_flags: dict[str, dict[bool, list[str]]] = {}
    for name in sorted(state):
        for alias, spec in state[name].items():
            if spec.get("is_write_index"):
                writers.setdefault(alias, []).append(name)
            hidden_flags.setdefault(alias, {}).setdefault(bool(spec.get("is_hidden")), []).append(name)
    for alias, names in writers.items():
        if len(names) > 1:
            raise EsError(500, "illegal_state_exception",
                          f"alias [{alias}] has more than one write index [{','.join(names)}]")
    for alias, groups in hidden_flags.items():
        if len(groups) > 1:
            raise EsError(500, "illegal_state_exception",
                          f"alias [{alias}] has is_hidden set to true on indices {_jlist(groups[True])} but does not "
                          f"have is_hidden set to true on indices {_jlist(groups[False])}; alias must have the same "
                          f"is_hidden setting on all indices")


# ---- body parsing ---------------------------------------------------------------------------------
def parse_create_body(body: Any) -> dict[str, Any]:
    """Parse a create-index body into {settings (flat), mappings, aliases (parsed)}."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise EsError(400, "parse_exception", "request body must be a JSON object")
    out: dict[str, Any] = {"settings": {}, "mappings": None, "aliases": {}}
    for key, value in body.items():
        if key == "settings":
            if not isinstance(value, dict):
                raise EsError(400, "parse_exception", "key [settings] must be an object")
            out["settings"] = settings_mod.flatten_settings(value)
        elif key == "mappings":
            if not isinstance(value, dict):
                raise EsError(400, "parse_exception", "key [mappings] must be an object")
            out["mappings"] = _unwrap_doc(value)
        elif key == "aliases":
            if not isinstance(value, dict):
                raise EsError(400, "parse_exception", "key [aliases] must be an object")
            out["aliases"] = {a: parse_alias_spec(a, s) for a, s in value.items()}
        else:
            raise EsError(400, "parse_exception", f"unknown key [{key}] for create index")
    return out


def _unwrap_doc(mapping: dict[str, Any]) -> dict[str, Any]:
    if len(mapping) == 1 and "_doc" in mapping and isinstance(mapping["_doc"], dict):
        return mapping["_doc"]
    return mapping


INDEX_TEMPLATE_FIELDS = ["index_patterns", "template", "composed_of", "priority", "version", "_meta",
                         "data_stream", "allow_auto_create", "ignore_missing_component_templates", "deprecated",
                         "created_date_millis", "modified_date_millis"]
TEMPLATE_FIELDS = ["settings", "mappings", "aliases", "lifecycle", "data_stream_options"]
COMPONENT_TEMPLATE_FIELDS = ["template", "version", "_meta", "deprecated", "created_date_millis",
                             "modified_date_millis"]


def parse_index_template(name: str, body: Any) -> dict[str, Any]:
    """A composable index template body, validated and normalized (settings kept flat)."""
    if not isinstance(body, dict):
        raise EsError(400, "parse_exception", "request body is required")
    for key in ("managed", "registry_installed"):
        if key in body:
            raise illegal_argument(f"[{key}] is a system-managed field and cannot be set by a user")
    for key in body:
        if key not in INDEX_TEMPLATE_FIELDS:
            raise unknown_field("index_template", key, INDEX_TEMPLATE_FIELDS)
    for key, shown in (("created_date_millis", "created_date"), ("modified_date_millis", "modified_date")):
        if key in body:
            raise invalid_template(name, f"provided a template property which is managed by the system: {shown}")
    patterns = body.get("index_patterns")
    if patterns is None:
        raise illegal_argument("Required [index_patterns]")
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise x_content_error("index_template", "index_patterns")
    tpl: dict[str, Any] = {"index_patterns": list(patterns)}
    if body.get("template") is not None:
        tpl["template"] = parse_template_section(name, body["template"])
    composed = body.get("composed_of")
    if composed is not None:
        if not isinstance(composed, list) or not all(isinstance(c, str) for c in composed):
            raise x_content_error("index_template", "composed_of")
    tpl["composed_of"] = list(composed or [])
    for key in ("priority", "version"):
        value = body.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, str)) or not re.fullmatch(r"-?\d+", str(value)):
                raise x_content_error("index_template", key)
            tpl[key] = int(value)
    if tpl.get("priority") is not None and tpl["priority"] < 0:
        raise EsError(400, "action_request_validation_exception",
                      "Validation Failed: 1: index template priority must be >= 0;")
    if body.get("_meta") is not None:
        if not isinstance(body["_meta"], dict):
            raise x_content_error("index_template", "_meta")
        tpl["_meta"] = body["_meta"]
    if body.get("data_stream") is not None:
        ds = body["data_stream"]
        if not isinstance(ds, dict):
            raise x_content_error("index_template", "data_stream")
        for key in ds:
            if key not in ("hidden", "allow_custom_routing", "failure_store"):
                raise unknown_field("data_stream_template", key, ["hidden", "allow_custom_routing"])
        tpl["data_stream"] = {"hidden": bool(ds.get("hidden", False)),
                              "allow_custom_routing": bool(ds.get("allow_custom_routing", False))}
    for key in ("allow_auto_create", "deprecated"):
        if body.get(key) is not None:
            if not isinstance(body[key], bool):
                raise x_content_error("index_template", key)
            tpl[key] = body[key]
    if body.get("ignore_missing_component_templates") is not None:
        value = body["ignore_missing_component_templates"]
        tpl["ignore_missing_component_templates"] = [value] if isinstance(value, str) else list(value)
    errors = _template_name_errors(name, tpl["index_patterns"])
    section = tpl.get("template") or {}
    if section.get("settings"):
        try:
            settings_mod.validate(section["settings"])
        except EsError as err:
            errors.append(err.reason or "")
    if errors:
        raise invalid_template(name, "Validation Failed: " + "".join(f"{i + 1}: {e};" for i, e in enumerate(errors)))
    return tpl


def parse_template_section(name: str, section: Any) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise x_content_error("index_template", "template")
    for key in section:
        if key not in TEMPLATE_FIELDS:
            raise unknown_field("template", key, TEMPLATE_FIELDS)
    out: dict[str, Any] = {}
    if section.get("settings") is not None:
        if not isinstance(section["settings"], dict):
            raise x_content_error("template", "settings")
        out["settings"] = settings_mod.flatten_settings(section["settings"])
    if section.get("mappings") is not None:
        if not isinstance(section["mappings"], dict):
            raise x_content_error("template", "mappings")
        out["mappings"] = _unwrap_doc(section["mappings"])
    if section.get("aliases") is not None:
        if not isinstance(section["aliases"], dict):
            raise x_content_error("template", "aliases")
        out["aliases"] = {}
        for alias, spec in section["aliases"].items():
            parsed = parse_alias_spec(alias, spec)
            problem = name_problem(alias)
            if problem:
                raise EsError(400, "invalid_alias_name_exception", f"Invalid alias name [{alias}]: {problem}")
            out["aliases"][alias] = parsed
    for key in ("lifecycle", "data_stream_options"):
        if section.get(key) is not None:
            out[key] = section[key]
    return out


def parse_component_template(name: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise EsError(400, "parse_exception", "request body is required")
    for key in body:
        if key not in COMPONENT_TEMPLATE_FIELDS:
            raise unknown_field("component_template", key, COMPONENT_TEMPLATE_FIELDS)
    for key, shown in (("created_date_millis", "created_date"), ("modified_date_millis", "modified_date")):
        if key in body:
            raise invalid_template(name, f"provided a template property which is managed by the system: {shown}")
    if body.get("template") is None:
        raise illegal_argument("Required [template]")
    tpl: dict[str, Any] = {"template": parse_template_section(name, body["template"])}
    if body.get("version") is not None:
        if isinstance(body["version"], bool) or not re.fullmatch(r"-?\d+", str(body["version"])):
            raise x_content_error("component_template", "version")
        tpl["version"] = int(body["version"])
    if body.get("_meta") is not None:
        tpl["_meta"] = body["_meta"]
    if body.get("deprecated") is not None:
        tpl["deprecated"] = bool(body["deprecated"])
    errors = _template_name_errors(name, [])
    if errors:
        raise invalid_template(name, "Validation Failed: " + "".join(f"{i + 1}: {e};" for i, e in enumerate(errors)))
    return tpl


def parse_legacy_template(name: str, body: Any) -> dict[str, Any]:
    """A legacy (`_template`) body: index_patterns, order, version, settings, mappings, aliases."""
    if not isinstance(body, dict):
        raise EsError(400, "parse_exception", "request body is required")
    tpl: dict[str, Any] = {"order": 0, "index_patterns": [], "settings": {}, "mappings": None, "aliases": {}}
    for key, value in body.items():
        if key == "template":
            tpl["index_patterns"] = [str(value)]
        elif key == "index_patterns":
            tpl["index_patterns"] = [value] if isinstance(value, str) else [str(v) for v in value]
        elif key == "order":
            tpl["order"] = int(value)
        elif key == "version":
            tpl["version"] = int(value)
        elif key == "settings":
            if not isinstance(value, dict):
                raise EsError(400, "parse_exception", "key [settings] must be an object")
            tpl["settings"] = settings_mod.flatten_settings(value)
        elif key == "mappings":
            if not isinstance(value, dict):
                raise EsError(400, "parse_exception", "key [mappings] must be an object")
            tpl["mappings"] = _unwrap_doc(value)
        elif key == "aliases":
            tpl["aliases"] = {a: parse_alias_spec(a, s) for a, s in (value or {}).items()}
        else:
            raise EsError(400, "parse_exception", f"unknown key [{key}] in the template ")
    if not tpl["index_patterns"]:
        raise EsError(400, "action_request_validation_exception",
                      "Validation Failed: 1: index patterns are missing;")
    errors = _template_name_errors(name, tpl["index_patterns"])
    if errors:
        raise invalid_template(name, "Validation Failed: " + "".join(f"{i + 1}: {e};" for i, e in enumerate(errors)))
    return tpl


def _template_name_errors(name: str, patterns: list[str]) -> list[str]:
    errors = []
    if " " in name:
        errors.append("name must not contain a space")
    if "," in name:
        errors.append("name must not contain a ','")
    if "#" in name:
        errors.append("name must not contain a '#'")
    if "*" in name:
        errors.append("name must not contain a '*'")
    if name.startswith("_"):
        errors.append("name must not start with '_'")
    if name.lower() != name:
        errors.append("name must be lower cased")
    for p in patterns:
        if " " in p:
            errors.append(f"index_patterns [{p}] must not contain a space")
        if "," in p:
            errors.append(f"index_patterns [{p}] must not contain a ','")
        if "#" in p:
            errors.append(f"index_patterns [{p}] must not contain a '#'")
        if ":" in p:
            errors.append(f"index_patterns [{p}] must not contain a ':'")
        if p.startswith("_"):
            errors.append(f"index_patterns [{p}] must not start with '_'")
        if any(c in INVALID_NAME_CHARS - {"*"} for c in p):
            errors.append(f"index_patterns [{p}] must not contain the following characters {INVALID_CHARS_TEXT}")
    return errors


def invalid_template(name: str, cause: str) -> EsError:
    return EsError(400, "invalid_index_template_exception", f"index_template [{name}] invalid, cause [{cause}]")


def x_content_error(parser: str, field: str) -> EsError:
    return EsError(400, "x_content_parse_exception", f"[1:2] [{parser}] failed to parse field [{field}]",
                   line=1, col=2)


def unknown_field(parser: str, field: str, candidates: list[str]) -> EsError:
    """ES's ObjectParser error for an unknown field, with its "did you mean" suggestions."""
    scored = []
    for candidate in candidates:
        distance = _levenshtein_similarity(field, candidate)
        if distance > 0.5:
            scored.append((-distance, candidate))
    message = f"[{parser}] unknown field [{field}]"
    if scored:
        keys = [c for _, c in sorted(scored)]
        message += " did you mean " + (f"[{keys[0]}]" if len(keys) == 1 else f"any of {_jlist(keys)}") + "?"
    return EsError(400, "x_content_parse_exception", f"[1:2] {message}", line=1, col=2)


def _levenshtein_similarity(a: str, b: str) -> float:
    """Lucene's LevenshteinDistance: 1 - edits / max(len)."""
    if not a or not b:
        return 0.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), len(b))


# ---- composition -----------------------------------------------------------------------------------
def compose(parts: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Merge template sections in order: settings override, mappings deep-merge (later wins), aliases."""
    flat: dict[str, Any] = {}
    mappings: dict[str, Any] = {}
    aliases: dict[str, Any] = {}
    for part in parts:
        settings = part.get("settings") or {}
        if settings and not all(k.startswith("index.") for k in settings):
            settings = settings_mod.flatten_settings(settings)
        flat.update(settings)
        if part.get("mappings"):
            mappings = merge_template_mappings(mappings, _unwrap_doc(part["mappings"]))
        for alias, spec in (part.get("aliases") or {}).items():
            aliases[alias] = copy.deepcopy(spec)
    return flat, mappings, aliases


def _apply_source_mode(flat: dict[str, Any], mappings: dict[str, Any]) -> dict[str, Any]:
    """`_source.mode` as index.mode and index.mapping.source.mode decide it (logsdb/time_series: synthetic)."""
    mode = str(flat.get("index.mode", "standard")).lower()
    setting = flat.get("index.mapping.source.mode")
    source = mappings.get("_source") if mappings else None
    if mode in ("logsdb", "time_series"):
        if isinstance(source, dict) and source.get("mode") not in (None, "synthetic"):
            why = ("Indices with with index mode [logsdb] only support synthetic source" if mode == "logsdb"
                   else "time series indices only support synthetic source")
            raise EsError(400, "mapper_parsing_exception", f"Failed to parse mapping: {why}",
                          caused_by=EsError(400, "illegal_argument_exception", why))
        return {**mappings, "_source": {**(source or {}), "mode": "synthetic"}}
    if setting and isinstance(source, dict) and "mode" in source:
        return {**mappings, "_source": {**source, "mode": setting}}
    return mappings


def merge_template_mappings(base: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """ES's INDEX_TEMPLATE merge: objects merge recursively, a later leaf definition replaces an earlier one."""
    out = copy.deepcopy(base)
    subobjects = _expands_dots(incoming.get("subobjects", out.get("subobjects", True)))
    for key, value in incoming.items():
        if key == "properties" and isinstance(value, dict):
            props = out.setdefault("properties", {})
            _merge_props(props, _expand_dots(value) if subobjects else value)
        elif key == "dynamic_templates" and isinstance(value, list):
            current = out.get("dynamic_templates") or []
            names = [next(iter(t)) for t in value if isinstance(t, dict) and t]
            kept = [t for t in current if not (isinstance(t, dict) and t and next(iter(t)) in names)]
            out["dynamic_templates"] = kept + copy.deepcopy(value)
        elif key == "runtime" and isinstance(value, dict) and isinstance(out.get("runtime"), dict):
            out["runtime"].update(copy.deepcopy(value))
        elif key == "_source" and isinstance(value, dict) and isinstance(out.get("_source"), dict):
            out["_source"].update(copy.deepcopy(value))
        else:
            out[key] = copy.deepcopy(value)
    return out


def _expands_dots(subobjects: Any) -> bool:
    """Whether templates' dotted property names become objects when merged: only with `subobjects: true`;
    `false` keeps them as leaf names and `auto` leaves the choice to the mapping (es360.embedded.mapping)."""
    return subobjects is True or subobjects == "true"


def _is_object(definition: Any) -> bool:
    return isinstance(definition, dict) and (definition.get("type") in (None, "object", "nested"))


def _merge_props(base: dict[str, Any], incoming: dict[str, Any]) -> None:
    for name, definition in incoming.items():
        existing = base.get(name)
        if (existing is not None and _is_object(existing) and _is_object(definition)
                and existing.get("type", "object") == definition.get("type", "object")):
            merged = {k: v for k, v in existing.items() if k != "properties"}
            for key, value in definition.items():
                if key != "properties":
                    merged[key] = copy.deepcopy(value)
            props = copy.deepcopy(existing.get("properties") or {})
            sub = definition.get("properties")
            if isinstance(sub, dict):
                subobjects = _expands_dots(definition.get("subobjects", existing.get("subobjects", True)))
                _merge_props(props, _expand_dots(sub) if subobjects else sub)
            if props or "properties" in existing or "properties" in definition:
                merged["properties"] = props
            base[name] = merged
        else:
            base[name] = copy.deepcopy(definition)


def _expand_dots(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, definition in props.items():
        if "." in name and not name.startswith(".") and not name.endswith(".") and ".." not in name:
            head, rest = name.split(".", 1)
            wrapped = {head: {"properties": _expand_dots({rest: definition})}}
            _merge_props(out, wrapped)
        elif name in out:
            _merge_props(out, {name: definition})
        else:
            out[name] = definition
    return out


# ---- names, patterns and date math ------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.DOTALL)


def simple_match(pattern: str, value: str) -> bool:
    """ES's Regex.simpleMatch: `*` is the only wildcard."""
    if "*" not in pattern:
        return pattern == value
    if pattern == "*":
        return True
    return _glob_regex(pattern).match(value) is not None


def patterns_overlap(a: list[str], b: list[str]) -> bool:
    """Whether some name matches a pattern of `a` and a pattern of `b` (automaton intersection)."""
    return any(_globs_intersect(x, y) for x in a for y in b)


def _globs_intersect(a: str, b: str) -> bool:
    @functools.cache
    def go(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            if go(i + 1, j):
                return True
            if j < len(b):
                return go(i, j + 1)
            return False
        if j < len(b) and b[j] == "*":
            if go(i, j + 1):
                return True
            if i < len(a):
                return go(i + 1, j)
            return False
        if i < len(a) and j < len(b) and a[i] == b[j]:
            return go(i + 1, j + 1)
        return False

    return go(0, 0)


def parse_expand_wildcards(value: str | None) -> set[str]:
    expand: set[str] = set()
    for part in (value if value is not None else "open").split(","):
        part = part.strip()
        if part == "all":
            expand |= {"open", "closed", "hidden"}
        elif part in ("open", "closed", "hidden"):
            expand.add(part)
        elif part == "none":
            continue
        elif part:
            raise illegal_argument(f"No enum constant org.elasticsearch.action.support.IndicesOptions.WildcardStates."
                                   f"{part.upper()}")
    return expand


def _visible(idx: Index, expand: set[str], pattern: str) -> bool:
    if ("closed" if idx.closed else "open") not in expand:
        return False
    if settings_mod.bool_setting(idx.settings, "hidden") and "hidden" not in expand:
        return pattern.startswith(".") and idx.name.startswith(".")
    return True


def index_closed(idx: Index) -> EsError:
    return EsError(400, "index_closed_exception", "closed", index_uuid=idx.uuid, index=idx.name)


def check_write_block(idx: Index) -> None:
    """Raise ES's cluster_block_exception when the index blocks writes."""
    if settings_mod.bool_setting(idx.settings, "blocks.read_only"):
        raise EsError(403, "cluster_block_exception",
                      f"index [{idx.name}] blocked by: [FORBIDDEN/5/index read-only (api)];")
    if settings_mod.bool_setting(idx.settings, "blocks.write"):
        raise EsError(403, "cluster_block_exception",
                      f"index [{idx.name}] blocked by: [FORBIDDEN/8/index write (api)];")
    if settings_mod.bool_setting(idx.settings, "blocks.read_only_allow_delete"):
        raise EsError(429, "cluster_block_exception",
                      f"index [{idx.name}] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage "
                      f"watermark, index has read-only-allow-delete block; for more information, see "
                      f"https://www.elastic.co/guide/en/elasticsearch/reference/8.17/fix-watermark-errors.html];")
    if idx.closed:
        raise index_closed(idx)


def check_metadata_block(idx: Index) -> None:
    """Raise ES's cluster_block_exception when the index blocks metadata writes (mappings, settings, aliases)."""
    if settings_mod.bool_setting(idx.settings, "blocks.read_only"):
        raise EsError(403, "cluster_block_exception",
                      f"index [{idx.name}] blocked by: [FORBIDDEN/5/index read-only (api)];")
    if settings_mod.bool_setting(idx.settings, "blocks.metadata"):
        raise EsError(403, "cluster_block_exception",
                      f"index [{idx.name}] blocked by: [FORBIDDEN/9/index metadata (api)];")
    if settings_mod.bool_setting(idx.settings, "blocks.read_only_allow_delete"):
        raise EsError(429, "cluster_block_exception",
                      f"index [{idx.name}] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage "
                      f"watermark, index has read-only-allow-delete block; for more information, see "
                      f"https://www.elastic.co/guide/en/elasticsearch/reference/8.17/fix-watermark-errors.html];")


def name_problem(name: str) -> str | None:
    """ES's validateIndexOrAliasName: why `name` is not a valid index or alias name (None if valid)."""
    if any(c in INVALID_NAME_CHARS for c in name):
        return f"must not contain the following characters {INVALID_CHARS_TEXT}"
    if not name:
        return "must not be empty"
    if "#" in name:
        return "must not contain '#'"
    if ":" in name:
        return "must not contain ':'"
    if name[0] in ("_", "-", "+"):
        return "must not start with '_', '-', or '+'"
    size = len(name.encode())
    if size > MAX_NAME_BYTES:
        return f"index name is too long, ({size} > {MAX_NAME_BYTES})"
    if name in (".", ".."):
        return "must not be '.' or '..'"
    return None


def validate_index_name(name: str) -> None:
    """Reject names ES rejects, with ES's invalid_index_name_exception."""
    problem = name_problem(name)
    if problem is None and name.lower() != name:
        problem = "must be lowercase"
    if problem:
        raise EsError(400, "invalid_index_name_exception", f"Invalid index name [{name}], {problem}",
                      index_uuid="_na_", index=name)


def resolve_date_math(expression: str, now_millis: int | None = None) -> str:
    """Resolve `<static-{date_math{format|tz}}>` index name expressions; other names pass through."""
    if not (expression.startswith("<") and expression.endswith(">")):
        return expression
    from .dates import get_formatter, parse_date_math

    text = expression[1:-1]
    out: list[str] = []
    i = 0
    now = now_millis if now_millis is not None else int(time.time() * 1000)
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == "{":
            depth, j = 1, i + 1
            while j < len(text) and depth:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                j += 1
            if depth:
                raise EsError(400, "parse_exception", f"invalid dynamic name expression [{text}]. missing closing "
                                                      f"`}}` for date math format")
            inner = text[i + 1:j - 1]
            fmt, tz = "yyyy.MM.dd", None
            brace = inner.find("{")
            if brace >= 0:
                spec = inner[brace + 1:-1] if inner.endswith("}") else inner[brace + 1:]
                inner = inner[:brace]
                if "|" in spec:
                    spec, tz = spec.split("|", 1)
                if spec:
                    fmt = spec
            millis = parse_date_math(inner, now, tz=tz)
            out.append(get_formatter(fmt).format(millis, tz))
            i = j
            continue
        if ch == "}":
            raise EsError(400, "parse_exception", f"invalid dynamic name expression [{text}]. invalid character at "
                                                  f"position [{i}]. `{{` and `}}` are reserved characters and should "
                                                  f"be escaped when used as part of the index name using `\\` "
                                                  f"(e.g. `\\{{text\\}}`)")
        out.append(ch)
        i += 1
    return "".join(out)


def wrap_mapping_error(err: EsError) -> EsError:
    """Mapping parse errors at index creation read "Failed to parse mapping: ..." (merge conflicts do not)."""
    if err.type != "mapper_parsing_exception" or (err.reason or "").startswith("Failed to parse mapping"):
        return err
    return EsError(400, "mapper_parsing_exception", f"Failed to parse mapping: {err.reason}", caused_by=err)


def _split(expression: str | list[str] | None) -> list[str]:
    if expression is None:
        return []
    if isinstance(expression, list):
        out: list[str] = []
        for item in expression:
            out.extend(_split(item))
        return out
    return [p.strip() for p in str(expression).split(",") if p.strip()]


def _jlist(items: list[str] | tuple[str, ...]) -> str:
    """A list as Java's List.toString renders it: [a, b]."""
    return "[" + ", ".join(str(i) for i in items) + "]"


def _match_names(expression: str | None, objects: dict[str, Any], kind: str) -> list[str]:
    """Names for a GET: all, wildcards, or explicit names (a missing explicit one is a 404)."""
    parts = _split(expression)
    if not parts or parts == ["_all"]:
        return sorted(objects)
    out: list[str] = []
    for part in parts:
        if "*" in part:
            out.extend(n for n in sorted(objects) if simple_match(part, n) and n not in out)
        elif part in objects:
            if part not in out:
                out.append(part)
        else:
            raise EsError(404, "resource_not_found_exception", f"{kind} matching [{part}] not found")
    return out


def _delete_names(expression: str, objects: dict[str, Any], missing_error: Any) -> list[str]:
    parts = _split(expression)
    if len(parts) > 1:
        missing = [p for p in parts if p not in objects and "*" not in p]
        if missing:
            raise missing_error(",".join(missing))
        out: list[str] = []
        for part in parts:
            out.extend(n for n in objects if simple_match(part, n) and n not in out)
        return out
    part = parts[0] if parts else "*"
    names = [n for n in objects if simple_match(part, n)]
    if not names:
        if part in ("*", "_all"):
            return []
        raise missing_error(part)
    return names


__all__ = ["Engine", "Target", "validate_index_name", "resolve_date_math", "simple_match", "compose",
           "parse_alias_spec", "render_alias", "match_aliases", "name_problem"]
