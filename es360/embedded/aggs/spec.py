"""Aggregation specs: the parsed request tree, the type registry and the run context."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from ..errors import EsError, illegal_argument, parsing_exception
from .base import NAME_RE, Collected, Node, Params, SubResults, _token_name
from .core import Scope

REGISTRY: dict[str, type[AggSpec]] = {}


def register(*names: str) -> Callable[[type[AggSpec]], type[AggSpec]]:
    def deco(cls: type[AggSpec]) -> type[AggSpec]:
        for n in names:
            REGISTRY[n] = cls
        return cls
    return deco


class Run:
    """Per-request state shared by every aggregation."""

    def __init__(self, searcher: Any, sources: list[Any]) -> None:
        self.searcher = searcher
        self.sources = sources
        params = getattr(searcher, "params", {}) or {}
        self.typed_keys = params.get("typed_keys") in ("true", "", True)
        self.hits_as_int = params.get("rest_total_hits_as_int") in ("true", "", True)
        self.now = sources[0].ctx.now if sources else 0


class AggSpec:
    """One aggregation of the request."""

    type_name = ""
    cardinality = "none"  # "none" (metric) | "one" (single bucket) | "many"
    pipeline_kind: str | None = None  # "parent" | "sibling" for pipeline aggregations
    allowed: set[str] = set()
    accepts_subs = False

    def __init__(self, name: str, body: Any, meta: dict[str, Any] | None, parent: AggSpec | None) -> None:
        self.name = name
        self.meta = meta
        self.parent = parent
        self.subs: list[AggSpec] = []
        self.pipes: list[AggSpec] = []
        self.children: list[AggSpec] = []  # all sub-aggregations in request order
        self.configure(Params(self.type_name, body, self.allowed))

    def configure(self, p: Params) -> None:
        pass

    def validate(self, siblings: list[AggSpec]) -> list[str]:
        """Request-validation errors (ActionRequestValidationException), checked after parsing."""
        return []

    def collect(self, run: Run, scope: Scope) -> Collected:
        raise NotImplementedError

    def collect_subs(self, run: Run, child: Scope) -> SubResults:
        collected = {s.name: s.collect(run, child) for s in self.subs}
        return SubResults(self.subs, collected)

    @property
    def is_pipeline(self) -> bool:
        return self.pipeline_kind is not None

    def factory_name(self) -> str:
        return "".join(w.capitalize() for w in self.type_name.split("_")) + "AggregatorFactory"


class FnCollected(Collected):
    """Results built by a function of the parent bucket id; `arrays` optionally exposes per-bucket values
    (e.g. {"value": ...}) so that bucket ordering need not materialize every node."""

    def __init__(self, fn: Callable[[int], Node], arrays: dict[str, Any] | None = None, *, fmt: Any = None,
                 subs: Any = None, page: Any = None) -> None:
        self.fn = fn
        self.arrays = arrays
        self.fmt = fmt  # single-value metrics: the DocValueFormat of their value (value_as_string)
        self.subs = subs  # single-bucket aggregations: their SubResults, on bucket ids equal to the parent's
        self.page = page  # composite: its CompositePage (see aggs/pivot.py)

    def node(self, bid: int) -> Node:
        return self.fn(bid)


def parse_aggs(aggs: Any, parent: AggSpec | None, where: str = "aggs") -> list[AggSpec]:
    """Parse an `aggs` object into specs (ES's AggregatorFactories.parseAggregators)."""
    if not isinstance(aggs, dict):
        raise parsing_exception(f"Expected [START_OBJECT] under [{where}], but got a [{_token_name(aggs)}] in "
                                f"[{where}]")
    specs: list[AggSpec] = []
    for name, definition in aggs.items():
        if not NAME_RE.match(name):
            raise parsing_exception(f"Invalid aggregation name [{name}]. Aggregation names can contain any character "
                                    f"except '[', ']', and '>'")
        if not isinstance(definition, dict):
            raise parsing_exception(f"Aggregation definition for [{name} starts with a [{_token_name(definition)}], "
                                    f"expected a [START_OBJECT].")
        agg_type = None
        body = None
        meta = None
        sub_aggs = None
        for key, value in definition.items():
            if key == "meta":
                if not isinstance(value, dict):
                    raise parsing_exception(f"Expected [START_OBJECT] under [meta], but got a [{_token_name(value)}] "
                                            f"in [{name}]")
                meta = value
            elif key in ("aggs", "aggregations"):
                if sub_aggs is not None:
                    raise parsing_exception(f"Found two sub aggregation definitions under [{name}]")
                if not isinstance(value, dict):
                    raise parsing_exception(f"Expected [START_OBJECT] under [{key}], but got a "
                                            f"[{_token_name(value)}] in [{name}]")
                sub_aggs = value
            else:
                if agg_type is not None:
                    raise parsing_exception(f"Found two aggregation type definitions in [{name}]: [{agg_type}] and "
                                            f"[{key}]")
                if key not in REGISTRY:
                    close = difflib.get_close_matches(key, sorted(REGISTRY), n=3, cutoff=0.7)
                    hint = ""
                    if len(close) == 1:
                        hint = f" did you mean [{close[0]}]?"
                    elif close:
                        hint = f" did you mean any of {close}?".replace("'", "")
                    col = len(name) + len(key) + 8
                    raise EsError(400, "parsing_exception", f"Unknown aggregation type [{key}]{hint}", line=1,
                                  col=col, caused_by=EsError(400, "named_object_not_found_exception",
                                                             f"[1:{col}] unknown field [{key}]"))
                if not isinstance(value, dict):
                    raise parsing_exception(f"Expected [START_OBJECT] under [{key}], but got a "
                                            f"[{_token_name(value)}] in [{name}]")
                agg_type = key
                body = value
        if agg_type is None:
            raise parsing_exception(f"Missing definition for aggregation [{name}]")
        spec = REGISTRY[agg_type](name, body, meta, parent)
        if sub_aggs:
            if not spec.accepts_subs:
                raise EsError(400, "aggregation_initialization_exception",
                              f"Aggregator [{name}] of type [{agg_type}] cannot accept sub-aggregations")
            children = parse_aggs(sub_aggs, spec, "aggs")
            spec.children = children
            spec.subs = [c for c in children if not c.is_pipeline]
            spec.pipes = [c for c in children if c.is_pipeline]
        specs.append(spec)
    return specs


def validate_tree(specs: list[AggSpec]) -> None:
    errors: list[str] = []

    def walk(level: list[AggSpec]) -> None:
        for spec in level:
            errors.extend(spec.validate(level))
            walk(spec.children)
    walk(specs)
    if errors:
        from ..errors import action_request_validation

        raise action_request_validation(errors)


def require_top_level(spec: AggSpec, what: str) -> None:
    if spec.parent is not None:
        raise illegal_argument(what)
