"""How aggregation keys and values are printed: ES's DocValueFormat (raw, date, boolean, ip, decimal).

Numbers print as Java's `Double.toString`, custom `format` patterns follow `java.text.DecimalFormat`
(half-even rounding), dates use the engine's date formatter in the requested time zone.
"""

from __future__ import annotations

import ipaddress
import math
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np

from ..dates import DEFAULT_FORMAT, get_formatter, parse_date_math
from ..errors import EsError, illegal_argument


def java_double(value: float) -> str:
    """Java's Double.toString: shortest repr, decimal for 1e-3 <= |x| < 1e7, else `d.dddE±n`."""
    x = float(value)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    digits_tuple = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(str(d) for d in digits_tuple.digits).rstrip("0") or "0"
    # exponent of the first digit: value = 0.d1d2... * 10^(point)
    exp10 = len(digits_tuple.digits) + int(digits_tuple.exponent) - 1
    ax = abs(x)
    if 1e-3 <= ax < 1e7:
        if exp10 >= 0:
            int_part = digits[: exp10 + 1].ljust(exp10 + 1, "0")
            frac = digits[exp10 + 1:] or "0"
        else:
            int_part = "0"
            frac = "0" * (-exp10 - 1) + digits
        return f"{sign}{int_part}.{frac}"
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{sign}{mantissa}E{exp10}"


def java_number(value: float, integral: bool = False) -> str:
    """A number as ES prints it in a string key: longs as integers, doubles as Java doubles."""
    if integral and float(value).is_integer():
        return str(int(value))
    return java_double(value)


# ---- java.text.DecimalFormat -----------------------------------------------------------------------
class DecimalFormat:
    """The subset of java.text.DecimalFormat that ES users write: 0 # , . % E prefixes/suffixes."""

    _SPECIAL = set("0#,.%E‰-")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        positive, _, negative = pattern.partition(";")
        self.pos = self._parse(positive)
        self.neg_prefix, self.neg_suffix = None, None
        if negative:
            neg = self._parse(negative)
            self.neg_prefix, self.neg_suffix = neg["prefix"], neg["suffix"]

    def _parse(self, pattern: str) -> dict[str, Any]:
        i = 0
        prefix = []
        while i < len(pattern) and pattern[i] not in "0#,.":
            if pattern[i] == "'":
                end = pattern.find("'", i + 1)
                prefix.append(pattern[i + 1:end] if end > i + 1 else "'")
                i = end + 1 if end > 0 else len(pattern)
                continue
            prefix.append(pattern[i])
            i += 1
        start = i
        while i < len(pattern) and (pattern[i] in "0#,." or (pattern[i] == "E" and i > start)):
            if pattern[i] == "E":
                i += 1
                while i < len(pattern) and pattern[i] == "0":
                    i += 1
                break
            i += 1
        number = pattern[start:i]
        suffix = pattern[i:].replace("'", "")
        prefix_text = "".join(prefix)
        mantissa, _, exponent = number.partition("E")
        int_part, _, frac_part = mantissa.partition(".")
        grouping = 0
        if "," in int_part:
            grouping = len(int_part) - int_part.rfind(",") - 1
        int_digits = int_part.replace(",", "")
        if not number:
            raise illegal_argument(f"Malformed pattern \"{pattern}\"")
        return {
            "prefix": prefix_text,
            "suffix": suffix,
            "min_int": int_digits.count("0"),
            "max_int": len(int_digits) if exponent else 10**9,
            "min_frac": frac_part.count("0"),
            "max_frac": len(frac_part),
            "grouping": grouping,
            "exponent": len(exponent) if exponent else 0,
            "percent": "%" in prefix_text + suffix,
            "permille": "‰" in prefix_text + suffix,
        }

    def format(self, value: float) -> str:
        p = self.pos
        x = float(value)
        if math.isnan(x):
            return "NaN"
        negative = x < 0
        if math.isinf(x):
            body = "∞"
        else:
            d = Decimal(repr(abs(x)))
            if p["percent"]:
                d *= 100
            elif p["permille"]:
                d *= 1000
            body = self._body(d, p)
        if negative:
            if self.neg_prefix is not None:
                return f"{self.neg_prefix}{body}{self.neg_suffix}"
            return f"-{p['prefix']}{body}{p['suffix']}"
        return f"{p['prefix']}{body}{p['suffix']}"

    @staticmethod
    def _body(d: Decimal, p: dict[str, Any]) -> str:
        exp_text = ""
        if p["exponent"]:
            if d == 0:
                exponent = 0
            else:
                exponent = d.adjusted() - (max(p["min_int"], 1) - 1)
            d = d.scaleb(-exponent)
            exp_text = "E" + ("-" if exponent < 0 else "") + str(abs(exponent)).rjust(p["exponent"], "0")
        quantum = Decimal(1).scaleb(-p["max_frac"])
        rounded = d.quantize(quantum, rounding=ROUND_HALF_EVEN)
        text = f"{rounded:f}"
        int_part, _, frac = text.partition(".")
        frac = frac.rstrip("0")
        if len(frac) < p["min_frac"]:
            frac = frac.ljust(p["min_frac"], "0")
        int_part = int_part.lstrip("0")
        if len(int_part) < p["min_int"]:
            int_part = int_part.rjust(p["min_int"], "0")
        if p["grouping"] and len(int_part) > p["grouping"]:
            g = p["grouping"]
            head = len(int_part) % g or g
            groups = [int_part[:head]] + [int_part[i:i + g] for i in range(head, len(int_part), g)]
            int_part = ",".join(groups)
        if not int_part and not frac:
            int_part = "0"
        return (int_part + ("." + frac if frac else "")) + exp_text

    def parse(self, text: str) -> float:
        p = self.pos
        t = text.strip()
        negative = False
        if self.neg_prefix and t.startswith(self.neg_prefix) and t.endswith(self.neg_suffix or ""):
            negative = True
            t = t[len(self.neg_prefix): len(t) - len(self.neg_suffix or "")]
        elif t.startswith("-"):
            negative = True
            t = t[1:]
        if p["prefix"] and t.startswith(p["prefix"]):
            t = t[len(p["prefix"]):]
        if p["suffix"] and t.endswith(p["suffix"]):
            t = t[: len(t) - len(p["suffix"])]
        t = t.replace(",", "")
        try:
            value = float(t)
        except ValueError:
            raise illegal_argument(f"Cannot parse value [{text}] with format [{self.pattern}]") from None
        if p["percent"]:
            value /= 100
        return -value if negative else value


# ---- DocValueFormat ------------------------------------------------------------------------------
class DocValueFormat:
    """How one field's values print in aggregation responses."""

    raw = True
    name = "raw"

    def format(self, value: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return str(int(value))
        return java_double(value)

    def format_key(self, value: Any, integral: bool) -> str:
        if isinstance(value, str):
            return value
        return java_number(value, integral)

    def parse(self, value: Any) -> float:
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        try:
            return float(value)
        except (TypeError, ValueError):
            raise EsError(400, "number_format_exception", f'For input string: "{value}"') from None

    def __repr__(self) -> str:
        return self.name


RAW = DocValueFormat()


class DateFormat(DocValueFormat):
    raw = False
    name = "date_time"

    def __init__(self, pattern: str | None = None, tz: str | None = None) -> None:
        self.pattern = pattern or DEFAULT_FORMAT
        self.formatter = get_formatter(self.pattern)
        self.tz = tz

    def format(self, value: Any) -> str:
        return self.formatter.format(int(math.floor(float(value))), self.tz)

    def format_key(self, value: Any, integral: bool) -> str:
        return self.format(value)

    def parse(self, value: Any, now: int | None = None, round_up: bool = False) -> float:
        return float(parse_date_math(value, now, round_up=round_up, tz=self.tz, formatter=self.formatter))

    def __repr__(self) -> str:
        return self.pattern


class BooleanFormat(DocValueFormat):
    raw = False
    name = "bool"

    def format(self, value: Any) -> str:
        return "true" if float(value) != 0 else "false"

    def format_key(self, value: Any, integral: bool) -> str:
        return self.format(value)

    def parse(self, value: Any) -> float:
        if value in (True, "true"):
            return 1.0
        if value in (False, "false", ""):
            return 0.0
        try:
            return 1.0 if float(value) != 0 else 0.0
        except (TypeError, ValueError):
            raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.") from None


class IpFormat(DocValueFormat):
    raw = False
    name = "ip"

    def format(self, value: Any) -> str:
        return str(value)

    def format_key(self, value: Any, integral: bool) -> str:
        return str(value)


class NumberFormat(DocValueFormat):
    """A user `format` pattern on a numeric field (java.text.DecimalFormat)."""

    raw = False
    name = "decimal"

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.decimal = DecimalFormat(pattern)

    def format(self, value: Any) -> str:
        return self.decimal.format(float(value))

    def format_key(self, value: Any, integral: bool) -> str:
        return self.format(value)

    def parse(self, value: Any) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        return self.decimal.parse(str(value))

    def __repr__(self) -> str:
        return self.pattern


def ip_sort_key(text: str) -> bytes:
    """ES orders IPs by their 16-byte (IPv4-mapped) representation."""
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return b"\xff" * 16 + text.encode()
    if addr.version == 4:
        return b"\x00" * 10 + b"\xff\xff" + addr.packed
    return addr.packed


def ip_to_int(text: str) -> int:
    return int.from_bytes(ip_sort_key(text)[:16], "big")


_NUMERIC_PATTERN = re.compile(r"^[^0#]*[0#,.]+.*$")


def for_field(ftype: str | None, fmt: str | None, field_format: str | None = None, tz: str | None = None
              ) -> DocValueFormat:
    """The DocValueFormat ES picks for a field type and an optional user `format`."""
    if ftype in ("date", "date_nanos"):
        return DateFormat(fmt or field_format, tz)
    if ftype == "boolean":
        return BooleanFormat()
    if ftype == "ip":
        return IpFormat()
    if fmt is not None and ftype not in ("keyword", "text", "constant_keyword", "wildcard", "flattened",
                                         "version", "string"):
        return NumberFormat(fmt)
    return RAW
