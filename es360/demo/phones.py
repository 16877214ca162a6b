"""Phone numbers: numbering plans per country and the many ways people write one number."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache
from random import Random


@dataclass(frozen=True, slots=True)
class PhonePlan:
    """How a country's numbers look: calling code, trunk prefix, mobile prefixes, digit grouping."""

    cc: str
    trunk: str  # national trunk prefix ("0"), "" where there is none
    mobile: tuple[tuple[str, int], ...]  # (prefix, subscriber digits)
    nsn_group: tuple[int, ...] = ()  # group the whole national number (FR "1 23 45 67 89")
    sub_group: tuple[int, ...] = ()  # otherwise: area, then the subscriber number grouped like this
    formats: tuple[tuple[str, int], ...] = (
        ("national", 35), ("intl", 25), ("e164", 10), ("intl00", 8), ("compact", 8), ("dashes", 4),
        ("intl0", 3),
    )
    nanp: bool = False


@dataclass(frozen=True, slots=True)
class Phone:
    """One number: calling code, area (or mobile prefix) and subscriber digits."""

    plan: PhonePlan
    area: str
    sub: str

    @property
    def e164(self) -> str:
        return f"+{self.plan.cc}{self.area}{self.sub}"


NANP_FORMATS = (("paren", 35), ("dashes", 20), ("dots", 12), ("intl", 10), ("e164", 10), ("one_dash", 6),
                ("compact", 5), ("one_paren", 2))


def _group(digits: str, sizes: tuple[int, ...]) -> str:
    if not sizes or sum(sizes) != len(digits):
        return digits
    out, i = [], 0
    for size in sizes:
        out.append(digits[i:i + size])
        i += size
    return " ".join(out)


def make_phone(rng: Random, plan: PhonePlan, area: str, sub_len: int, mobile: bool) -> Phone:
    """A random number: a mobile of the plan, or a landline in the given area."""
    if mobile and plan.mobile and not plan.nanp:
        area, sub_len = plan.mobile[int(rng.random() * len(plan.mobile))]
    first = str(rng.randint(2, 9))
    rest = "".join(str(int(rng.random() * 10)) for _ in range(sub_len - 1))
    return Phone(plan, area, first + rest)


@lru_cache(maxsize=64)
def _cumulative(weighted: tuple[tuple[str, int], ...]) -> tuple[tuple[float, ...], tuple[str, ...]]:
    total, cum = 0.0, []
    for _, w in weighted:
        total += w
        cum.append(total)
    return tuple(cum), tuple(name for name, _ in weighted)


def _pick(rng: Random, weighted: tuple[tuple[str, int], ...]) -> str:
    cum, names = _cumulative(weighted)
    return names[bisect.bisect(cum, rng.random() * cum[-1])]


def format_phone(rng: Random, phone: Phone, style: str | None = None) -> str:
    """The number written in one of the styles people use (chosen at random unless given)."""
    plan = phone.plan
    if plan.nanp:
        return _format_nanp(phone, style or _pick(rng, NANP_FORMATS))
    style = style or _pick(rng, plan.formats)
    nsn = phone.area + phone.sub
    grouped = _group(nsn, plan.nsn_group) if plan.nsn_group else None
    if grouped is None or grouped == nsn:
        grouped = f"{phone.area} {_group(phone.sub, plan.sub_group)}"
    if style == "e164":
        return f"+{plan.cc}{nsn}"
    if style == "intl":
        return f"+{plan.cc} {grouped}"
    if style == "intl00":
        return f"00{plan.cc} {grouped}"
    if style == "intl0" and plan.trunk:
        return f"+{plan.cc} ({plan.trunk}){grouped}"
    if style == "compact":
        return f"{plan.trunk}{nsn}"
    if style == "dashes":
        return f"{plan.trunk}{grouped}".replace(" ", "-")
    if style == "dots":
        return f"{plan.trunk}{grouped}".replace(" ", ".")
    if style == "paren":
        return f"({plan.trunk}{phone.area}) {_group(phone.sub, plan.sub_group)}"
    if style == "slash":
        return f"{plan.trunk}{phone.area}/{phone.sub}"
    return f"{plan.trunk}{grouped}"


def _format_nanp(phone: Phone, style: str) -> str:
    a, s = phone.area, phone.sub
    x, y = s[:3], s[3:]
    if style == "paren":
        return f"({a}) {x}-{y}"
    if style == "dashes":
        return f"{a}-{x}-{y}"
    if style == "dots":
        return f"{a}.{x}.{y}"
    if style == "intl":
        return f"+1 {a} {x} {y}"
    if style == "e164":
        return f"+1{a}{s}"
    if style == "one_dash":
        return f"1-{a}-{x}-{y}"
    if style == "one_paren":
        return f"1 ({a}) {x}-{y}"
    return f"{a}{s}"


EU = (("national", 35), ("intl", 25), ("e164", 10), ("intl00", 10), ("compact", 8), ("intl0", 4))
DE_FORMATS = EU + (("slash", 8),)
FR_FORMATS = (("national", 40), ("intl", 20), ("e164", 10), ("intl00", 8), ("compact", 10), ("dots", 8))
PAREN = EU + (("paren", 10),)

PLANS: dict[str, PhonePlan] = {
    "US": PhonePlan("1", "1", (), nanp=True),
    "CA": PhonePlan("1", "1", (), nanp=True),
    "GB": PhonePlan("44", "0", (("7700", 6), ("7911", 6), ("7458", 6), ("7823", 6)), sub_group=(4, 4),
                    formats=PAREN),
    "IE": PhonePlan("353", "0", (("83", 7), ("85", 7), ("86", 7), ("87", 7)), sub_group=(3, 4)),
    "AU": PhonePlan("61", "0", (("412", 6), ("423", 6), ("438", 6)), sub_group=(4, 4), formats=PAREN),
    "NZ": PhonePlan("64", "0", (("21", 7), ("27", 7)), sub_group=(3, 4)),
    "DE": PhonePlan("49", "0", (("151", 8), ("160", 7), ("170", 7), ("171", 7), ("176", 8)),
                    formats=DE_FORMATS),
    "AT": PhonePlan("43", "0", (("664", 7), ("660", 7), ("676", 7)), formats=DE_FORMATS),
    "CH": PhonePlan("41", "0", (("79", 7), ("78", 7), ("76", 7)), sub_group=(3, 2, 2)),
    "FR": PhonePlan("33", "0", (("6", 8), ("7", 8)), nsn_group=(1, 2, 2, 2, 2), formats=FR_FORMATS),
    "BE": PhonePlan("32", "0", (("470", 6), ("475", 6), ("486", 6)), sub_group=(3, 2, 2)),
    "NL": PhonePlan("31", "0", (("6", 8),), sub_group=(3, 4)),
    "ES": PhonePlan("34", "", (("6", 8), ("7", 8)), nsn_group=(3, 3, 3)),
    "MX": PhonePlan("52", "", (("55", 8), ("33", 8)), sub_group=(4, 4)),
    "AR": PhonePlan("54", "0", (("911", 8),), sub_group=(4, 4)),
    "PT": PhonePlan("351", "", (("91", 7), ("93", 7), ("96", 7)), nsn_group=(3, 3, 3)),
    "BR": PhonePlan("55", "0", (("119", 8), ("219", 8)), sub_group=(4, 4), formats=PAREN),
    "IT": PhonePlan("39", "", (("347", 7), ("333", 7), ("320", 7)), sub_group=(4, 4)),
    "DK": PhonePlan("45", "", (("2", 7), ("3", 7)), nsn_group=(2, 2, 2, 2)),
    "SE": PhonePlan("46", "0", (("70", 7), ("73", 7)), sub_group=(3, 2, 2)),
    "NO": PhonePlan("47", "", (("4", 7), ("9", 7)), nsn_group=(3, 2, 3)),
    "PL": PhonePlan("48", "", (("5", 8), ("6", 8), ("7", 8)), nsn_group=(3, 3, 3)),
    "VN": PhonePlan("84", "0", (("91", 7), ("98", 7)), sub_group=(3, 4)),
    "IN": PhonePlan("91", "0", (("98", 8), ("99", 8), ("70", 8)), nsn_group=(5, 5)),
    "TR": PhonePlan("90", "0", (("532", 7), ("542", 7), ("555", 7)), sub_group=(3, 2, 2)),
    "JP": PhonePlan("81", "0", (("90", 8), ("80", 8)), sub_group=(4, 4),
                    formats=(("dashes", 45), ("intl", 20), ("e164", 10), ("national", 15), ("compact", 10))),
}
