"""Aggregations for the embedded engine, with Elasticsearch 8.x request and response shapes.

`aggregate(aggs_json, parts, searcher)` is called by the search executor with one `(QueryContext, DocSet)`
per target index (the query's matches before post_filter). The request is parsed and validated first,
then every aggregation is computed for all of its parent buckets at once with numpy (see core.py), the
per-bucket results are materialized into a tree, pipeline aggregations run on that tree, and it renders
to ES's JSON (with `typed_keys` names when asked).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import composite, geo, histograms, metrics, pipelines, ranges, single, terms, tophits  # noqa: F401 - registers types
from .base import Node, render_aggs
from .core import I64, Part, Scope, Source
from .pipelines import apply_pipelines
from .spec import REGISTRY, AggSpec, Run, parse_aggs, validate_tree

__all__ = ["aggregate", "parse", "REGISTRY"]

def parse(aggs_json: Any) -> list[AggSpec]:
    """Parse and validate an `aggs` object (raises ES-shaped errors)."""
    specs = parse_aggs(aggs_json, None, "aggs")
    _check(specs)
    validate_tree(specs)
    return specs


def _shard_failures(specs: list[AggSpec]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def walk(level: list[AggSpec]) -> None:
        for spec in level:
            for cfg in (getattr(spec, "vs", None), *[s.vs for s in getattr(spec, "sources", [])
                                                    if hasattr(s, "vs")]):
                for index, err in getattr(cfg, "failures", []):
                    if index not in seen:
                        seen.add(index)
                        out.append({"shard": 0, "index": index, "node": "es360-embedded-node",
                                    "reason": err.to_dict()})
            walk(spec.children)
    walk(specs)
    return out


def _is_specs(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, AggSpec) for v in value)


def _check(specs: list[AggSpec]) -> None:
    for spec in specs:
        check = getattr(spec, "check", None)
        if check is not None:
            check()
        _check(spec.children)


def _target_of(searcher: Any, ctx: Any, i: int) -> Any:
    targets = getattr(searcher, "targets", None) or []
    if i < len(targets) and targets[i].index is ctx.index:
        return targets[i]
    for t in targets:
        if t.index is ctx.index:
            return t
    from ..engine import Target

    return Target(ctx.index)


def aggregate(aggs_json: Any, parts: list[tuple[Any, Any]], searcher: Any) -> dict[str, Any]:
    """Compute the `aggregations` section of a search response.

    `aggs_json` is the request's `aggs` object, or the specs `parse()` returned for it (so that a caller
    can reject a malformed request before running its query, as ES does).
    """
    specs = aggs_json if _is_specs(aggs_json) else parse(aggs_json)
    sources = [Source(ctx, docset, _target_of(searcher, ctx, i), i) for i, (ctx, docset) in enumerate(parts)]
    run = Run(searcher, sources)
    scope = Scope([Part(src, np.asarray(ds.docs, dtype=np.int32), np.zeros(len(ds.docs), dtype=I64), None)
                   for src, (_, ds) in zip(sources, parts, strict=True)], 1)
    collected = {s.name: s.collect(run, scope) for s in specs if not s.is_pipeline}
    nodes: dict[str, Node] = {}
    for spec in specs:
        if spec.is_pipeline:
            continue
        node = collected[spec.name].node(0)
        node.meta = spec.meta
        nodes[spec.name] = node
    failures = _shard_failures(specs)
    if failures:
        # indices whose mapping conflicts with a value_type: ES reports them as failed shards
        searcher.agg_shard_failures = failures
    apply_pipelines(nodes, specs, run)
    ordered = {s.name: nodes[s.name] for s in specs if s.name in nodes}
    return render_aggs(ordered, run)
