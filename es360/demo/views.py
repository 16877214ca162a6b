"""How one system writes down a person: the true identity seen through realistic noise."""

from __future__ import annotations

from random import Random

from es360.demo.names import NICKNAMES
from es360.demo.noise import email_variant, has_accents, initial, recase, strip_accents, typo
from es360.demo.people import Address, Person
from es360.demo.phones import format_phone
from es360.demo.places import STREET_ABBREVIATIONS
from es360.demo.rates import Noise


class Views:
    """Noisy renderings of a person's name, email, phone, address, birth date and country."""

    def __init__(self, rng: Random, noise: Noise) -> None:
        self.rng = rng
        self.noise = noise

    def names(self, p: Person, initials: bool = True) -> tuple[str, str]:
        """(first, last) as this record has them: nicknames, typos, initials, swaps, case."""
        rng, n = self.rng, self.noise
        first, last = p.first, p.last
        nicks = NICKNAMES.get(first)
        if nicks and rng.random() < n.nickname:
            first = nicks[int(rng.random() * len(nicks))]
        if rng.random() < n.strip_accents and (has_accents(first) or has_accents(last)):
            first, last = strip_accents(rng, first), strip_accents(rng, last)
        if rng.random() < n.typo:
            if rng.random() < 0.5:
                first = typo(rng, first)
            else:
                last = typo(rng, last)
        if initials and rng.random() < n.initials:
            first = initial(first)
        if rng.random() < n.swapped_names * (5 if p.pool.family_first else 1):
            first, last = last, first
        if rng.random() < n.name_case:
            first, last = recase(rng, first), recase(rng, last)
        return first, last

    def full_name(self, p: Person) -> str:
        """A one-field name: 'Sam Smith', 'Smith, Sam', 'Sam S.', 'S. Smith'."""
        first, last = self.names(p, initials=False)
        r = self.rng.random()
        if r < 0.12:
            return f"{last}, {first}"
        if r < 0.12 + self.noise.initials:
            return f"{first} {initial(last)}"
        if r < 0.12 + 2 * self.noise.initials:
            return f"{initial(first)} {last}"
        return f"{first} {last}"

    def email(self, p: Person, work_bias: float = 0.0) -> str:
        """An address of the person as written in this record ('' when missing)."""
        rng, n = self.rng, self.noise
        if rng.random() < n.email_missing:
            return ""
        return self.variant(self.address_of(p, work_bias))

    def address_of(self, p: Person, work_bias: float = 0.0) -> str:
        """Which mailbox the record uses: family (households), work or personal."""
        rng = self.rng
        if p.family_email and (not p.family_email_used or rng.random() < 0.4):
            p.family_email_used = True
            return p.family_email
        if p.work_email and rng.random() < self.noise.other_email + work_bias:
            return p.work_email
        return p.email

    def variant(self, email: str) -> str:
        """The mailbox written with case, dots, +tag or whitespace noise."""
        n = self.noise
        return email_variant(self.rng, email, n.email_case, n.gmail_dots, n.plus_tag, n.email_whitespace)

    def phone(self, p: Person) -> str:
        """A phone number in one of many formats ('' when missing)."""
        rng = self.rng
        if rng.random() < self.noise.phone_missing:
            return ""
        phone = p.mobile or p.landline
        if phone is None:
            return ""
        if p.landline is not None and rng.random() < 0.3:
            phone = p.landline
        text = format_phone(rng, phone)
        if rng.random() < self.noise.phone_extension:
            text += f" ext. {rng.randint(10, 999)}"
        return text

    def address(self, p: Person, stale: bool = False) -> tuple[str, str, str]:
        """(street, city, postcode): possibly the old address, abbreviated, aliased, incomplete."""
        rng, n = self.rng, self.noise
        addr: Address = p.old_address if stale and p.old_address is not None else p.address
        street = addr.street
        if rng.random() < n.street_abbreviation:
            for full, short in STREET_ABBREVIATIONS:
                if full in street:
                    street = street.replace(full, short[int(rng.random() * len(short))], 1)
                    break
        city = addr.city.name
        if addr.city.aliases and rng.random() < n.city_alias:
            city = addr.city.aliases[int(rng.random() * len(addr.city.aliases))]
        elif rng.random() < 0.02:
            city = recase(rng, city)
        postcode = "" if rng.random() < n.postcode_missing else addr.postcode
        return street, city, postcode

    def birth_date(self, p: Person) -> str:
        """'1984-03-07' or '07/03/1984' (day first), sometimes missing."""
        rng = self.rng
        if rng.random() < self.noise.birth_date_missing:
            return ""
        y, m, d = p.birth
        if rng.random() < 0.55:
            return f"{y}-{m:02d}-{d:02d}"
        return f"{d:02d}/{m:02d}/{y}"

    def country_label(self, p: Person) -> str:
        """Country as free text: 'Germany', 'DE', 'Deutschland' ..."""
        rng = self.rng
        labels = p.country.labels
        if rng.random() < self.noise.field_missing / 2:
            return ""
        return labels[0] if rng.random() < 0.45 else labels[int(rng.random() * len(labels))]

    def missing(self) -> bool:
        """Whether an optional field is left empty."""
        return self.rng.random() < self.noise.field_missing
