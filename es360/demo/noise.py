"""Small text corruptions that make one person's records differ between systems."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from random import Random

_SPECIAL = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "đ": "d", "Đ": "D", "ł": "l",
                          "Ł": "L", "ı": "i", "œ": "oe", "Œ": "Oe", "ð": "d", "þ": "th", "'": "", "’": ""})
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})

_NEIGHBOURS = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok", "o": "ipl",
    "p": "ol", "a": "qsz", "s": "adwx", "d": "sfec", "f": "dgrv", "g": "fhtb", "h": "gjyn", "j": "hkum",
    "k": "jli", "l": "ko", "z": "ax", "x": "zcs", "c": "xvd", "v": "cbf", "b": "vng", "n": "bmh", "m": "nj",
}


@lru_cache(maxsize=65_536)
def fold(text: str) -> str:
    """Accents and special letters folded to ASCII: 'Łukasz Nguyễn' -> 'Lukasz Nguyen'."""
    text = text.translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def has_accents(text: str) -> bool:
    """True when folding would change the text."""
    return not text.isascii()


def strip_accents(rng: Random, text: str) -> str:
    """How a form without accents gets the name: Müller -> Muller or Mueller."""
    if any(ch in text for ch in "äöüÄÖÜß") and rng.random() < 0.5:
        return fold(text.translate(_GERMAN))
    return fold(text)


def typo(rng: Random, text: str) -> str:
    """One edit: insert, delete, substitute (a keyboard neighbour) or transpose two letters."""
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(positions) < 3:
        return text
    i = positions[rng.randrange(1, len(positions))]  # keep the first letter: people rarely get it wrong
    op = int(rng.random() * 4)
    ch = text[i]
    near = _NEIGHBOURS.get(ch.lower(), "aeiou")
    sub = near[int(rng.random() * len(near))]
    if ch.isupper():
        sub = sub.upper()
    if op == 0:
        return text[:i] + sub + text[i:]
    if op == 1:
        return text[:i] + text[i + 1:]
    if op == 2:
        return text[:i] + sub + text[i + 1:]
    j = i - 1
    if j <= positions[0] or text[j] == ch or not text[j].isalpha():
        return text[:i] + sub + text[i + 1:]
    return text[:j] + text[i] + text[j] + text[i + 1:]


def recase(rng: Random, text: str) -> str:
    """ALL CAPS or all lower, as typed by someone in a hurry."""
    return text.upper() if rng.random() < 0.5 else text.lower()


def initial(name: str) -> str:
    """'Samuel' -> 'S.'."""
    return f"{name[0]}." if name else name


def email_variant(rng: Random, email: str, case: float, dots: float, plus: float, space: float) -> str:
    """The same mailbox written differently: case, Gmail dots, +tags, stray whitespace."""
    local, _, domain = email.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        if rng.random() < dots:
            local = _move_dots(rng, local)
        if rng.random() < 0.03:
            domain = "googlemail.com" if domain == "gmail.com" else "gmail.com"
    if rng.random() < plus:
        local += "+" + ("shop", "news", "orders", "promo", "2024", "spam", "deals", "web")[int(rng.random() * 8)]
    if rng.random() < case:
        r = rng.random()
        if r < 0.5:
            local = ".".join(p.capitalize() for p in local.split("."))
            domain = domain.capitalize()
        elif r < 0.8:
            local = local.capitalize()
        else:
            local, domain = local.upper(), domain.upper()
    out = f"{local}@{domain}"
    if rng.random() < space:
        out = (" " + out) if rng.random() < 0.5 else (out + " ")
    return out


def _move_dots(rng: Random, local: str) -> str:
    if "." in local and rng.random() < 0.6:
        return local.replace(".", "")
    letters = local.replace(".", "")
    if len(letters) < 3:
        return local
    cut = rng.randrange(1, len(letters) - 1)
    return letters[:cut] + "." + letters[cut:]


def mistyped_domain(rng: Random, email: str) -> str:
    """An address that bounces: the domain mistyped at signup (gmial.com, hotmial.com)."""
    local, _, domain = email.partition("@")
    name, _, tld = domain.partition(".")
    swaps = {"gmail": ("gmial", "gmai", "gmaill", "gamil"), "hotmail": ("hotmial", "hotmai", "homtail"),
             "yahoo": ("yaho", "yahooo", "yhaoo"), "outlook": ("outlok", "outllook")}
    options = swaps.get(name)
    if options:
        name = options[int(rng.random() * len(options))]
    else:
        name = name + name[-1]
    return f"{local}@{name}.{tld}"
