"""Clustering that resists chaining, with rules and steward overrides that always win.

Order of precedence:
1. Deterministic rules: records with the same record_id are one record; must-merge overrides join
   their records (unless that would join a do-not-merge pair: do-not-merge wins, the conflict is reported).
2. Do-not-merge overrides: the two records never end up in one cluster.
3. Links: pairs whose weight reaches the link threshold, strongest first. Two singletons join on
   the link alone. Two clusters join only if the cluster-level evidence agrees: the mean weight
   over all cross pairs (each clipped to +-`clip` bits so one very strong pair cannot carry the
   rest) reaches the link threshold, and no cross pair contradicts strongly (weight below
   -`contradiction`). A weak link A~B~C therefore never drags C into A's cluster when A and C disagree.
   A link that shares a contact identifier (the same mailbox, phone, birth date or street address:
   `anchored`) may instead pass on best-match linkage: the mean, over the smaller cluster's records,
   of each one's best clipped weight to the other cluster. A person's records that each use one of
   several mailboxes then stay together, while two namesakes joined only by their name still need
   the stricter mean.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Decision:
    """One clustering step: two records' clusters joined, or kept apart, and why."""

    a: int
    b: int
    action: str  # rule | must_merge | link | anchored_link | unique_name | same_address | rejected_linkage |
    # rejected_contradiction | do_not_merge | conflict
    weight: float | None = None
    linkage: float | None = None
    sizes: tuple[int, int] = (1, 1)

    @property
    def joined(self) -> bool:
        return self.action in ("rule", "must_merge", "link", "anchored_link", "unique_name", "same_address")

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "weight": None if self.weight is None else round(self.weight, 3),
                "linkage": None if self.linkage is None else round(self.linkage, 3), "sizes": list(self.sizes)}


@dataclass
class ClusterResult:
    """A cluster label (root record index) per record, and the decisions that shaped the clusters."""

    labels: list[int]
    decisions: list[Decision] = field(default_factory=list)

    def clusters(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i, label in enumerate(self.labels):
            out.setdefault(label, []).append(i)
        return out


class Clusterer:
    """Greedy agglomerative clustering over scored pairs, with average-linkage gating."""

    def __init__(self, n: int, weight_of: Callable[[int, int], float], threshold: float, *,
                 clip: float = 15.0, contradiction: float = 8.0, min_linkage: float | None = None,
                 max_cross: int = 400, anchored: Callable[[int, int], bool] | None = None) -> None:
        self.n = n
        self.anchored = anchored
        self.min_linkage = threshold if min_linkage is None else min_linkage
        self.weight_of = weight_of
        self.threshold = threshold
        self.clip = clip
        self.contradiction = contradiction
        self.max_cross = max_cross
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {i: [i] for i in range(n)}
        self.forbidden: dict[int, set[int]] = {}
        self.decisions: list[Decision] = []

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, ra: int, rb: int) -> None:
        """Merge two clusters (by root); no checks."""
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        if rb in self.forbidden:
            self.forbidden.setdefault(ra, set()).update(self.forbidden.pop(rb))

    def blocked(self, ra: int, rb: int) -> bool:
        """True when a do-not-merge pair spans the two clusters."""
        fa, fb = self.forbidden.get(ra), self.forbidden.get(rb)
        if fa and any(m in fa for m in self.members[rb]):
            return True
        return bool(fb and any(m in fb for m in self.members[ra]))

    def forbid(self, a: int, b: int) -> None:
        """A do-not-merge pair: a and b must never share a cluster."""
        self.forbidden.setdefault(self.find(a), set()).add(b)
        self.forbidden.setdefault(self.find(b), set()).add(a)

    def force(self, a: int, b: int, action: str) -> bool:
        """Join a's and b's clusters regardless of evidence (rules, must-merge), unless forbidden."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.blocked(ra, rb):
            self.decisions.append(Decision(a, b, "conflict", sizes=(len(self.members[ra]), len(self.members[rb]))))
            return False
        self.decisions.append(Decision(a, b, action, sizes=(len(self.members[ra]), len(self.members[rb]))))
        self.union(ra, rb)
        return True

    def linkage(self, ra: int, rb: int) -> tuple[float, float, int, int]:
        """Over the cross pairs of two clusters (sampled if huge): the mean clipped weight, the
        best-match mean (each of the smaller cluster's records' best clipped weight to the other
        cluster, averaged), how many pairs support the link (weight >= threshold) and how many
        contradict it (<= -contradiction)."""
        xs, ys = self.members[ra], self.members[rb]
        if len(xs) > len(ys):
            xs, ys = ys, xs
        limit = max(int(self.max_cross ** 0.5), 1)
        if len(xs) * len(ys) > self.max_cross:
            xs = _spread(sorted(xs), limit)
            ys = _spread(sorted(ys), limit)
        clip = self.clip
        total, best_total, support, against = 0.0, 0.0, 0, 0
        for x in xs:
            best = -clip
            for y in ys:
                w = self.weight_of(x, y)
                clipped = min(max(w, -clip), clip)
                total += clipped
                best = max(best, clipped)
                support += w >= self.threshold
                against += w <= -self.contradiction
            best_total += best
        return total / max(len(xs) * len(ys), 1), best_total / max(len(xs), 1), support, against

    def link(self, a: int, b: int, weight: float) -> bool:
        """Consider one above-threshold pair; join the clusters if the cluster-level evidence agrees."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        sizes = (len(self.members[ra]), len(self.members[rb]))
        if self.blocked(ra, rb):
            self.decisions.append(Decision(a, b, "do_not_merge", weight, sizes=sizes))
            return False
        if sizes == (1, 1):
            self.decisions.append(Decision(a, b, "link", weight, weight, sizes))
            self.union(ra, rb)
            return True
        mean, best, support, against = self.linkage(ra, rb)
        if against and against >= support:
            self.decisions.append(Decision(a, b, "rejected_contradiction", weight, mean, sizes))
            return False
        action = "link"
        if mean < self.min_linkage:
            if best < self.min_linkage or self.anchored is None or not self.anchored(a, b):
                self.decisions.append(Decision(a, b, "rejected_linkage", weight, mean, sizes))
                return False
            action, mean = "anchored_link", best
        self.decisions.append(Decision(a, b, action, weight, mean, sizes))
        self.union(ra, rb)
        return True

    def result(self) -> ClusterResult:
        return ClusterResult([self.find(i) for i in range(self.n)], self.decisions)


def _spread(items: list[int], k: int) -> list[int]:
    if len(items) <= k:
        return items
    step = len(items) / k
    return [items[int(i * step)] for i in range(k)]


def cluster(n: int, edges: list[tuple[int, int, float]], weight_of: Callable[[int, int], float], threshold: float,
            *, same: Sequence[tuple[int, int]] = (), must_merge: Sequence[tuple[int, int]] = (),
            do_not_merge: Sequence[tuple[int, int]] = (), clip: float = 15.0, contradiction: float = 8.0,
            min_linkage: float | None = None, anchored: Callable[[int, int], bool] | None = None,
            second_pass: Callable[[Clusterer], object] | None = None) -> ClusterResult:
    """Cluster n records: rules, then overrides, then links at or above `threshold`, strongest first."""
    c = Clusterer(n, weight_of, threshold, clip=clip, contradiction=contradiction, min_linkage=min_linkage,
                  anchored=anchored)
    for a, b in do_not_merge:
        c.forbid(a, b)
    for a, b in same:
        c.force(a, b, "rule")
    for a, b in must_merge:
        c.force(a, b, "must_merge")
    for a, b, w in sorted((e for e in edges if e[2] >= threshold), key=lambda e: (-e[2], e[0], e[1])):
        c.link(a, b, w)
    if second_pass is not None:
        second_pass(c)
    return c.result()
