"""A lone name word takes the part (first or last name) the run's records mostly give it."""

from __future__ import annotations

from es360.identity.lone_names import settle_lone_names, stated_word
from es360.identity.model import NameFrequencies
from tests.identity.conftest import make_rec


def _counts(records: list) -> tuple[NameFrequencies, NameFrequencies]:
    return (NameFrequencies.from_values(r.first for r in records), NameFrequencies.from_values(r.last for r in records))


def test_a_lone_word_moves_to_the_part_the_run_gives_it() -> None:
    people = [make_rec(i, f"crm:C-{i}", "Orla", last) for i, last in enumerate(("Byrne", "Walsh", "Kelly"))]
    people += [make_rec(3 + i, f"crm:C-{3 + i}", first, "Sahin") for i, first in enumerate(("Ali", "Elif", "Can"))]
    ticket = make_rec(6, "support:x", "", "Orla")  # a help desk with one name field: "Orla" as the whole name
    swapped = make_rec(7, "marketing:M-1", "Sahin", "")  # a newsletter form's columns swapped
    stays = make_rec(8, "marketing:M-2", "", "Quigley")  # never seen elsewhere: left as written
    records = [*people, ticket, swapped, stays]
    assert settle_lone_names(records, *_counts(records)) == 2
    assert (ticket.first, ticket.last) == ("orla", "")
    assert (swapped.first, swapped.last) == ("", "sahin")
    assert (stays.first, stays.last) == ("", "quigley")


def test_the_mailbox_is_read_again_for_the_missing_part() -> None:
    people = [make_rec(i, f"crm:C-{i}", "Ximena", last) for i, last in enumerate(("Diaz", "Ruiz", "Soto"))]
    # read as a last name, the mailbox 'ximena.delgado' would have made 'Delgado' a first name
    ticket = make_rec(3, "support:x", "", "Ximena", email="ximena.delgado@outlook.com")
    assert (ticket.first, ticket.last) == ("delgado", "ximena")
    settle_lone_names([*people, ticket], *_counts([*people, ticket]))
    assert (ticket.first, ticket.last, ticket.name_from_email) == ("ximena", "delgado", "last")
    assert stated_word(ticket) == "ximena"
