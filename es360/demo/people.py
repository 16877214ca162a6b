"""The hidden truth: people with one true identity, generated as singles, households or namesakes."""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from random import Random

from es360.demo.emails import EmailRegistry, family_address, personal_address, work_address
from es360.demo.names import POOLS, NamePool, feminine_surname
from es360.demo.phones import Phone, make_phone
from es360.demo.places import COUNTRIES, City, Country, fill_pattern, format_street
from es360.demo.rates import Rates
from es360.demo.timefmt import ymd


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address."""

    street: str
    city: City
    postcode: str


@dataclass(slots=True)
class Person:
    """One real person and everything true about them."""

    pid: str
    country: Country
    pool: NamePool
    female: bool
    first: str
    last: str
    birth: tuple[int, int, int]
    email: str
    work_email: str | None
    mobile: Phone | None
    landline: Phone | None
    address: Address
    old_address: Address | None
    segment: str
    household_id: str | None = None
    family_email: str | None = None
    family_email_used: bool = False
    namesake: bool = False
    records: list[dict[str, str]] = field(default_factory=list)


class PeopleFactory:
    """Makes the next unit of people: a single, a two-person household, or two namesakes."""

    def __init__(self, rng: Random, rates: Rates, registry: EmailRegistry, now: int) -> None:
        self.rng = rng
        self.noise = rates.noise
        self.registry = registry
        self.now_year = ymd(now)[0]
        self._countries = COUNTRIES
        self._country_cum = _cumulative(c.weight for c in COUNTRIES)
        segs = rates.volume.segment_mix
        self._segments = tuple(s for s, _ in segs)
        self._segment_cum = _cumulative(w for _, w in segs)
        self._next_person = 0
        self._next_household = 0

    def unit(self, remaining: int) -> list[Person]:
        """One to two people; never more than `remaining`."""
        r = self.rng.random()
        if remaining >= 2 and r < self.noise.household / 2:
            return self._household()
        if remaining >= 2 and r < (self.noise.household + self.noise.same_name) / 2:
            return self._namesakes()
        return [self._person()]

    def _pid(self) -> str:
        self._next_person += 1
        return f"P-{self._next_person:06d}"

    def _segment(self) -> str:
        return self._segments[bisect.bisect(self._segment_cum, self.rng.random() * self._segment_cum[-1])]

    def _country(self) -> Country:
        x = self.rng.random() * self._country_cum[-1]
        return self._countries[bisect.bisect(self._country_cum, x)]

    def _pool(self, country: Country) -> NamePool:
        x = self.rng.random()
        for name, share in country.pools:
            x -= share
            if x < 0:
                return POOLS[name]
        return POOLS[country.pools[0][0]]

    def _address(self, country: Country, city: City | None = None) -> Address:
        rng = self.rng
        city = city or country.cities[int(rng.random() * len(country.cities))]
        street = format_street(rng, country.street_style, country.streets[int(rng.random() * len(country.streets))])
        return Address(street, city, fill_pattern(rng, city.postcode))

    def _birth(self) -> tuple[int, int, int]:
        rng = self.rng
        age = min(88, max(18, int(rng.gauss(42, 14))))
        year = self.now_year - age
        month = rng.randint(1, 12)
        return year, month, rng.randint(1, calendar.monthrange(year, month)[1])

    def _person(self, country: Country | None = None, pool: NamePool | None = None, female: bool | None = None,
                first: str | None = None, last: str | None = None, address: Address | None = None,
                city: City | None = None) -> Person:
        rng = self.rng
        country = country or self._country()
        pool = pool or self._pool(country)
        female = rng.random() < 0.5 if female is None else female
        if first is None:
            names = pool.female if female else pool.male
            first = names[int(rng.random() * len(names))]
        if last is None:
            last = pool.family[int(rng.random() * len(pool.family))]
            if female and pool.gendered_family:
                last = feminine_surname(last)
        birth = self._birth()
        email = self.registry.claim(rng, personal_address(rng, country, first, last, birth[0]))
        work = self.registry.claim(rng, work_address(rng, country, first, last)) if rng.random() < 0.3 else None
        home = address or self._address(country, city)
        plan = country.phone_plan
        mobile = make_phone(rng, plan, home.city.area, home.city.sub_len, True) if rng.random() < 0.92 else None
        landline = (make_phone(rng, plan, home.city.area, home.city.sub_len, False)
                    if mobile is None or rng.random() < 0.3 else None)
        old = None
        if rng.random() < self.noise.moved:
            old = self._address(country, home.city if rng.random() < 0.5 else None)
        return Person(self._pid(), country, pool, female, first, last, birth, email, work, mobile, landline, home,
                      old, self._segment())

    def _household(self) -> list[Person]:
        a = self._person()
        b_female = (not a.female) if self.rng.random() < 0.85 else a.female
        last = a.last
        if a.pool.gendered_family:
            last = feminine_surname(a.last) if b_female else a.last.replace("ska", "ski").replace("cka", "cki")
        b = self._person(country=a.country, pool=a.pool, female=b_female, last=last, address=a.address)
        if b.first == a.first:
            names = a.pool.female if b_female else a.pool.male
            b.first = names[(names.index(b.first) + 1) % len(names)]
        b.old_address = a.old_address
        self._next_household += 1
        hid = f"H-{self._next_household:06d}"
        shared = self.registry.claim(self.rng, family_address(self.rng, a.country, a.last, a.first, b.first))
        for p in (a, b):
            p.household_id = hid
            p.family_email = shared
        return [a, b]

    def _namesakes(self) -> list[Person]:
        a = self._person()
        same_city = a.address.city if self.rng.random() < self.noise.same_name_same_city else None
        b = self._person(country=a.country, pool=a.pool, female=a.female, first=a.first, last=a.last, city=same_city)
        a.namesake = b.namesake = True
        return [a, b]


def _cumulative(weights: Iterable[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out
