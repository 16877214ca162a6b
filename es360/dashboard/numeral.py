"""Numeral patterns as Kibana formats them (@elastic/numeral 2.x, Kibana's default locale `en`).

Kibana's number, currency, percent and bytes field formats (and Lens' own formats) all hand a
pattern to that library. It knows a fixed set of tokens and silently drops every other character:

- `$` is the *locale's* currency symbol (`$` under `en`, `€` under `de` or `fr`...), placed
  before or after the number as in the pattern, with a space if the pattern has one;
- `%` multiplies by 100 and appends `%`; `b`/`bb`/`bd` scale to byte units; `:` prints h:mm:ss;
- `(…)` wraps negatives in parentheses, `+` signs positives, `a` abbreviates (k, m, b, t),
  `o` appends an ordinal, `,` groups thousands, `.00` fixes decimals, `.[00]` makes them optional;
- any other character (`€`, `EUR`, letters, spaces) is not printed; after the decimal point it
  still counts as a decimal place (`0,0.00 €` gives four decimals and no euro sign).

So no pattern shows euros whatever the Kibana locale: es360 formats amounts without a symbol and
says EUR in labels and Lens suffixes (see kibana/README.md).
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, Decimal

CURRENCY_SYMBOL = "$"  # the `en` locale's, Kibana's default `format:number:defaultLocale`
_ABBREVIATIONS = ((12, "t"), (9, "b"), (6, "m"), (3, "k"))
_BYTE_UNITS = {
    "binary": ["B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"],
    "binary_standard": ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"],
    "decimal": ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"],
}


def numeral(value: float | None, pattern: str) -> str:
    """`value` formatted with a numeral.js pattern exactly as Kibana prints it (`-` for no value)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    value = float(value)
    if "$" in pattern:
        return _currency(value, pattern)
    if "%" in pattern:
        stripped, space = _strip_token(pattern, "%")
        return _with_unit(_number(value * 100, stripped), space + "%")
    if ":" in pattern:
        return _time(value)
    if "b" in pattern:
        return _bytes(value, pattern)
    return _number(value, pattern)


def _strip_token(pattern: str, token: str) -> tuple[str, str]:
    """The pattern without its first `token` (and a space just before it), and that space or ''."""
    if f" {token}" in pattern:
        return pattern.replace(f" {token}", "", 1), " "
    return pattern.replace(token, "", 1), ""


def _with_unit(output: str, unit: str) -> str:
    """`unit` after the number, inside the closing parenthesis of a negative in parentheses."""
    return f"{output[:-1]}{unit})" if ")" in output else output + unit


def _currency(value: float, pattern: str) -> str:
    symbol_at, paren_at, minus_at = pattern.find("$"), pattern.find("("), pattern.find("-")
    space = " " if (" $" in pattern or "$ " in pattern) else ""
    stripped = pattern.replace(" $", "", 1) if " $" in pattern else (
        pattern.replace("$ ", "", 1) if "$ " in pattern else pattern.replace("$", "", 1))
    output = _number(value, stripped)
    if symbol_at <= 1:
        if "(" in output or "-" in output:
            at = 0 if (symbol_at < paren_at or symbol_at < minus_at) else 1
            return output[:at] + CURRENCY_SYMBOL + space + output[at:]
        return CURRENCY_SYMBOL + space + output
    return _with_unit(output, space + CURRENCY_SYMBOL)


def _bytes(value: float, pattern: str) -> str:
    kind, base = "binary", 1024
    for token, token_kind, token_base in (("bd", "decimal", 1000), ("bb", "binary_standard", 1024), ("b", "binary", 1024)):
        if token in pattern:
            pattern, space = _strip_token(pattern, token)
            kind, base = token_kind, token_base
            break
    units = _BYTE_UNITS[kind]
    power = 0
    while abs(value) >= base ** (power + 1) and power < len(units) - 1:
        power += 1
    return _number(value / base ** power, pattern) + space + units[power]


def _time(value: float) -> str:
    """`h:mm:ss` of a number of seconds (numeral's time format ignores the rest of the pattern)."""
    seconds = abs(value)
    hours = int(seconds // 3600)
    minutes = int((seconds - hours * 3600) // 60)
    rest = int(Decimal(repr(seconds - hours * 3600 - minutes * 60)).to_integral_value())
    return f"{'-' if value < 0 else ''}{hours}:{minutes:02d}:{rest:02d}"


def _ordinal(value: float) -> str:
    number = int(value)
    if number % 100 // 10 == 1:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


def _to_fixed(value: float, max_decimals: int, optionals: int = 0) -> str:
    """numeral's toFixed: round half up at the smallest precision the value needs, trim optional zeros."""
    text = repr(value)
    min_decimals = max_decimals - optionals
    given = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    precision = min(max(given, min_decimals), max_decimals)
    scaled = (Decimal(text) * (Decimal(10) ** precision) + Decimal("0.5")).to_integral_value(ROUND_FLOOR)
    output = f"{scaled / (Decimal(10) ** precision):.{precision}f}"
    trim = optionals - (max_decimals - precision)
    if trim > 0:
        decimals = output.split(".")[1] if "." in output else ""
        kept = decimals.rstrip("0") if len(decimals) - len(decimals.rstrip("0")) <= trim else decimals[:len(decimals) - trim]
        output = output.split(".")[0] + (f".{kept}" if kept else "")
    return output


def _number(value: float, pattern: str) -> str:
    """numeral's formatNumber: only its tokens print; every other character of the pattern is dropped."""
    parens = signed = optional_point = False
    abbreviation = ordinal = ""
    if "(" in pattern:
        parens, pattern = True, pattern[1:-1]
    elif "+" in pattern:
        signed, pattern = True, pattern.replace("+", "")
    if "a" in pattern:
        pattern, abbreviation = _strip_token(pattern, "a")
        for exponent, letter in _ABBREVIATIONS:
            if abs(value) >= 10 ** exponent:
                abbreviation, value = abbreviation + letter, value / 10 ** exponent
                break
    if "o" in pattern:
        pattern, ordinal = _strip_token(pattern, "o")
        ordinal += _ordinal(value)
    if "[.]" in pattern:
        optional_point, pattern = True, pattern.replace("[.]", ".", 1)
    exponent_form = abs(value) >= 1e21 or (0 < abs(value) < 1e-6)
    precision = pattern.split(".")[1] if "." in pattern else ""
    fraction = ""
    if precision and not exponent_form:
        if "[" in precision:
            required, _, optional = precision.replace("]", "", 1).partition("[")
            fixed = _to_fixed(value, len(required) + len(optional), len(optional))
        else:
            fixed = _to_fixed(value, len(precision))
        whole, _, digits = fixed.partition(".")
        fraction = f".{digits}" if digits else ""
        if optional_point and not any(ch not in "0" for ch in digits):
            fraction = ""
    else:
        whole = repr(value) if exponent_form else _to_fixed(value, 0)
    negative = whole.startswith("-")
    whole = whole.lstrip("-")
    if "," in pattern and not exponent_form:
        whole = f"{int(whole):,}"
    if pattern.startswith("."):
        whole = ""
    sign = "(" if parens and negative else "-" if negative else "+" if signed else ""
    return f"{sign}{whole}{fraction}{ordinal}{abbreviation}{')' if parens and negative else ''}"
