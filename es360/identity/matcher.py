"""The in-process core of a resolution: blocking, comparison, EM, scoring and clustering.

No Elasticsearch here: `match(records)` takes features and returns clusters, the fitted model and
the evidence, so it can be tested and benchmarked on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from es360.identity.attach import attach_same_address, attach_unique_names
from es360.identity.blocking import BlockingStats, candidate_pairs
from es360.identity.cluster import Clusterer, ClusterResult, cluster
from es360.identity.compare import FIELDS, compare, mark_shared_contacts, shares_identifier
from es360.identity.domains import as_frequencies, attach_domain_typos, domain_counts, model_domain_counts
from es360.identity.features import Rec
from es360.identity.lone_names import settle_lone_names
from es360.identity.model import Model, NameFrequencies, Score, train
from es360.identity.spelling import attach_frequent_spellings

ProgressFn = Callable[[str, int, int | None], None]  # (phase, done, total)


@dataclass
class MatchConfig:
    """Tunable knobs of a resolution (the defaults are what `es360 resolve` uses)."""

    threshold: float = 0.9  # match probability at which a pair links
    max_block: int = 50
    window: int = 8
    clip: float = 15.0
    contradiction: float = 8.0
    linkage: float = 0.5  # clusters join when their mean cross-pair weight >= this share of the threshold weight
    term_frequency: bool = True
    unique_names: bool = True  # second pass: small clusters join the only other cluster with their full name
    same_address: bool = True  # second pass: the same full name at the same street address is one person


@dataclass
class Resolution:
    """The outcome of `match`: one cluster label per record, the model and the pair evidence."""

    records: list[Rec]
    model: Model
    result: ClusterResult
    pair_weights: dict[int, float]
    blocking: BlockingStats
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def labels(self) -> list[int]:
        return self.result.labels

    def clusters(self) -> dict[int, list[int]]:
        return self.result.clusters()

    def weight(self, i: int, j: int) -> float:
        """The match weight of any two records (from the run's cache, or compared now)."""
        return pair_weight(self.records, self.model, self.pair_weights, i, j)

    def score(self, i: int, j: int) -> Score:
        return score_pair(self.model, self.records[i], self.records[j])


def score_pair(model: Model, a: Rec, b: Rec) -> Score:
    """Full evidence for two records under a model."""
    cmp = compare(a, b)
    return model.score(cmp, (a.first, a.last, b.first, b.last))


def pair_weight(records: list[Rec], model: Model, cache: dict[int, float], i: int, j: int) -> float:
    if i > j:
        i, j = j, i
    code = i * len(records) + j
    cached = cache.get(code)
    if cached is None:
        a, b = records[i], records[j]
        cached = model.fast_weight(compare(a, b).levels, a.first, a.last)
        cache[code] = cached
    return cached


def _index_pairs(records: list[Rec], pairs: Sequence[tuple[str, str]]) -> list[tuple[int, int]]:
    if not pairs:
        return []
    by_id: dict[str, list[int]] = {}
    for r in records:
        by_id.setdefault(r.record_id, []).append(r.idx)
    out = []
    for a, b in pairs:
        for i in by_id.get(a, ()):
            for j in by_id.get(b, ()):
                if i != j:
                    out.append((i, j))
    return out


def match(records: list[Rec], config: MatchConfig | None = None, *, must_merge: Sequence[tuple[str, str]] = (),
          do_not_merge: Sequence[tuple[str, str]] = (), progress: ProgressFn | None = None,
          model: Model | None = None) -> Resolution:
    """Resolve `records` (their `idx` must be their position). With `model`, skip training and use it."""
    config = config or MatchConfig()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    first_names = (NameFrequencies.from_values(r.first for r in records if len(r.first) > 1) if model is None
                   else model.tf.get("first_name"))
    last_names = NameFrequencies.from_values(r.last for r in records) if model is None else model.tf.get("last_name")
    settle_lone_names(records, first_names, last_names)
    attach_frequent_spellings(records, first_names)
    domains = domain_counts(records) if model is None else model_domain_counts(model)
    attach_domain_typos(records, domains)
    mark_shared_contacts(records)
    stats = BlockingStats()
    pairs = candidate_pairs(records, config.max_block, config.window, stats)
    timings["blocking"] = time.perf_counter() - clock
    if progress:
        progress("blocking", len(pairs), len(pairs))

    clock = time.perf_counter()
    levels = np.zeros((len(pairs), len(FIELDS)), dtype=np.int8)
    step = max(len(pairs) // 50, 1000)
    for row, (i, j) in enumerate(pairs):
        levels[row] = compare(records[i], records[j]).levels
        if progress and row % step == 0:
            progress("comparing", row, len(pairs))
    if progress:
        progress("comparing", len(pairs), len(pairs))
    timings["comparing"] = time.perf_counter() - clock

    clock = time.perf_counter()
    if model is None:
        model = train(levels)
        model.threshold = config.threshold
        if config.term_frequency:
            model.tf = {"first_name": first_names, "last_name": last_names}
        model.tf["email_domain"] = as_frequencies(domains)
    if not model.clustering:
        model.clustering = {"clip": config.clip, "contradiction": config.contradiction,
                            "min_linkage": config.linkage * model.threshold_weight}
    timings["training"] = time.perf_counter() - clock

    clock = time.perf_counter()
    weights = _weights(records, model, pairs, levels)
    n = len(records)
    cache = {i * n + j: float(w) for (i, j), w in zip(pairs, weights, strict=True)}
    cut = model.threshold_weight
    keep = np.nonzero(weights >= cut)[0]
    edges = [(pairs[k][0], pairs[k][1], float(weights[k])) for k in keep]
    timings["scoring"] = time.perf_counter() - clock

    clock = time.perf_counter()
    same = _same_record_id(records)
    result = cluster(n, edges, lambda i, j: pair_weight(records, model, cache, i, j), model.threshold_weight,
                     same=same, must_merge=_index_pairs(records, must_merge),
                     do_not_merge=_index_pairs(records, do_not_merge),
                     clip=model.clustering["clip"], contradiction=model.clustering["contradiction"],
                     min_linkage=model.clustering["min_linkage"],
                     anchored=lambda i, j: shares_identifier(records[i], records[j]),
                     second_pass=(lambda c: _second_pass(c, records, config)))
    timings["clustering"] = time.perf_counter() - clock
    if progress:
        progress("clustering", n, n)
    return Resolution(records, model, result, cache, stats, timings)


def _second_pass(c: Clusterer, records: list[Rec], config: MatchConfig) -> None:
    if config.same_address:
        attach_same_address(c, records)
    if config.unique_names:
        attach_unique_names(c, records)


def _same_record_id(records: list[Rec]) -> list[tuple[int, int]]:
    first: dict[str, int] = {}
    out = []
    for r in records:
        seen = first.setdefault(r.record_id, r.idx)
        if seen != r.idx:
            out.append((seen, r.idx))
    return out


def _weights(records: list[Rec], model: Model, pairs: list[tuple[int, int]], levels: np.ndarray) -> np.ndarray:
    """Total weight per pair, vectorized: level weights plus term-frequency adjustments."""
    if not pairs:
        return np.zeros(0)
    table = model.level_weights()
    total = np.zeros(len(pairs))
    for f in range(len(FIELDS)):
        total += np.asarray(table[f])[levels[:, f]]
    left = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
    for f, name, attr in ((0, "first_name", "first"), (1, "last_name", "last")):
        freq = model.tf.get(name)
        if freq is None:
            continue
        adj = np.array([freq.adjustment(getattr(r, attr)) for r in records])
        total += np.where(levels[:, f] == 1, adj[left], 0.0)
    return total
