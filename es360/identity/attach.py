"""Second pass: small clusters join the one established cluster that carries the same, rare, full name.

Pair weights cannot see how many *people* share a name. After the first pass they can be counted.
When a full name (exact first and last name) is rare enough that a second person with it is
unlikely, and exactly two clusters carry it, one of them small (one or two records: a support or
marketing record that used another mailbox), the small one joins the other, provided nothing
between them disagrees (no different phone, birth date, address or country, no contradicting pair). A name
held by three or more clusters, or by two established ones (namesakes), never joins this way.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from es360.identity.cluster import Clusterer, Decision
from es360.identity.compare import A_DIFF, D_DIFF, FIELD_INDEX, P_DIFF, compare
from es360.identity.features import Rec

ORPHAN_SIZE = 2
_CHECKED = (FIELD_INDEX["phone"], FIELD_INDEX["birth_date"], FIELD_INDEX["address"])
_DIFFERENT = {FIELD_INDEX["phone"]: P_DIFF, FIELD_INDEX["birth_date"]: D_DIFF, FIELD_INDEX["address"]: A_DIFF}


def name_keys(r: Rec) -> list[str]:
    """Full-name key of a record: exact (cleaned) first and last name."""
    if len(r.first) < 2 or len(r.last) < 2:
        return []
    return [f"{r.first}|{r.last}"]


def _compatible(c: Clusterer, records: list[Rec], xs: list[int], ys: list[int]) -> bool:
    countries_x = {records[x].country for x in xs} - {""}
    countries_y = {records[y].country for y in ys} - {""}
    if countries_x and countries_y and not countries_x & countries_y:
        return False  # a Linda Wallace in Canada and one in Britain are two people
    for x in xs:
        for y in ys:
            if c.weight_of(x, y) <= -c.contradiction:
                return False
            levels = compare(records[x], records[y]).levels
            if any(levels[f] == _DIFFERENT[f] for f in _CHECKED):
                return False
    return True


def expected_namesakes(first_count: int, last_count: int, records: int, people: int) -> float:
    """How many people would carry this full name by chance: people x P(first) x P(last)."""
    if not records:
        return 0.0
    return people * (first_count / records) * (last_count / records)


def attach_unique_names(c: Clusterer, records: list[Rec], max_expected: float = 0.1) -> int:
    """Join small clusters to the only other cluster with their full name, when that name is rare enough
    that a second person carrying it is unlikely (fewer than `max_expected` expected); returns how many joined."""
    clusters_by_key: dict[str, set[int]] = defaultdict(set)
    firsts: Counter[str] = Counter()
    lasts: Counter[str] = Counter()
    for r in records:
        for key in name_keys(r):
            clusters_by_key[key].add(c.find(r.idx))
            firsts[r.first] += 1
            lasts[r.last] += 1
    named = sum(firsts.values())
    people = len({c.find(r.idx) for r in records})
    joined = 0
    for key in sorted(clusters_by_key):
        roots = sorted({c.find(root) for root in clusters_by_key[key]}, key=lambda root: (-len(c.members[root]), root))
        if len(roots) < 2:
            continue
        first, _, last = key.partition("|")
        if expected_namesakes(firsts[first], lasts[last], named, people) > max_expected:
            continue
        if len(roots) != 2 or len(c.members[roots[1]]) > ORPHAN_SIZE:
            continue  # namesakes, or two established customers: who is who is unclear
        target, orphans = roots[0], roots[1:]
        for orphan in orphans:
            target = c.find(target)
            if c.blocked(orphan, target):
                continue
            xs, ys = list(c.members[orphan]), list(c.members[target])
            if not _compatible(c, records, xs, ys):
                continue
            a = next(x for x in xs if key in name_keys(records[x]))
            b = next(y for y in ys if key in name_keys(records[y]))
            mean, _, _, _ = c.linkage(orphan, target)
            c.decisions.append(Decision(a, b, "unique_name", c.weight_of(a, b), mean, (len(xs), len(ys))))
            c.union(orphan, target)
            joined += 1
    return joined


def address_keys(r: Rec) -> list[str]:
    """Full name at a full address: exact first and last name, postcode and street."""
    if len(r.first) < 2 or len(r.last) < 2 or not r.postcode or not r.street:
        return []
    return [f"{r.first}|{r.last}|{r.postcode}|{r.street}"]


def attach_same_address(c: Clusterer, records: list[Rec]) -> int:
    """Join clusters that carry the same full name at the same street address, when nothing disagrees
    (a different birth date tells a father from his namesake son); returns how many joined."""
    clusters_by_key: dict[str, set[int]] = defaultdict(set)
    for r in records:
        for key in address_keys(r):
            clusters_by_key[key].add(c.find(r.idx))
    joined = 0
    for key in sorted(clusters_by_key):
        roots = sorted({c.find(root) for root in clusters_by_key[key]}, key=lambda root: (-len(c.members[root]), root))
        for other in roots[1:]:
            target = c.find(roots[0])
            other = c.find(other)
            if other == target or c.blocked(other, target):
                continue
            xs, ys = list(c.members[other]), list(c.members[target])
            if len(xs) * len(ys) > 400 or not _compatible(c, records, xs, ys):
                continue
            a = next(x for x in xs if key in address_keys(records[x]))
            b = next(y for y in ys if key in address_keys(records[y]))
            mean, _, _, _ = c.linkage(other, target)
            c.decisions.append(Decision(a, b, "same_address", c.weight_of(a, b), mean, (len(xs), len(ys))))
            c.union(other, target)
            joined += 1
    return joined
