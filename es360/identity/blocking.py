"""Blocking: candidate pairs are records that share at least one key, so cost grows near-linearly.

Keys (a record has several): canonical email, email local part, E.164 phone, the phone's last
8 digits, source id, street address (postcode and street), nickname-canonical first name + phonetic last name, both names phonetic in
either order, last name + birth date, last name + postcode, first name + birth date, and birth
date + postcode. A block larger than its limit is not compared all-pairs: its records are sorted
by name and each is compared with its `window` nearest neighbours only (sorted neighbourhood), so
a key shared by thousands (a company switchboard number) costs O(n * window), not O(n^2).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from es360.identity.features import Rec
from es360.identity.phonetic import nysiis


@dataclass
class BlockingStats:
    """What blocking did: keys, blocks, oversized blocks (windowed), candidate pairs."""

    keys: int = 0
    blocks: int = 0
    oversized: int = 0
    largest: int = 0
    pairs: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)  # pairs each key kind proposed (before de-duplication)


def record_keys(r: Rec) -> list[str]:
    """Every blocking key of one record."""
    keys: list[str] = []
    for other in r.alt_emails:
        keys.append("e:" + other)
    if r.email_canon:
        keys.append("e:" + r.email_canon)
        if len(r.email_local) >= 5:
            keys.append("l:" + r.email_local)
    if r.phone:
        keys.append("p:" + r.phone)
    if r.phone_tail:
        keys.append("t:" + r.phone_tail)
    if r.source_id:
        keys.append("i:" + r.source_id.strip().lower())
    if r.postcode and r.street:
        keys.append(f"s:{r.postcode}|{r.street}")  # whatever the names: 'Hall Sarah' at Sarah Hall's address
    last_code = nysiis(r.last) if r.last else ""
    first_code = nysiis(r.first) if r.first and len(r.first) > 1 else ""
    if last_code:
        for group in r.first_groups if first_code else ():
            keys.append(f"n:{nysiis(group)}|{last_code}")
        if first_code:
            keys.append(f"n:{first_code}|{last_code}")
            keys.append("w:" + "|".join(sorted((first_code, last_code))))  # 'Hall Virginia' ~ 'Virginia Hall'
        if r.dob:
            keys.append(f"d:{last_code}|{r.dob}")
        if r.postcode:
            keys.append(f"z:{last_code}|{r.postcode}")
    if r.dob:
        if first_code:
            for group in r.first_groups:
                keys.append(f"g:{nysiis(group)}|{r.dob}")
        if r.postcode:
            keys.append(f"b:{r.dob}|{r.postcode}")
    return keys


def _sort_key(r: Rec) -> str:
    return f"{r.last} {r.first} {r.email_canon}"


IDENTIFIER_KINDS = frozenset("epits")  # email, phone, source id, phone tail, address: small blocks are the norm


def candidate_pairs(records: list[Rec], max_block: int = 50, window: int = 8,
                    stats: BlockingStats | None = None, max_name_block: int = 25) -> list[tuple[int, int]]:
    """Distinct (i, j) index pairs, i < j, of records that share a blocking key.

    Identifier keys compare all pairs up to `max_block` records, name keys up to `max_name_block`;
    larger blocks are windowed (each record against its `window` nearest by name). All-pairs
    blocks are expanded with numpy, one block size at a time.
    """
    key_ids: dict[str, int] = {}
    key_of, member = array("q"), array("q")
    for r in records:
        for key in dict.fromkeys(record_keys(r)):
            key_of.append(key_ids.setdefault(key, len(key_ids)))
            member.append(r.idx)
    stats = stats if stats is not None else BlockingStats()
    stats.keys = len(key_ids)
    n = len(records)
    if not key_ids:
        return []
    kinds = np.array([ord(k[0]) for k in key_ids], dtype=np.int32)
    keys = np.frombuffer(key_of, dtype=np.int64)
    members = np.frombuffer(member, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    keys, members = keys[order], members[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    limits = np.where(np.isin(kinds[keys[starts]], [ord(k) for k in IDENTIFIER_KINDS]), max_block, max_name_block)
    chunks: list[np.ndarray] = []
    proposed = np.zeros(len(starts), dtype=np.int64)
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= limits)]):
        chosen = np.flatnonzero((sizes == size) & (sizes <= limits))
        grid = members[starts[chosen][:, None] + np.arange(size)[None, :]]
        left, right = np.triu_indices(int(size), 1)
        a, b = grid[:, left].ravel(), grid[:, right].ravel()
        chunks.append(np.minimum(a, b) * n + np.maximum(a, b))
        proposed[chosen] = size * (size - 1) // 2
    oversized = np.flatnonzero(sizes > limits)
    for block in oversized:
        block_members = members[starts[block]:starts[block] + sizes[block]].tolist()
        pairs = np.array(list(_windowed(records, block_members, window)), dtype=np.int64).reshape(-1, 2)
        chunks.append(pairs.min(axis=1) * n + pairs.max(axis=1))
        proposed[block] = len(pairs)
    unique = np.unique(np.concatenate(chunks)) if chunks else np.zeros(0, dtype=np.int64)
    stats.blocks = int((sizes >= 2).sum())
    stats.largest = int(sizes.max()) if len(sizes) else 0
    stats.oversized = len(oversized)
    stats.pairs = len(unique)
    block_kinds = kinds[keys[starts]]
    for code in np.unique(block_kinds):
        stats.by_kind[chr(int(code))] = int(proposed[block_kinds == code].sum())
    return list(zip((unique // n).tolist(), (unique % n).tolist(), strict=True))


def _windowed(records: list[Rec], members: list[int], window: int) -> Iterator[tuple[int, int]]:
    ordered = sorted(members, key=lambda i: _sort_key(records[i]))
    for x in range(len(ordered)):
        for y in range(x + 1, min(x + 1 + window, len(ordered))):
            yield ordered[x], ordered[y]
