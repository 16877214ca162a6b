"""Per-field comparison levels for a pair of records.

Every field compares to a level: 0 is `missing` (one side has no value: no evidence either way),
1 is the strongest agreement, the last level is `different`. The level names live in FIELDS; the
model turns each level into a weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import token_sort_ratio

from es360.identity import nicknames
from es360.identity.features import Rec
from es360.identity.phonetic import nysiis


@dataclass(frozen=True)
class FieldSpec:
    """A compared field and its levels after `missing` (best first)."""

    name: str
    levels: tuple[str, ...]
    help: str

    def level_name(self, level: int) -> str:
        return "missing" if level == 0 else self.levels[level - 1]


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("first_name", ("exact", "nickname", "close", "initial", "fuzzy", "different"),
              "exact; nickname (Bill ~ William); close: Jaro-Winkler >= 0.92 or one slip of a known name "
              "('mxa' ~ 'max'); initial: 'S.' ~ 'Sam'; "
              "fuzzy: Jaro-Winkler >= 0.8"),
    FieldSpec("last_name", ("exact", "close", "fuzzy", "different"),
              "exact; close: Jaro-Winkler >= 0.92, same NYSIIS code, one typo after the first letter "
              "(5+ letters), or one compound name contains the other; fuzzy: Jaro-Winkler >= 0.8, or an "
              "initial that fits ('K.' ~ 'Krawczyk')"),
    FieldSpec("email", ("exact", "shared", "close", "local", "different"),
              "exact: same mailbox (case, Gmail dots, +tags ignored); shared: same mailbox but clearly "
              "different first names (a family address); close: one typo in the domain or the local part; "
              "local: same local part at another domain"),
    FieldSpec("phone", ("exact", "shared", "close", "different"),
              "exact: same E.164 number; shared: same number, clearly different first names; close: same "
              "last 8 digits (country code differs) or one digit off"),
    FieldSpec("birth_date", ("exact", "close", "different"),
              "exact; close: day and month swapped, one digit off, or two adjacent digits transposed"),
    FieldSpec("address", ("exact", "postcode", "shared", "city", "different"),
              "exact: same postcode and street; postcode: same postcode (or same street and city); "
              "shared: exact or postcode, but clearly different first names (a household); city: same city only"),
)
FIELD_INDEX = {f.name: i for i, f in enumerate(FIELDS)}

# level numbers used below (0 = missing)
F_EXACT, F_NICK, F_CLOSE, F_INITIAL, F_FUZZY, F_DIFF = 1, 2, 3, 4, 5, 6
L_EXACT, L_CLOSE, L_FUZZY, L_DIFF = 1, 2, 3, 4
E_EXACT, E_SHARED, E_CLOSE, E_LOCAL, E_DIFF = 1, 2, 3, 4, 5
P_EXACT, P_SHARED, P_CLOSE, P_DIFF = 1, 2, 3, 4
D_EXACT, D_CLOSE, D_DIFF = 1, 2, 3
A_EXACT, A_POSTCODE, A_SHARED, A_CITY, A_DIFF = 1, 2, 3, 4, 5


@dataclass(frozen=True, slots=True)
class Comparison:
    """The levels of one pair, whether the names matched crosswise (first <-> last), and TF inputs."""

    levels: tuple[int, ...]
    swapped: bool = False

    def describe(self) -> dict[str, str]:
        return {spec.name: spec.level_name(level) for spec, level in zip(FIELDS, self.levels, strict=True)}


@lru_cache(maxsize=1_000_000)
def first_level(a: str, b: str) -> int:
    """Compare two cleaned first names (a middle name or a second given name is tolerated)."""
    if not a or not b:
        return 0
    if a == b:
        return F_EXACT
    if len(a) == 1 or len(b) == 1:
        if len(a) == len(b):
            return F_INITIAL if a == b else F_DIFF
        initial, name = (a, b) if len(a) == 1 else (b, a)
        return F_INITIAL if nicknames.initial_fits(initial, name) else F_DIFF
    if nicknames.equivalent(a, b):
        return F_NICK
    ha, hb = a.split(" ", 1)[0], b.split(" ", 1)[0]
    if ha == hb:
        return F_CLOSE  # 'anna maria' ~ 'anna'
    if (len(ha) == 1) != (len(hb) == 1):  # 'j van der' (an initial and a name particle) ~ 'johannes'
        initial, name = (ha, hb) if len(ha) == 1 else (hb, ha)
        return F_INITIAL if nicknames.initial_fits(initial, name) else F_DIFF
    if (ha != a or hb != b) and nicknames.equivalent(ha, hb):
        return F_NICK
    similarity = max(JaroWinkler.similarity(a, b), JaroWinkler.similarity(ha, hb))
    if similarity >= 0.92:
        return F_CLOSE
    if nicknames.close_to_group(ha, hb):
        return F_NICK  # a misspelt nickname: 'jrmes' ~ 'jamie' (James)
    if _typo_of_known(ha, hb):
        return F_CLOSE  # 'mxa' ~ 'max': one slip of a known name into no name at all
    return F_FUZZY if similarity >= 0.8 - 1e-9 else F_DIFF  # (0.8 as computed may fall a hair short)


def _typo_of_known(a: str, b: str) -> bool:
    """One edit apart, same first letter, and exactly one of them a name the table knows: a typo.
    Two known names one letter apart (Lena, Lina; Jon, Jan) stay different."""
    if a[0] != b[0] or (a in nicknames.GROUPS) == (b in nicknames.GROUPS):
        return False
    return OSA.distance(a, b) <= 1


@lru_cache(maxsize=1_000_000)
def last_level(a: str, b: str) -> int:
    """Compare two cleaned last names."""
    if not a or not b:
        return 0
    if a == b:
        return L_EXACT
    if len(a) == 1 or len(b) == 1:  # 'K.' for Krawczyk: a partial agreement, never a close one
        return L_FUZZY if a[0] == b[0] else L_DIFF
    if " " in a or " " in b:
        ta, tb = set(a.split()), set(b.split())
        if ta <= tb or tb <= ta:
            return L_CLOSE
    similarity = JaroWinkler.similarity(a, b)
    if similarity >= 0.92 or (len(a) > 2 and nysiis(a) == nysiis(b)):
        return L_CLOSE
    if min(len(a), len(b)) >= 5 and a[0] == b[0] and OSA.distance(a, b) <= 1:
        return L_CLOSE  # one typo after the first letter: 'efwards' ~ 'edwards' (not 'jansen' ~ 'hansen')
    return L_FUZZY if similarity >= 0.8 else L_DIFF


_AGREE_FIRST = frozenset((1, 2, 3, 4))  # exact, nickname, close, initial
_AGREE_LAST = frozenset((1, 2))  # exact, close
_FIRST_RANK = (4, 0, 1, 2, 3, 5, 8)  # by level: missing, exact, nickname, close, initial, fuzzy, different
_LAST_RANK = (4, 0, 2, 5, 8)  # missing, exact, close, fuzzy, different


def _name_rank(first: int, last: int) -> int:
    """Lower is better; missing counts as a weak agreement so it never beats a real one."""
    return _FIRST_RANK[first] + _LAST_RANK[last]


def _first_level(a: _Names, b: _Names) -> int:
    """first_level, where a misspelt first name that its known spelling matches counts as close."""
    level = first_level(a.first, b.first)
    if level in (F_FUZZY, F_DIFF) and (a.first_alt or b.first_alt) and \
            first_level(a.first_alt or a.first, b.first_alt or b.first) in (F_EXACT, F_NICK, F_CLOSE):
        return F_CLOSE
    return level


@dataclass(frozen=True, slots=True)
class _Names:
    """The name fields of a record, all compare_names reads."""

    first: str
    last: str
    first_alt: str


def compare_names(a: Rec, b: Rec) -> tuple[int, int, bool]:
    """First/last levels, trying the crosswise reading ('Nguyen Minh' vs 'Minh Nguyen') when it fits better."""
    return _compare_name_values(a.first, a.last, a.first_alt, b.first, b.last, b.first_alt)


@lru_cache(maxsize=200_000)
def _compare_name_values(first_a: str, last_a: str, alt_a: str, first_b: str, last_b: str,
                         alt_b: str) -> tuple[int, int, bool]:
    """compare_names on the name values: blocking pairs up the same names again and again."""
    return _compare_names(_Names(first_a, last_a, alt_a), _Names(first_b, last_b, alt_b))


def _compare_names(a: _Names, b: _Names) -> tuple[int, int, bool]:
    first, last = _first_level(a, b), last_level(a.last, b.last)
    if (first, last) == (F_EXACT, L_EXACT):
        return first, last, False
    if not (a.first and a.last and b.first and b.last):
        return _single_name(a, b, first, last)
    if sorted((a.first + " " + a.last).split()) == sorted((b.first + " " + b.last).split()):
        return F_EXACT, L_EXACT, True  # the same words, split or ordered differently
    # either side may be the one written surname-first: compare given name with given name
    # ('Miller Rebecca' ~ 'Becca Miller' is a nickname) and surname with surname
    readings = ((first_level(a.first, b.last), last_level(a.last, b.first)),
                (first_level(a.last, b.first), last_level(a.first, b.last)))
    cross_first, cross_last = min(readings, key=lambda levels: _name_rank(*levels))
    if cross_first in _AGREE_FIRST and cross_last in _AGREE_LAST and \
            _name_rank(cross_first, cross_last) + 2 <= _name_rank(first, last):
        return cross_first, cross_last, True  # both parts must agree: 'Huynh Tuan' is not 'Trang Huynh'
    return first, last, False


def _single_name(a: _Names, b: _Names, first: int, last: int) -> tuple[int, int, bool]:
    """One side has a single name ('Rogers' in the first-name field, 'Sebastien' as the whole name):
    read it as a first name or as a last name, whichever fits the other side better."""
    best, best_rank, swapped = (first, last), _name_rank(first, last), False
    for single, other in ((a, b), (b, a)):
        if single.first and single.last:
            continue
        token = single.first or single.last
        if not token:
            continue
        for candidate, crossed in (((first_level(token, other.first), 0), bool(single.last)),
                                   ((0, last_level(token, other.last)), bool(single.first))):
            rank = _name_rank(*candidate)
            if rank + 2 <= best_rank:
                best, best_rank, swapped = candidate, rank, crossed
    return best[0], best[1], swapped


def _clearly_different_first(first: int) -> bool:
    return first == F_DIFF


def _household(first: int, shared: bool) -> bool:
    """Agreement on a contact point says little: the first names differ, or the contact point is
    known to be shared by several people and the first names cannot tell them apart (one is
    missing or only an initial)."""
    return first == F_DIFF or (shared and first in (0, F_INITIAL))


def _alt_overlap(a: Rec, b: Rec) -> bool:
    """A mailbox one record was seen using in activity is the other's (or both were seen with it)."""
    if not a.alt_emails and not b.alt_emails:
        return False
    return bool((a.alt_emails | {a.email_canon}) & (b.alt_emails | {b.email_canon}))


def email_level(a: Rec, b: Rec, first: int) -> int:
    """Same mailbox, shared (family) mailbox, same local part elsewhere, or different."""
    if not a.email_canon or not b.email_canon:
        return 0
    if a.email_canon == b.email_canon or _alt_overlap(a, b):
        return E_SHARED if _household(first, a.email_shared) else E_EXACT
    la, lb = a.email_local, b.email_local
    da, db = a.email_canon.rpartition("@")[2], b.email_canon.rpartition("@")[2]
    if len(la) >= 4 and la == lb:
        if OSA.distance(da, db) <= 1:  # a mistyped domain: gmial.com, hotmai.com
            return E_SHARED if _household(first, a.email_shared) else E_CLOSE
        return E_LOCAL
    if da == db and min(len(la), len(lb)) >= 6 and OSA.distance(la, lb) <= 1:
        return E_SHARED if _household(first, a.email_shared) else E_CLOSE
    return E_DIFF


def _one_digit_off(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diffs) == 1:
        return True
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]


def phone_level(a: Rec, b: Rec, first: int) -> int:
    """Same number, shared number, same national number / one digit off, or different."""
    if not a.phone or not b.phone:
        return 0
    if a.phone == b.phone:
        return P_SHARED if _household(first, a.phone_shared) else P_EXACT
    if (a.phone_tail and a.phone_tail == b.phone_tail) or _one_digit_off(a.phone, b.phone):
        return P_CLOSE
    return P_DIFF


def dob_level(a: str, b: str) -> int:
    """Dates of birth as 'YYYY-MM-DD': exact, close (swap/typo/transposition), or different."""
    if not a or not b:
        return 0
    if a == b:
        return D_EXACT
    if a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return D_CLOSE
    if _one_digit_off(a.replace("-", ""), b.replace("-", "")):
        return D_CLOSE
    return D_DIFF


def address_level(a: Rec, b: Rec, first: int) -> int:
    """Postcode and street agreement (shared when first names clearly differ), falling back to the city."""
    level = _address_level(a, b)
    if level in (A_EXACT, A_POSTCODE) and _clearly_different_first(first):
        return A_SHARED
    return level


def _address_level(a: Rec, b: Rec) -> int:
    if not (a.postcode or a.street or a.city) or not (b.postcode or b.street or b.city):
        return 0
    same_postcode = bool(a.postcode) and a.postcode == b.postcode
    street_similar = bool(a.street and b.street) and token_sort_ratio(a.street, b.street) >= 85
    same_city = bool(a.city) and a.city == b.city
    if same_postcode and street_similar:
        return A_EXACT
    if same_postcode and not (a.street and b.street):
        return A_POSTCODE
    if street_similar and (same_city or same_postcode):
        return A_POSTCODE
    if same_city or same_postcode:
        return A_CITY
    return A_DIFF


def shares_identifier(a: Rec, b: Rec) -> bool:
    """The two records agree on a contact identifier: the same (or a mistyped) mailbox or phone
    number, the same birth date, or the same street address; a shared family contact does not count."""
    _, _, email, phone, dob, address = compare(a, b).levels
    return email in (E_EXACT, E_CLOSE) or phone in (P_EXACT, P_CLOSE) or dob == D_EXACT or address == A_EXACT


def mark_shared_contacts(records: list[Rec]) -> tuple[int, int]:
    """Flag emails and phones used by records of clearly different first names (households, shared
    inboxes); returns how many emails and phones are shared."""
    counts = []
    for attr, flag in (("email_canon", "email_shared"), ("phone", "phone_shared")):
        named: dict[str, list[Rec]] = {}
        for r in records:
            value = getattr(r, attr)
            if value and (len(r.first) > 1 or len(r.last) > 1):
                named.setdefault(value, []).append(r)
        shared = {value for value, recs in named.items() if len(recs) > 1 and _any_different(recs)}
        for r in records:
            setattr(r, flag, bool(getattr(r, attr)) and getattr(r, attr) in shared)
        counts.append(len(shared))
    return counts[0], counts[1]


def _any_different(recs: list[Rec]) -> bool:
    distinct = list({(r.first, r.last): r for r in recs}.values())
    if len(distinct) > 30:
        return True
    return any(_names_clash(x, y) for i, x in enumerate(distinct) for y in distinct[i + 1:])


def _names_clash(x: Rec, y: Rec) -> bool:
    """Clearly two people: the first names differ, or a lone name matches none of the other's names."""
    first, last, _ = compare_names(x, y)
    if first == F_DIFF:
        return True
    for single, other in ((x, y), (y, x)):
        if bool(single.first) != bool(single.last) and len(single.first or single.last) > 1:
            if not (other.first and other.last):
                return False  # two lone names clash only as first names ('Maria' vs 'Peter', above)
            token = single.first or single.last
            if first_level(token, other.first) in (F_DIFF, 0) and last_level(token, other.last) in (L_DIFF, 0):
                return True
    return False


def compare(a: Rec, b: Rec) -> Comparison:
    """The comparison levels of two records."""
    first, last, swapped = compare_names(a, b)
    return Comparison((first, last, email_level(a, b, first), phone_level(a, b, first), dob_level(a.dob, b.dob),
                       address_level(a, b, first)), swapped)
