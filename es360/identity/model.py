"""Fellegi-Sunter match weights: m and u per comparison level, estimated by EM on the candidate pairs.

For each field and level, m = P(level | same person) and u = P(level | different people); the
level's weight is log2(m / u) bits. A pair's match weight is the sum over fields (missing fields
add 0), plus an exact-name adjustment for how common the name is (agreeing on 'Xiomara' says more
than agreeing on 'John'). With the prior lambda (the share of candidate pairs that match) the
weight becomes a probability: P = 1 / (1 + 2^-(w + log2(lambda / (1 - lambda)))).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from es360.identity.compare import FIELDS, Comparison

TF_FIELDS = ("first_name", "last_name")
TF_CLAMP = (-3.0, 3.0)
MAX_PRIOR = 0.5
MIN_PAIRS_FOR_PRIOR = 3000  # about 1,000 people: in smaller worlds most candidates match, and lambda says so
WEIGHT_CLAMP = 20.0  # bits: no single field may decide more than this

# Starting m-probabilities (over non-missing levels) before EM; rough, EM replaces them.
_M_PRIOR: dict[str, tuple[float, ...]] = {
    "first_name": (0.70, 0.10, 0.07, 0.04, 0.04, 0.05),
    "last_name": (0.82, 0.08, 0.04, 0.06),
    "email": (0.60, 0.01, 0.04, 0.05, 0.30),
    "phone": (0.65, 0.01, 0.09, 0.25),
    "birth_date": (0.85, 0.10, 0.05),
    "address": (0.55, 0.20, 0.01, 0.09, 0.15),
}
# u-probabilities among non-matching *candidates* (blocking makes them share a name or a contact
# far more often than random pairs do); used with _M_PRIOR when there are too few pairs for EM.
# Deliberately decisive about disagreement: a pair needs a shared contact, not just a shared name
# and birth year, to link on these.
_U_PRIOR: dict[str, tuple[float, ...]] = {
    "first_name": (0.10, 0.03, 0.02, 0.02, 0.03, 0.80),
    "last_name": (0.50, 0.05, 0.05, 0.40),
    "email": (0.002, 0.01, 0.003, 0.01, 0.975),
    "phone": (0.002, 0.01, 0.02, 0.968),
    "birth_date": (0.05, 0.03, 0.92),
    "address": (0.02, 0.05, 0.02, 0.30, 0.61),
}
MIN_PAIRS_FOR_EM = 500  # fewer candidate pairs than this: the built-in priors, not a fit


@dataclass
class NameFrequencies:
    """How often each name value occurs, for term-frequency adjustment of exact name agreement."""

    total: int = 0
    sum_sq: float = 0.0  # sum over values of p(v)^2: the chance two random records agree
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_values(cls, values: Iterable[str]) -> NameFrequencies:
        counter = Counter(v for v in values if v)
        total = sum(counter.values())
        sum_sq = sum(c * c for c in counter.values()) / total / total if total else 0.0
        return cls(total, sum_sq, dict(counter))

    def adjustment(self, value: str) -> float:
        """Bits added to an exact agreement on `value`: positive for rare names, negative for common ones."""
        if not self.total or not value or self.sum_sq <= 0:
            return 0.0
        p = self.counts.get(value, 1) / self.total
        return min(max(math.log2(self.sum_sq / p), TF_CLAMP[0]), TF_CLAMP[1])

    def as_dict(self, limit: int = 100_000) -> dict[str, Any]:
        common = dict(sorted(((k, c) for k, c in self.counts.items() if c > 1), key=lambda kv: -kv[1])[:limit])
        return {"total": self.total, "sum_sq": self.sum_sq, "counts": common}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NameFrequencies:
        return cls(int(data["total"]), float(data["sum_sq"]), dict(data["counts"]))


@dataclass
class Score:
    """A pair's evidence: per-field level and weight, the total and the match probability."""

    weight: float
    probability: float
    fields: dict[str, tuple[str, float]]
    swapped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"weight": round(self.weight, 3), "probability": round(self.probability, 6), "swapped": self.swapped,
                "fields": {k: {"level": lv, "weight": round(w, 3)} for k, (lv, w) in self.fields.items()}}


@dataclass
class Model:
    """Fitted m/u per field level, the prior, the link threshold, and name frequencies."""

    m: list[list[float]]
    u: list[list[float]]
    lam: float
    threshold: float = 0.9  # probability above which a pair is a link
    tf: dict[str, NameFrequencies] = field(default_factory=dict)
    iterations: int = 0
    converged: bool = False
    pairs: int = 0
    clustering: dict[str, float] = field(default_factory=dict)  # clip, contradiction, min_linkage (bits)

    @property
    def prior_weight(self) -> float:
        """log2 prior odds of a match. With few candidate pairs lambda is not estimated reliably, so it
        is capped at even odds there: a tiny dataset never lowers the bar below that."""
        lam = min(self.lam, MAX_PRIOR) if self.pairs < MIN_PAIRS_FOR_PRIOR else self.lam
        return math.log2(lam / (1 - lam))

    @property
    def threshold_weight(self) -> float:
        """The match weight (sum of field weights) at which the probability reaches the threshold."""
        return math.log2(self.threshold / (1 - self.threshold)) - self.prior_weight

    def level_weights(self) -> list[list[float]]:
        """Weight in bits per field and level (index 0 = missing = 0 bits)."""
        out = []
        for mf, uf in zip(self.m, self.u, strict=True):
            weights = [0.0] + [math.log2(m / u) for m, u in zip(mf, uf, strict=True)]
            out.append([min(max(w, -WEIGHT_CLAMP), WEIGHT_CLAMP) for w in weights])
        return out

    def probability(self, weight: float) -> float:
        exponent = -(weight + self.prior_weight)
        return 1.0 / (1.0 + 2.0 ** min(exponent, 1000.0))

    def score(self, cmp: Comparison, names: tuple[str, str, str, str] | None = None) -> Score:
        """Weight and evidence of one comparison; `names` (first_a, last_a, first_b, last_b) enables TF."""
        table = self._weights
        fields: dict[str, tuple[str, float]] = {}
        total = 0.0
        for i, (spec, level) in enumerate(zip(FIELDS, cmp.levels, strict=True)):
            weight = table[i][level]
            if level == 1 and names is not None and spec.name in self.tf:
                value = names[0] if spec.name == "first_name" else names[1]
                weight += self.tf[spec.name].adjustment(value)
            fields[spec.name] = (spec.level_name(level), weight)
            total += weight
        return Score(total, self.probability(total), fields, cmp.swapped)

    def fast_weight(self, levels: tuple[int, ...], first: str, last: str) -> float:
        """The total weight only (hot loop of a run)."""
        table = self._weights
        total = 0.0
        for i, level in enumerate(levels):
            total += table[i][level]
        if levels[0] == 1 and "first_name" in self.tf:
            total += self.tf["first_name"].adjustment(first)
        if levels[1] == 1 and "last_name" in self.tf:
            total += self.tf["last_name"].adjustment(last)
        return total

    @property
    def _weights(self) -> list[list[float]]:
        cached = self.__dict__.get("_cache")
        if cached is None:
            cached = self.level_weights()
            self.__dict__["_cache"] = cached
        return cached

    def as_dict(self) -> dict[str, Any]:
        weights = self.level_weights()
        return {
            "lambda": self.lam, "threshold": self.threshold, "threshold_weight": self.threshold_weight,
            "iterations": self.iterations, "converged": self.converged, "pairs": self.pairs,
            "fields": {spec.name: {lv: {"m": self.m[i][j], "u": self.u[i][j], "weight": weights[i][j + 1]}
                                   for j, lv in enumerate(spec.levels)} for i, spec in enumerate(FIELDS)},
            "tf": {k: v.as_dict() for k, v in self.tf.items()}, "clustering": self.clustering,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        m = [[float(data["fields"][spec.name][lv]["m"]) for lv in spec.levels] for spec in FIELDS]
        u = [[float(data["fields"][spec.name][lv]["u"]) for lv in spec.levels] for spec in FIELDS]
        tf = {k: NameFrequencies.from_dict(v) for k, v in data.get("tf", {}).items()}
        return cls(m, u, float(data["lambda"]), float(data["threshold"]), tf, int(data.get("iterations", 0)),
                   bool(data.get("converged", False)), int(data.get("pairs", 0)),
                   {k: float(v) for k, v in (data.get("clustering") or {}).items()})


def _distribution(levels: np.ndarray, k: int, weights: np.ndarray, smoothing: np.ndarray) -> np.ndarray:
    """P(level) over levels 1..k from weighted counts (missing ignored) plus pseudo-counts."""
    counts = np.bincount(levels, weights=weights, minlength=k + 1)[1:] + smoothing
    return counts / counts.sum()


def train(pair_levels: np.ndarray, *, max_iter: int = 300, tol: float = 1e-6, lam: float = 0.3) -> Model:
    """Fit m, u and lambda by EM on the candidate pairs' levels (one row per pair, one column per field).

    Start: u = how often each level occurs among all candidate pairs (most are not matches, and
    this keeps the start neutral), m = rough priors. Starting u from random record pairs instead
    makes every candidate look like a match on last name and address, and EM then settles on
    "same first name or not", which merges namesakes; the neutral start converges to the
    same-person split. Identical rows are compressed to patterns first, so an iteration costs
    O(patterns), not O(pairs). With fewer than MIN_PAIRS_FOR_EM pairs (a few hundred records) the
    model is the built-in priors instead: EM on a handful of pairs learns nothing reliable.

    EM finds a local optimum, and on small data (a few thousand candidate pairs) it can settle on
    another split than same person / different people, such as "shares a family contact or not",
    where agreeing on a mailbox counts against a match. So EM runs from several priors (lambda
    `lam`, then 0.7, 0.1 and 0.9) and the fit kept is the most likely one in which, for every
    contact field (email, phone, birth date, address), exact agreement weighs more than
    disagreement: the orientation that defines a match. (Names are left out: blocking on names
    makes most non-matching candidates share a last name, so a different last name may rightly
    weigh more than an exact one among candidates.)
    """
    if len(pair_levels) < MIN_PAIRS_FOR_EM:  # too little to learn from: the built-in weights
        return Model([list(_M_PRIOR[s.name]) for s in FIELDS], [list(_U_PRIOR[s.name]) for s in FIELDS], lam,
                     pairs=len(pair_levels))
    patterns, counts = np.unique(pair_levels.astype(np.int64), axis=0, return_counts=True)
    counts = counts.astype(float)
    first = _em(patterns, counts, lam, max_iter, tol)
    best: _Fit | None = first if first.oriented else None  # the usual case: no other start is needed
    for start in () if best is not None else [s for s in (0.7, 0.1, 0.9) if s != lam]:
        fit = _em(patterns, counts, start, max_iter, tol)
        if fit.oriented and (best is None or fit.log_likelihood > best.log_likelihood + 1e-9):
            best = fit
    best = best or first  # no start gave an oriented fit: keep the first, as before
    return Model([x.tolist() for x in best.m], [x.tolist() for x in best.u], best.lam, iterations=best.iterations,
                 converged=best.converged, pairs=int(counts.sum()))


_CONTACT_FIELDS = tuple(i for i, spec in enumerate(FIELDS) if spec.name in ("email", "phone", "birth_date", "address"))


@dataclass
class _Fit:
    m: list[np.ndarray]
    u: list[np.ndarray]
    lam: float
    iterations: int
    converged: bool
    log_likelihood: float

    @property
    def oriented(self) -> bool:
        """Every contact field's exact agreement says more for a match than its disagreement does."""
        return all(self.m[f][0] / self.u[f][0] > self.m[f][-1] / self.u[f][-1] for f in _CONTACT_FIELDS)


def _em(patterns: np.ndarray, counts: np.ndarray, lam: float, max_iter: int, tol: float) -> _Fit:
    n_fields = len(FIELDS)
    m = [np.array(_M_PRIOR[s.name], dtype=float) for s in FIELDS]
    u = [_distribution(patterns[:, f], len(s.levels), counts, np.full(len(s.levels), 0.5)) for f, s in enumerate(FIELDS)]
    present = [patterns[:, f] > 0 for f in range(n_fields)]
    index = [np.where(present[f], patterns[:, f] - 1, 0) for f in range(n_fields)]
    converged = False
    iteration = 0
    log_likelihood = -math.inf
    for iteration in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        log_m = np.zeros(len(patterns))
        log_u = np.zeros(len(patterns))
        for f in range(n_fields):
            log_m += np.where(present[f], np.log(m[f][index[f]]), 0.0)
            log_u += np.where(present[f], np.log(u[f][index[f]]), 0.0)
        a = math.log(lam) + log_m
        b = math.log(1 - lam) + log_u
        top = np.maximum(a, b)
        total = np.exp(a - top) + np.exp(b - top)
        log_likelihood = float((counts * (top + np.log(total))).sum())
        g = np.exp(a - top) / total
        new_lam = float((counts * g).sum() / counts.sum())
        new_m, new_u = [], []
        for f, spec in enumerate(FIELDS):
            k = len(spec.levels)
            new_m.append(_distribution(patterns[:, f], k, counts * g, np.full(k, 0.5)))
            new_u.append(_distribution(patterns[:, f], k, counts * (1 - g), np.full(k, 0.5)))
        change = max([abs(new_lam - lam)] + [float(np.abs(x - y).max()) for x, y in zip(new_m + new_u, m + u, strict=True)])
        lam = min(max(new_lam, 1e-6), 1 - 1e-6)
        m, u = new_m, new_u
        if change < tol:
            converged = True
            break
    return _Fit(m, u, lam, iteration, converged, log_likelihood)
