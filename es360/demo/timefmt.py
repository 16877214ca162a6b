"""Fast timestamp formatting for integer epoch seconds (the generator's hot path)."""

from __future__ import annotations

from datetime import UTC, date, datetime

DAY = 86_400
_EPOCH = date(1970, 1, 1).toordinal()
_DAYS: dict[int, tuple[str, int, int, int]] = {}
_CLOCK: list[str] = [f"T{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]


def _day(day: int) -> tuple[str, int, int, int]:
    hit = _DAYS.get(day)
    if hit is None:
        d = date.fromordinal(_EPOCH + day)
        hit = (d.isoformat(), d.year, d.month, d.day)
        _DAYS[day] = hit
    return hit


def ymd(ts: int) -> tuple[int, int, int]:
    """(year, month, day) of a UTC timestamp."""
    _, y, m, d = _day(ts // DAY)
    return y, m, d


def month(ts: int) -> int:
    """Month (1-12) of a UTC timestamp."""
    day = ts // DAY
    hit = _DAYS.get(day)
    return (hit if hit is not None else _day(day))[2]


def day_iso(ts: int) -> str:
    """'2025-10-02' for a UTC timestamp."""
    return _day(ts // DAY)[0]


def iso_z(ts: int) -> str:
    """'2025-10-02T14:03:00Z'."""
    day, sec = divmod(ts, DAY)
    hit = _DAYS.get(day)
    return (hit[0] if hit is not None else _day(day)[0]) + _CLOCK[sec] + "Z"


def iso_offset(ts: int, offset_min: int) -> str:
    """Local wall time with its offset: '2025-10-02T14:03:00+02:00'."""
    day, sec = divmod(ts + offset_min * 60, DAY)
    sign = "+" if offset_min >= 0 else "-"
    oh, om = divmod(abs(offset_min), 60)
    return f"{_day(day)[0]}{_CLOCK[sec]}{sign}{oh:02d}:{om:02d}"


def to_epoch(moment: datetime) -> int:
    """Epoch seconds of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())
