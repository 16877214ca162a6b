"""A global key space for terms-like aggregations across indices, and the (row, key) entries of a scope."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

import numpy as np

from .core import EMPTY_I64, I64, Scope, expand
from .formats import RAW, DocValueFormat, ip_sort_key


class KeySpace:
    """Sorted distinct keys (strings, or floats) shared by all indices of the request."""

    def __init__(self, kind: str, keys: Any, ip: bool = False) -> None:
        self.kind = kind
        self.keys = keys
        self.ip = ip
        self._sort_keys: list[Any] | None = None

    @property
    def size(self) -> int:
        return len(self.keys)

    def key(self, gid: int) -> Any:
        k = self.keys[gid]
        return float(k) if self.kind == "num" else k

    def sort_key(self, value: Any) -> Any:
        return ip_sort_key(value) if self.ip else value

    def find(self, value: Any) -> int:
        """gid of a value, or -1."""
        if self.kind == "num":
            i = int(np.searchsorted(self.keys, value))
            return i if i < len(self.keys) and self.keys[i] == value else -1
        if self._sort_keys is None:
            self._sort_keys = [self.sort_key(k) for k in self.keys] if self.ip else self.keys
        sk = self.sort_key(value)
        i = bisect.bisect_left(self._sort_keys, sk)
        return i if i < len(self.keys) and self.keys[i] == value else -1

    def position(self, value: Any) -> float:
        """Rank of a value among the keys; between two keys -> x.5 (for `after` comparisons)."""
        if self.kind == "num":
            i = int(np.searchsorted(self.keys, value))
            return float(i) if i < len(self.keys) and self.keys[i] == value else i - 0.5
        if self._sort_keys is None:
            self._sort_keys = [self.sort_key(k) for k in self.keys] if self.ip else self.keys
        sk = self.sort_key(value)
        i = bisect.bisect_left(self._sort_keys, sk)
        return float(i) if i < len(self.keys) and self.keys[i] == value else i - 0.5


@dataclass
class Entries:
    part: np.ndarray  # part index of each entry
    rows: np.ndarray  # row index within its part
    bids: np.ndarray  # parent bucket id
    gids: np.ndarray  # key id in the KeySpace

    def __len__(self) -> int:
        return len(self.gids)


def _merge_keys(kind: str, lists: list[Any], ip: bool) -> Any:
    if kind == "num":
        arrays = [np.asarray(k, dtype=np.float64) for k in lists if len(k)]
        return np.unique(np.concatenate(arrays)) if arrays else np.zeros(0)
    merged = set()
    for k in lists:
        merged.update(k)
    return sorted(merged, key=ip_sort_key) if ip else sorted(merged)


def key_entries(cfg: Any, scope: Scope, run: Any, fmt: DocValueFormat | None = None, *, missing: bool = True,
                include_all: bool = False) -> tuple[KeySpace, Entries]:
    """Per (row, distinct value) entries of a field over a scope, with global key ids.

    `include_all` also puts every value of the indexed field (live docs) in the key space, for
    min_doc_count=0.
    """
    sources = [p.src for p in scope.parts]
    kind = cfg.kind(sources)
    fmt = fmt or RAW
    ftype = cfg.field_type(sources)
    ip = ftype == "ip"
    per_part: list[tuple[int, np.ndarray, np.ndarray, Any]] = []
    key_lists: list[Any] = []
    missing_rows: list[tuple[int, np.ndarray]] = []
    for pi, part in enumerate(scope.parts):
        r = cfg.resolve(part)
        rows = EMPTY_I64
        if r.ci is not None and r.kind == kind:
            rows, ent = expand(part, r.ci, dedup=True)
            per_part.append((pi, rows, r.ci.ords[ent], r.ci.keys))
            key_lists.append(r.ci.keys)
        elif include_all and r.ci is not None:
            pass
        if missing and cfg.has_missing and len(part.docs):
            has = np.zeros(len(part.docs), dtype=bool)
            has[rows] = True
            empty = np.flatnonzero(~has)
            if len(empty):
                missing_rows.append((pi, empty))
    missing_key: Any = None
    if missing_rows:
        missing_key = cfg.missing_num(fmt, run.now) if kind == "num" else cfg.missing_str(fmt)
        key_lists.append(np.array([missing_key]) if kind == "num" else [missing_key])
    if len(key_lists) == 1 and per_part and not missing_rows:
        pi, rows, local, keys = per_part[0]
        space = KeySpace(kind, keys, ip)
        part = scope.parts[pi]
        entries = Entries(np.full(len(rows), pi, dtype=I64), rows, part.bids[rows], local.astype(I64))
        return space, entries
    keys = _merge_keys(kind, key_lists, ip)
    space = KeySpace(kind, keys, ip)
    parts_e, rows_e, bids_e, gids_e = [], [], [], []
    if kind == "str":
        index = {k: i for i, k in enumerate(keys)}
    for pi, rows, local, part_keys in per_part:
        if kind == "num":
            mapping = np.searchsorted(keys, np.asarray(part_keys, dtype=np.float64)).astype(I64)
        else:
            mapping = np.fromiter((index[k] for k in part_keys), dtype=I64, count=len(part_keys))
        part = scope.parts[pi]
        parts_e.append(np.full(len(rows), pi, dtype=I64))
        rows_e.append(rows)
        bids_e.append(part.bids[rows])
        gids_e.append(mapping[local] if len(local) else EMPTY_I64)
    if missing_rows:
        mgid = space.find(missing_key)
        for pi, empty in missing_rows:
            parts_e.append(np.full(len(empty), pi, dtype=I64))
            rows_e.append(empty)
            bids_e.append(scope.parts[pi].bids[empty])
            gids_e.append(np.full(len(empty), mgid, dtype=I64))
    if not parts_e:
        return space, Entries(EMPTY_I64, EMPTY_I64, EMPTY_I64, EMPTY_I64)
    return space, Entries(np.concatenate(parts_e), np.concatenate(rows_e).astype(I64),
                          np.concatenate(bids_e).astype(I64), np.concatenate(gids_e).astype(I64))


def live_gids(cfg: Any, scope: Scope, space: KeySpace) -> np.ndarray:
    """Key ids of every value the field has in live docs of the scope's indices (min_doc_count=0)."""
    kind = space.kind
    out = []
    seen: set[int] = set()
    for part in scope.parts:
        if id(part.src) in seen:
            continue
        seen.add(id(part.src))
        r = cfg.resolve(part)
        if r.ci is None or r.kind != kind:
            continue
        live = part.src.live
        docs = r.ci.docs
        ok = live[np.minimum(docs, len(live) - 1)] & (docs < len(live))
        local = np.unique(r.ci.ords[ok])
        keys = r.ci.keys
        if kind == "num":
            gids = np.searchsorted(space.keys, np.asarray(keys, dtype=np.float64)[local])
        else:
            gids = np.fromiter((space.find(keys[i]) for i in local.tolist()), dtype=I64, count=len(local))
        out.append(gids[gids >= 0])
    if not out:
        return EMPTY_I64
    return np.unique(np.concatenate(out)).astype(I64)
