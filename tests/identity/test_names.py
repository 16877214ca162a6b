"""Nicknames, phonetic codes and text normalization: the building blocks of name and email matching."""

from __future__ import annotations

import pytest

from es360.identity import nicknames
from es360.identity.phonetic import nysiis, soundex
from es360.identity.text import canonical_email, clean_name, clean_postcode, street_tokens


@pytest.mark.parametrize(("a", "b"), [
    ("sam", "samuel"), ("sammy", "samuel"), ("bill", "william"), ("will", "william"), ("billy", "william"),
    ("liz", "elizabeth"), ("beth", "elizabeth"), ("betty", "elizabeth"), ("eliza", "elizabeth"),
    ("bob", "robert"), ("bobby", "robert"), ("kate", "katherine"), ("kathy", "catherine"), ("katie", "kathryn"),
    ("mike", "michael"), ("alex", "alexander"), ("alex", "alexandra"), ("jim", "james"), ("jimmy", "james"),
    ("peggy", "margaret"), ("maggie", "margaret"), ("meg", "margaret"), ("dick", "richard"), ("rick", "richard"),
    ("chuck", "charles"), ("charlie", "charles"), ("jack", "john"), ("johnny", "john"), ("tony", "anthony"),
    ("kasia", "katarzyna"), ("pepe", "jose"),
])
def test_nicknames_are_equivalent_to_their_formal_names(a: str, b: str) -> None:
    assert nicknames.equivalent(a, b) and nicknames.equivalent(b, a)


@pytest.mark.parametrize(("a", "b"), [("samuel", "samantha"), ("alexander", "alexandra"), ("john", "jonathan"),
                                      ("anna", "hannah"), ("mark", "mary"), ("william", "robert")])
def test_distinct_names_are_not_equivalent(a: str, b: str) -> None:
    assert not nicknames.equivalent(a, b)


def test_nickname_table_is_large_and_ambiguity_is_kept() -> None:
    assert nicknames.pair_count() >= 300  # nickname/variant -> formal-name pairs
    assert nicknames.groups("sam") == {"samuel", "samantha", "samson"}


def test_misspelt_nicknames_and_initials() -> None:
    assert nicknames.close_to_group("anthoky", "tony")  # a typo of Anthony
    assert not nicknames.close_to_group("jackie", "john")  # two known names are never typos of each other
    # short slips of a nickname: one edit after the same first letter ('Tmmy' for Tommy, a Thomas)
    assert nicknames.close_to_group("tmmy", "thomas") and nicknames.close_to_group("manfy", "amanda")
    assert not nicknames.close_to_group("kommy", "thomas")  # another first letter is another name
    assert nicknames.initial_fits("w", "bill") and nicknames.initial_fits("t", "edward")
    assert not nicknames.initial_fits("q", "bill")


@pytest.mark.parametrize(("a", "b"), [("meyer", "maier"), ("mayer", "meier"), ("smith", "smyth"),
                                      ("mueller", "muller"), ("macdonald", "mcdonald"), ("knight", "night"),
                                      ("phillips", "filips"), ("johnson", "jonson")])
def test_nysiis_codes_sound_alike_names_the_same(a: str, b: str) -> None:
    assert nysiis(a) == nysiis(b)


def test_nysiis_separates_different_names_and_soundex_matches_the_classic_examples() -> None:
    assert nysiis("smith") != nysiis("schneider")
    assert soundex("robert") == soundex("rupert") == "R163"
    assert soundex("ashcraft") == "A261" and soundex("tymczak") == "T522"


def test_text_normalization() -> None:
    assert clean_name("  O'Brien-Smith ") == "obrien smith"
    assert clean_name("Łukasz Müller") == "lukasz muller"
    assert canonical_email(" Sam.Smith+Shop@GoogleMail.com") == "samsmith@gmail.com"
    assert canonical_email("sam.smith+news@example.com") == "sam.smith@example.com"  # dots matter outside Gmail
    assert clean_postcode("sw1a 1aa") == "SW1A1AA"
    assert street_tokens("12 Main St.") == street_tokens("12 main street")
    assert street_tokens("Hauptstr. 5") == street_tokens("Hauptstraße 5")
