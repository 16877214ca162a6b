"""Dates with Elasticsearch semantics: formats, date math, time values and bucket rounding.

Every instant is an int of epoch milliseconds (UTC). Time zones are ES `time_zone` strings
("+01:00", "UTC", "America/New_York"); None means UTC.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from .errors import EsError, illegal_argument

__all__ = [
    "DEFAULT_FORMAT",
    "DateFormatter",
    "DateRounding",
    "civil_from_days",
    "current_millis",
    "days_from_civil",
    "get_formatter",
    "parse_date_math",
    "parse_offset",
    "parse_time_value",
    "range_bound",
    "resolve_time_zone",
]

DEFAULT_FORMAT = "strict_date_optional_time||epoch_millis"

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
_INT64_MAX = int(np.iinfo(np.int64).max)
_INT64_MIN = int(np.iinfo(np.int64).min)


def current_millis() -> int:
    """The current time in epoch millis (what `now` means in date math)."""
    return time.time_ns() // 1_000_000


# --------------------------------------------------------------------------- calendar arithmetic


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (works for any year)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = month - 3 if month > 2 else month + 9
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """The (year, month, day) of a count of days since 1970-01-01."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _add_months(days: int, months: int) -> int:
    """Shift a day by whole months, clamping the day of month like java.time."""
    y, m, d = civil_from_days(days)
    total = y * 12 + (m - 1) + months
    y2, m2 = divmod(total, 12)
    m2 += 1
    return days_from_civil(y2, m2, min(d, _days_in_month(y2, m2)))


def _iso_dow(days: int) -> int:
    """ISO day of week, Monday=1 .. Sunday=7."""
    return (days + 3) % 7 + 1


def _iso_week_start(week_year: int) -> int:
    """Day number of the Monday that starts ISO week 1 of a week-based year."""
    jan4 = days_from_civil(week_year, 1, 4)
    return jan4 - (_iso_dow(jan4) - 1)


def _iso_week(days: int) -> tuple[int, int]:
    """(week-based year, week of year) of a day, ISO rules."""
    thursday = days - _iso_dow(days) + 4
    wby = civil_from_days(thursday)[0]
    return wby, (thursday - days_from_civil(wby, 1, 1)) // 7 + 1


def _civil_many(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised civil_from_days: (year, month, day) arrays."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def _days_from_civil_many(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Vectorised days_from_civil for the first day of (year, month)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = np.where(month > 2, month - 3, month + 9)
    doe = yoe * 365 + yoe // 4 - yoe // 100 + (153 * mp + 2) // 5
    return era * 146097 + doe - 719468


# --------------------------------------------------------------------------- time zones

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_MIN_DT_MS = days_from_civil(1, 1, 2) * DAY
_MAX_DT_MS = days_from_civil(9999, 12, 30) * DAY
_OFFSET_ID = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?")
_REGION_ID = re.compile(r"[A-Za-z][A-Za-z0-9~/._+-]+")
_UTC_NAMES = ("Z", "UTC", "GMT", "UT", "Etc/UTC", "Etc/GMT", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu")


def _td_ms(td: timedelta | None) -> int:
    return 0 if td is None else (td.days * 86400 + td.seconds) * 1000 + td.microseconds // 1000


def _clamp_dt(ms: int) -> int:
    return min(max(ms, _MIN_DT_MS), _MAX_DT_MS)


@dataclass(frozen=True, eq=False)
class _ZoneTable:
    """Offset transitions of a zone over a span, for vectorised conversions."""

    trans: np.ndarray  # UTC instants where the offset changes
    offs: np.ndarray  # offs[i] applies before trans[i]; offs[-1] after the last one
    bounds: np.ndarray  # local time from which offs[i + 1] is used for local -> UTC
    trans_pad: np.ndarray  # trans followed by +inf

    @classmethod
    def build(cls, trans: list[int], offs: list[int]) -> _ZoneTable:
        t = np.asarray(trans, dtype=np.int64)
        o = np.asarray(offs, dtype=np.int64)
        bounds = np.maximum.accumulate(t + np.maximum(o[:-1], o[1:])) if len(t) else t
        return cls(t, o, bounds, np.append(t, _INT64_MAX))

    def offsets(self, utc: np.ndarray) -> np.ndarray:
        return self.offs[np.searchsorted(self.trans, utc, side="right")]

    def floor_to_utc(self, local: np.ndarray) -> np.ndarray:
        """Vectorised _Zone.floor_to_utc."""
        idx = np.searchsorted(self.bounds, local, side="right")
        return np.minimum(local - self.offs[idx], self.trans_pad[idx])


class _Zone:
    """A time zone: a fixed offset or a zoneinfo region."""

    def __init__(self, zone_id: str, fixed: int | None, info: ZoneInfo | None = None) -> None:
        self.id = zone_id
        self.fixed = fixed
        self.info = info
        self._tables: dict[tuple[int, int], _ZoneTable] = {}

    def __repr__(self) -> str:
        return f"_Zone({self.id!r})"

    def offset_at(self, utc: int) -> int:
        """Offset (ms) in effect at an instant."""
        if self.fixed is not None:
            return self.fixed
        dt = (_EPOCH + timedelta(milliseconds=_clamp_dt(utc))).astimezone(self.info)
        return _td_ms(dt.utcoffset())

    def _local_offsets(self, local: int) -> tuple[int, int]:
        naive = _EPOCH_NAIVE + timedelta(milliseconds=_clamp_dt(local))
        assert self.info is not None
        return _td_ms(self.info.utcoffset(naive)), _td_ms(self.info.utcoffset(naive.replace(fold=1)))

    def resolve(self, local: int, prefer: int | None = None) -> int:
        """Local wall time -> instant like java's ZonedDateTime.ofLocal (gap: shift forward)."""
        if self.fixed is not None:
            return local - self.fixed
        o0, o1 = self._local_offsets(local)
        if o0 != o1 and self.offset_at(local - o0) == o0 and prefer == o1:
            return local - o1
        return local - o0

    def floor_to_utc(self, local: int) -> int:
        """Local bucket start -> instant as ES rounding does: overlap: earlier; gap: the transition."""
        if self.fixed is not None:
            return local - self.fixed
        o0, o1 = self._local_offsets(local)
        c0 = local - o0
        if o0 == o1 or self.offset_at(c0) == o0:
            return c0
        return self._transition(local - o1, c0)

    def _transition(self, lo: int, hi: int) -> int:
        """First instant in (lo, hi] whose offset is that of hi (offsets at lo and hi differ)."""
        target = self.offset_at(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.offset_at(mid) == target:
                hi = mid
            else:
                lo = mid
        return hi

    def table(self, lo: int, hi: int) -> _ZoneTable:
        """Transitions covering [lo, hi] with a margin of two years on both sides (cached)."""
        if self.fixed is not None:
            return _ZoneTable.build([], [self.fixed])
        y_lo = civil_from_days(_clamp_dt(lo) // DAY)[0] - 2
        y_hi = civil_from_days(_clamp_dt(hi) // DAY)[0] + 2
        key = (max(1, y_lo // 10 * 10), min(9998, y_hi // 10 * 10 + 9))
        if key not in self._tables:
            self._tables[key] = self._build_table(*key)
        return self._tables[key]

    def _build_table(self, y_lo: int, y_hi: int) -> _ZoneTable:
        start = days_from_civil(y_lo, 1, 1) * DAY
        end = days_from_civil(y_hi + 1, 1, 1) * DAY
        step = max(DAY, (end - start) // 200_000)
        trans: list[int] = []
        offs = [self.offset_at(start)]
        prev = start
        while prev < end:
            cur = min(prev + step, end)
            off = self.offset_at(cur)
            if off != offs[-1]:
                trans.append(self._transition(prev, cur))
                offs.append(off)
            prev = cur
        return _ZoneTable.build(trans, offs)


_UTC = _Zone("Z", 0)


def _fixed_zone(text: str) -> _Zone | None:
    m = _OFFSET_ID.fullmatch(text)
    if m is None:
        return None
    sign, hh, mm, ss = m.group(1), int(m.group(2)), int(m.group(3) or 0), int(m.group(4) or 0)
    if hh > 18 or mm > 59 or ss > 59 or (hh == 18 and (mm or ss)):
        raise illegal_argument(f"Zone offset not in valid range: -18:00 to +18:00 [{text}]")
    total = (hh * 3600 + mm * 60 + ss) * 1000 * (-1 if sign == "-" else 1)
    if total == 0:
        return _Zone("Z", 0)
    zone_id = f"{sign}{hh:02d}:{mm:02d}" + (f":{ss:02d}" if ss else "")
    return _Zone(zone_id, total)


@functools.lru_cache(maxsize=512)
def _zone(tz: str | None) -> _Zone:
    if tz is None:
        return _UTC
    text = str(tz)
    if text in _UTC_NAMES:
        return _Zone(text, 0)
    fixed = _fixed_zone(text)
    if fixed is not None:
        return fixed
    prefixed = re.fullmatch(r"(?:UTC|GMT|UT)([+-].*)", text)
    if prefixed is not None:
        zone = _fixed_zone(prefixed.group(1))
        if zone is not None:
            return _Zone(text, zone.fixed)
    if not _REGION_ID.fullmatch(text) or ".." in text:
        raise illegal_argument(f"Invalid ID for region-based ZoneId, invalid format: {text}")
    try:
        return _Zone(text, None, ZoneInfo(text))
    except (ValueError, KeyError, OSError) as exc:
        raise illegal_argument(f"Unknown time-zone ID: {text}") from exc


def resolve_time_zone(tz: str | None) -> str:
    """Validate an ES time_zone string and return its normalized id; raises illegal_argument."""
    return _zone(tz).id


# --------------------------------------------------------------------------- errors


class _Invalid(Exception):
    """A value that matched a pattern but is not a valid date (java's DateTimeException)."""


def _parse_failure(text: str, fmt: str, detail: str) -> EsError:
    cause = EsError(400, "date_time_parse_exception", detail)
    reason = f"failed to parse date field [{text}] with format [{fmt}]"
    return EsError(400, "illegal_argument_exception", reason, caused_by=cause)


def _parse_exception(reason: str, cause: EsError | None = None) -> EsError:
    return EsError(400, "parse_exception", reason, caused_by=cause)


def _invalid_format(fmt: str, detail: str) -> EsError:
    return illegal_argument(f"Invalid format: [{fmt}]: {detail}")


# --------------------------------------------------------------------------- pattern tokens

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_JAVA_LETTERS = frozenset("GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZg")
_UNSUPPORTED = frozenset("WFBANvOg")
_MAX_COUNT = {
    "G": 5, "M": 5, "L": 5, "d": 2, "D": 3, "Q": 5, "q": 5, "w": 2, "E": 5, "e": 5, "c": 5,
    "a": 1, "h": 2, "K": 2, "k": 2, "H": 2, "m": 2, "s": 2, "X": 5, "x": 5, "Z": 5, "z": 4,
}  # fmt: skip
_OFFSET_RX = r"Z|z|(?:GMT|UTC)(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?"
_ZONE_RX = _OFFSET_RX + r"|[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*"


@dataclass(frozen=True)
class _Tok:
    """One pattern element: a literal, a field (letter x count) or an optional section."""

    kind: str
    text: str = ""
    letter: str = ""
    count: int = 0
    items: tuple[_Tok, ...] = ()


def _read_quoted(pattern: str, i: int) -> tuple[str, int]:
    """Text of the quoted literal starting at pattern[i] == "'", and the index after it."""
    buf: list[str] = []
    j = i + 1
    while True:
        if j >= len(pattern):
            raise ValueError(f"Pattern ends with an incomplete string literal: {pattern}")
        if pattern[j] == "'":
            if j + 1 < len(pattern) and pattern[j + 1] == "'" and buf:
                buf.append("'")
                j += 2
                continue
            return ("".join(buf) or "'"), j + 1
        buf.append(pattern[j])
        j += 1


def _field_token(letter: str, count: int) -> _Tok:
    if letter not in _JAVA_LETTERS:
        raise ValueError(f"Unknown pattern letter: {letter}")
    if letter in _UNSUPPORTED:
        raise ValueError(f"Unsupported pattern letter: {letter}")
    if letter == "V" and count != 2:
        raise ValueError("Pattern letter count must be 2: V")
    if count > _MAX_COUNT.get(letter, 19):
        raise ValueError(f"Too many pattern letters: {letter}")
    return _Tok("field", letter=letter, count=count)


def _tokenize(pattern: str) -> tuple[_Tok, ...]:
    """Split a java.time pattern into tokens; raises ValueError with java's message."""
    stack: list[list[_Tok]] = [[]]
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            text, i = _read_quoted(pattern, i)
            stack[-1].append(_Tok("lit", text))
            continue
        if c == "[":
            stack.append([])
        elif c == "]":
            if len(stack) == 1:
                raise ValueError("Pattern invalid as it contains ] without previous [")
            items = stack.pop()
            stack[-1].append(_Tok("opt", items=tuple(items)))
        elif c in "{}#":
            raise ValueError(f"Pattern includes reserved character: '{c}'")
        elif c.isascii() and c.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == c:
                j += 1
            stack[-1].append(_field_token(c, j - i))
            i = j
            continue
        else:
            stack[-1].append(_Tok("lit", c))
        i += 1
    while len(stack) > 1:
        items = stack.pop()
        stack[-1].append(_Tok("opt", items=tuple(items)))
    return tuple(stack[0])


# --------------------------------------------------------------------------- pattern -> regex


def _names_rx(names: Iterable[str], count: int) -> str:
    if count == 3:
        names = [n[:3] for n in names]
    elif count == 5:
        names = [n[0] for n in names]
    return "(?i:" + "|".join(sorted(set(names), key=len, reverse=True)) + ")"


def _year_rx(letter: str, count: int, mode: str) -> str:
    if count == 2:
        return r"\d{2}"
    if mode == "strict":
        return r"\d{4}|[+-]\d{4,9}"
    if mode == "lenient":
        return r"\d{1,4}|[+-]\d{1,9}"
    sign = "" if letter == "y" else "[+-]?"
    return sign + rf"\d{{{max(count, 1)},9}}"


def _digits_rx(letter: str, count: int, mode: str) -> str:
    if letter == "D":
        low = count
        high = 3
    elif letter in "eEcQq":
        low = high = count
    else:
        low, high = (1, 2) if count == 1 or mode == "lenient" else (2, 2)
    return rf"\d{{{low},{high}}}"


def _field_rx(letter: str, count: int, mode: str) -> str:
    if letter in "uyY":
        return _year_rx(letter, count, mode)
    if letter in "ML" and count >= 3:
        return _names_rx(_MONTHS, count)
    if letter == "E" or (letter in "ec" and count >= 3):
        return _names_rx(_DAYS, max(count, 3))
    if letter in "Qq" and count >= 3:
        return r"Q[1-4]" if count == 3 else r"[1-4](?:st|nd|rd|th) quarter"
    if letter == "a":
        return "(?i:AM|PM)"
    if letter == "G":
        return "(?i:AD|BC|Anno Domini|Before Christ|A|B)"
    if letter in "XxZ":
        return _OFFSET_RX
    if letter in "Vz":
        return _ZONE_RX
    if letter == "S":
        return r"\d{1,9}" if mode != "custom" else rf"\d{{{count}}}"
    if letter == "n":
        return rf"\d{{{count},9}}"
    return _digits_rx(letter, count, mode)


def _build_rx(tokens: Iterable[_Tok], mode: str, groups: list[tuple[str, str, int]]) -> str:
    parts: list[str] = []
    for tok in tokens:
        if tok.kind == "lit":
            parts.append("[.,]" if mode != "custom" and tok.text == "." else re.escape(tok.text))
        elif tok.kind == "opt":
            parts.append("(?:" + _build_rx(tok.items, mode, groups) + ")?")
        else:
            name = f"g{len(groups)}"
            groups.append((name, tok.letter, tok.count))
            parts.append(f"(?P<{name}>{_field_rx(tok.letter, tok.count, mode)})")
    return "".join(parts)


# --------------------------------------------------------------------------- parsed fields


def _name_index(names: tuple[str, ...], text: str) -> int:
    low = text.lower()
    for i, name in enumerate(names):
        if name.lower().startswith(low):
            return i + 1
    raise _Invalid(f"Unknown name '{text}'")


def _offset_ms(text: str) -> int:
    """Parse an offset like Z, +01, +0130, +01:30, GMT+1 into ms."""
    if text in ("Z", "z"):
        return 0
    if text[:3] in ("GMT", "UTC"):
        text = text[3:]
        if not text:
            return 0
    sign = -1 if text[0] == "-" else 1
    body = text[1:]
    nums = [int(p) for p in body.split(":")] if ":" in body else _split_compact(body)
    hh, mm, ss = (nums + [0, 0])[:3]
    if hh > 18 or mm > 59 or ss > 59:
        raise _Invalid(f"Zone offset not in valid range: {text}")
    return sign * (hh * 3600 + mm * 60 + ss) * 1000


def _split_compact(body: str) -> list[int]:
    if len(body) not in (1, 2, 4, 6):
        raise _Invalid(f"Invalid offset: {body}")
    if len(body) <= 2:
        return [int(body)]
    return [int(body[i : i + 2]) for i in range(0, len(body), 2)]


def _zone_value(fields: dict[str, Any], text: str) -> None:
    if re.fullmatch(_OFFSET_RX, text):
        fields["offset"] = _offset_ms(text)
        return
    try:
        fields["zone"] = _zone(text)
    except EsError as exc:
        raise _Invalid(str(exc.reason)) from exc


def _quarter_value(text: str) -> int:
    return int(text[1]) if text.startswith("Q") else int(text[0])


_SIMPLE_KEYS = {"d": "day", "D": "doy", "H": "hour", "h": "h12", "K": "k11", "k": "k24",
                "m": "minute", "s": "second", "w": "week", "n": "nano"}  # fmt: skip
_YEAR_KEYS = {"u": "year", "y": "yoe", "Y": "wby"}


def _apply_field(fields: dict[str, Any], letter: str, count: int, text: str) -> None:
    if letter in _SIMPLE_KEYS:
        fields[_SIMPLE_KEYS[letter]] = int(text)
    elif letter in _YEAR_KEYS:
        fields[_YEAR_KEYS[letter]] = int(text) + (2000 if count == 2 else 0)
    elif letter in "ML":
        fields["month"] = int(text) if count <= 2 else _name_index(_MONTHS, text)
    elif letter in "Eec":
        fields["dow"] = _name_index(_DAYS, text) if not text.isdigit() else int(text)
    elif letter == "S":
        fields["nano"] = int(text.ljust(9, "0")[:9])
    elif letter == "a":
        fields["ampm"] = text.upper()
    elif letter in "Qq":
        fields["quarter"] = _quarter_value(text)
    elif letter == "G":
        fields["era"] = "BC" if text.upper().startswith("B") else "AD"
    else:
        _zone_value(fields, text)


# --------------------------------------------------------------------------- resolving fields


def _check(name: str, value: int, low: int, high: int | str) -> int:
    top = int(str(high).split("/")[-1])
    if not low <= value <= top:
        raise _Invalid(f"Invalid value for {name} (valid values {low} - {high}): {value}")
    return value


def _resolve_year(fields: dict[str, Any]) -> int:
    if "year" in fields:
        return fields["year"]
    if "yoe" in fields:
        yoe = fields["yoe"]
        return 1 - yoe if fields.get("era") == "BC" else yoe
    return 1970


def _resolve_week_date(fields: dict[str, Any]) -> int:
    wby = fields.get("wby", fields.get("year", 1970))
    weeks = (_iso_week_start(wby + 1) - _iso_week_start(wby)) // 7
    week = _check("WeekOfWeekBasedYear", fields.get("week", 1), 1, weeks)
    dow = _check("DayOfWeek", fields.get("dow", 1), 1, 7)
    return _iso_week_start(wby) + (week - 1) * 7 + dow - 1


def _resolve_date(fields: dict[str, Any]) -> int:
    if "wby" in fields or "week" in fields:
        return _resolve_week_date(fields)
    year = _resolve_year(fields)
    if "doy" in fields:
        doy = _check("DayOfYear", fields["doy"], 1, "365/366")
        if doy == 366 and not _is_leap(year):
            raise _Invalid(f"Invalid date 'DayOfYear 366' as '{year}' is not a leap year")
        return days_from_civil(year, 1, 1) + doy - 1
    default_month = (fields["quarter"] - 1) * 3 + 1 if "quarter" in fields else 1
    month = _check("MonthOfYear", fields.get("month", default_month), 1, 12)
    day = _check("DayOfMonth", fields.get("day", 1), 1, "28/31")
    if day > _days_in_month(year, month):
        raise _Invalid(f"Invalid date '{_MONTHS[month - 1].upper()} {day}'")
    days = days_from_civil(year, month, day)
    dow = fields.get("dow")
    if dow is not None and dow != _iso_dow(days):
        raise _Invalid(f"Conflict found: Field DayOfWeek {_iso_dow(days)} differs from DayOfWeek {dow}")
    return days


def _resolve_hour(fields: dict[str, Any]) -> int | None:
    if "hour" in fields:
        return _check("HourOfDay", fields["hour"], 0, 23)
    pm = 12 if fields.get("ampm") == "PM" else 0
    if "h12" in fields:
        return _check("ClockHourOfAmPm", fields["h12"], 1, 12) % 12 + pm
    if "k11" in fields:
        return _check("HourOfAmPm", fields["k11"], 0, 11) + pm
    if "k24" in fields:
        return _check("ClockHourOfDay", fields["k24"], 1, 24) % 24
    return None


def _resolve_time(fields: dict[str, Any], round_up: bool) -> int:
    """Milliseconds of the day; missing fields default to 0, or to their maximum when rounding up."""
    hour = _resolve_hour(fields)
    minute = fields.get("minute")
    second = fields.get("second")
    nano = fields.get("nano")
    hour = (23 if round_up else 0) if hour is None else hour
    minute = (59 if round_up else 0) if minute is None else _check("MinuteOfHour", minute, 0, 59)
    second = (59 if round_up else 0) if second is None else _check("SecondOfMinute", second, 0, 59)
    nano = (999_999_999 if round_up else 0) if nano is None else nano
    return ((hour * 60 + minute) * 60 + second) * 1000 + nano // 1_000_000


def _resolve(fields: dict[str, Any], zone: _Zone, round_up: bool) -> int:
    local = _resolve_date(fields) * DAY + _resolve_time(fields, round_up)
    if "offset" in fields:
        return local - fields["offset"]
    return fields.get("zone", zone).resolve(local)


# --------------------------------------------------------------------------- printing


@dataclass(frozen=True)
class _Parts:
    """Local calendar fields of an instant in a zone."""

    days: int
    year: int
    month: int
    day: int
    millis_of_day: int
    offset: int
    zone: _Zone
    utc: int

    @classmethod
    def of(cls, millis: int, zone: _Zone) -> _Parts:
        offset = zone.offset_at(millis)
        days, mod = divmod(millis + offset, DAY)
        y, m, d = civil_from_days(days)
        return cls(days, y, m, d, mod, offset, zone, millis)

    @property
    def hour(self) -> int:
        return self.millis_of_day // HOUR

    @property
    def minute(self) -> int:
        return self.millis_of_day // MINUTE % 60

    @property
    def second(self) -> int:
        return self.millis_of_day // SECOND % 60

    @property
    def milli(self) -> int:
        return self.millis_of_day % 1000


def _pad(value: int, width: int) -> str:
    return ("-" if value < 0 else "") + str(abs(value)).zfill(width)


def _year_text(year: int, count: int) -> str:
    if count == 2:
        return f"{year % 100:02d}"
    if count < 4:
        return str(year)
    if year > 10**count - 1:
        return "+" + str(year)
    return _pad(year, count)


def _offset_text(off: int, letter: str, count: int) -> str:
    if off == 0 and (letter == "X" or (letter == "Z" and count == 5)):
        return "Z"
    if letter == "Z" and count == 4:
        return "GMT" if off == 0 else "GMT" + _offset_text(off, "x", 3)
    sign = "-" if off < 0 else "+"
    secs = abs(off) // 1000
    hh, mm, ss = secs // 3600, secs // 60 % 60, secs % 60
    colon = ":" if (letter in "Xx" and count in (3, 5)) or (letter == "Z" and count == 5) else ""
    text = f"{sign}{hh:02d}"
    if letter in "Xx" and count == 1:
        return text + (f"{mm:02d}" if mm else "")
    text += f"{colon}{mm:02d}"
    if ss and (count >= 4 or letter == "Z"):
        text += f"{colon}{ss:02d}"
    return text


def _zone_text(p: _Parts, letter: str) -> str:
    zone = p.zone
    if letter == "V" or zone.info is None:
        return zone.id
    dt = (_EPOCH + timedelta(milliseconds=_clamp_dt(p.utc))).astimezone(zone.info)
    return dt.tzname() or zone.id


def _text_field(names: tuple[str, ...], index: int, count: int) -> str:
    name = names[index - 1]
    return name[:3] if count <= 3 else (name if count == 4 else name[0])


def _quarter_text(q: int, count: int) -> str:
    if count <= 2:
        return _pad(q, count)
    if count == 3:
        return f"Q{q}"
    return f"{q}{('st', 'nd', 'rd', 'th')[q - 1]} quarter"


def _date_field_text(letter: str, count: int, p: _Parts) -> str | None:
    if letter in "uy":
        year = p.year if letter == "u" or p.year > 0 else 1 - p.year
        return _year_text(year, count)
    if letter in "Yw":
        wby, week = _iso_week(p.days)
        return _year_text(wby, count) if letter == "Y" else _pad(week, count)
    if letter in "ML":
        return _pad(p.month, count) if count <= 2 else _text_field(_MONTHS, p.month, count)
    if letter == "d":
        return _pad(p.day, count)
    if letter == "D":
        return _pad(p.days - days_from_civil(p.year, 1, 1) + 1, count)
    if letter in "Eec":
        dow = _iso_dow(p.days)
        return _text_field(_DAYS, dow, count) if letter == "E" or count >= 3 else _pad(dow, count)
    if letter in "Qq":
        return _quarter_text((p.month - 1) // 3 + 1, count)
    if letter == "G":
        ad = p.year > 0
        return ("AD" if ad else "BC") if count <= 3 else ("Anno Domini" if ad else "Before Christ")
    return None


def _time_field_text(letter: str, count: int, p: _Parts) -> str:
    if letter == "H":
        return _pad(p.hour, count)
    if letter in "hKk":
        hour = {"h": (p.hour % 12) or 12, "K": p.hour % 12, "k": p.hour or 24}[letter]
        return _pad(hour, count)
    if letter == "m":
        return _pad(p.minute, count)
    if letter == "s":
        return _pad(p.second, count)
    if letter == "S":
        return f"{p.milli * 1_000_000:09d}"[:count].ljust(count, "0")
    if letter == "n":
        return _pad(p.milli * 1_000_000, count)
    if letter == "a":
        return "AM" if p.hour < 12 else "PM"
    if letter in "XxZ":
        return _offset_text(p.offset, letter, count)
    return _zone_text(p, letter)


def _print(tokens: Iterable[_Tok], p: _Parts) -> str:
    out: list[str] = []
    for tok in tokens:
        if tok.kind == "lit":
            out.append(tok.text)
        elif tok.kind == "opt":
            out.append(_print(tok.items, p))
        else:
            text = _date_field_text(tok.letter, tok.count, p)
            out.append(text if text is not None else _time_field_text(tok.letter, tok.count, p))
    return "".join(out)


# --------------------------------------------------------------------------- single formats


class _PatternFormat:
    """One java.time-style pattern (a named ISO format or a custom pattern)."""

    def __init__(self, parse_tokens: tuple[_Tok, ...], print_tokens: tuple[_Tok, ...], mode: str) -> None:
        self._groups: list[tuple[str, str, int]] = []
        self._regex = re.compile(_build_rx(parse_tokens, mode, self._groups))
        self._print_tokens = print_tokens

    def parse(self, text: str, zone: _Zone, round_up: bool) -> int:
        m = self._regex.fullmatch(text)
        if m is None:
            raise _Invalid(self._mismatch(text))
        fields: dict[str, Any] = {}
        for name, letter, count in self._groups:
            value = m.group(name)
            if value is not None:
                _apply_field(fields, letter, count, value)
        try:
            return _resolve(fields, zone, round_up)
        except _Invalid as exc:
            raise _Invalid(f"Text '{text}' could not be parsed: {exc}") from exc

    def _mismatch(self, text: str) -> str:
        m = self._regex.match(text)
        if m is not None:
            return f"Text '{text}' could not be parsed, unparsed text found at index {m.end()}"
        return f"Text '{text}' could not be parsed at index 0"

    def format(self, millis: int, zone: _Zone) -> str:
        return _print(self._print_tokens, _Parts.of(millis, zone))


_EPOCH_RX = re.compile(r"-?\d+(?:\.\d+)?")


class _EpochFormat:
    """epoch_millis (scale 1) or epoch_second (scale 1000)."""

    def __init__(self, scale: int) -> None:
        self._scale = scale

    def parse(self, text: str, zone: _Zone, round_up: bool) -> int:
        if not _EPOCH_RX.fullmatch(text):
            raise _Invalid(f"Text '{text}' could not be parsed at index 0")
        millis = int(Fraction(text) * self._scale // 1)
        if round_up and self._scale > 1 and "." not in text:
            millis += self._scale - 1
        if not _INT64_MIN <= millis <= _INT64_MAX:
            raise _Invalid(f"Text '{text}' could not be parsed: value out of range")
        return millis

    def format(self, millis: int, zone: _Zone) -> str:
        if self._scale == 1 or millis % self._scale == 0:
            return str(millis // self._scale)
        value = Fraction(millis, self._scale)
        whole = int(value)
        frac = str(abs(millis) % self._scale).zfill(3).rstrip("0")
        return ("-" if value < 0 and whole == 0 else "") + f"{whole}.{frac}"


_ISO_PRINT = "uuuu-MM-dd'T'HH:mm:ss.SSSXXX"
_OPTIONAL_TIME = "uuuu[-MM[-dd['T'HH[:mm[:ss[.SSS]]][XXX]]]]"
_NAMED: dict[str, tuple[str, str | None]] = {
    "date_optional_time": (_OPTIONAL_TIME, _ISO_PRINT),
    "date_optional_time_nanos": (_OPTIONAL_TIME, _ISO_PRINT),
    "iso8601": (_OPTIONAL_TIME, _ISO_PRINT),
    "basic_date": ("uuuuMMdd", None),
    "basic_date_time": ("uuuuMMdd'T'HHmmss.SSSXX", None),
    "basic_date_time_no_millis": ("uuuuMMdd'T'HHmmssXX", None),
    "basic_ordinal_date": ("uuuuDDD", None),
    "basic_ordinal_date_time": ("uuuuDDD'T'HHmmss.SSSXX", None),
    "basic_ordinal_date_time_no_millis": ("uuuuDDD'T'HHmmssXX", None),
    "basic_time": ("HHmmss.SSSXX", None),
    "basic_time_no_millis": ("HHmmssXX", None),
    "basic_t_time": ("'T'HHmmss.SSSXX", None),
    "basic_t_time_no_millis": ("'T'HHmmssXX", None),
    "basic_week_date": ("YYYY'W'wwe", None),
    "basic_week_date_time": ("YYYY'W'wwe'T'HHmmss.SSSXX", None),
    "basic_week_date_time_no_millis": ("YYYY'W'wwe'T'HHmmssXX", None),
    "date": ("uuuu-MM-dd", None),
    "date_hour": ("uuuu-MM-dd'T'HH", None),
    "date_hour_minute": ("uuuu-MM-dd'T'HH:mm", None),
    "date_hour_minute_second": ("uuuu-MM-dd'T'HH:mm:ss", None),
    "date_hour_minute_second_fraction": ("uuuu-MM-dd'T'HH:mm:ss.SSS", None),
    "date_hour_minute_second_millis": ("uuuu-MM-dd'T'HH:mm:ss.SSS", None),
    "date_time": ("uuuu-MM-dd'T'HH:mm:ss[.SSS]XXX", _ISO_PRINT),  # ES parses the fraction as optional
    "date_time_no_millis": ("uuuu-MM-dd'T'HH:mm:ssXXX", None),
    "hour": ("HH", None),
    "hour_minute": ("HH:mm", None),
    "hour_minute_second": ("HH:mm:ss", None),
    "hour_minute_second_fraction": ("HH:mm:ss.SSS", None),
    "hour_minute_second_millis": ("HH:mm:ss.SSS", None),
    "ordinal_date": ("uuuu-DDD", None),
    "ordinal_date_time": ("uuuu-DDD'T'HH:mm:ss.SSSXXX", None),
    "ordinal_date_time_no_millis": ("uuuu-DDD'T'HH:mm:ssXXX", None),
    "time": ("HH:mm:ss.SSSXXX", None),
    "time_no_millis": ("HH:mm:ssXXX", None),
    "t_time": ("'T'HH:mm:ss.SSSXXX", None),
    "t_time_no_millis": ("'T'HH:mm:ssXXX", None),
    "week_date": ("YYYY-'W'ww-e", None),
    "week_date_time": ("YYYY-'W'ww-e'T'HH:mm:ss.SSSXXX", None),
    "week_date_time_no_millis": ("YYYY-'W'ww-e'T'HH:mm:ssXXX", None),
    "weekyear": ("YYYY", None),
    "weekyear_week": ("YYYY-'W'ww", None),
    "weekyear_week_day": ("YYYY-'W'ww-e", None),
    "year": ("uuuu", None),
    "year_month": ("uuuu-MM", None),
    "year_month_day": ("uuuu-MM-dd", None),
}


@functools.lru_cache(maxsize=256)
def _named_format(name: str) -> _PatternFormat | _EpochFormat | None:
    if name in ("epoch_millis", "epoch_second"):
        return _EpochFormat(1 if name == "epoch_millis" else 1000)
    strict = name.startswith("strict_")
    spec = _NAMED.get(name[len("strict_") :] if strict else name)
    if spec is None:
        return None
    parse_pattern, print_pattern = spec
    basic = name.removeprefix("strict_").startswith("basic_")
    mode = "strict" if strict or basic else "lenient"
    tokens = _tokenize(parse_pattern)
    return _PatternFormat(tokens, _tokenize(print_pattern) if print_pattern else tokens, mode)


def _compile_part(part: str, full: str) -> _PatternFormat | _EpochFormat:
    named = _named_format(part)
    if named is not None:
        return named
    try:
        tokens = _tokenize(part)
    except ValueError as exc:
        raise _invalid_format(full, str(exc)) from exc
    return _PatternFormat(tokens, tokens, "custom")


# --------------------------------------------------------------------------- DateFormatter


def _value_text(value: Any) -> str:
    """The string ES would parse for a JSON value (numbers are parsed as their text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        if value.is_integer():
            return str(int(value))
        return np.format_float_positional(value, trim="-")
    return str(value)


class DateFormatter:
    """Parses and prints dates for an ES `format` such as "strict_date_optional_time||epoch_millis"."""

    def __init__(self, fmt: str = DEFAULT_FORMAT, locale: str | None = None) -> None:
        if not isinstance(fmt, str) or not fmt:
            raise illegal_argument("No date pattern provided")
        self.pattern = fmt
        self.locale = locale
        self._parts = [_compile_part(part, fmt) for part in fmt.split("||")]
        self._iso_first = fmt.split("||")[0] in ("strict_date_optional_time", "date_optional_time")

    def __repr__(self) -> str:
        return f"DateFormatter({self.pattern!r})"

    def parse(self, value: str | int | float, tz: str | None = None, *, round_up: bool = False) -> int:
        """Epoch millis of `value`, trying each `||` alternative in turn.

        Dates without an offset are read in `tz`. With `round_up`, missing time fields take
        their maximum (ES's rounding parser for `lte`/`gt`). Failure: illegal_argument_exception.
        """
        text = _value_text(value)
        if not text:
            raise illegal_argument("cannot parse empty datetime")
        if self._iso_first and tz is None and not round_up:
            fast = _fast_iso(text)
            if fast is not None:
                return fast
        zone = _zone(tz)
        details: list[str] = []
        for part in self._parts:
            try:
                return part.parse(text, zone, round_up)
            except _Invalid as exc:
                details.append(str(exc))
        detail = details[0] if len(details) == 1 else "Failed to parse with all enclosed parsers"
        raise _parse_failure(text, self.pattern, detail)

    def format(self, millis: int, tz: str | None = None) -> str:
        """Print an instant with the first format of the list (as ES does for doc values)."""
        return self._parts[0].format(int(millis), _zone(tz))


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
                  r"(Z|[+-]\d{2}:\d{2})?")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _fast_iso(text: str) -> int | None:
    """Epoch millis of a plain ISO-8601 date-time (the common case at index time), else None."""
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    if not 1 <= month <= 12 or not 1 <= day <= _MONTH_DAYS[month - 1]:
        return None
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return None
    hour, minute, second = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    millis = int((m[7] or "0").ljust(3, "0")[:3])
    offset = 0
    if m[8] and m[8] != "Z":
        sign = -1 if m[8][0] == "-" else 1
        oh, om = int(m[8][1:3]), int(m[8][4:6])
        if oh > 18 or om > 59:
            return None
        offset = sign * (oh * 3600 + om * 60) * 1000
    days = days_from_civil(year, month, day)
    return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis - offset


@functools.lru_cache(maxsize=512)
def get_formatter(fmt: str = DEFAULT_FORMAT, locale: str | None = None) -> DateFormatter:
    """A cached DateFormatter for `fmt`."""
    return DateFormatter(fmt, locale)


# --------------------------------------------------------------------------- date math


def _local_add(millis: int, zone: _Zone, days: int = 0, months: int = 0) -> int:
    """Add calendar days/months in local time, keeping the offset where it is valid (java)."""
    offset = zone.offset_at(millis)
    day, mod = divmod(millis + offset, DAY)
    day = _add_months(day, months) + days
    return zone.resolve(day * DAY + mod, prefer=offset)


def _math_add(millis: int, unit: str, n: int, zone: _Zone) -> int:
    if unit == "y":
        return _local_add(millis, zone, months=12 * n)
    if unit == "M":
        return _local_add(millis, zone, months=n)
    if unit == "w":
        return _local_add(millis, zone, days=7 * n)
    if unit == "d":
        return _local_add(millis, zone, days=n)
    return millis + n * {"h": HOUR, "H": HOUR, "m": MINUTE, "s": SECOND}[unit]


def _local_floor(local: int, unit: str) -> int:
    """Start of the local calendar unit containing a local time (date math units)."""
    day = local // DAY
    if unit == "y":
        return days_from_civil(civil_from_days(day)[0], 1, 1) * DAY
    if unit == "M":
        y, m, _ = civil_from_days(day)
        return days_from_civil(y, m, 1) * DAY
    if unit == "w":
        return (day - _iso_dow(day) + 1) * DAY
    step = {"d": DAY, "h": HOUR, "H": HOUR, "m": MINUTE, "s": SECOND}[unit]
    return local - local % step


def _math_round(millis: int, unit: str, zone: _Zone, round_up: bool) -> int:
    offset = zone.offset_at(millis)
    floored = zone.resolve(_local_floor(millis + offset, unit), prefer=offset)
    if not round_up:
        return floored
    return _math_add(floored, unit, 1, zone) - 1


def _read_math_op(math: str, i: int) -> tuple[str, int, str, int]:
    """One `+N<unit>`, `-N<unit>` or `/<unit>` step at math[i]: (op, number, unit, next index)."""
    op = math[i]
    if op not in "+-/":
        raise _parse_exception(f"operator not supported for date math [{math}]")
    i += 1
    if i >= len(math):
        raise _parse_exception(f"truncated date math [{math}]")
    start = i
    while i < len(math) and math[i].isdigit():
        i += 1
    if i >= len(math):
        raise _parse_exception(f"truncated date math [{math}]")
    num = int(math[start:i]) if i > start else 1
    if op == "/" and num != 1:
        raise _parse_exception(f"rounding `/` can only be used on single unit types [{math}]")
    unit = math[i]
    if unit not in "yMwdhHms":
        raise _parse_exception(f"unit [{unit}] not supported for date math [{math}]")
    return op, num, unit, i + 1


def _apply_math(math: str, millis: int, zone: _Zone, round_up: bool) -> int:
    i = 0
    while i < len(math):
        op, num, unit, i = _read_math_op(math, i)
        if op == "/":
            millis = _math_round(millis, unit, zone, round_up)
        else:
            millis = _math_add(millis, unit, num if op == "+" else -num, zone)
    return millis


def _parse_anchor(text: str, formatter: DateFormatter, tz: str | None, round_up: bool) -> int:
    if not text:
        raise _parse_exception("cannot parse empty date")
    try:
        return formatter.parse(text, tz, round_up=round_up)
    except EsError as exc:
        reason = f"failed to parse date field [{text}] with format [{formatter.pattern}]: [{exc.reason}]"
        raise _parse_exception(reason, exc) from exc


def parse_date_math(
    expr: str | int | float,
    now_millis: int | None = None,
    *,
    round_up: bool = False,
    tz: str | None = None,
    formatter: DateFormatter | None = None,
) -> int:
    """Evaluate ES date math ("now-1d/d", "2024-01-01||+1M/d", or a plain date) to epoch millis.

    `round_up` makes `/unit` go to the last millisecond of the unit and fills missing time
    fields of a plain date with their maximum. `tz` governs rounding and zone-less dates
    (never `now` itself). Errors are 400 parse_exception, as in ES.
    """
    fmt = formatter or get_formatter(DEFAULT_FORMAT)
    zone = _zone(tz)
    text = _value_text(expr)
    if text.startswith("now"):
        base = current_millis() if now_millis is None else int(now_millis)
        math = text[3:]
    else:
        index = text.find("||")
        if index == -1:
            return _parse_anchor(text, fmt, tz, round_up)
        base = _parse_anchor(text[:index], fmt, tz, False)
        math = text[index + 2 :]
    return _apply_math(math, base, zone, round_up)


_ROUND_UP_KINDS = {"gt": True, "gte": False, "lt": False, "lte": True}


def range_bound(
    value: str | int | float,
    *,
    kind: str,
    formatter: DateFormatter | None,
    tz: str | None = None,
    now_millis: int | None = None,
) -> int:
    """A range-query bound in epoch millis: gt/lte round up, gte/lt round down (ES rules).

    The caller applies the comparison itself (gt: >, gte: >=, lt: <, lte: <=).
    """
    if kind not in _ROUND_UP_KINDS:
        raise illegal_argument(f"unknown range bound [{kind}]")
    return parse_date_math(
        value, now_millis, round_up=_ROUND_UP_KINDS[kind], tz=tz, formatter=formatter
    )


# --------------------------------------------------------------------------- time values

# suffix -> (multiplier, divisor) to millis; order matters ("ms" before "s", "nanos" before "s")
_TIME_UNITS = (("nanos", 1, 1_000_000), ("micros", 1, 1_000), ("ms", 1, 1), ("s", SECOND, 1),
               ("m", MINUTE, 1), ("h", HOUR, 1), ("d", DAY, 1))  # fmt: skip


def _time_number(original: str, digits: str, setting: str) -> int:
    try:
        value = int(digits.strip())
    except ValueError:
        try:
            float(digits)
        except ValueError:
            raise illegal_argument(f"failed to parse [{original}]") from None
        raise illegal_argument(f"failed to parse [{original}], fractional time values are not supported") from None
    if value < -1:
        raise illegal_argument(
            f"failed to parse setting [{setting}] with value [{original}] as a time value: "
            "negative durations are not supported"
        )
    return value


def parse_time_value(s: str | int, setting: str = "time_value") -> int:
    """An ES time value ("1s", "5m", "90d", "100ms", "2h") in millis; bad -> illegal_argument."""
    if isinstance(s, int) and not isinstance(s, bool):
        return s
    text = str(s)
    normalized = text.lower().strip()
    for suffix, mult, div in _TIME_UNITS:
        if normalized.endswith(suffix):
            value = _time_number(text, normalized[: -len(suffix)], setting)
            return value * mult if div == 1 else int(value / div)
    if normalized in ("-1", "0"):
        return int(normalized)
    raise illegal_argument(
        f"failed to parse setting [{setting}] with value [{text}] as a time value: "
        "unit is missing or unrecognized"
    )


def parse_offset(offset: str | int | None, setting: str = "date_histogram.offset") -> int:
    """A date_histogram `offset` ("+6h", "-1d", "30m" or millis) in millis."""
    if offset is None or offset == "":
        return 0
    if isinstance(offset, int | float) and not isinstance(offset, bool):
        return int(offset)
    text = str(offset)
    if text.startswith("-"):
        return -parse_time_value(text[1:], setting)
    return parse_time_value(text.removeprefix("+"), setting)


# --------------------------------------------------------------------------- bucket rounding

_CALENDAR_UNITS = {
    "second": "second", "1s": "second", "minute": "minute", "1m": "minute", "hour": "hour",
    "1h": "hour", "day": "day", "1d": "day", "week": "week", "1w": "week", "month": "month",
    "1M": "month", "quarter": "quarter", "1q": "quarter", "year": "year", "1y": "year",
}  # fmt: skip
_SUBDAY = {"second": SECOND, "minute": MINUTE, "hour": HOUR}
_UNIT_MILLIS = {**_SUBDAY, "day": DAY, "week": WEEK, "month": 30 * DAY, "quarter": 91 * DAY, "year": 365 * DAY}
_MONTH_STEPS = {"month": 1, "quarter": 3, "year": 12}


def _floor_local_calendar(local: int, unit: str) -> int:
    if unit in _SUBDAY:
        return local - local % _SUBDAY[unit]
    day = local // DAY
    if unit == "day":
        return day * DAY
    if unit == "week":
        return (day - _iso_dow(day) + 1) * DAY
    y, m, _ = civil_from_days(day)
    m = 1 if unit == "year" else m - (m - 1) % _MONTH_STEPS[unit]
    return days_from_civil(y, m, 1) * DAY


def _floor_local_calendar_many(local: np.ndarray, unit: str) -> np.ndarray:
    if unit in _SUBDAY or unit == "day":
        step = _SUBDAY.get(unit, DAY)
        return local - local % step
    days = local // DAY
    if unit == "week":
        return (days - (days + 3) % 7) * DAY
    if unit == "month":
        return (days - _civil_many(days)[2] + 1) * DAY
    year, month, _ = _civil_many(days)
    month = np.ones_like(month) if unit == "year" else month - (month - 1) % 3
    return _days_from_civil_many(year, month) * DAY


class DateRounding:
    """Bucket rounding of date_histogram / composite: calendar units or fixed intervals, in a zone."""

    __slots__ = ("unit", "interval", "zone", "offset")

    def __init__(self, unit: str | None, interval: int | None, zone: _Zone, offset: int = 0) -> None:
        self.unit = unit
        self.interval = interval
        self.zone = zone
        self.offset = offset

    def __repr__(self) -> str:
        what = self.unit if self.unit else f"{self.interval}ms"
        return f"DateRounding({what}, tz={self.zone.id}, offset={self.offset})"

    @staticmethod
    def calendar(unit: str, tz: str | None = None, offset: str | int | None = None) -> DateRounding:
        """Calendar interval: minute/1m, hour/1h, day/1d, week/1w, month/1M, quarter/1q, year/1y."""
        canonical = _CALENDAR_UNITS.get(unit)
        if canonical is None:
            raise illegal_argument(f"The supplied interval [{unit}] could not be parsed as a calendar interval.")
        return DateRounding(canonical, None, _zone(tz), parse_offset(offset))

    @staticmethod
    def fixed(interval: str | int, tz: str | None = None, offset: str | int | None = None) -> DateRounding:
        """Fixed interval ("90m", "3h", "30d", "500ms"), aligned in local time of `tz`."""
        millis = parse_time_value(interval, "date_histogram.fixedInterval")
        if millis < 1:
            raise illegal_argument("Zero or negative time interval not supported")
        return DateRounding(None, millis, _zone(tz), parse_offset(offset))

    @property
    def is_calendar(self) -> bool:
        return self.unit is not None

    @property
    def time_zone(self) -> str:
        return self.zone.id

    @property
    def approx_millis(self) -> int:
        """Typical bucket width (exact for fixed intervals)."""
        return self.interval if self.interval is not None else _UNIT_MILLIS[self.unit or "day"]

    def round(self, millis: int) -> int:
        """Key (start, UTC millis) of the bucket holding `millis`."""
        return self._round(int(millis) - self.offset) + self.offset

    def next(self, key: int) -> int:
        """Start of the bucket after the one starting at `key`."""
        return self._next(int(key) - self.offset) + self.offset

    def round_many(self, millis: np.ndarray) -> np.ndarray:
        """Vectorised `round` over an int64 array."""
        values = np.asarray(millis, dtype=np.int64)
        if values.size == 0:
            return values.copy()
        if self.offset:
            values = values - self.offset
        out = self._round_many(values)
        return out + self.offset if self.offset else out

    def _floor_local(self, local: int) -> int:
        if self.interval is not None:
            return local - local % self.interval
        return _floor_local_calendar(local, self.unit or "day")

    def _floor_local_many(self, local: np.ndarray) -> np.ndarray:
        if self.interval is not None:
            return local - local % self.interval
        return _floor_local_calendar_many(local, self.unit or "day")

    def _round(self, millis: int) -> int:
        off = self.zone.offset_at(millis)
        local_key = self._floor_local(millis + off)
        if self.unit in _SUBDAY:
            return local_key - off
        return self.zone.floor_to_utc(local_key)

    def _round_many(self, values: np.ndarray) -> np.ndarray:
        fixed = self.zone.fixed
        if fixed is not None:
            local = values + fixed if fixed else values
            keys = self._floor_local_many(local)
            return keys - fixed if fixed else keys
        table = self.zone.table(int(values.min()), int(values.max()))
        offs = table.offsets(values)
        keys = self._floor_local_many(values + offs)
        if self.unit in _SUBDAY:
            return keys - offs
        return table.floor_to_utc(keys)

    def _next(self, key: int) -> int:
        if self.unit in _SUBDAY:
            step = _SUBDAY[self.unit or "hour"]
            cand = self._round(key + step)
            return cand if cand > key else key + step
        local = self._floor_local(key + self.zone.offset_at(key))
        cand = self.zone.floor_to_utc(self._add_local(local))
        if cand > key:
            return cand
        return key + (self.interval or DAY)

    def _add_local(self, local: int) -> int:
        if self.interval is not None:
            return local + self.interval
        unit = self.unit or "day"
        if unit in ("day", "week"):
            return local + (DAY if unit == "day" else WEEK)
        return _add_months(local // DAY, _MONTH_STEPS[unit]) * DAY
