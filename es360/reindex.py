"""`es360 reindex KIND`: rebuild an index from the current assets with no downtime for searches.

Every es360 alias points at a versioned index (`es360-customers` -> `es360-customers-000001`). A
reindex:

1. installs the kind's current templates (so the new index gets the repo's mappings and analysis),
2. creates the next generation (`…-000002`) from them, without the alias,
3. blocks writes on the current index for the copy (a write during the copy would otherwise be
   silently lost at the swap; blocked writers get `cluster_block_exception` and can retry),
4. copies with `_reindex` as a task (optionally through `--pipeline`; otherwise no pipeline runs, so
   the documents are copied exactly, not re-enriched), polling its progress,
5. refreshes and compares document counts, refusing to swap when they differ,
6. swaps the alias in one atomic `_aliases` call (remove old, add new as the write index): a search
   sees either the old index or the new one, both complete, never neither,
7. keeps the previous index (still write-blocked) for `--rollback`, and deletes any other generation.

`--rollback` swaps the alias back to the previous generation the same way. For the rollup, the
continuous transform writing into it is stopped for the copy and started again afterwards.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError

from es360.assets import INDEX_KINDS, concrete_index, index_alias, load_assets
from es360.errors import Es360Error, api_reason

Progress = Callable[[int, int], None]
POLL_SECONDS = 0.2


@dataclass
class ReindexReport:
    """What a reindex or a rollback did."""

    kind: str
    alias: str
    action: str  # reindexed | rolled_back
    from_index: str
    to_index: str
    from_count: int
    to_count: int
    pipeline: str | None = None
    seconds: float = 0.0
    templates_updated: list[str] = field(default_factory=list)
    kept_for_rollback: str | None = None
    deleted: list[str] = field(default_factory=list)
    transform_restarted: str | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)



def _check_kind(kind: str) -> None:
    if kind not in INDEX_KINDS:
        raise Es360Error(f"Unknown index kind {kind!r}; expected one of {', '.join(INDEX_KINDS)}.")


def generation_of(name: str, alias: str) -> int | None:
    """The generation number of a versioned index behind `alias`, or None for any other name."""
    m = re.fullmatch(re.escape(alias) + r"-(\d{6})", name)
    return int(m.group(1)) if m else None


def current_index(es: Elasticsearch, alias: str, kind: str) -> str:
    """The write index behind an alias (the one a reindex copies from)."""
    try:
        behind = es.indices.get_alias(name=alias)
    except NotFoundError:
        if es.indices.exists(index=alias):
            raise Es360Error(f"{alias} is a concrete index, not an alias; es360 cannot reindex it in place.") from None
        raise Es360Error(f"There is no {alias} alias; run `es360 setup` first.") from None
    names = sorted(behind)
    writers = [n for n in names if (behind[n].get("aliases", {}).get(alias) or {}).get("is_write_index")]
    if len(writers) == 1:
        return writers[0]
    if len(names) == 1:
        return names[0]
    raise Es360Error(f"{alias} points at {', '.join(names)} with no single write index; fix the alias before "
                     f"reindexing {kind}.")


def generations(es: Elasticsearch, alias: str) -> dict[int, str]:
    """Every versioned index of an alias that exists, by generation."""
    resp = es.indices.get_settings(index=f"{alias}-*", allow_no_indices=True, expand_wildcards="open,closed")
    out: dict[int, str] = {}
    for name in resp:
        gen = generation_of(name, alias)
        if gen is not None:
            out[gen] = name
    return out


def _ensure_templates(es: Elasticsearch, prefix: str, kind: str) -> list[str]:
    """Install the kind's index template and its components from the repo when the cluster's differ."""
    assets = {a.name: a for a in load_assets(prefix) if a.kind in ("component_template", "index_template")}
    template = assets.get(index_alias(kind, prefix))
    if template is None:
        raise Es360Error(f"es360 has no index template for {kind}.")
    wanted = [assets[c] for c in template.body.get("composed_of", []) if c in assets] + [template]
    updated: list[str] = []
    for asset in wanted:
        try:
            if asset.kind == "component_template":
                got = es.cluster.get_component_template(name=asset.name)["component_templates"][0]["component_template"]
            else:
                got = es.indices.get_index_template(name=asset.name)["index_templates"][0]["index_template"]
            installed = (got.get("_meta") or {}).get("es360_hash")
        except NotFoundError:
            installed = None
        if installed == asset.digest:
            continue
        if asset.kind == "component_template":
            es.cluster.put_component_template(name=asset.name, body=dict(asset.body))
        else:
            es.indices.put_index_template(name=asset.name, body=dict(asset.body))
        updated.append(asset.name)
    return updated


def _block_writes(es: Elasticsearch, index: str, blocked: bool) -> None:
    es.indices.put_settings(index=index, settings={"index.blocks.write": True if blocked else None})


def _count(es: Elasticsearch, index: str) -> int:
    es.indices.refresh(index=index)
    return int(es.count(index=index)["count"])


def _stop_transform(es: Elasticsearch, prefix: str, kind: str) -> str | None:
    """Stop the rollup's continuous transform if it runs; returns its id when it must be restarted."""
    if kind != "rollup":
        return None
    tid = f"{prefix}rollup"
    try:
        stats = es.transform.get_transform_stats(transform_id=tid)["transforms"]
    except (NotFoundError, ApiError):
        return None
    if not stats or stats[0].get("state") not in ("started", "indexing"):
        return None
    es.transform.stop_transform(transform_id=tid, wait_for_completion=True)
    return tid


def _start_transform(es: Elasticsearch, tid: str | None) -> None:
    if tid:
        es.transform.start_transform(transform_id=tid)


def _copy(es: Elasticsearch, source: str, dest: str, pipeline: str | None, progress: Progress | None) -> dict[str, Any]:
    """Run _reindex as a task and wait for it, reporting (done, total) as it goes."""
    dest_spec: dict[str, Any] = {"index": dest, "op_type": "create", "pipeline": pipeline or "_none"}
    started = es.reindex(source={"index": source}, dest=dest_spec, wait_for_completion=False, refresh=False)
    task_id = started["task"]
    while True:
        with warnings.catch_warnings():  # the tasks API is "technical preview" in the client, GA in practice
            warnings.simplefilter("ignore")
            task = es.tasks.get(task_id=task_id)
        status = (task.get("task") or {}).get("status") or {}
        if progress is not None:
            progress(int(status.get("created", 0)) + int(status.get("updated", 0)), int(status.get("total", 0)))
        if task.get("completed"):
            if task.get("error"):
                raise Es360Error(f"The copy from {source} to {dest} failed: "
                                 f"{(task['error'] or {}).get('reason', task['error'])}")
            return dict(task.get("response") or {})
        time.sleep(POLL_SECONDS)


def reindex(es: Elasticsearch, prefix: str, kind: str, *, pipeline: str | None = None,
            progress: Progress | None = None) -> ReindexReport:
    """Copy KIND into its next generation built from the current assets, verify, and swap the alias."""
    _check_kind(kind)
    started = time.perf_counter()
    alias = index_alias(kind, prefix)
    source = current_index(es, alias, kind)
    existing = generations(es, alias)
    dest = concrete_index(kind, max([*existing, generation_of(source, alias) or 0]) + 1, prefix)
    if pipeline:
        try:
            es.ingest.get_pipeline(id=pipeline)
        except NotFoundError:
            raise Es360Error(f"There is no ingest pipeline named {pipeline!r}.") from None
    try:
        templates = _ensure_templates(es, prefix, kind)
        es.indices.create(index=dest, settings={"index": {"refresh_interval": "-1"}})
    except ApiError as exc:
        raise Es360Error(f"Could not create {dest} from the current {kind} template: {api_reason(exc)}") from None
    transform = _stop_transform(es, prefix, kind)
    swapped = False
    try:
        _block_writes(es, source, True)
        response = _copy(es, source, dest, pipeline, progress)
        es.indices.put_settings(index=dest, settings={"index.refresh_interval": None})
        failures = response.get("failures") or []
        source_count, dest_count = _count(es, source), _count(es, dest)
        if failures:
            first = failures[0]
            raise Es360Error(f"Refusing to swap {alias}: {len(failures)} documents failed to copy "
                             f"(first: {first.get('id')}: {(first.get('cause') or {}).get('reason', '?')}); "
                             f"{alias} still points at {source} and {dest} was deleted.")
        if source_count != dest_count:
            raise Es360Error(f"Refusing to swap {alias}: {source} has {source_count:,} documents but {dest} has "
                             f"{dest_count:,} after the copy; {alias} still points at {source} and {dest} was deleted.")
        es.indices.update_aliases(actions=[
            {"remove": {"index": source, "alias": alias}},
            {"add": {"index": dest, "alias": alias, "is_write_index": True}},
        ])
        swapped = True
    except ApiError as exc:
        raise Es360Error(f"Reindexing {kind} failed: {api_reason(exc)}; {alias} still points at {source}.") from None
    finally:
        if not swapped:
            es.options(ignore_status=404).indices.delete(index=dest)
            _block_writes(es, source, False)
        _start_transform(es, transform)
    deleted = [name for _, name in sorted(existing.items()) if name not in (source, dest)]
    for name in deleted:
        es.options(ignore_status=404).indices.delete(index=name)
    return ReindexReport(kind, alias, "reindexed", source, dest, source_count, dest_count, pipeline,
                         round(time.perf_counter() - started, 3), templates, source, deleted, transform)


def rollback(es: Elasticsearch, prefix: str, kind: str) -> ReindexReport:
    """Point KIND's alias back at the previous generation (kept by the last reindex), atomically."""
    _check_kind(kind)
    started = time.perf_counter()
    alias = index_alias(kind, prefix)
    current = current_index(es, alias, kind)
    gen = generation_of(current, alias)
    older = {g: n for g, n in generations(es, alias).items() if gen is not None and g < gen}
    if not older:
        raise Es360Error(f"There is no previous index of {alias} to roll back to (it points at {current}).")
    previous = older[max(older)]
    transform = _stop_transform(es, prefix, kind)
    try:
        _block_writes(es, previous, False)
        current_count, previous_count = _count(es, current), _count(es, previous)
        es.indices.update_aliases(actions=[
            {"remove": {"index": current, "alias": alias}},
            {"add": {"index": previous, "alias": alias, "is_write_index": True}},
        ])
    except ApiError as exc:
        raise Es360Error(f"Rolling back {kind} failed: {api_reason(exc)}.") from None
    finally:
        _start_transform(es, transform)
    note = ""
    if current_count != previous_count:
        note = (f"{current} held {current_count:,} documents and {previous} holds {previous_count:,}: writes made "
                f"since the reindex stay in {current} (kept).")
    return ReindexReport(kind, alias, "rolled_back", current, previous, current_count, previous_count,
                         seconds=round(time.perf_counter() - started, 3), kept_for_rollback=None,
                         transform_restarted=transform, note=note)
