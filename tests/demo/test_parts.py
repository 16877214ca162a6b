"""The small building blocks: typos, email variants, phone formats, CSV quoting, time formatting, ids."""

from __future__ import annotations

import csv
import io
import re
from random import Random

from rapidfuzz.distance import OSA

from es360.demo.emails import EmailRegistry
from es360.demo.ids import Ids
from es360.demo.noise import email_variant, fold, mistyped_domain, strip_accents, typo
from es360.demo.phones import PLANS, format_phone, make_phone
from es360.demo.places import BY_CODE, COUNTRIES, utc_offset
from es360.demo.sinks import csv_line
from es360.demo.timefmt import iso_offset, iso_z


def test_typo_is_exactly_one_edit() -> None:
    rng = Random(1)
    for name in ("Samuel", "Elizabeth", "Müller", "O'Brien", "Nguyễn"):
        for _ in range(50):
            changed = typo(rng, name)
            assert OSA.distance(changed, name) == 1 and changed[0] == name[0]


def test_fold_and_strip_accents() -> None:
    assert fold("Łukasz Nguyễn Søren Zoë O'Brien") == "Lukasz Nguyen Soren Zoe OBrien"
    rng = Random(3)
    assert {strip_accents(rng, "Müller") for _ in range(40)} == {"Muller", "Mueller"}


def test_email_variants_stay_the_same_mailbox() -> None:
    rng = Random(2)
    seen = {email_variant(rng, "sam.smith@gmail.com", 0.3, 0.5, 0.3, 0.1) for _ in range(300)}
    assert any(e != e.lower() for e in seen) and any("+" in e for e in seen) and any(" " in e for e in seen)
    for e in seen:
        local, domain = e.strip().lower().split("@")
        assert local.split("+")[0].replace(".", "") == "samsmith" and domain in ("gmail.com", "googlemail.com")
    assert mistyped_domain(rng, "sam@gmail.com").split("@")[1] != "gmail.com"


def test_registry_never_hands_out_an_address_twice() -> None:
    rng = Random(4)
    registry = EmailRegistry(1000)
    taken = [registry.claim(rng, "sam.smith@gmail.com") for _ in range(200)]
    assert len(set(taken)) == 200 and taken[0] == "sam.smith@gmail.com"


def test_phone_formats_keep_the_digits() -> None:
    rng = Random(5)
    for country in COUNTRIES:
        city = country.cities[0]
        phone = make_phone(rng, country.phone_plan, city.area, city.sub_len, rng.random() < 0.5)
        assert re.fullmatch(r"\+\d{8,14}", phone.e164)
        for _ in range(20):
            text = format_phone(rng, phone)
            digits = re.sub(r"\D", "", text)
            national = phone.area + phone.sub
            assert digits.endswith(national) or digits.endswith(national[1:]), (country.code, text)
    us = make_phone(rng, PLANS["US"], "212", 7, True)
    assert re.fullmatch(r"\(212\) \d{3}-\d{4}", format_phone(rng, us, "paren"))


def test_csv_line_matches_the_csv_module() -> None:
    rng = Random(6)
    alphabet = ["a", ",", '"', "\n", "\r", " ", "é", "x"]
    for _ in range(2000):
        row = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(5))) for _ in range(rng.randrange(2, 6))]
        buf = io.StringIO()
        csv.writer(buf).writerow(row)
        assert csv_line(row) == buf.getvalue()


def test_time_formats() -> None:
    assert iso_z(0) == "1970-01-01T00:00:00Z"
    assert iso_z(1_762_000_000) == "2025-11-01T12:26:40Z"
    assert iso_offset(1_762_000_000, 120) == "2025-11-01T14:26:40+02:00"
    assert iso_offset(1_762_000_000, -330) == "2025-11-01T06:56:40-05:30"


def test_offsets_follow_daylight_saving() -> None:
    de = BY_CODE["DE"]
    assert utc_offset(de, de.cities[0], 1_751_328_000) == 120  # July
    assert utc_offset(de, de.cities[0], 1_735_689_600) == 60  # January
    au = BY_CODE["AU"]
    assert utc_offset(au, au.cities[0], 1_735_689_600) == 660


def test_ids_of_different_chunks_never_collide() -> None:
    rng = Random(7)
    a, b = Ids(rng, 1, 0, 10), Ids(rng, 1, 1, 10)
    contacts = [a.contact() for _ in range(20)] + [b.contact() for _ in range(20)]
    sessions = [a.session() for _ in range(50)] + [b.session() for _ in range(50)]
    assert len(set(contacts)) == 40 and len(set(sessions)) == 100
    assert a.device() != b.device()
