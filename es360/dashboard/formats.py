"""Value formatting as Kibana shows it: numeral.js-style patterns, Lens column formats, data view formats.

Precedence, as in Lens: the column's own `params.format`, then the data view's `fieldFormatMap` for
the column's field (not for counts), then Kibana's default number pattern `0,0.[000]`. Patterns
are printed as Kibana prints them (`numeral.py`); a Lens `suffix` is appended to the number.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from es360.dashboard.numeral import numeral

DEFAULT_NUMBER = "0,0.[000]"
DEFAULT_PERCENT = "0,0.[000]%"
DEFAULT_BYTES = "0,0.[0]b"
DEFAULT_CURRENCY = "($0,0.[00])"

__all__ = ["Formatter", "format_date", "numeral"]


def _lens_pattern(fmt: dict[str, Any]) -> str | None:
    params = fmt.get("params") or {}
    kind = fmt.get("id")
    if params.get("pattern"):
        return str(params["pattern"])
    if kind in ("number", "percent", "bytes", "bits", "currency") and "decimals" in params:
        decimals = int(params["decimals"])
        core = "0,0" + ("." + "0" * decimals if decimals > 0 else "")
        if params.get("compact"):
            core += "a"
        return {"number": core, "percent": core + "%", "bytes": core + "b", "bits": core + "b",
                "currency": "$" + core}[kind]
    return {"number": DEFAULT_NUMBER, "percent": DEFAULT_PERCENT, "bytes": DEFAULT_BYTES,
            "bits": DEFAULT_BYTES, "currency": DEFAULT_CURRENCY}.get(str(kind))


class Formatter:
    """Formats one column's values (numbers, dates, strings)."""

    def __init__(self, column: Any, field_formats: dict[str, Any] | None = None) -> None:
        self.column = column
        self.pattern = DEFAULT_NUMBER
        self.suffix = ""
        fmt = getattr(column, "format", None)
        counted = getattr(column, "operation", "") in ("count", "unique_count")
        if not fmt and not counted and field_formats and getattr(column, "field", None) in field_formats:
            fmt = field_formats[column.field]
        if isinstance(fmt, dict):
            self.pattern = _lens_pattern(fmt) or DEFAULT_NUMBER
            self.suffix = str((fmt.get("params") or {}).get("suffix") or "")

    def number(self, value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, bool):
            return str(value).lower()
        if not isinstance(value, int | float):
            return str(value)
        return numeral(value, self.pattern) + self.suffix

    def __call__(self, value: Any, interval_ms: int | None = None) -> str:
        if value is None:
            return "-"
        if getattr(self.column, "data_type", "") == "date" and isinstance(value, int | float):
            return format_date(value, interval_ms)
        if getattr(self.column, "is_bucket", False) and not isinstance(value, int | float):
            return str(value)
        if isinstance(value, list):
            return ", ".join(self(v) for v in value)
        return self.number(value)


def format_date(epoch_ms: float, interval_ms: int | None = None) -> str:
    """A date label as precise as the histogram interval needs."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    step = interval_ms or 86_400_000
    if step >= 365 * 86_400_000:
        return moment.strftime("%Y")
    if step >= 28 * 86_400_000:
        return moment.strftime("%b %Y")
    if step >= 86_400_000:
        return moment.strftime("%Y-%m-%d")
    if step >= 60_000:
        return moment.strftime("%m-%d %H:%M")
    return moment.strftime("%H:%M:%S")
