"""Name parts read from a record's own email address, and what they change in comparison and matching."""

from __future__ import annotations

import pytest

from es360.identity.compare import F_EXACT, F_INITIAL, F_NICK, L_EXACT, compare_names, first_level
from es360.identity.emailname import infer_name
from es360.identity.features import from_source
from es360.identity.matcher import match
from es360.identity.synthetic import generate_world
from tests.identity.conftest import make_rec


@pytest.mark.parametrize(("first", "last", "email", "expected"), [
    ("marek", "", "marek.jaworski47@hotmail.com", ("marek", "jaworski", "last")),
    ("adrian", "", "adriannavarro@gmail.com", ("adrian", "navarro", "last")),
    ("ronald", "", "rtaylor@golden-consulting.com.au", ("ronald", "taylor", "last")),
    ("", "coleman", "e.coleman63@live.com", ("e", "coleman", "first")),
    ("l", "peters", "lisa1976@gmail.com", ("lisa", "peters", "first")),
    ("j", "price", "jeffrey.price07@hotmail.com", ("jeffrey", "price", "first")),
    ("johannes", "k", "j.krause@clear-health.de", ("johannes", "krause", "last")),
    ("", "", "lisa.peters@harborfoods.de", ("lisa", "peters", "first,last")),
    ("matthew", "", "matthew.jones@example.com", ("matthew", "jones", "last")),  # 'the' inside a name is fine
    ("", "", "peters.lisa@harborfoods.de", ("lisa", "peters", "first,last")),
    # a household mailbox does not say whose it is, but the family name it spells is everyone's
    ("samantha", "", "powellhome@outlook.com", ("samantha", "powell", "last")),
    ("heike", "", "meierfamily@gmail.com", ("heike", "meier", "last")),
    ("lea", "", "theschuberts@gmail.com", ("lea", "schubert", "last")),
    ("eva", "", "the.jansens@example.com", ("eva", "jansen", "last")),
])
def test_a_missing_name_part_is_read_from_the_mailbox(first: str, last: str, email: str,
                                                     expected: tuple[str, str, str]) -> None:
    assert infer_name(first, last, email) == expected


@pytest.mark.parametrize(("first", "last", "email"), [
    ("", "martinez", "martinezfamily@hotmail.com"),  # a family mailbox names no one
    ("", "", "thechristensens@protonmail.com"),
    ("", "jones", "the.jones@example.com"),
    ("joan", "", "bryanandjoan@gmail.com"),
    ("james", "", "jamesm61@gmail.com"),  # 'm' is not a last name, and 'amesm' is not one either
    ("ronald", "", "rachel@example.com"),  # a whole given name is not an initial + last name
    ("", "", "info@shop.example"),
    ("", "", "d.watson@green-group.com"),  # an initial alone is too little to name someone
    ("sam", "smith", "bob.jones@example.com"),  # stated names are never replaced
    ("l", "gunther", "gunther.leon.laura@live.com"),  # Leon or Laura: the mailbox does not say which L.
    ("murphy", "l", "loganmurphy@hotmail.com"),  # 'Murphy L.' written surname first: no 'Loganmurphy'
    ("joan", "", "famille.martin@example.fr"),  # Martin is a given name too: no surname is read
    ("magdalena", "", "magdalenawis447@outlook.com"),  # 'wis' is Wiśniewska clipped, not a surname
])
def test_nothing_is_read_when_the_mailbox_is_shared_or_ambiguous(first: str, last: str, email: str) -> None:
    assert infer_name(first, last, email) == (first, last, "")


def test_the_record_keeps_its_stated_name_and_flags_the_inferred_part() -> None:
    r = make_rec(0, "marketing:M-1", "Marek", "", email="Marek.Jaworski47@hotmail.com")
    assert (r.first, r.last, r.name_from_email) == ("marek", "jaworski", "last")
    assert r.doc["name"] == {"first": "Marek", "last": "", "full": "Marek"}  # the golden profile sees what was stated
    plain = make_rec(1, "crm:C-1", "Marek", "Jaworski", email="marek@summit.example")
    assert plain.name_from_email == ""


def test_names_written_surname_first_compare_given_name_with_given_name() -> None:
    a = make_rec(0, "crm:C-1", "Miller", "Rebecca")
    b = make_rec(1, "shop:S-1", "Becca", "Miller")
    assert compare_names(a, b) == (F_NICK, L_EXACT, True)
    c = make_rec(2, "crm:C-2", "Weiss", "J")
    d = make_rec(3, "shop:S-2", "Jana", "Weiss")
    assert compare_names(c, d) == (F_INITIAL, L_EXACT, True)


def test_an_initial_followed_by_a_name_particle_is_an_initial() -> None:
    assert first_level("j van der", "johannes") == F_INITIAL
    assert first_level("j van der", "pieter") not in (F_EXACT, F_NICK, F_INITIAL)


def test_a_first_name_only_record_joins_the_person_its_email_names() -> None:
    """Among 1,000 synthetic people, a newsletter record with only 'Xiomara' and a mailbox spelling
    'xiomara.quintanilla' joins the one Xiomara Quintanilla; a namesake-free rare name is required."""
    world = generate_world(1000, seed=5)
    records = [from_source(i, d) for i, d in enumerate(world.records)]
    n = len(records)
    records += [
        make_rec(n, "crm:C-X1", "Xiomara", "Quintanilla", email="xq@work.example", phone="+447700900123",
                 birth_date="1984-03-07"),
        make_rec(n + 1, "shop:S-X1", "Xiomara", "Quintanilla", email="xq@work.example", phone="+447700900123"),
        make_rec(n + 2, "marketing:M-X1", "Xiomara", "", email="xiomara.quintanilla84@hotmail.com"),
    ]
    labels = match(records).labels
    assert labels[n + 2] == labels[n] == labels[n + 1]
    records[n + 2] = make_rec(n + 2, "marketing:M-X1", "Xiomara", "", email="xiomara84@hotmail.com")
    labels = match(records).labels
    assert labels[n + 2] != labels[n]  # nothing but a first name: kept apart
