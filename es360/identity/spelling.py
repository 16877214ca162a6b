"""Misspelt first names: a rare spelling one slip away from exactly one frequent name reads as it.

Typists slip ('Zpë' for 'Zoë', 'Jhon' for 'John') and systems without umlauts write 'Guel' for
'Gül'. Which spellings are real names is learned from the data itself: a first name written at least
`MIN_COUNT` times in the run is a known spelling. A name seen fewer times gets `first_alt`, the one
known spelling it is a single edit from (same first letter) or a transliteration of (ue/oe/ae for
ü/ö/ä); when two known names fit equally ('Lina' is one edit from both 'Lena' and 'Lisa'), none does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from es360.identity.features import Rec
from es360.identity.model import Model, NameFrequencies

MIN_COUNT = 3
_TRANSLITERATIONS = (("ue", "u"), ("oe", "o"), ("ae", "a"))


def known_spellings(counts: Mapping[str, int], min_count: int = MIN_COUNT) -> frozenset[str]:
    """The first names written at least `min_count` times (single letters excluded)."""
    return frozenset(name for name, count in counts.items() if count >= min_count and len(name) > 1)


def _untransliterated(name: str) -> str:
    for written, letter in _TRANSLITERATIONS:
        name = name.replace(written, letter)
    return name


class Speller:
    """Suggests the known spelling behind a rare first name."""

    def __init__(self, known: Iterable[str]) -> None:
        self.known = frozenset(known)
        by_initial: dict[str, list[str]] = {}
        for name in sorted(self.known):
            by_initial.setdefault(name[0], []).append(name)
        self._by_initial = by_initial
        self.suggest = lru_cache(maxsize=200_000)(self._suggest)

    def _suggest(self, name: str) -> str:
        if len(name) < 3 or name in self.known or " " in name:
            return ""
        plain = _untransliterated(name)
        if plain != name and plain in self.known:
            return plain
        candidates = self._by_initial.get(name[0], ())
        found = process.extract(name, candidates, scorer=OSA.distance, score_cutoff=1, limit=2)
        if len(found) == 1:
            return str(found[0][0])
        return ""


def attach_spellings(records: Iterable[Rec], speller: Speller) -> int:
    """Set `first_alt` on records whose first name is a slip of one known name; returns how many."""
    count = 0
    for r in records:
        r.first_alt = speller.suggest(r.first) if r.first else ""
        count += bool(r.first_alt)
    return count


def attach_frequent_spellings(records: Iterable[Rec], first_names: NameFrequencies | None) -> int:
    """attach_spellings with the known spellings of first-name frequencies (none known: nothing set)."""
    if first_names is None:
        return 0
    return attach_spellings(records, Speller(known_spellings(first_names.counts)))


def attach_model_spellings(records: Iterable[Rec], model: Model) -> int:
    """attach_spellings with the known spellings a fitted model learned (its first-name frequencies)."""
    return attach_frequent_spellings(records, model.tf.get("first_name"))
