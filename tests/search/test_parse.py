"""Reading a rep's text: what each token is, phone runs, postcodes, and input that is only noise."""

from __future__ import annotations

import pytest

from es360.search.parse import MAX_TOKENS, parse


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.text, t.kind) for t in parse(text).tokens]


@pytest.mark.parametrize("text,expected", [
    ("sam.smith@example.com", [("sam.smith@example.com", "email")]),
    ("@gmail.com", [("gmail.com", "domain")]),
    ("sam.smith@", [("sam.smith", "email_local")]),
    ("sam.smith", [("sam.smith", "dotted")]),
    ("C-0006", [("C-0006", "id")]),
    ("ORD-2024-00017", [("ORD-2024-00017", "id")]),
    ("crm:C-1", [("crm:C-1", "id")]),
    ("4471", [("4471", "number")]),
    ("12", [("12", "short_number")]),
    ("Smith, S.", [("Smith", "word"), ("S", "initial")]),
    ("J.R. Smith", [("J", "initial"), ("R", "initial"), ("Smith", "word")]),
    ("Siobhan O'Brien", [("Siobhan", "word"), ("O'Brien", "word")]),
])
def test_tokens_are_classified(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


def test_filler_words_are_dropped_and_ends_in_is_a_phone_hint() -> None:
    parsed = parse("it's Sammy, Smith, my number ends in 4471")
    assert [t.text for t in parsed.tokens] == ["Sammy", "Smith", "4471"]
    assert parsed.phone_hint and parsed.phones == ("4471",)


@pytest.mark.parametrize("text,digits", [
    ("020 7946 0958", "2079460958"),  # national trunk zero dropped: a suffix of +442079460958
    ("+44 (0)20 7946 0958", "442079460958"),
    ("0044 20 7946 0958", "442079460958"),
    ("(555) 123-4567", "5551234567"),
])
def test_spaced_phone_numbers_are_one_phone(text: str, digits: str) -> None:
    parsed = parse(text)
    assert parsed.phones == (digits,) and parsed.tokens == ()


def test_postcode_candidates_join_neighbours() -> None:
    assert "sw1a1aa" in parse("SW1A 1AA").postcodes
    assert "6421256" in parse("Inoue 642-1256").postcodes


@pytest.mark.parametrize("text", ["", "   ", "***", "\"\"", "()[]{}", "\x00\x1b\x07\u200b", "?!"])
def test_noise_only_input_is_empty(text: str) -> None:
    assert parse(text).empty


def test_input_is_bounded() -> None:
    parsed = parse(" ".join(f"word{i}x" for i in range(500)) + "x" * 100_000)
    assert len(parsed.tokens) <= MAX_TOKENS
    assert all(len(t.text) <= 64 for t in parsed.tokens)
