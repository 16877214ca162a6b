"""Kibana time ranges: date math (`now-1y`, `now/d`, ISO dates) and the auto date-histogram interval.

The auto interval follows Kibana's TimeBuckets: aim for `histogram:barTarget` (50) buckets using a
ladder of "pretty" intervals, never more than `histogram:maxBars` (100), and send a calendar
interval to Elasticsearch when the interval is one calendar unit (1w, 1M, 1y, 1d, 1h, 1m),
a fixed interval otherwise (12h, 30m, 10s).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from es360.errors import Es360Error

BAR_TARGET = 50
MAX_BARS = 100

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000,
            "M": 30 * 86_400_000, "y": 365 * 86_400_000}
_MATH = re.compile(r"([+-])(\d+)([yMwdhms])|/([yMwdhms])")


@dataclass(frozen=True)
class TimeRange:
    """An absolute time range (UTC), as Kibana resolves a dashboard's time picker."""

    start: datetime
    end: datetime

    @property
    def millis(self) -> int:
        return int((self.end - self.start).total_seconds() * 1000)

    def iso(self) -> tuple[str, str]:
        return (_iso(self.start), _iso(self.end))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _add(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in ("y", "M"):
        months = moment.month - 1 + amount * (12 if unit == "y" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    return moment + timedelta(milliseconds=amount * _UNIT_MS[unit])


def _round(moment: datetime, unit: str, up: bool) -> datetime:
    if unit == "s":
        floor = moment.replace(microsecond=0)
    elif unit == "m":
        floor = moment.replace(second=0, microsecond=0)
    elif unit == "h":
        floor = moment.replace(minute=0, second=0, microsecond=0)
    elif unit in ("d", "w"):
        floor = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        if unit == "w":  # ISO weeks start on Monday, as Kibana's default dateFormat:dow
            floor -= timedelta(days=floor.weekday())
    elif unit == "M":
        floor = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        floor = moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if not up:
        return floor
    return _add(floor, 1, unit) - timedelta(milliseconds=1)


def parse_date_math(text: str, now: datetime, *, round_up: bool = False) -> datetime:
    """An absolute UTC time for Kibana date math (`now-30d/d`) or an ISO 8601 date/time."""
    value = text.strip()
    if value.startswith("now"):
        moment, rest = now.astimezone(UTC), value[3:]
    else:
        anchor, sep, rest = value.partition("||")
        try:
            moment = datetime.fromisoformat(anchor.replace("Z", "+00:00"))
        except ValueError:
            raise Es360Error(f"{text!r} is not a date, `now`, or date math like now-1y.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    pos = 0
    while pos < len(rest):
        match = _MATH.match(rest, pos)
        if not match:
            raise Es360Error(f"{text!r} is not valid date math (expected e.g. now-1y, now-30d/d).")
        if match.group(4):
            moment = _round(moment, match.group(4), round_up)
        else:
            amount = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
            moment = _add(moment, amount, match.group(3))
        pos = match.end()
    return moment


def resolve_range(time_from: str, time_to: str, now: datetime) -> TimeRange:
    """The absolute range of a time picker's from/to (the `to` end rounds up, as in Kibana)."""
    start = parse_date_math(time_from, now)
    end = parse_date_math(time_to, now, round_up=True)
    if end <= start:
        raise Es360Error(f"The time range {time_from} → {time_to} is empty; `from` must be before `to`.")
    return TimeRange(start, end)


# (bound, interval): an interval is chosen when the target bucket size lies between its bound and
# the next one's; intervals are (amount, unit).
_LADDER: list[tuple[float, tuple[int, str]]] = [
    (float("inf"), (1, "y")),
    (365 * 86_400_000, (1, "M")),
    (21 * 86_400_000, (1, "w")),
    (7 * 86_400_000, (1, "d")),
    (86_400_000, (12, "h")),
    (6 * 3_600_000, (3, "h")),
    (2 * 3_600_000, (1, "h")),
    (45 * 60_000, (30, "m")),
    (20 * 60_000, (10, "m")),
    (9.5 * 60_000, (5, "m")),
    (3.5 * 60_000, (1, "m")),
    (45_000, (30, "s")),
    (15_000, (10, "s")),
    (7_500, (5, "s")),
    (5_000, (1, "s")),
    (500, (100, "ms")),
]


def _ms(interval: tuple[int, str]) -> int:
    return interval[0] * _UNIT_MS[interval[1]]


def _near(buckets: int, duration_ms: float) -> tuple[int, str]:
    target = duration_ms / buckets
    for i in range(len(_LADDER) - 1):
        if _LADDER[i + 1][0] <= target:
            return _LADDER[i][1]
    return (max(int(target), 1), "ms")


def _less_than(buckets: int, duration_ms: float) -> tuple[int, str]:
    limit = duration_ms / buckets
    for _, interval in _LADDER:
        if _ms(interval) <= limit:
            return interval
    return (max(int(limit), 1), "ms")


def auto_interval(time_range: TimeRange) -> tuple[int, str]:
    """Kibana's auto interval for a range: near BAR_TARGET buckets; a finer one when that gives over MAX_BARS.

    As in Kibana, the result can slightly exceed MAX_BARS (2 years in weeks is 105 buckets).
    """
    interval = _near(BAR_TARGET, time_range.millis)
    if time_range.millis / _ms(interval) > MAX_BARS:
        interval = _less_than(MAX_BARS, time_range.millis)
    return interval


_INTERVAL = re.compile(r"(\d*)(ms|[yMwdhms])")


def parse_interval(text: str) -> tuple[int, str]:
    """(amount, unit) of a Kibana interval string such as `1d`, `w`, `12h` or `1M`."""
    match = _INTERVAL.fullmatch(text.strip())
    if not match:
        raise Es360Error(f"{text!r} is not a date histogram interval (expected auto, 1d, 1w, 1M, 12h, ...).")
    return (int(match.group(1) or 1), match.group(2))


def es_interval(interval: tuple[int, str]) -> dict[str, str]:
    """`calendar_interval` for one calendar unit, `fixed_interval` otherwise (ES has no multi-unit calendars)."""
    amount, unit = interval
    if amount == 1 and unit in ("y", "M", "w", "d", "h", "m"):
        return {"calendar_interval": f"1{unit}"}
    if unit in ("y", "M", "w"):  # no fixed months or years in ES: express them in days
        return {"fixed_interval": f"{amount * _UNIT_MS[unit] // 86_400_000}d"}
    return {"fixed_interval": f"{amount}{unit}"}


def interval_ms(interval: tuple[int, str]) -> int:
    """The approximate length of an interval in milliseconds (months are 30 days)."""
    return _ms(interval)
