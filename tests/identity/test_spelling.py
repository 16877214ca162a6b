"""Misspelt first names: learned known spellings, one slip or a transliteration away."""

from __future__ import annotations

from es360.identity.compare import F_CLOSE, F_DIFF, compare_names, first_level
from es360.identity.spelling import Speller, attach_spellings, known_spellings
from tests.identity.conftest import make_rec


def test_known_spellings_are_the_frequent_names() -> None:
    assert known_spellings({"zoe": 5, "zpe": 1, "j": 9, "lena": 3}) == frozenset({"zoe", "lena"})


def test_a_rare_name_one_slip_from_one_known_name_reads_as_it() -> None:
    speller = Speller({"zoe", "lena", "lisa", "gul", "max"})
    assert speller.suggest("zpe") == "zoe"  # substitution
    assert speller.suggest("zeo") == "zoe"  # transposition
    assert speller.suggest("guel") == "gul"  # 'ü' written as 'ue'
    assert speller.suggest("lina") == ""  # one slip from both Lena and Lisa: no guess
    assert speller.suggest("zoe") == ""  # already a known spelling
    assert speller.suggest("poe") == ""  # another first letter
    assert speller.suggest("mx") == ""  # too short to tell


def test_the_suggestion_makes_the_first_names_close_only_through_the_known_spelling() -> None:
    a = make_rec(0, "crm:C-1", "Zoë", "Allen")
    b = make_rec(1, "support:S-1", "Zpë", "Allen")
    c = make_rec(2, "shop:S-2", "Ada", "Allen")
    assert first_level("zoe", "zpe") != F_CLOSE
    attach_spellings([a, b, c], Speller({"zoe", "ada"}))
    assert b.first_alt == "zoe" and not a.first_alt and not c.first_alt
    assert compare_names(a, b)[0] == F_CLOSE
    assert compare_names(b, c)[0] == F_DIFF
