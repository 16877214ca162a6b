"""Tests for es360.embedded.dates: formats, date math, range rounding, time values, bucket rounding."""

from __future__ import annotations

import time

import numpy as np
import pytest

from es360.embedded.dates import (
    DEFAULT_FORMAT,
    DateFormatter,
    DateRounding,
    current_millis,
    get_formatter,
    parse_date_math,
    parse_offset,
    parse_time_value,
    range_bound,
    resolve_time_zone,
)
from es360.embedded.errors import EsError

ISO = get_formatter("strict_date_optional_time")
NY = "America/New_York"


def ms(text: str) -> int:
    return ISO.parse(text)


def iso(millis: int, tz: str | None = None) -> str:
    return ISO.format(millis, tz)


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05", "2024-01-05T00:00:00.000Z"),
        ("2024-01-05T10:11", "2024-01-05T10:11:00.000Z"),
        ("2024-01-05T10:11:12", "2024-01-05T10:11:12.000Z"),
        ("2024-01-05T10:11:12.123Z", "2024-01-05T10:11:12.123Z"),
        ("2024-01-05T10:11:12.123456789+02:00", "2024-01-05T08:11:12.123Z"),
        ("2024-01-05T10:11:12.5-0130", "2024-01-05T11:41:12.500Z"),
        ("2024-01-05T10:11:12,25+01", "2024-01-05T09:11:12.250Z"),
        ("2024", "2024-01-01T00:00:00.000Z"),
        ("2024-01", "2024-01-01T00:00:00.000Z"),
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
    ],
)
def test_strict_date_optional_time_parses_and_prints(text: str, expected: str) -> None:
    assert iso(ms(text)) == expected


def test_default_format_accepts_epoch_millis_numbers_and_strings() -> None:
    f = get_formatter(DEFAULT_FORMAT)
    assert f.parse(1704067200000) == 1704067200000
    assert f.parse("1704067200000") == 1704067200000
    assert f.parse("-86400000000") == -86400000000
    assert DateFormatter("epoch_millis").parse("-1000") == -1000
    assert f.parse("1704067200000.9") == 1704067200000
    assert f.parse(1.5) == 1
    assert f.parse("-1.5") == -2
    # ES reads short numbers as years with this format (known ES behaviour).
    assert f.parse(2024) == ms("2024-01-01")


def test_epoch_formats_print() -> None:
    assert DateFormatter("epoch_millis").format(-5) == "-5"
    assert DateFormatter("epoch_millis||strict_date_optional_time").format(1704067200000) == "1704067200000"
    sec = DateFormatter("epoch_second")
    assert sec.parse("1704067200") == 1704067200000
    assert sec.parse("1704067200.5") == 1704067200500
    assert sec.format(1704067200000) == "1704067200"
    assert sec.format(1704067200123) == "1704067200.123"
    assert sec.format(-1500) == "-1.5"


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("basic_date", "20240105"),
        ("basic_date_time", "20240105T101112.123Z"),
        ("basic_date_time_no_millis", "20240105T101112Z"),
        ("date", "2024-01-05"),
        ("strict_date", "2024-01-05"),
        ("date_time", "2024-01-05T10:11:12.123Z"),
        ("strict_date_time", "2024-01-05T10:11:12.123Z"),
        ("date_time_no_millis", "2024-01-05T10:11:12Z"),
        ("strict_date_time_no_millis", "2024-01-05T10:11:12Z"),
        ("date_hour_minute_second", "2024-01-05T10:11:12"),
        ("strict_date_hour_minute_second", "2024-01-05T10:11:12"),
        ("date_hour_minute_second_millis", "2024-01-05T10:11:12.123"),
        ("date_hour", "2024-01-05T10"),
        ("date_hour_minute", "2024-01-05T10:11"),
        ("year_month_day", "2024-01-05"),
        ("year_month", "2024-01"),
        ("year", "2024"),
        ("date_optional_time", "2024-01-05T10:11:12.123Z"),
        ("strict_date_optional_time_nanos", "2024-01-05T10:11:12.123Z"),
        ("week_date", "2024-W01-5"),
        ("ordinal_date", "2024-005"),
        ("epoch_second", "1704449472.123"),
    ],
)
def test_named_formats_round_trip(name: str, printed: str) -> None:
    instant = ms("2024-01-05T10:11:12.123Z")
    f = DateFormatter(name)
    assert f.format(instant) == printed
    reparsed = f.parse(printed)
    assert f.format(reparsed) == printed


def test_non_strict_named_formats_accept_short_fields() -> None:
    assert DateFormatter("date_optional_time").parse("2024-1-5") == ms("2024-01-05")
    with pytest.raises(EsError):
        DateFormatter("strict_date_optional_time").parse("2024-1-5")


def test_strict_year_does_not_swallow_epoch_numbers() -> None:
    f = get_formatter(DEFAULT_FORMAT)
    assert f.parse("20240105") == 20240105


def test_multi_format_tries_each_alternative_and_prints_with_first() -> None:
    f = DateFormatter("yyyy-MM-dd HH:mm:ss||yyyy/MM/dd")
    assert f.parse("2024-01-05 10:11:12") == ms("2024-01-05T10:11:12Z")
    assert f.parse("2024/01/05") == ms("2024-01-05")
    assert f.format(ms("2024-01-05T10:11:12Z")) == "2024-01-05 10:11:12"


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("dd/MM/yyyy", "05/01/2024", "2024-01-05T00:00:00.000Z"),
        ("d/M/yy", "5/1/24", "2024-01-05T00:00:00.000Z"),
        ("uuuu-MM-dd'T'HH:mm:ss.SSSXXX", "2024-01-05T10:11:12.123+01:00", "2024-01-05T09:11:12.123Z"),
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2024-01-05T10:11:12+0100", "2024-01-05T09:11:12.000Z"),
        ("yyyy-MM-dd'T'HH:mm:ssxxx", "2024-01-05T10:11:12-05:00", "2024-01-05T15:11:12.000Z"),
        ("yyyy-MM-dd'T'HH:mm:ssX", "2024-01-05T10:11:12Z", "2024-01-05T10:11:12.000Z"),
        ("MMM d, yyyy h:mm a", "Jan 5, 2024 1:02 PM", "2024-01-05T13:02:00.000Z"),
        ("MMMM d yyyy hh a", "january 5 2024 12 AM", "2024-01-05T00:00:00.000Z"),
        ("EEE, dd MMM yyyy HH:mm:ss", "Fri, 05 Jan 2024 10:11:12", "2024-01-05T10:11:12.000Z"),
        ("EEEE dd.MM.yyyy", "Friday 05.01.2024", "2024-01-05T00:00:00.000Z"),
        ("yyyy-MM-dd HH:mm:ss.S", "2024-01-05 10:11:12.5", "2024-01-05T10:11:12.500Z"),
        ("yyyyMMddHHmmss", "20240105101112", "2024-01-05T10:11:12.000Z"),
        ("yyyy-MM-dd['T'HH:mm]", "2024-01-05T10:11", "2024-01-05T10:11:00.000Z"),
        ("yyyy-MM-dd['T'HH:mm]", "2024-01-05", "2024-01-05T00:00:00.000Z"),
        ("'day' D 'of' yyyy", "day 36 of 2024", "2024-02-05T00:00:00.000Z"),
        ("HH 'o''clock' yyyy", "10 o'clock 2024", "2024-01-01T10:00:00.000Z"),
        ("yyyy-MM-dd VV", "2024-07-01 Europe/Paris", "2024-06-30T22:00:00.000Z"),
    ],
)
def test_custom_patterns_parse(pattern: str, text: str, expected: str) -> None:
    assert iso(DateFormatter(pattern).parse(text)) == expected


@pytest.mark.parametrize(
    ("pattern", "printed"),
    [
        ("yyyy-MM-dd HH:mm:ss", "2024-01-05 13:02:03"),
        ("dd/MM/yy", "05/01/24"),
        ("MMM d yyyy", "Jan 5 2024"),
        ("MMMM", "January"),
        ("EEE EEEE", "Fri Friday"),
        ("h:mm a", "1:02 PM"),
        ("hh:mm:ss.SSS", "01:02:03.004"),
        ("HH:mm:ss.SSSSSS", "13:02:03.004000"),
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2024-01-05T13:02:03+0000"),
        ("yyyy-MM-dd'T'HH:mm:ssXXX", "2024-01-05T13:02:03Z"),
        ("yyyy-MM-dd'T'HH:mm:ssxxx", "2024-01-05T13:02:03+00:00"),
        ("'Q'Q yyyy", "Q1 2024"),
        ("D", "5"),
    ],
)
def test_custom_patterns_print(pattern: str, printed: str) -> None:
    assert DateFormatter(pattern).format(ms("2024-01-05T13:02:03.004Z")) == printed


def test_printing_in_a_time_zone() -> None:
    instant = ms("2024-07-01T12:00:00Z")
    assert iso(instant, "+05:30") == "2024-07-01T17:30:00.000+05:30"
    assert iso(instant, NY) == "2024-07-01T08:00:00.000-04:00"
    assert iso(ms("2024-01-01T12:00:00Z"), NY) == "2024-01-01T07:00:00.000-05:00"
    assert DateFormatter("yyyy-MM-dd HH:mm Z").format(instant, "Europe/Paris") == "2024-07-01 14:00 +0200"
    assert DateFormatter("VV").format(instant, "Europe/Paris") == "Europe/Paris"


def test_time_zone_applies_only_to_zoneless_dates() -> None:
    f = get_formatter(DEFAULT_FORMAT)
    assert f.parse("2024-01-05T10:00:00", "+01:00") == ms("2024-01-05T09:00:00Z")
    assert f.parse("2024-01-05T10:00:00Z", "+01:00") == ms("2024-01-05T10:00:00Z")
    assert f.parse("2024-07-05T10:00:00", NY) == ms("2024-07-05T14:00:00Z")
    assert f.parse("1704067200000", NY) == 1704067200000
    # A wall time inside the spring-forward gap is shifted forward, like java.time.
    assert f.parse("2024-03-10T02:30:00", NY) == ms("2024-03-10T07:30:00Z")
    # An ambiguous wall time takes the earlier offset.
    assert f.parse("2024-11-03T01:30:00", NY) == ms("2024-11-03T05:30:00Z")


def test_years_outside_four_digits() -> None:
    far = ms("+12345-01-01T00:00:00Z")
    assert iso(far) == "+12345-01-01T00:00:00.000Z"
    old = ms("-0001-01-01T00:00:00Z")
    assert iso(old) == "-0001-01-01T00:00:00.000Z"
    assert iso(ms("1600-02-29")) == "1600-02-29T00:00:00.000Z"


@pytest.mark.parametrize("text", ["foo", "2024-02-30", "2024-13-01", "2024-01-05T25:00", "2024-01-05X"])
def test_parse_failure_is_illegal_argument_with_es_reason(text: str) -> None:
    with pytest.raises(EsError) as info:
        get_formatter(DEFAULT_FORMAT).parse(text)
    err = info.value
    assert err.status == 400
    assert err.type == "illegal_argument_exception"
    assert err.reason == f"failed to parse date field [{text}] with format [{DEFAULT_FORMAT}]"
    assert err.caused_by is not None and err.caused_by.type == "date_time_parse_exception"


def test_single_format_failure_explains_the_value() -> None:
    with pytest.raises(EsError) as info:
        DateFormatter("yyyy-MM-dd").parse("2023-02-29")
    assert info.value.caused_by is not None
    assert info.value.caused_by.reason == "Text '2023-02-29' could not be parsed: Invalid date 'FEBRUARY 29'"


def test_day_of_week_must_agree_with_the_date() -> None:
    with pytest.raises(EsError):
        DateFormatter("EEE yyyy-MM-dd").parse("Mon 2024-01-05")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("yyyy-MM-ddTHH", "Unknown pattern letter: T"),
        ("foo", "Unknown pattern letter: f"),
        ("yyyy-MM-dd'T", "Pattern ends with an incomplete string literal"),
        ("yyyy]", "Pattern invalid as it contains ] without previous ["),
        ("MMMMMM", "Too many pattern letters: M"),
    ],
)
def test_invalid_patterns(pattern: str, message: str) -> None:
    with pytest.raises(EsError) as info:
        DateFormatter(pattern)
    assert info.value.type == "illegal_argument_exception"
    assert info.value.reason is not None
    assert info.value.reason.startswith(f"Invalid format: [{pattern}]: {message}")


def test_get_formatter_is_cached() -> None:
    assert get_formatter("yyyy/MM/dd") is get_formatter("yyyy/MM/dd")


def test_resolve_time_zone() -> None:
    assert resolve_time_zone(None) == "Z"
    assert resolve_time_zone("+1") == "+01:00"
    assert resolve_time_zone("-0530") == "-05:30"
    assert resolve_time_zone("UTC") == "UTC"
    assert resolve_time_zone(NY) == NY
    for bad in ("Mars/Olympus", "+25:00", "not a zone"):
        with pytest.raises(EsError) as info:
            resolve_time_zone(bad)
        assert info.value.type == "illegal_argument_exception"


# --------------------------------------------------------------------------- date math

NOW = ms("2024-01-05T10:11:12.123Z")


@pytest.mark.parametrize(
    ("expr", "down", "up"),
    [
        ("now", "2024-01-05T10:11:12.123Z", "2024-01-05T10:11:12.123Z"),
        ("now-90d", "2023-10-07T10:11:12.123Z", "2023-10-07T10:11:12.123Z"),
        ("now+1h/d", "2024-01-05T00:00:00.000Z", "2024-01-05T23:59:59.999Z"),
        ("now/M", "2024-01-01T00:00:00.000Z", "2024-01-31T23:59:59.999Z"),
        ("now/y", "2024-01-01T00:00:00.000Z", "2024-12-31T23:59:59.999Z"),
        ("now/w", "2024-01-01T00:00:00.000Z", "2024-01-07T23:59:59.999Z"),
        ("now/h", "2024-01-05T10:00:00.000Z", "2024-01-05T10:59:59.999Z"),
        ("now/H", "2024-01-05T10:00:00.000Z", "2024-01-05T10:59:59.999Z"),
        ("now/m", "2024-01-05T10:11:00.000Z", "2024-01-05T10:11:59.999Z"),
        ("now/s", "2024-01-05T10:11:12.000Z", "2024-01-05T10:11:12.999Z"),
        ("now-1y+2M-3w+4d-5h+6m-7s", "2023-02-16T05:17:05.123Z", "2023-02-16T05:17:05.123Z"),
        ("2024-01-01||+1M/d", "2024-02-01T00:00:00.000Z", "2024-02-01T23:59:59.999Z"),
        ("2024-01-31||+1M", "2024-02-29T00:00:00.000Z", "2024-02-29T00:00:00.000Z"),
        ("2014-11-18||/M", "2014-11-01T00:00:00.000Z", "2014-11-30T23:59:59.999Z"),
        ("2024-01-05", "2024-01-05T00:00:00.000Z", "2024-01-05T23:59:59.999Z"),
    ],
)
def test_date_math_rounds_both_directions(expr: str, down: str, up: str) -> None:
    assert iso(parse_date_math(expr, NOW)) == down
    assert iso(parse_date_math(expr, NOW, round_up=True)) == up


def test_date_math_time_zone_affects_rounding_and_zoneless_anchor_but_not_now() -> None:
    now = ms("2024-03-10T12:00:00Z")
    assert iso(parse_date_math("now", now, tz=NY)) == "2024-03-10T12:00:00.000Z"
    assert iso(parse_date_math("now/d", now, tz=NY)) == "2024-03-10T05:00:00.000Z"
    # DST day in New York lasts 23 hours.
    assert iso(parse_date_math("now/d", now, tz=NY, round_up=True)) == "2024-03-11T03:59:59.999Z"
    assert iso(parse_date_math("2024-03-10||/d", tz=NY)) == "2024-03-10T05:00:00.000Z"
    assert iso(parse_date_math("2024-03-10T12:00:00Z||/d", tz="+01:00")) == "2024-03-09T23:00:00.000Z"
    # Adding a day keeps the wall-clock time across a DST change.
    assert iso(parse_date_math("2024-03-09T12:00:00||+1d", tz=NY)) == "2024-03-10T16:00:00.000Z"
    assert iso(parse_date_math("2024-03-09T12:00:00||+24h", tz=NY)) == "2024-03-10T17:00:00.000Z"


def test_date_math_uses_the_given_formatter() -> None:
    f = DateFormatter("dd/MM/yyyy")
    assert parse_date_math("05/01/2024||+1d", formatter=f) == ms("2024-01-06")


def test_now_defaults_to_the_clock() -> None:
    before = current_millis()
    value = parse_date_math("now")
    assert before <= value <= current_millis()
    assert abs(current_millis() - time.time() * 1000) < 1000


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("now/2d", "rounding `/` can only be used on single unit types [/2d]"),
        ("now+", "truncated date math [+]"),
        ("now+1", "truncated date math [+1]"),
        ("now*1d", "operator not supported for date math [*1d]"),
        ("now+1x", "unit [x] not supported for date math [+1x]"),
        ("", "cannot parse empty date"),
        ("||+1d", "cannot parse empty date"),
    ],
)
def test_bad_date_math_is_a_parse_exception(expr: str, reason: str) -> None:
    with pytest.raises(EsError) as info:
        parse_date_math(expr, NOW)
    assert (info.value.status, info.value.type, info.value.reason) == (400, "parse_exception", reason)


def test_unparseable_anchor_is_a_parse_exception_caused_by_illegal_argument() -> None:
    with pytest.raises(EsError) as info:
        parse_date_math("not-a-date||+1d")
    err = info.value
    inner = f"failed to parse date field [not-a-date] with format [{DEFAULT_FORMAT}]"
    assert err.type == "parse_exception"
    assert err.reason == f"{inner}: [{inner}]"
    assert err.caused_by is not None
    assert (err.caused_by.type, err.caused_by.reason) == ("illegal_argument_exception", inner)
    assert err.body()["error"]["root_cause"][0]["type"] == "parse_exception"


# --------------------------------------------------------------------------- range bounds


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("gt", "2014-11-30T23:59:59.999Z"),
        ("gte", "2014-11-01T00:00:00.000Z"),
        ("lt", "2014-11-01T00:00:00.000Z"),
        ("lte", "2014-11-30T23:59:59.999Z"),
    ],
)
def test_range_bound_rounding_rules(kind: str, expected: str) -> None:
    assert iso(range_bound("2014-11-18||/M", kind=kind, formatter=None)) == expected


def test_range_bound_fills_missing_fields_for_upper_rounding() -> None:
    f = get_formatter(DEFAULT_FORMAT)
    assert iso(range_bound("2024-01-05", kind="lte", formatter=f)) == "2024-01-05T23:59:59.999Z"
    assert iso(range_bound("2024-01-05", kind="gte", formatter=f)) == "2024-01-05T00:00:00.000Z"
    assert iso(range_bound("2024-01-05T10:11", kind="gt", formatter=f)) == "2024-01-05T10:11:59.999Z"
    # ES defaults a missing month/day to 01 even when rounding up.
    assert iso(range_bound("2024-01", kind="lte", formatter=f)) == "2024-01-01T23:59:59.999Z"
    assert range_bound(1704067200000, kind="lte", formatter=f) == 1704067200000
    sec = get_formatter("epoch_second")
    assert range_bound("1704067200", kind="lte", formatter=sec) == 1704067200999
    assert range_bound("1704067200", kind="gte", formatter=sec) == 1704067200000


def test_range_bound_with_time_zone_and_now() -> None:
    now = ms("2024-11-03T12:00:00Z")
    assert iso(range_bound("now/d", kind="gte", formatter=None, tz=NY, now_millis=now)) == "2024-11-03T04:00:00.000Z"
    assert iso(range_bound("now/d", kind="lt", formatter=None, tz=NY, now_millis=now)) == "2024-11-03T04:00:00.000Z"
    assert iso(range_bound("now/d", kind="lte", formatter=None, tz=NY, now_millis=now)) == "2024-11-04T04:59:59.999Z"


def test_range_bound_rejects_unknown_kind() -> None:
    with pytest.raises(EsError):
        range_bound("now", kind="eq", formatter=None)


# --------------------------------------------------------------------------- time values


@pytest.mark.parametrize(
    ("text", "millis"),
    [("1s", 1000), ("5m", 300_000), ("90d", 90 * 86_400_000), ("100ms", 100), ("2h", 7_200_000),
     ("3000000nanos", 3), ("2000micros", 2), ("10S", 10_000), ("0", 0), ("-1", -1), (" 7m ", 420_000)],
)  # fmt: skip
def test_parse_time_value(text: str, millis: int) -> None:
    assert parse_time_value(text) == millis


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1w", "failed to parse setting [interval] with value [1w] as a time value: unit is missing or unrecognized"),
        ("10", "failed to parse setting [interval] with value [10] as a time value: unit is missing or unrecognized"),
        ("1.5h", "failed to parse [1.5h], fractional time values are not supported"),
        ("abch", "failed to parse [abch]"),
        ("-5m", "failed to parse setting [interval] with value [-5m] as a time value: negative durations are not supported"),
    ],
)  # fmt: skip
def test_bad_time_values(text: str, reason: str) -> None:
    with pytest.raises(EsError) as info:
        parse_time_value(text, "interval")
    assert (info.value.type, info.value.reason) == ("illegal_argument_exception", reason)


def test_parse_offset() -> None:
    assert parse_offset("+6h") == 6 * 3_600_000
    assert parse_offset("-1d") == -86_400_000
    assert parse_offset("30m") == 1_800_000
    assert parse_offset(None) == 0
    assert parse_offset(1500) == 1500


# --------------------------------------------------------------------------- bucket rounding


def test_calendar_units_in_utc() -> None:
    t = ms("2024-05-15T13:45:30.500Z")
    cases = {
        "minute": "2024-05-15T13:45:00.000Z",
        "1h": "2024-05-15T13:00:00.000Z",
        "day": "2024-05-15T00:00:00.000Z",
        "1w": "2024-05-13T00:00:00.000Z",
        "month": "2024-05-01T00:00:00.000Z",
        "1q": "2024-04-01T00:00:00.000Z",
        "year": "2024-01-01T00:00:00.000Z",
    }
    for unit, expected in cases.items():
        assert iso(DateRounding.calendar(unit).round(t)) == expected, unit
    r = DateRounding.calendar("1M")
    assert iso(r.next(ms("2024-01-01"))) == "2024-02-01T00:00:00.000Z"
    assert iso(DateRounding.calendar("quarter").next(ms("2024-10-01"))) == "2025-01-01T00:00:00.000Z"
    assert iso(DateRounding.calendar("week").round(ms("2024-01-07T23:00:00Z"))) == "2024-01-01T00:00:00.000Z"


def test_calendar_day_buckets_follow_dst_in_new_york() -> None:
    day = DateRounding.calendar("day", NY)
    spring = day.round(ms("2024-03-10T12:00:00Z"))
    assert iso(spring, NY) == "2024-03-10T00:00:00.000-05:00"
    assert day.next(spring) - spring == 23 * 3_600_000
    fall = day.round(ms("2024-11-03T12:00:00Z"))
    assert iso(fall, NY) == "2024-11-03T00:00:00.000-04:00"
    assert day.next(fall) - fall == 25 * 3_600_000
    assert iso(day.round(ms("2024-11-03T03:59:59.999Z")), NY) == "2024-11-02T00:00:00.000-04:00"


def test_calendar_hour_buckets_split_the_repeated_hour() -> None:
    hour = DateRounding.calendar("hour", NY)
    first = hour.round(ms("2024-11-03T05:30:00Z"))
    second = hour.round(ms("2024-11-03T06:30:00Z"))
    assert iso(first, NY) == "2024-11-03T01:00:00.000-04:00"
    assert iso(second, NY) == "2024-11-03T01:00:00.000-05:00"
    assert hour.next(first) == second
    assert iso(hour.round(ms("2024-03-10T07:10:00Z")), NY) == "2024-03-10T03:00:00.000-04:00"


def test_day_starting_inside_a_dst_gap_starts_at_the_transition() -> None:
    sao = "America/Sao_Paulo"
    day = DateRounding.calendar("day", sao)
    key = day.round(ms("2018-11-04T12:00:00Z"))
    assert iso(key, sao) == "2018-11-04T01:00:00.000-02:00"
    assert iso(day.next(day.round(ms("2018-11-03T12:00:00Z")))) == iso(key)


def test_fixed_intervals() -> None:
    r = DateRounding.fixed("90m")
    assert iso(r.round(ms("2024-01-05T02:59:00Z"))) == "2024-01-05T01:30:00.000Z"
    assert r.next(ms("2024-01-05T01:30:00Z")) == ms("2024-01-05T03:00:00Z")
    assert DateRounding.fixed("500ms").round(1_234) == 1_000
    assert DateRounding.fixed("10s").round(-1) == -10_000
    assert iso(DateRounding.fixed("30d").round(ms("1970-02-15"))) == "1970-01-31T00:00:00.000Z"
    # Fixed intervals align in local time: a 12h bucket is 11h long on a DST start.
    oslo = DateRounding.fixed("12h", "Europe/Oslo")
    key = oslo.round(ms("2016-03-27T05:00:00Z"))
    assert iso(key, "Europe/Oslo") == "2016-03-27T00:00:00.000+01:00"
    assert oslo.next(key) - key == 11 * 3_600_000
    assert iso(DateRounding.fixed("1d", "+05:30").round(ms("2024-01-05T20:00:00Z"))) == "2024-01-05T18:30:00.000Z"


def test_offsets_shift_bucket_boundaries() -> None:
    r = DateRounding.calendar("day", offset="+6h")
    assert iso(r.round(ms("2024-01-05T03:00:00Z"))) == "2024-01-04T06:00:00.000Z"
    assert iso(r.next(ms("2024-01-04T06:00:00Z"))) == "2024-01-05T06:00:00.000Z"
    f = DateRounding.fixed("1h", offset="-15m")
    assert iso(f.round(ms("2024-01-05T03:50:00Z"))) == "2024-01-05T03:45:00.000Z"


def test_rounding_errors() -> None:
    with pytest.raises(EsError) as info:
        DateRounding.calendar("2d")
    assert info.value.reason == "The supplied interval [2d] could not be parsed as a calendar interval."
    with pytest.raises(EsError) as info:
        DateRounding.fixed("1w")
    assert info.value.reason == (
        "failed to parse setting [date_histogram.fixedInterval] with value [1w] as a time value: "
        "unit is missing or unrecognized"
    )
    with pytest.raises(EsError) as info:
        DateRounding.fixed("0ms")
    assert info.value.reason == "Zero or negative time interval not supported"
    with pytest.raises(EsError):
        DateRounding.calendar("day", "Nowhere/Land")


ROUNDINGS = [
    ("fixed", "90m", None),
    ("fixed", "500ms", None),
    ("fixed", "7d", None),
    ("calendar", "minute", None),
    ("calendar", "hour", None),
    ("calendar", "day", None),
    ("calendar", "week", None),
    ("calendar", "month", None),
    ("calendar", "quarter", None),
    ("calendar", "year", None),
    ("calendar", "day", NY),
    ("calendar", "hour", NY),
    ("calendar", "week", NY),
    ("calendar", "month", NY),
    ("calendar", "year", "Europe/Paris"),
    ("calendar", "day", "America/Sao_Paulo"),
    ("calendar", "day", "Australia/Lord_Howe"),
    ("calendar", "month", "+05:30"),
    ("fixed", "90m", NY),
    ("fixed", "12h", "Europe/Oslo"),
    ("fixed", "1d", "Asia/Kathmandu"),
]


def _random_instants(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    wide = rng.integers(-3 * 10**12, 4 * 10**12, 3000)
    recent = rng.integers(1_500_000_000_000, 1_800_000_000_000, 3000)
    # Instants near DST transitions in New York (2024) and Oslo (2016).
    near = [ms(t) for t in ("2024-03-10T07:00:00Z", "2024-11-03T06:00:00Z", "2016-03-27T01:00:00Z")]
    close = np.concatenate([rng.integers(t - 7_200_000, t + 7_200_000, 500) for t in near])
    return np.concatenate([wide, recent, close, np.array([0, -1, 1], dtype=np.int64)])


@pytest.mark.parametrize(("kind", "interval", "tz"), ROUNDINGS)
def test_round_many_matches_scalar_round(kind: str, interval: str, tz: str | None) -> None:
    rounding = getattr(DateRounding, kind)(interval, tz)
    values = _random_instants(len(interval) + len(tz or ""))
    keys = rounding.round_many(values)
    assert keys.dtype == np.int64
    for value, key in zip(values.tolist(), keys.tolist(), strict=True):
        assert key == rounding.round(value)
        assert key <= value
        assert rounding.round(key) == key


@pytest.mark.parametrize(("kind", "interval", "tz"), ROUNDINGS[:11] + [("calendar", "month", NY)])
def test_next_walks_every_bucket_key(kind: str, interval: str, tz: str | None) -> None:
    rounding = getattr(DateRounding, kind)(interval, tz)
    rng = np.random.default_rng(7)
    span = {"500ms": 60_000, "90m": 30 * 86_400_000, "minute": 86_400_000}.get(interval, 5 * 10**10)
    start = ms("2024-01-01T00:00:00Z")
    values = rng.integers(start, start + span, 2000)
    keys = set(rounding.round_many(values).tolist())
    walked = set()
    key = rounding.round(int(values.min()))
    while key <= values.max():
        walked.add(key)
        nxt = rounding.next(key)
        assert nxt > key
        key = nxt
    assert keys <= walked


def test_round_many_with_offset_and_empty_input() -> None:
    r = DateRounding.calendar("month", "Europe/Paris", offset="+1d")
    values = _random_instants(3)
    assert r.round_many(values).tolist() == [r.round(v) for v in values.tolist()]
    assert r.round_many(np.array([], dtype=np.int64)).size == 0


