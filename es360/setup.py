"""`es360 setup`: install or upgrade es360's assets on a cluster, or report drift (`--check`).

Order matters on real Elasticsearch: templates first, then the versioned indices behind their
aliases, then the enrich policy (its source index must exist, and ingest pipelines that use it
are rejected until it does), then pipelines and transforms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError

from es360.assets import INDEX_KINDS, Asset, concrete_index, index_alias, load_assets
from es360.errors import Es360Error, api_reason


@dataclass
class SetupItem:
    """What setup did (or would do) to one object."""

    kind: str
    name: str
    action: str  # created | updated | unchanged | missing | drift | needs_reindex | error
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _installed_hash(es: Elasticsearch, asset: Asset) -> str | None:
    """The es360 content hash of the object on the cluster, "" if it has none, None if absent."""
    try:
        if asset.kind == "component_template":
            body = es.cluster.get_component_template(name=asset.name)["component_templates"][0]["component_template"]
        elif asset.kind == "index_template":
            body = es.indices.get_index_template(name=asset.name)["index_templates"][0]["index_template"]
        elif asset.kind == "pipeline":
            body = es.ingest.get_pipeline(id=asset.name)[asset.name]
        elif asset.kind == "transform":
            body = es.transform.get_transform(transform_id=asset.name)["transforms"][0]
        else:
            raise ValueError(asset.kind)
    except NotFoundError:
        return None
    return str((body.get("_meta") or {}).get("es360_hash", ""))


def _put(es: Elasticsearch, asset: Asset) -> None:
    body = dict(asset.body)
    if asset.kind == "component_template":
        es.cluster.put_component_template(name=asset.name, body=body)
    elif asset.kind == "index_template":
        es.indices.put_index_template(name=asset.name, body=body)
    elif asset.kind == "pipeline":
        es.ingest.put_pipeline(id=asset.name, body=body)
    elif asset.kind == "transform":
        es.transform.put_transform(transform_id=asset.name, body=body, defer_validation=True)


def _sync_asset(es: Elasticsearch, asset: Asset, check: bool) -> SetupItem:
    installed = _installed_hash(es, asset)
    if installed == asset.digest:
        return SetupItem(asset.kind, asset.name, "unchanged", f"version {asset.version}")
    if check:
        action = "missing" if installed is None else "drift"
        return SetupItem(asset.kind, asset.name, action, f"repo version {asset.version}")
    if asset.kind == "transform" and installed is not None:
        es.transform.stop_transform(transform_id=asset.name, wait_for_completion=True, force=True)
        es.transform.delete_transform(transform_id=asset.name, force=True)
    _put(es, asset)
    return SetupItem(asset.kind, asset.name, "created" if installed is None else "updated",
                     f"version {asset.version}")


def _template_mappings(assets: list[Asset], kind: str, prefix: str) -> dict[str, Any]:
    """The merged mappings an index of `kind` gets from its index template and components."""
    templates = {a.name: a.body for a in assets if a.kind in ("component_template", "index_template")}
    template = templates[f"{prefix}{kind}"]
    merged: dict[str, Any] = {"properties": {}}
    for part in [templates[c]["template"] for c in template.get("composed_of", [])] + [template["template"]]:
        mappings = part.get("mappings") or {}
        merged["properties"] = _deep_merge(merged["properties"], mappings.get("properties", {}))
        for key, value in mappings.items():
            if key != "properties":
                merged[key] = value
    return merged


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _sync_index(es: Elasticsearch, assets: list[Asset], kind: str, prefix: str, check: bool) -> SetupItem:
    alias = index_alias(kind, prefix)
    exists = es.indices.exists_alias(name=alias)
    if not exists:
        if es.indices.exists(index=alias):
            return SetupItem("index", alias, "error",
                             f"a concrete index named {alias} exists where es360 expects an alias; move its data "
                             f"with `es360 reindex {kind}` or delete it")
        if check:
            return SetupItem("index", alias, "missing")
        name = concrete_index(kind, 1, prefix)
        es.indices.create(index=name, aliases={alias: {"is_write_index": True}})
        return SetupItem("index", alias, "created", f"-> {name}")
    current = sorted(es.indices.get_alias(name=alias))
    wanted = _template_mappings(assets, kind, prefix)
    if check:
        return SetupItem("index", alias, "unchanged", f"-> {', '.join(current)}")
    try:
        es.indices.put_mapping(index=alias, properties=wanted["properties"])
    except ApiError as exc:
        if exc.status_code == 400:
            return SetupItem("index", alias, "needs_reindex",
                             f"mapping change is not compatible in place ({api_reason(exc)}); run `es360 reindex {kind}`")
        raise
    return SetupItem("index", alias, "unchanged", f"-> {', '.join(current)} (mapping additions applied)")


def _sync_policy(es: Elasticsearch, asset: Asset, check: bool) -> SetupItem:
    kind, config = next(iter(asset.body.items()))
    try:
        installed = es.enrich.get_policy(name=asset.name)["policies"]
    except NotFoundError:
        installed = []
    if installed:
        current = installed[0]["config"][kind]
        same = all(sorted(_as_list(current.get(k))) == sorted(_as_list(config.get(k)))
                   for k in ("indices", "match_field", "enrich_fields"))
        if same:
            if not check:
                es.enrich.execute_policy(name=asset.name, wait_for_completion=True)
            return SetupItem("enrich_policy", asset.name, "unchanged")
        if check:
            return SetupItem("enrich_policy", asset.name, "drift")
        es.enrich.delete_policy(name=asset.name)
    elif check:
        return SetupItem("enrich_policy", asset.name, "missing")
    es.enrich.put_policy(name=asset.name, body=asset.body)
    es.enrich.execute_policy(name=asset.name, wait_for_completion=True)
    return SetupItem("enrich_policy", asset.name, "updated" if installed else "created")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]



def run_setup(es: Elasticsearch, prefix: str, check: bool = False) -> list[SetupItem]:
    """Install/upgrade every asset (idempotent), or with `check` only report what differs."""
    assets = load_assets(prefix)
    items: list[SetupItem] = []
    try:
        for asset in assets:
            if asset.kind in ("component_template", "index_template"):
                items.append(_sync_asset(es, asset, check))
        for kind in INDEX_KINDS:
            items.append(_sync_index(es, assets, kind, prefix, check))
        for asset in assets:
            if asset.kind == "enrich_policy":
                items.append(_sync_policy(es, asset, check))
        for asset in assets:
            if asset.kind in ("pipeline", "transform"):
                items.append(_sync_asset(es, asset, check))
    except ApiError as exc:
        raise Es360Error(f"Elasticsearch rejected part of the setup: {api_reason(exc)}") from None
    return items


def has_drift(items: list[SetupItem]) -> bool:
    return any(i.action not in ("unchanged",) for i in items)
