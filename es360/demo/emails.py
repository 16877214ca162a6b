"""Email addresses people really have, unique across the world without remembering every one."""

from __future__ import annotations

import zlib
from random import Random

from es360.demo.noise import fold
from es360.demo.places import GLOBAL_DOMAINS, Country

_WORK_A = ("north", "blue", "silver", "acme", "bright", "apex", "summit", "river", "pine", "cedar", "nova",
           "vertex", "harbor", "iron", "golden", "urban", "clear", "green", "polar", "swift")
_WORK_B = ("logistics", "systems", "labs", "consulting", "solutions", "media", "health", "foods", "works",
           "partners", "energy", "capital", "design", "retail", "analytics", "group")


class EmailRegistry:
    """Remembers which addresses are taken in a fixed-size bitmap (a one-hash Bloom filter).

    A false positive only makes a new address get a number appended, so every address handed out is
    unique while memory stays bounded however many people there are.
    """

    def __init__(self, expected: int) -> None:
        bits = 1 << max(20, (max(expected, 1) * 24).bit_length())
        self._mask = bits - 1
        self._bits = bytearray(bits >> 3)

    def _slot(self, email: str) -> tuple[int, int]:
        h = zlib.crc32(email.encode()) ^ (zlib.adler32(email.encode()) << 16)
        h &= self._mask
        return h >> 3, 1 << (h & 7)

    def claim(self, rng: Random, email: str) -> str:
        """Return email, or email with a number in its local part when it may be taken; mark it taken."""
        candidate = email
        local, _, domain = email.partition("@")
        while True:
            byte, bit = self._slot(candidate)
            if not self._bits[byte] & bit:
                self._bits[byte] |= bit
                return candidate
            candidate = f"{local}{rng.randrange(2, 9999)}@{domain}"


def _local_name(name: str) -> str:
    return fold(name).lower().replace(" ", "").replace("-", "")


def personal_address(rng: Random, country: Country, first: str, last: str, birth_year: int) -> str:
    """A private address like 'sam.smith84@gmail.com' or 'jmueller@web.de'."""
    f, la = _local_name(first), _local_name(last)
    yy = f"{birth_year % 100:02d}"
    r = int(rng.random() * 12)
    if r == 0:
        local = f"{f}.{la}"
    elif r == 1:
        local = f"{f}{la}"
    elif r == 2:
        local = f"{f[0]}{la}"
    elif r == 3:
        local = f"{f}_{la}"
    elif r == 4:
        local = f"{f}.{la}{yy}"
    elif r == 5:
        local = f"{f}{la}{rng.randrange(1, 99)}"
    elif r == 6:
        local = f"{la}.{f}"
    elif r == 7:
        local = f"{f}{birth_year}"
    elif r == 8:
        local = f"{f[0]}.{la}{rng.randrange(1, 99)}"
    elif r == 9:
        local = f"{f}.{la[0]}{yy}"
    elif r == 10:
        local = f"{f}{la[:3]}{rng.randrange(10, 999)}"
    else:
        local = f"{la}{f[0]}{yy}"
    if rng.random() < 0.35 and country.domains:
        domain = country.domains[int(rng.random() * len(country.domains))]
    else:
        domain = _weighted(rng, GLOBAL_DOMAINS)
    return f"{local}@{domain}"


def work_address(rng: Random, country: Country, first: str, last: str) -> str:
    """An employer's address like 'sam.smith@bluepeak-logistics.de'."""
    f, la = _local_name(first), _local_name(last)
    company = f"{_WORK_A[int(rng.random() * len(_WORK_A))]}{'-' if rng.random() < 0.5 else ''}" \
              f"{_WORK_B[int(rng.random() * len(_WORK_B))]}"
    tld = country.tld if rng.random() < 0.7 else "com"
    r = int(rng.random() * 4)
    local = (f"{f}.{la}", f"{f[0]}{la}", f"{f}", f"{f[0]}.{la}")[r]
    return f"{local}@{company}.{tld}"


def family_address(rng: Random, country: Country, last: str, first_a: str, first_b: str) -> str:
    """A household's shared address: 'thesmiths@...', 'smith.family@...', 'samandliz@...'."""
    la, a, b = _local_name(last), _local_name(first_a), _local_name(first_b)
    r = int(rng.random() * 6)
    local = (f"{la}family", f"the{la}s", f"{la}.family", f"{a}and{b}", f"{la}.{a}.{b}", f"{la}home")[r]
    if rng.random() < 0.35 and country.domains:
        domain = country.domains[int(rng.random() * len(country.domains))]
    else:
        domain = _weighted(rng, GLOBAL_DOMAINS)
    return f"{local}@{domain}"


def _weighted(rng: Random, options: tuple[tuple[str, float], ...]) -> str:
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, w in options:
        x -= w
        if x < 0:
            return value
    return options[-1][0]
