"""java.time for scripts: ZonedDateTime/Instant values (epoch millis + zone), ChronoUnit and Duration.

Date doc values should be passed to scripts as `ZonedDateTime.of_millis(ms)` so that
`doc['@timestamp'].value.getYear()`, `.toInstant().toEpochMilli()` and `.millis` work as in ES.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .errors import JavaException

_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_MONTHS = ("JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER",
           "NOVEMBER", "DECEMBER")


def _zone(zone_id: Any) -> Any:
    text = str(zone_id)
    if text in ("Z", "UTC", "GMT"):
        return UTC
    m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?", text)
    if m:
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        from datetime import timezone

        return timezone(delta if m.group(1) == "+" else -delta)
    try:
        return ZoneInfo(text)
    except Exception:  # noqa: BLE001 - any unknown zone id
        raise JavaException("date_time_exception", f"Unknown time-zone ID: {text}") from None


class ZoneIdValue:
    __slots__ = ("tz", "id")

    def __init__(self, zone_id: str) -> None:
        self.tz = _zone(zone_id)
        self.id = "Z" if zone_id in ("Z",) else zone_id


class DayOfWeek:
    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value  # 1 = Monday

    def __str__(self) -> str:
        return _DAYS[self.value - 1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DayOfWeek) and other.value == self.value

    def __hash__(self) -> int:
        return self.value


class Instant:
    __slots__ = ("millis",)

    def __init__(self, millis: int) -> None:
        self.millis = int(millis)

    def __str__(self) -> str:
        return _iso(self.millis, UTC, "Z")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Instant) and other.millis == self.millis

    def __hash__(self) -> int:
        return hash(self.millis)


class ZonedDateTime:
    """A java.time.ZonedDateTime at millisecond precision."""

    __slots__ = ("millis", "zone_id", "_dt")

    def __init__(self, millis: int, zone_id: str = "Z") -> None:
        self.millis = int(millis)
        self.zone_id = zone_id
        self._dt = datetime.fromtimestamp(self.millis / 1000, tz=_zone(zone_id))

    @classmethod
    def of_millis(cls, millis: int, zone_id: str = "Z") -> ZonedDateTime:
        return cls(millis, zone_id)

    @classmethod
    def parse(cls, text: str) -> ZonedDateTime:
        m = re.fullmatch(r"(.+?)(?:\[([^\]]+)\])?", text.strip())
        body = m.group(1) if m else text
        try:
            dt = datetime.fromisoformat(body.replace("Z", "+00:00"))
        except ValueError:
            raise JavaException("date_time_parse_exception", f"Text '{text}' could not be parsed at index 0") \
                from None
        if dt.tzinfo is None:
            raise JavaException("date_time_parse_exception", f"Text '{text}' could not be parsed at index "
                                                            f"{len(body)}")
        zone = m.group(2) if m and m.group(2) else ("Z" if body.endswith("Z") else _offset_text(dt))
        return cls(int(dt.timestamp() * 1000), zone)

    def __str__(self) -> str:
        suffix = "Z" if self.zone_id == "Z" else _offset_text(self._dt)
        text = _iso(self.millis, self._dt.tzinfo, suffix)
        if self.zone_id not in ("Z",) and not re.fullmatch(r"[+-]\d{2}:\d{2}", self.zone_id):
            text += f"[{self.zone_id}]"
        return text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ZonedDateTime) and other.millis == self.millis and other.zone_id == self.zone_id

    def __hash__(self) -> int:
        return hash(self.millis)

    def plus(self, amount: int, unit: str) -> ZonedDateTime:
        dt = self._dt
        if unit in ("MONTHS", "YEARS"):
            months = amount * (12 if unit == "YEARS" else 1)
            total = dt.year * 12 + dt.month - 1 + months
            year, month = divmod(total, 12)
            import calendar

            day = min(dt.day, calendar.monthrange(year, month + 1)[1])
            new = dt.replace(year=year, month=month + 1, day=day)
        elif unit in ("DAYS", "WEEKS"):
            new = dt + timedelta(days=amount * (7 if unit == "WEEKS" else 1))
            if hasattr(dt.tzinfo, "key"):
                new = new.replace(tzinfo=dt.tzinfo)
        else:
            ms = amount * _UNIT_MILLIS[unit]
            return ZonedDateTime(self.millis + ms, self.zone_id)
        return ZonedDateTime(int(new.timestamp() * 1000), self.zone_id)


def _offset_text(dt: datetime) -> str:
    off = dt.utcoffset() or timedelta(0)
    if off == timedelta(0):
        return "Z"
    total = int(off.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{sign}{total // 60:02d}:{total % 60:02d}"


def _iso(millis: int, tz: Any, suffix: str) -> str:
    dt = datetime.fromtimestamp(millis / 1000, tz=tz)
    text = dt.strftime("%Y-%m-%dT%H:%M")
    if dt.second or millis % 1000:
        text += f":{dt.second:02d}"
    if millis % 1000:
        text += f".{millis % 1000:03d}"
    return text + suffix


_UNIT_MILLIS = {"MILLIS": 1, "SECONDS": 1000, "MINUTES": 60_000, "HOURS": 3_600_000, "HALF_DAYS": 43_200_000,
                "DAYS": 86_400_000, "WEEKS": 7 * 86_400_000}


class ChronoUnit:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def between(self, a: Any, b: Any) -> int:
        ma, mb = _millis(a), _millis(b)
        if self.name in ("MONTHS", "YEARS"):
            da, db = _as_zdt(a)._dt, _as_zdt(b)._dt
            months = (db.year - da.year) * 12 + (db.month - da.month)
            if months > 0 and (db.day, db.time()) < (da.day, da.time()):
                months -= 1
            elif months < 0 and (db.day, db.time()) > (da.day, da.time()):
                months += 1
            return months // 12 if self.name == "YEARS" else months
        diff = mb - ma
        unit = _UNIT_MILLIS[self.name]
        return int(diff / unit)


class Duration:
    __slots__ = ("millis",)

    def __init__(self, millis: int) -> None:
        self.millis = millis


def _millis(v: Any) -> int:
    if isinstance(v, (ZonedDateTime, Instant)):
        return v.millis
    if type(v) is int:
        return v
    if v is None:
        raise JavaException("null_pointer_exception", None)
    raise JavaException("class_cast_exception", f"Cannot cast {type(v).__name__} to java.time.temporal.Temporal")


def _as_zdt(v: Any) -> ZonedDateTime:
    return v if isinstance(v, ZonedDateTime) else ZonedDateTime(_millis(v))


def _cmp(a: Any, b: Any) -> int:
    ma, mb = _millis(a), _millis(b)
    return (ma > mb) - (ma < mb)


def _with_zone(z: ZonedDateTime, zone: Any) -> ZonedDateTime:
    return ZonedDateTime(z.millis, zone.id if isinstance(zone, ZoneIdValue) else str(zone))


ZDT_METHODS: dict[str, Any] = {
    "getYear": lambda z: z._dt.year,
    "getMonthValue": lambda z: z._dt.month,
    "getMonth": lambda z: _MONTHS[z._dt.month - 1],
    "getDayOfMonth": lambda z: z._dt.day,
    "getDayOfYear": lambda z: z._dt.timetuple().tm_yday,
    "getDayOfWeek": lambda z: DayOfWeek(z._dt.isoweekday()),
    "getDayOfWeekEnum": lambda z: DayOfWeek(z._dt.isoweekday()),
    "getHour": lambda z: z._dt.hour,
    "getMinute": lambda z: z._dt.minute,
    "getSecond": lambda z: z._dt.second,
    "getNano": lambda z: (z.millis % 1000) * 1_000_000,
    "getMillis": lambda z: z.millis,
    "toEpochSecond": lambda z: z.millis // 1000,
    "toInstant": lambda z: Instant(z.millis),
    "getZone": lambda z: ZoneIdValue(z.zone_id),
    "toString": str,
    "isAfter": lambda z, o: _millis(z) > _millis(o),
    "isBefore": lambda z, o: _millis(z) < _millis(o),
    "isEqual": lambda z, o: _millis(z) == _millis(o),
    "compareTo": _cmp,
    "equals": lambda z, o: z == o,
    "plusDays": lambda z, n: z.plus(n, "DAYS"), "minusDays": lambda z, n: z.plus(-n, "DAYS"),
    "plusHours": lambda z, n: z.plus(n, "HOURS"), "minusHours": lambda z, n: z.plus(-n, "HOURS"),
    "plusMinutes": lambda z, n: z.plus(n, "MINUTES"), "minusMinutes": lambda z, n: z.plus(-n, "MINUTES"),
    "plusSeconds": lambda z, n: z.plus(n, "SECONDS"), "minusSeconds": lambda z, n: z.plus(-n, "SECONDS"),
    "plusWeeks": lambda z, n: z.plus(n, "WEEKS"), "minusWeeks": lambda z, n: z.plus(-n, "WEEKS"),
    "plusMonths": lambda z, n: z.plus(n, "MONTHS"), "minusMonths": lambda z, n: z.plus(-n, "MONTHS"),
    "plusYears": lambda z, n: z.plus(n, "YEARS"), "minusYears": lambda z, n: z.plus(-n, "YEARS"),
    "plus": lambda z, n, u: z.plus(n, u.name) if isinstance(u, ChronoUnit) else z.plus(_millis(n) if not
                                                                                      isinstance(n, Duration) else
                                                                                      n.millis, "MILLIS"),
    "minus": lambda z, n, u=None: z.plus(-n, u.name) if isinstance(u, ChronoUnit) else z.plus(
        -(n.millis if isinstance(n, Duration) else n), "MILLIS"),
    "withZoneSameInstant": _with_zone,
    "truncatedTo": lambda z, u: ZonedDateTime(z.millis - (z.millis % _UNIT_MILLIS[u.name]), z.zone_id),
    "format": lambda z, fmt: fmt.format(z) if hasattr(fmt, "format") else str(z),
}

def _instant_amount(amount: Any, unit: Any) -> int:
    """Milliseconds of `Instant.plus/minus(amount, unit)` or `(Duration)` (Instant takes units up to DAYS)."""
    if isinstance(amount, Duration) and unit is None:
        return amount.millis
    if not isinstance(unit, ChronoUnit) or unit.name not in _UNIT_MILLIS or unit.name == "WEEKS":
        name = str(getattr(unit, "name", unit))
        raise JavaException("date_time_exception", f"Unsupported unit: {name.title().replace('_', '')}")
    return int(amount) * _UNIT_MILLIS[unit.name]


INSTANT_METHODS: dict[str, Any] = {
    "toEpochMilli": lambda i: i.millis,
    "getEpochSecond": lambda i: i.millis // 1000,
    "getNano": lambda i: (i.millis % 1000) * 1_000_000,
    "atZone": lambda i, zone: ZonedDateTime(i.millis, zone.id if isinstance(zone, ZoneIdValue) else str(zone)),
    "isAfter": lambda i, o: i.millis > _millis(o),
    "isBefore": lambda i, o: i.millis < _millis(o),
    "compareTo": _cmp,
    "plus": lambda i, n, u=None: Instant(i.millis + _instant_amount(n, u)),
    "minus": lambda i, n, u=None: Instant(i.millis - _instant_amount(n, u)),
    "plusMillis": lambda i, n: Instant(i.millis + n), "minusMillis": lambda i, n: Instant(i.millis - n),
    "plusSeconds": lambda i, n: Instant(i.millis + n * 1000), "minusSeconds": lambda i, n: Instant(i.millis - n * 1000),
    "toString": str,
    "equals": lambda i, o: i == o,
}

DURATION_METHODS: dict[str, Any] = {
    "toMillis": lambda d: d.millis, "getSeconds": lambda d: d.millis // 1000, "toSeconds": lambda d: d.millis // 1000,
    "toMinutes": lambda d: d.millis // 60_000, "toHours": lambda d: d.millis // 3_600_000,
    "toDays": lambda d: d.millis // 86_400_000, "isNegative": lambda d: d.millis < 0,
}

STATICS: dict[str, dict[str, Any]] = {
    "ZonedDateTime": {
        "parse": lambda text, *_: ZonedDateTime.parse(str(text)),
        "ofInstant": lambda instant, zone: ZonedDateTime(_millis(instant), zone.id if isinstance(zone, ZoneIdValue)
                                                         else str(zone)),
        "of": lambda y, mo, d, h, mi, s, nanos, zone: ZonedDateTime(
            int(datetime(y, mo, d, h, mi, s, nanos // 1000, tzinfo=_zone(zone.id if isinstance(zone, ZoneIdValue)
                                                                         else zone)).timestamp() * 1000),
            zone.id if isinstance(zone, ZoneIdValue) else str(zone)),
    },
    "Instant": {
        "ofEpochMilli": lambda ms: Instant(ms),
        "ofEpochSecond": lambda s, *_: Instant(s * 1000),
        "parse": lambda text: Instant(ZonedDateTime.parse(str(text)).millis),
    },
    "ZoneId": {"of": lambda zone_id: ZoneIdValue(str(zone_id))},
    "ZoneOffset": {"of": lambda zone_id: ZoneIdValue(str(zone_id))},
    "Duration": {
        "between": lambda a, b: Duration(_millis(b) - _millis(a)),
        "ofMillis": lambda n: Duration(n), "ofSeconds": lambda n: Duration(n * 1000),
        "ofMinutes": lambda n: Duration(n * 60_000), "ofHours": lambda n: Duration(n * 3_600_000),
        "ofDays": lambda n: Duration(n * 86_400_000),
    },
}

STATIC_FIELDS: dict[str, dict[str, Any]] = {
    "ChronoUnit": {name: ChronoUnit(name) for name in (*_UNIT_MILLIS, "MONTHS", "YEARS")},
    "ZoneOffset": {"UTC": ZoneIdValue("Z")},
    "DayOfWeek": {name: DayOfWeek(i + 1) for i, name in enumerate(_DAYS)},
}

METHODS_BY_TYPE: dict[type, dict[str, Any]] = {
    ZonedDateTime: ZDT_METHODS,
    Instant: INSTANT_METHODS,
    Duration: DURATION_METHODS,
    DayOfWeek: {"getValue": lambda d: d.value, "toString": str, "name": str, "equals": lambda d, o: d == o},
    ChronoUnit: {"between": lambda u, a, b: u.between(a, b), "toString": lambda u: u.name},
    ZoneIdValue: {"getId": lambda z: z.id, "toString": lambda z: z.id},
}
