"""Steward overrides: must-merge and do-not-merge pairs of record ids, kept in $ES360_HOME/overrides.json.

The file is plain JSON a steward can read, review in version control, or edit by hand:

    {"version": 1,
     "must_merge":   [{"a": "crm:C-1", "b": "shop:S-9", "added_at": "2026-01-05T10:00:00+00:00"}],
     "do_not_merge": [{"a": "crm:C-7", "b": "crm:C-8", "added_at": "2026-01-05T10:01:00+00:00"}]}

A pair is stored once (sorted); recording one kind removes the same pair from the other kind.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from es360.errors import Es360Error

KINDS = ("must_merge", "do_not_merge")
FILE_NAME = "overrides.json"


@dataclass
class Overrides:
    """The steward's decisions, as record-id pairs."""

    must_merge: list[tuple[str, str]] = field(default_factory=list)
    do_not_merge: list[tuple[str, str]] = field(default_factory=list)
    added_at: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (kind, a, b) -> when

    def as_dict(self) -> dict[str, Any]:
        return {"version": 1, **{kind: [{"a": a, "b": b, "added_at": self.added_at.get((kind, a, b), "")}
                                        for a, b in getattr(self, kind)] for kind in KINDS}}

    def count(self) -> int:
        return len(self.must_merge) + len(self.do_not_merge)


def overrides_path(home: Path) -> Path:
    return Path(home) / FILE_NAME


def _pair(a: str, b: str) -> tuple[str, str]:
    a, b = a.strip(), b.strip()
    if not a or not b or ":" not in a or ":" not in b:
        raise Es360Error("Overrides take two record ids like crm:C-1 and shop:S-9 (source:source_id).")
    if a == b:
        raise Es360Error(f"An override needs two different records; got {a} twice.")
    return (a, b) if a < b else (b, a)


def load_overrides(home: Path) -> Overrides:
    """The overrides in $ES360_HOME/overrides.json (none when the file does not exist)."""
    path = overrides_path(home)
    if not path.is_file():
        return Overrides()
    try:
        data = json.loads(path.read_text())
        out = Overrides()
        for kind in KINDS:
            for row in data.get(kind, []):
                pair = _pair(str(row["a"]), str(row["b"]))
                if pair not in getattr(out, kind):
                    getattr(out, kind).append(pair)
                    out.added_at[(kind, *pair)] = str(row.get("added_at", ""))
        return out
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Es360Error(f"{path} is not a valid overrides file; fix or remove it.") from None


def save_overrides(home: Path, overrides: Overrides) -> Path:
    """Write the overrides atomically (a crash never leaves half a file)."""
    path = overrides_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(overrides.as_dict(), indent=2) + "\n")
    os.replace(tmp, path)
    return path


def record_override(home: Path, kind: str, a: str, b: str) -> Overrides:
    """Add a must_merge or do_not_merge pair (replacing the opposite decision on the same pair)."""
    if kind not in KINDS:
        raise Es360Error(f"Unknown override kind {kind!r}; expected must_merge or do_not_merge.")
    pair = _pair(a, b)
    overrides = load_overrides(home)
    for other in KINDS:
        pairs = getattr(overrides, other)
        if pair in pairs:
            pairs.remove(pair)
            overrides.added_at.pop((other, *pair), None)
    getattr(overrides, kind).append(pair)
    overrides.added_at[(kind, *pair)] = datetime.now(UTC).isoformat(timespec="seconds")
    save_overrides(home, overrides)
    return overrides


def forget_override(home: Path, a: str, b: str) -> bool:
    """Remove any override on a pair; True when there was one."""
    pair = _pair(a, b)
    overrides = load_overrides(home)
    found = False
    for kind in KINDS:
        pairs = getattr(overrides, kind)
        if pair in pairs:
            pairs.remove(pair)
            overrides.added_at.pop((kind, *pair), None)
            found = True
    if found:
        save_overrides(home, overrides)
    return found
