"""Text normalization shared by blocking and comparison: folded names, canonical emails, postcodes."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPECIAL = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "đ": "d", "Đ": "D", "ł": "l",
                          "Ł": "L", "ı": "i", "œ": "oe", "Œ": "Oe", "ð": "d", "þ": "th"})
_NON_LETTER = re.compile(r"[^a-z ]+")
_APOSTROPHES = re.compile(r"['’`´]")
_SPACES = re.compile(r"\s+")
_GMAIL = {"gmail.com", "googlemail.com"}


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lowercase ASCII with accents and special letters folded: 'Łukasz Müller' -> 'lukasz muller'."""
    text = text.translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=200_000)
def clean_name(text: str | None) -> str:
    """A name as comparable letters and single spaces: "O'Brien-Smith " -> 'obrien smith'."""
    if not text:
        return ""
    folded = _APOSTROPHES.sub("", fold(text))
    letters = _NON_LETTER.sub(" ", folded)
    return _SPACES.sub(" ", letters).strip()


SURNAME_PARTICLES = frozenset({"van", "von", "vom", "zu", "zur", "de", "der", "den", "del", "della", "di", "da",
                               "du", "dos", "das", "la", "le", "ter", "ten"})


def particles_to_last(first: str, last: str) -> tuple[str, str]:
    """Surname particles a split at the last space left in the first name go back to the last name:
    ('kees van den', 'broek') -> ('kees', 'van den broek'); cleaned names in, cleaned names out."""
    if not last or " " not in first:
        return first, last
    words = first.split(" ")
    for i in range(1, len(words)):
        if words[i] in SURNAME_PARTICLES:
            return " ".join(words[:i]), " ".join(words[i:]) + " " + last
    return first, last


def is_initial(name: str) -> bool:
    """True for a cleaned name that is only an initial ('s', from 'S.')."""
    return len(name) == 1


def canonical_email(email: str | None) -> str:
    """The mailbox an address delivers to: lowercase, no +tag, no dots for Gmail, gmail.com for googlemail."""
    if not email:
        return ""
    email = email.strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return email
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def email_local(canonical: str) -> str:
    """The local part of a canonical email, without dots, dashes or underscores ('sam.smith' -> 'samsmith')."""
    local = canonical.rpartition("@")[0]
    return local.replace(".", "").replace("_", "").replace("-", "")


def clean_postcode(postcode: str | None) -> str:
    """Postcodes compared without spaces or dashes, uppercase: 'sw1a 1aa' -> 'SW1A1AA'."""
    if not postcode:
        return ""
    return re.sub(r"[^0-9A-Za-z]", "", str(postcode)).upper()


def street_tokens(street: str | None) -> str:
    """A street as sorted folded tokens with common abbreviations expanded, for token similarity."""
    if not street:
        return ""
    words = clean_name_keep_digits(street).split()
    return " ".join(sorted(_STREET_ABBREVIATIONS.get(w, w) for w in words))


_STREET_ABBREVIATIONS = {
    "st": "street", "str": "strasse", "straße": "strasse", "rd": "road", "ave": "avenue", "av": "avenue",
    "blvd": "boulevard", "ln": "lane", "dr": "drive", "ct": "court", "pl": "place", "sq": "square",
    "hwy": "highway", "apt": "apartment", "no": "number", "nr": "number",
}


@lru_cache(maxsize=200_000)
def clean_name_keep_digits(text: str) -> str:
    """Like clean_name, but digits survive (house numbers); 'Hauptstr. 5a' -> 'hauptstr 5a'."""
    folded = _APOSTROPHES.sub("", fold(text))
    folded = re.sub(r"([a-z])(strasse|str)\b", r"\1 strasse", folded)
    return _SPACES.sub(" ", re.sub(r"[^a-z0-9 ]+", " ", folded)).strip()


def phone_tail(phone: str | None, digits: int = 8) -> str:
    """The last digits of a phone number: the national part when country codes disagree."""
    if not phone:
        return ""
    only = "".join(ch for ch in phone if ch.isdigit())
    return only[-digits:] if len(only) >= digits else ""
