"""Ingest processors (ES 8.x semantics and error messages) and their registry `FACTORIES`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import ipaddress
import math
import re
import struct
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import orjson

from .. import dates
from ..errors import EsError
from ..mapping import iso_millis, note_printed_date
from ..painless import compile_script
from ..painless.runtime import (
    class_name,
    compare,
    java_eq,
    java_regex,
    java_replacement,
    java_split,
    java_str,
)
from .document import IngestDocument, deep_copy
from .mustache import JSON, Template
from .pipeline import MISSING, Config, Node, Processor, Runner, read_processor

FACTORIES: dict[str, Callable[[Any, Config], Processor]] = {}


def register(name: str) -> Callable[[Callable[[Any, Config], Processor]], Callable[[Any, Config], Processor]]:
    def deco(fn: Callable[[Any, Config], Processor]) -> Callable[[Any, Config], Processor]:
        FACTORIES[name] = fn
        return fn
    return deco


def iae(message: str, cause: EsError | None = None) -> EsError:
    return EsError(400, "illegal_argument_exception", message, caused_by=cause)


def render(template: Template, doc: IngestDocument) -> str:
    if template.is_plain:
        return template.source
    return template.render_doc(doc.data, doc.ingest)


# ---------------------------------------------------------------------------------------------- values
class ValueSource:
    """A `value` option: constants, templated strings, and lists/maps of those."""

    __slots__ = ("kind", "value", "constant")

    def __init__(self, value: Any, cfg: Config, media_type: str = JSON) -> None:
        if isinstance(value, str):
            if "{{" in value:
                self.kind, self.value = "template", cfg.compile("value", value, media_type)
            else:
                self.kind, self.value = "const", value
        elif isinstance(value, list):
            self.kind, self.value = "list", [ValueSource(v, cfg, media_type) for v in value]
        elif isinstance(value, dict):
            self.kind, self.value = "map", {k: ValueSource(v, cfg, media_type) for k, v in value.items()}
        else:
            self.kind, self.value = "const", value
        # a list or map without templates anywhere resolves to itself (callers copy lists and maps)
        self.constant = self.kind in ("list", "map") and not _has_template(self)

    @property
    def templated(self) -> bool:
        return self.kind == "template"

    def resolve(self, doc: IngestDocument, model: dict[str, Any] | None = None) -> Any:
        kind = self.kind
        if kind == "const":
            return self.value
        if self.constant:
            return _constant_value(self)
        if kind == "template" and model is None:
            return self.value.render_doc(doc.data, doc.ingest)
        if model is None:
            model = doc.model()
        if kind == "template":
            return self.value.render(model)
        if kind == "list":
            return [v.resolve(doc, model) for v in self.value]
        return {k: v.resolve(doc, model) for k, v in self.value.items()}


def _has_template(source: ValueSource) -> bool:
    if source.kind == "template":
        return True
    if source.kind == "list":
        return any(_has_template(v) for v in source.value)
    if source.kind == "map":
        return any(_has_template(v) for v in source.value.values())
    return False


def _constant_value(source: ValueSource) -> Any:
    """The plain value of a template-free ValueSource (fresh lists and maps, as `resolve` builds them)."""
    if source.kind == "list":
        return [_constant_value(v) for v in source.value]
    if source.kind == "map":
        return {k: _constant_value(v) for k, v in source.value.items()}
    return source.value


# ---------------------------------------------------------------------------------------------- set family
class SetProcessor(Processor):
    type = "set"

    def __init__(self, field: Template, value: ValueSource | None, copy_from: str | None, override: bool,
                 ignore_empty: bool) -> None:
        super().__init__(None, None)
        self.field, self.value, self.copy_from = field, value, copy_from
        self.override, self.ignore_empty = override, ignore_empty

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        path = self.field.source if self.field.is_plain else render(self.field, doc)
        if not self.override and doc.present_value(path) is not None:
            return doc
        if self.copy_from is not None:
            value = deep_copy(doc.get(self.copy_from, self.ignore_empty))
            if self.ignore_empty and (value is None or value == ""):
                return doc
        else:
            assert self.value is not None
            value = self.value.resolve(doc)
            if self.ignore_empty and self.value.templated and (value is None or value == ""):
                return doc
            if self.value.kind in ("list", "map"):
                value = deep_copy(value)
        doc.set(path, value)
        return doc


@register("set")
def _set(service: Any, cfg: Config) -> Processor:
    field = cfg.template("field")
    copy_from = cfg.string("copy_from", None)
    media_type = cfg.media_type()
    value: ValueSource | None = None
    if copy_from is not None:
        if cfg.cfg.get("value") is not None:
            raise cfg.error("copy_from", "cannot set both `copy_from` and `value` in the same processor")
    else:
        value = ValueSource(cfg.obj("value"), cfg, media_type)
    return SetProcessor(field, value, copy_from, cfg.boolean("override", True), cfg.boolean("ignore_empty_value"))


class AppendProcessor(Processor):
    type = "append"

    def __init__(self, field: Template, value: ValueSource | None, copy_from: str | None, allow_dup: bool,
                 ignore_empty: bool) -> None:
        super().__init__(None, None)
        self.field, self.value, self.copy_from, self.allow_dup = field, value, copy_from, allow_dup
        self.ignore_empty = ignore_empty

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        path = render(self.field, doc)
        if self.copy_from is not None:
            value = deep_copy(doc.get(self.copy_from))
        else:
            assert self.value is not None
            value = deep_copy(self.value.resolve(doc))
        if self.ignore_empty:
            if value is None or value == "":
                return doc
            if isinstance(value, list):
                value = [v for v in value if v is not None and v != ""]
                if not value:
                    return doc
        doc.append(path, value, self.allow_dup)
        return doc


@register("append")
def _append(service: Any, cfg: Config) -> Processor:
    field = cfg.template("field")
    copy_from = cfg.string("copy_from", None)
    media_type = cfg.media_type()
    value = None
    if copy_from is not None:
        if cfg.cfg.get("value") is not None:
            raise cfg.error("copy_from", "cannot set both `copy_from` and `value` in the same processor")
    else:
        value = ValueSource(cfg.obj("value"), cfg, media_type)
    return AppendProcessor(field, value, copy_from, cfg.boolean("allow_duplicates", True),
                           cfg.boolean("ignore_empty_values", False))


class RemoveProcessor(Processor):
    type = "remove"

    def __init__(self, fields: list[Template], keep: list[Template], ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.fields, self.keep, self.ignore_missing = fields, keep, ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        if self.keep:
            keep = [render(t, doc) for t in self.keep]
            for key in list(doc.source()):
                if not any(k == key or k.startswith(key + ".") for k in keep):
                    doc.remove(key)
            return doc
        for template in self.fields:
            path = template.source if template.is_plain else render(template, doc)
            if self.ignore_missing:
                if doc.has(path):
                    doc.remove(path)
            else:
                doc.remove(path)
        return doc


@register("remove")
def _remove(service: Any, cfg: Config) -> Processor:
    fields = cfg.list_or_string("field", [])
    keep = cfg.list_or_string("keep", [])
    if not fields and not keep:
        raise cfg.error("keep", "or [field] must be specified")
    if fields and keep:
        raise cfg.error("keep", "and [field] cannot both be used in the same processor")
    return RemoveProcessor([cfg.compile("field", f) for f in fields], [cfg.compile("keep", k) for k in keep],
                           cfg.boolean("ignore_missing"))


class RenameProcessor(Processor):
    type = "rename"

    def __init__(self, field: Template, target: Template, ignore_missing: bool, override: bool) -> None:
        super().__init__(None, None)
        self.field, self.target, self.ignore_missing, self.override = field, target, ignore_missing, override

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        path = render(self.field, doc)
        if not path or not doc.has(path, True):
            if self.ignore_missing:
                return doc
            raise iae(f"field [{path}] doesn't exist")
        target = render(self.target, doc)
        if doc.has(target, True) and not self.override:
            raise iae(f"field [{target}] already exists")
        value = doc.get(path)
        doc.remove(path)
        try:
            doc.set(target, value)
        except EsError:
            doc.set(path, value)
            raise
        return doc


@register("rename")
def _rename(service: Any, cfg: Config) -> Processor:
    return RenameProcessor(cfg.template("field"), cfg.template("target_field"), cfg.boolean("ignore_missing"),
                           cfg.boolean("override"))


# ---------------------------------------------------------------------------------------------- strings
class StringProcessor(Processor):
    """ES's AbstractStringProcessor: a string (or list of strings) field, target_field, ignore_missing."""

    def __init__(self, field: str, target: str, ignore_missing: bool, fn: Callable[[str], Any],
                 ptype: str) -> None:
        super().__init__(None, None)
        self.field, self.target, self.ignore_missing, self.fn = field, target, ignore_missing, fn
        self.type = ptype

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        if self.target == self.field:  # fast path: a string changed in place
            slot = doc.slot(self.field)
            if slot is not None:
                holder, key = slot
                value = holder[key]
                if type(value) is str:
                    holder[key] = self.fn(value)
                    return doc
        value = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise iae(f"field [{self.field}] is null, cannot process it.")
        fn = self.fn
        if type(value) is str:
            new = fn(value)
        elif isinstance(value, list):
            new = []
            for item in value:
                if type(item) is not str:
                    raise iae(f"value [{java_str(item)}] of type [{class_name(item)}] in list field [{self.field}] "
                              f"cannot be cast to [java.lang.String]")
                new.append(fn(item))
        else:
            raise iae(f"field [{self.field}] of type [{class_name(value)}] cannot be cast to [java.lang.String]")
        doc.set(self.target, new)
        return doc


def _string_factory(ptype: str, fn: Callable[[str], Any]) -> Callable[[Any, Config], Processor]:
    def factory(service: Any, cfg: Config) -> Processor:
        field = cfg.string("field")
        return StringProcessor(field, cfg.string("target_field", field), cfg.boolean("ignore_missing"), fn, ptype)
    return factory


_JAVA_WS = "".join(chr(i) for i in range(33))
FACTORIES["lowercase"] = _string_factory("lowercase", str.lower)
FACTORIES["uppercase"] = _string_factory("uppercase", str.upper)
FACTORIES["trim"] = _string_factory("trim", lambda s: s.strip(_JAVA_WS))


def _urldecode(s: str) -> str:
    try:
        return unquote_plus(s, errors="strict")
    except UnicodeDecodeError as exc:
        raise iae(f"URLDecoder: Illegal hex characters in escape (%) pattern - {exc}") from None


FACTORIES["urldecode"] = _string_factory("urldecode", _urldecode)

_BYTES_RX = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")
_BYTE_UNITS = {"b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3,
               "t": 1024**4, "tb": 1024**4, "p": 1024**5, "pb": 1024**5}


def parse_bytes(text: str, setting: str = "Ingest Field") -> int:
    m = _BYTES_RX.match(text)
    lower = text.strip().lower()
    if lower in ("-1",):
        return -1
    if lower == "0":
        return 0
    if m is None or m.group(2).lower() not in _BYTE_UNITS:
        raise EsError(400, "parse_exception", f"failed to parse setting [{setting}] with value [{text}] as a size in "
                                              f"bytes: unit is missing or unrecognized")
    number, unit = m.group(1), m.group(2).lower()
    value = float(number) * _BYTE_UNITS[unit] if "." in number else int(number) * _BYTE_UNITS[unit]
    if value < 0 and value != -1:
        raise EsError(400, "parse_exception", f"failed to parse setting [{setting}] with value [{text}] as a size in "
                                              f"bytes")
    return int(value)


FACTORIES["bytes"] = _string_factory("bytes", parse_bytes)

_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav", "noscript",
    "ol", "output", "p", "pre", "section", "table", "tfoot", "ul", "video", "title", "td", "th", "tr", "tbody",
    "thead", "caption", "body", "head", "html", "center", "dir", "menu", "frameset", "frame", "iframe", "isindex",
    "legend", "map", "marquee", "object", "optgroup", "option", "select", "textarea", "applet", "base", "basefont",
    "button", "col", "colgroup", "link", "meta", "param", "ins", "del", "img", "input", "area", "embed", "label",
})
_TAG_RX = re.compile(r"<!--.*?-->|<!\[CDATA\[(.*?)\]\]>|<(script|style)\b[^>]*>.*?</\2\s*>|</?([A-Za-z][A-Za-z0-9]*)\b"
                     r"(?:[^>\"']|\"[^\"]*\"|'[^']*')*/?>|<![^>]*>|<\?.*?\?>", re.S | re.I)


def html_strip(text: str) -> str:
    def repl(m: re.Match) -> str:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            return "\n"
        tag = (m.group(3) or "").lower()
        return "\n" if tag in _BLOCK_TAGS else ""
    return html.unescape(_TAG_RX.sub(repl, text))


FACTORIES["html_strip"] = _string_factory("html_strip", html_strip)


@register("gsub")
def _gsub(service: Any, cfg: Config) -> Processor:
    field = cfg.string("field")
    target = cfg.string("target_field", field)
    ignore_missing = cfg.boolean("ignore_missing")
    pattern_text = cfg.string("pattern")
    try:
        pattern = java_regex(pattern_text)
    except Exception as exc:  # noqa: BLE001 - any regex failure is a config error
        raise cfg.error("pattern", f"Invalid regex pattern. {getattr(exc, 'message', exc)}") from None
    replacement = cfg.string("replacement")
    expand = java_replacement(replacement)
    return StringProcessor(field, target, ignore_missing, lambda s: pattern.sub(expand, s), "gsub")


class SplitProcessor(Processor):
    type = "split"

    def __init__(self, field: str, separator: str, target: str, ignore_missing: bool, keep_trailing: bool) -> None:
        super().__init__(None, None)
        self.field, self.separator, self.target = field, separator, target
        self.ignore_missing, self.keep_trailing = ignore_missing, keep_trailing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        value = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise iae(f"field [{self.field}] is null, cannot split.")
        if type(value) is not str:
            raise iae(f"field [{self.field}] of type [{class_name(value)}] cannot be cast to [java.lang.String]")
        doc.set(self.target, java_split(value, self.separator, -1 if self.keep_trailing else 0))
        return doc


@register("split")
def _split(service: Any, cfg: Config) -> Processor:
    field = cfg.string("field")
    separator = cfg.string("separator")
    try:
        java_regex(separator)
    except Exception:  # noqa: BLE001
        raise cfg.error("separator", f"Invalid regex pattern [{separator}]") from None
    return SplitProcessor(field, separator, cfg.string("target_field", field), cfg.boolean("ignore_missing"),
                          cfg.boolean("preserve_trailing"))


class JoinProcessor(Processor):
    type = "join"

    def __init__(self, field: str, separator: str, target: str) -> None:
        super().__init__(None, None)
        self.field, self.separator, self.target = field, separator, target

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        value = doc.get(self.field)
        if value is None:
            raise iae(f"field [{self.field}] is null, cannot join.")
        if not isinstance(value, list):
            raise iae(f"field [{self.field}] of type [{class_name(value)}] cannot be cast to [java.util.List]")
        doc.set(self.target, self.separator.join(java_str(v) for v in value))
        return doc


@register("join")
def _join(service: Any, cfg: Config) -> Processor:
    field = cfg.string("field")
    return JoinProcessor(field, cfg.string("separator"), cfg.string("target_field", field))


# ---------------------------------------------------------------------------------------------- convert
_INT_RX = re.compile(r"[+-]?[0-9]+")
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def _java_long(value: float) -> int:
    """Java's `(long) value`: towards zero, saturating at Long.MIN/MAX_VALUE, NaN -> 0 (never OverflowError)."""
    if math.isnan(value):
        return 0
    if value >= _LONG_MAX:
        return _LONG_MAX
    if value <= _LONG_MIN:
        return _LONG_MIN
    return int(value)

_FLOAT_RX = re.compile(r"\s*[+-]?(NaN|Infinity|(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)[fFdD]?)\s*")


def _to_int(value: Any, kind: str, lo: int, hi: int) -> int:
    text = java_str(value)
    try:
        if text.startswith(("0x", "-0x")):
            number = int(text, 16)
        elif _INT_RX.fullmatch(text):
            number = int(text)
        else:
            raise ValueError
        if not lo <= number <= hi:
            raise ValueError
    except ValueError:
        raise iae(f"unable to convert [{text}] to {kind}",
                  EsError(400, "number_format_exception", f'For input string: "{text}"')) from None
    return number


def _to_float(value: Any, kind: str) -> float:
    text = java_str(value)
    if not _FLOAT_RX.fullmatch(text):
        raise iae(f"unable to convert [{text}] to {kind}",
                  EsError(400, "number_format_exception", f'For input string: "{text}"'))
    body = text.strip().rstrip("fFdD")
    result = float(body.replace("Infinity", "inf"))
    if kind == "float" and not math.isinf(result) and not math.isnan(result):
        result = float(struct.unpack("f", struct.pack("f", result))[0]) if abs(result) > 3.4028234663852886e38 \
            else result
    return result


def _to_bool(value: Any) -> bool:
    text = java_str(value).lower()
    if text == "true":
        return True
    if text == "false":
        return False
    raise iae(f"[{java_str(value)}] is not a boolean value, cannot convert to boolean")


def _to_ip(value: Any) -> Any:
    if not isinstance(value, str):
        raise iae(f"'{java_str(value)}' is not an IP string literal.")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise iae(f"'{value}' is not an IP string literal.") from None
    return value


def _auto(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for fn in (_to_bool, lambda v: _to_int(v, "integer", -(2**31), 2**31 - 1),
               lambda v: _to_int(v, "long", -(2**63), 2**63 - 1), lambda v: _to_float(v, "float")):
        try:
            return fn(value)
        except EsError:
            continue
    return value


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "integer": lambda v: _to_int(v, "integer", -(2**31), 2**31 - 1),
    "long": lambda v: _to_int(v, "long", -(2**63), 2**63 - 1),
    "float": lambda v: _to_float(v, "float"),
    "double": lambda v: _to_float(v, "double"),
    "boolean": _to_bool,
    "ip": _to_ip,
    "string": java_str,
    "auto": _auto,
}


class ConvertProcessor(Processor):
    type = "convert"

    def __init__(self, field: str, target: str, kind: str, ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.field, self.target, self.kind, self.ignore_missing = field, target, kind, ignore_missing
        self.fn = CONVERTERS[kind]

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        value = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise iae(f"Field [{self.field}] is null, cannot be converted to type [{self.kind}]")
        if isinstance(value, list):
            new: Any = [self.fn(v) for v in value]
        else:
            new = self.fn(value)
        doc.set(self.target, new)
        return doc


@register("convert")
def _convert(service: Any, cfg: Config) -> Processor:
    field = cfg.string("field")
    kind = cfg.string("type")
    target = cfg.string("target_field", field)
    if kind.lower() not in CONVERTERS:
        raise cfg.error("type", f"type [{kind}] not supported, cannot convert field.")
    return ConvertProcessor(field, target, kind.lower(), cfg.boolean("ignore_missing"))


# ---------------------------------------------------------------------------------------------- date
DEFAULT_OUTPUT_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"


def _java_pattern_has_year(fmt: str) -> bool:
    from ..dates import _named_format  # noqa: PLC0415 - private helper of the dates module

    if _named_format(fmt) is not None:
        return True
    stripped = re.sub(r"'[^']*'", "", fmt)
    return any(c in stripped for c in "yuYG")


def parse_date_value(text: str, fmt: str, tz: str | None, locale: str | None) -> int:
    """Epoch millis of `text` in one ingest date format (ISO8601, UNIX, UNIX_MS, TAI64N, or java)."""
    from .. import dates

    if fmt == "ISO8601":
        return dates.get_formatter("iso8601").parse(text, tz)
    if fmt == "UNIX":  # Java: (long) (Double.parseDouble(text) * 1000)
        if not _FLOAT_RX.fullmatch(text):
            raise EsError(400, "number_format_exception", f'For input string: "{text}"')
        return _java_long(float(text.strip().rstrip("fFdD")) * 1000.0)
    if fmt == "UNIX_MS":
        if not _INT_RX.fullmatch(text):
            raise EsError(400, "number_format_exception", f'For input string: "{text}"')
        return int(text)
    if fmt == "TAI64N":
        body = text[1:] if text.startswith("@") else text
        try:
            base = int(body[1:16], 16)
            rest = int(body[16:24], 16)
        except ValueError:
            raise EsError(400, "number_format_exception", f'For input string: "{text}"') from None
        return base * 1000 - 10000 + rest // 1000000
    pattern = fmt[1:] if fmt.startswith("8") else fmt
    if not _java_pattern_has_year(pattern):
        year = dates.civil_from_days(dates.current_millis() // 86_400_000)[0]
        return dates.get_formatter("uuuu " + pattern, locale).parse(f"{year} {text}", tz)
    return dates.get_formatter(pattern, locale).parse(text, tz)


_TWO = [f"{i:02d}" for i in range(100)]
_THREE = [f"{i:03d}" for i in range(1000)]
_DAY_TEXT: dict[int, str | None] = {}  # days since the epoch -> "YYYY-MM-DDT" (None: outside years 1..9999)


def _print_utc_millis(millis: int) -> str | None:
    """`millis` in DEFAULT_OUTPUT_FORMAT and UTC (None outside years 1..9999: the formatter handles those)."""
    days, rest = divmod(millis, 86_400_000)
    prefix = _DAY_TEXT.get(days, "")
    if prefix == "":
        from ..dates import civil_from_days

        year, month, day = civil_from_days(days)
        prefix = f"{year:04d}-{month:02d}-{day:02d}T" if 1 <= year <= 9999 else None
        if len(_DAY_TEXT) >= 20_000:
            _DAY_TEXT.clear()
        _DAY_TEXT[days] = prefix
    if prefix is None:
        return None
    hour, rest = divmod(rest, 3_600_000)
    minute, rest = divmod(rest, 60_000)
    second, milli = divmod(rest, 1000)
    return f"{prefix}{_TWO[hour]}:{_TWO[minute]}:{_TWO[second]}.{_THREE[milli]}Z"


class DateProcessor(Processor):
    type = "date"

    def __init__(self, field: str, target: str, formats: list[str], timezone: Template | None,
                 locale: Template | None, output_format: str) -> None:
        super().__init__(None, None)
        self.field, self.target, self.formats = field, target, formats
        self.timezone, self.locale, self.output_format = timezone, locale, output_format

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        obj = doc.get(self.field)
        text = obj if type(obj) is str else java_str(obj) if obj is not None else None
        timezone = self.timezone
        if text is not None and self.formats[0] == "ISO8601" and (
                timezone is None or (timezone.is_plain and timezone.source == "UTC")):
            # the common case: an ISO-8601 instant read and printed in UTC
            millis = iso_millis(text)
            if millis is None:
                millis = dates._fast_iso(text)
            if millis is not None:
                printed = _print_utc_millis(millis) if self.output_format == DEFAULT_OUTPUT_FORMAT else None
                if printed is None:
                    printed = dates.get_formatter(self.output_format).format(millis, "UTC")
                else:
                    note_printed_date(printed, millis)
                doc.set(self.target, printed)
                return doc
        try:
            tz = render(self.timezone, doc) if self.timezone is not None else None
            if tz is not None:
                tz = dates.resolve_time_zone(tz)
            locale = render(self.locale, doc) if self.locale is not None else None
        except EsError as err:
            raise iae(f"unable to parse date [{text}]", err) from None
        first_error: EsError | None = None
        millis = None
        if text is not None:
            for fmt in self.formats:
                try:
                    millis = parse_date_value(text, fmt, tz, locale)
                    break
                except EsError as err:
                    first_error = first_error or err
        if millis is None:
            raise iae(f"unable to parse date [{text}]", first_error)
        doc.set(self.target, dates.get_formatter(self.output_format).format(millis, tz))
        return doc


@register("date")
def _date(service: Any, cfg: Config) -> Processor:
    from .. import dates

    field = cfg.string("field")
    target = cfg.string("target_field", "@timestamp")
    tz = cfg.string("timezone", None)
    locale = cfg.string("locale", None)
    formats = cfg.list("formats")
    output_format = cfg.string("output_format", DEFAULT_OUTPUT_FORMAT)
    try:
        dates.get_formatter(output_format)
    except EsError as err:
        raise iae(f"invalid output format [{output_format}]", err) from None
    for fmt in formats:
        if fmt not in ("ISO8601", "UNIX", "UNIX_MS", "TAI64N"):
            try:
                dates.get_formatter(fmt[1:] if fmt.startswith("8") else fmt)
            except EsError as err:
                raise iae(f"Invalid format: [{fmt}]", err) from None
    return DateProcessor(field, target, [str(f) for f in formats],
                         cfg.compile("timezone", tz) if tz is not None else None,
                         cfg.compile("locale", locale) if locale is not None else None, output_format)


class DateIndexNameProcessor(Processor):
    type = "date_index_name"

    def __init__(self, field: str, prefix: Template, rounding: Template, index_format: Template,
                 formats: list[str], timezone: str | None, locale: str | None) -> None:
        super().__init__(None, None)
        self.field, self.prefix, self.rounding, self.index_format = field, prefix, rounding, index_format
        self.formats, self.timezone, self.locale = formats, timezone, locale

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        from .. import dates

        obj = doc.get(self.field)
        text = java_str(obj)
        millis = None
        first_error = None
        for fmt in self.formats:
            try:
                millis = parse_date_value(text, fmt, self.timezone, self.locale)
                break
            except EsError as err:
                first_error = first_error or err
        if millis is None:
            raise iae(f"unable to parse date [{text}]", first_error)
        unit = {"y": "year", "M": "month", "w": "week", "d": "day", "h": "hour", "m": "minute",
                "s": "second"}.get(render(self.rounding, doc))
        if unit is None:
            raise iae(f"unsupported rounding [{render(self.rounding, doc)}]")
        rounded = dates.DateRounding.calendar(unit, self.timezone).round(millis)
        formatted = dates.get_formatter(render(self.index_format, doc)).format(rounded, self.timezone)
        doc.set("_index", f"<{render(self.prefix, doc)}{{{formatted}||/{render(self.rounding, doc)}"
                          f"{{{render(self.index_format, doc)}|{self.timezone or 'UTC'}}}}}>")
        return doc


@register("date_index_name")
def _date_index_name(service: Any, cfg: Config) -> Processor:
    field = cfg.string("field")
    prefix = cfg.template("index_name_prefix", "")
    rounding = cfg.template("date_rounding")
    index_format = cfg.template("index_name_format", "yyyy-MM-dd")
    formats = cfg.list("date_formats", ["yyyy-MM-dd'T'HH:mm:ss.SSSXX"])
    return DateIndexNameProcessor(field, prefix if isinstance(prefix, Template) else cfg.compile("p", ""),
                                  rounding, index_format if isinstance(index_format, Template) else
                                  cfg.compile("f", "yyyy-MM-dd"), formats, cfg.string("timezone", None),
                                  cfg.string("locale", None))


# ---------------------------------------------------------------------------------------------- fingerprint
def _murmur3_x64_128(data: bytes, seed: int = 0) -> bytes:
    mask = 0xFFFFFFFFFFFFFFFF
    c1, c2 = 0x87C37B91114253D5, 0x4CF5AD432745937F

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (64 - r))) & mask

    def fmix(k: int) -> int:
        k ^= k >> 33
        k = (k * 0xFF51AFD7ED558CCD) & mask
        k ^= k >> 33
        k = (k * 0xC4CEB9FE1A85EC53) & mask
        k ^= k >> 33
        return k

    h1 = h2 = seed & mask
    length = len(data)
    nblocks = length // 16
    for i in range(nblocks):
        k1, k2 = struct.unpack_from("<QQ", data, i * 16)
        k1 = (k1 * c1) & mask
        k1 = rotl(k1, 31)
        k1 = (k1 * c2) & mask
        h1 ^= k1
        h1 = rotl(h1, 27)
        h1 = (h1 + h2) & mask
        h1 = (h1 * 5 + 0x52DCE729) & mask
        k2 = (k2 * c2) & mask
        k2 = rotl(k2, 33)
        k2 = (k2 * c1) & mask
        h2 ^= k2
        h2 = rotl(h2, 31)
        h2 = (h2 + h1) & mask
        h2 = (h2 * 5 + 0x38495AB5) & mask
    tail = data[nblocks * 16:]
    k1 = k2 = 0
    for i in range(len(tail) - 1, 7, -1):
        k2 ^= tail[i] << ((i - 8) * 8)
    if len(tail) > 8:
        k2 = (k2 * c2) & mask
        k2 = rotl(k2, 33)
        k2 = (k2 * c1) & mask
        h2 ^= k2
    for i in range(min(len(tail), 8) - 1, -1, -1):
        k1 ^= tail[i] << (i * 8)
    if tail:
        k1 = (k1 * c1) & mask
        k1 = rotl(k1, 31)
        k1 = (k1 * c2) & mask
        h1 ^= k1
    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & mask
    h2 = (h2 + h1) & mask
    h1 = fmix(h1)
    h2 = fmix(h2)
    h1 = (h1 + h2) & mask
    h2 = (h2 + h1) & mask
    return struct.pack(">QQ", h1, h2)


class _Murmur:
    def __init__(self) -> None:
        self.buf = bytearray()

    def update(self, data: bytes) -> None:
        self.buf += data

    def digest(self) -> bytes:
        return _murmur3_x64_128(bytes(self.buf))


HASHERS: dict[str, Callable[[], Any]] = {
    "MD5": hashlib.md5, "SHA-1": hashlib.sha1, "SHA-256": hashlib.sha256, "SHA-512": hashlib.sha512,
    "MurmurHash3": _Murmur,
}
_DELIM, _TRUE, _FALSE = b"\x00", b"\x01", b"\x02"


def fingerprint_bytes(value: Any) -> bytes:
    """ES's FingerprintProcessor.toBytes for one JSON scalar."""
    t = type(value)
    if t is str:
        return value.encode("utf-8")
    if t is bool:
        return _TRUE if value else _FALSE
    if t is int:
        if -(2**31) <= value < 2**31:
            return struct.pack("<i", value)
        return struct.pack("<q", value & 0xFFFFFFFFFFFFFFFF if value >= 0 else value)
    if t is float:
        return struct.pack("<d", value)
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise iae(f"cannot convert object of type [{class_name(value)}] to bytes")


def fingerprint(values: list[Any], method: str = "SHA-1", salt: str = "") -> str:
    hasher = HASHERS[method]()
    if salt:
        hasher.update(salt.encode("utf-8"))
    if len(values) == 2 and type(values[0]) is str and type(values[1]) is str:  # the commonest case
        hasher.update(b"\x00" + values[0].encode("utf-8") + b"\x00" + values[1].encode("utf-8"))
        return binascii.b2a_base64(hasher.digest(), newline=False).decode()
    if all(type(v) is str for v in values):  # the common case: what the loop below feeds, in one update
        hasher.update(b"".join(b"\x00" + v.encode("utf-8") for v in values))
        return binascii.b2a_base64(hasher.digest(), newline=False).decode()
    stack = list(reversed(values))
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(reversed(value))
        elif isinstance(value, dict):
            for key in sorted(value, reverse=True):
                stack.append(("\0entry", key, value[key]))
        elif type(value) is tuple and len(value) == 3 and value[0] == "\0entry":
            hasher.update(_DELIM)
            hasher.update(fingerprint_bytes(value[1]))
            stack.append(value[2])
        else:
            hasher.update(_DELIM)
            hasher.update(fingerprint_bytes(value))
    return base64.b64encode(hasher.digest()).decode()


class FingerprintProcessor(Processor):
    type = "fingerprint"

    def __init__(self, fields: list[str], target: str, salt: str, method: str, ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.fields = sorted(fields)
        self.target, self.salt, self.method, self.ignore_missing = target, salt, method, ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        values = []
        for field in self.fields:
            value = doc.get(field, True)
            if value is None:
                if self.ignore_missing:
                    continue
                raise iae(f"missing field [{field}] when calculating fingerprint")
            values.append(value)
        if values:
            doc.set(self.target, fingerprint(values, self.method, self.salt))
        return doc


@register("fingerprint")
def _fingerprint(service: Any, cfg: Config) -> Processor:
    fields = cfg.list("fields")
    if not fields:
        raise cfg.error("fields", "must specify at least one field")
    target = cfg.string("target_field", "fingerprint")
    salt = cfg.string("salt", "")
    method = cfg.string("method", "SHA-1")
    if method not in HASHERS:
        raise cfg.error("method", f"[{method}] must be one of the supported hash methods "
                                  f"[MD5,SHA-1,SHA-256,SHA-512,MurmurHash3]")
    return FingerprintProcessor([str(f) for f in fields], target, salt, method, cfg.boolean("ignore_missing"))


# ---------------------------------------------------------------------------------------------- structure
class DotExpanderProcessor(Processor):
    type = "dot_expander"

    def __init__(self, field: str, path: str | None, override: bool) -> None:
        super().__init__(None, None)
        self.field, self.path, self.override = field, path, override

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        if self.path is not None:
            container = doc.get(self.path)
            if not isinstance(container, dict):
                raise iae(f"field [{self.path}] of type [{class_name(container)}] cannot be cast to [java.util.Map]")
        else:
            container = doc.data
        keys = [k for k in list(container) if "." in k and not k.startswith(".")] if self.field == "*" \
            else [self.field]
        for key in keys:
            if key not in container:
                continue
            full = f"{self.path}.{key}" if self.path is not None else key
            if doc.has(full):
                value = container.pop(key)
                if self.override:
                    doc.set(full, value)
                else:
                    doc.append(full, value, True)
            else:
                value = container.pop(key)
                doc.set(full, value)
        return doc


@register("dot_expander")
def _dot_expander(service: Any, cfg: Config) -> Processor:
    field = cfg.string("field")
    if field != "*":
        if "." not in field:
            raise cfg.error("field", "field does not contain a dot and is not a wildcard")
        if field.startswith(".") or field.endswith(".") or ".." in field:
            raise cfg.error("field", "Field can't start or end with a dot")
    return DotExpanderProcessor(field, cfg.string("path", None), cfg.boolean("override"))


def _merge_maps(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_maps(target[key], value)
        else:
            target[key] = value


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def parse_json_value(text: str, allow_duplicates: bool, strict: bool) -> Any:
    import json

    decoder = json.JSONDecoder(object_pairs_hook=None if allow_duplicates else _no_duplicates)
    stripped = text.strip()
    try:
        value, end = decoder.raw_decode(stripped)
    except _DuplicateKey as exc:
        raise iae(f"Duplicate field '{exc.args[0]}'") from None
    except json.JSONDecodeError as exc:
        raise iae(f"Unrecognized token: was expecting (JSON String, Number, Array, Object or token 'null', 'true' "
                  f"or 'false') at [Source: {text}; line: {exc.lineno}, column: {exc.colno}]") from None
    if strict and stripped[end:].strip():
        raise iae("expected a single JSON value but found more content")
    return value


class JsonProcessor(Processor):
    type = "json"

    def __init__(self, field: str, target: str, add_to_root: bool, strategy: str, allow_dups: bool,
                 strict: bool) -> None:
        super().__init__(None, None)
        self.field, self.target, self.add_to_root = field, target, add_to_root
        self.strategy, self.allow_dups, self.strict = strategy, allow_dups, strict

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        raw = doc.get(self.field)
        value = parse_json_value("null" if raw is None else java_str(raw), self.allow_dups, self.strict)
        if self.add_to_root:
            if not isinstance(value, dict):
                raise iae("cannot add non-map fields to root of document")
            if self.strategy == "merge":
                _merge_maps(doc.data, value)
            else:
                doc.data.update(value)
        else:
            doc.set(self.target, value)
        return doc


@register("json")
def _json(service: Any, cfg: Config) -> Processor:
    field = cfg.string("field")
    target = cfg.string("target_field", None)
    add_to_root = cfg.boolean("add_to_root")
    strategy = cfg.string("add_to_root_conflict_strategy", None)
    allow_dups = cfg.boolean("allow_duplicate_keys")
    strict = cfg.boolean("strict_json_parsing", True)
    if add_to_root and target is not None:
        raise cfg.error("target_field", "Cannot set a target field while also setting `add_to_root` to true")
    if strategy is not None and not add_to_root:
        raise cfg.error("add_to_root_conflict_strategy",
                        "Cannot set `add_to_root_conflict_strategy` if `add_to_root` is false")
    if strategy is not None and strategy not in ("replace", "merge"):
        raise cfg.error("add_to_root_conflict_strategy",
                        f"conflict strategy [{strategy}] not supported, cannot convert field.")
    return JsonProcessor(field, target or field, add_to_root, strategy or "replace", allow_dups, strict)


def parse_csv_line(line: str, sep: str, quote: str, trim: bool) -> list[tuple[str, bool]]:
    """(value, was_quoted) per field, with CSV quoting (doubled quotes escape a quote)."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(line)
    while True:
        if trim:
            while i < n and line[i] in " \t":
                i += 1
        if i < n and line[i] == quote:
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise iae("Mismatched quote")
                c = line[i]
                if c == quote:
                    if i + 1 < n and line[i + 1] == quote:
                        buf.append(quote)
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(c)
                i += 1
            if trim:
                while i < n and line[i] in " \t":
                    i += 1
            if i < n and line[i] != sep:
                raise iae(f"Quote cannot be followed by character [{line[i]}]")
            out.append(("".join(buf), True))
        else:
            j = line.find(sep, i)
            j = n if j == -1 else j
            value = line[i:j]
            if quote in value:
                raise iae("Illegal quote found")
            if trim:
                value = value.strip(" \t")
            out.append((value, False))
            i = j
        if i >= n:
            return out
        i += 1
        if i == n:
            out.append(("", False))
            return out


class CsvProcessor(Processor):
    type = "csv"

    def __init__(self, field: str, targets: list[str], sep: str, quote: str, trim: bool, empty: Any,
                 ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.field, self.targets, self.sep, self.quote = field, targets, sep, quote
        self.trim, self.empty, self.ignore_missing = trim, empty, ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        value = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise iae(f"field [{self.field}] is null, cannot process it.")
        if type(value) is not str:
            raise iae(f"field [{self.field}] of type [{class_name(value)}] cannot be cast to [java.lang.String]")
        fields = parse_csv_line(value, self.sep, self.quote, self.trim)
        for target, (text, _quoted) in zip(self.targets, fields, strict=False):
            if text == "":
                if self.empty is not MISSING:
                    doc.set(target, self.empty)
                continue
            doc.set(target, text)
        return doc


@register("csv")
def _csv(service: Any, cfg: Config) -> Processor:
    field = cfg.string("field")
    targets = cfg.list("target_fields")
    if not targets:
        raise cfg.error("target_fields", "target fields list can't be empty")
    sep = cfg.string("separator", ",")
    if len(sep) != 1:
        raise cfg.error("separator", "separator has to be single character like , or ;")
    quote = cfg.string("quote", '"')
    if len(quote) != 1:
        raise cfg.error("quote", "quote has to be single character like \" or '")
    trim = cfg.boolean("trim")
    empty = cfg.cfg.pop("empty_value", MISSING)
    return CsvProcessor(field, [str(t) for t in targets], sep, quote, trim, empty, cfg.boolean("ignore_missing"))


class KvProcessor(Processor):
    type = "kv"

    def __init__(self, field: str, target: str | None, field_split: str, value_split: str,
                 include: set[str] | None, exclude: set[str], prefix: str, trim_key: str | None,
                 trim_value: str | None, strip_brackets: bool, ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.field, self.target, self.field_split, self.value_split = field, target, field_split, value_split
        self.include, self.exclude, self.prefix = include, exclude, prefix
        self.trim_key = _trimmer(trim_key)
        self.trim_value = _trimmer(trim_value)
        self.strip_brackets, self.ignore_missing = strip_brackets, ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        value = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise iae(f"field [{self.field}] is null, cannot extract key-value pairs.")
        if type(value) is not str:
            raise iae(f"field [{self.field}] of type [{class_name(value)}] cannot be cast to [java.lang.String]")
        for part in java_split(value, self.field_split):
            kv = java_split(part, self.value_split, 2)
            if len(kv) != 2:
                raise iae(f"field [{self.field}] does not contain value_split [{self.value_split}]")
            key, val = self.trim_key(kv[0]), self.trim_value(kv[1])
            if self.strip_brackets:
                val = _strip_brackets(val)
            if self.include is not None and key not in self.include:
                continue
            if key in self.exclude:
                continue
            name = self.prefix + key
            path = f"{self.target}.{name}" if self.target else name
            if doc.has(path):
                doc.append(path, val)
            else:
                doc.set(path, val)
        return doc


def _trimmer(chars: str | None) -> Callable[[str], str]:
    if not chars:
        return lambda s: s
    cls = "[" + re.escape(chars) + "]+"
    rx = re.compile(f"^{cls}|{cls}$")
    return lambda s: rx.sub("", s)


def _strip_brackets(value: str) -> str:
    for open_, close in (("(", ")"), ("<", ">"), ("[", "]"), ("'", "'"), ('"', '"')):
        if value.startswith(open_):
            value = value[1:]
        if value.endswith(close):
            value = value[:-1]
    return value


@register("kv")
def _kv(service: Any, cfg: Config) -> Processor:
    field = cfg.string("field")
    target = cfg.string("target_field", None)
    field_split = cfg.string("field_split")
    value_split = cfg.string("value_split")
    include = cfg.list("include_keys", None)
    exclude = cfg.list("exclude_keys", None)
    return KvProcessor(field, target, field_split, value_split, set(include) if include is not None else None,
                       set(exclude or []), cfg.string("prefix", ""), cfg.string("trim_key", None),
                       cfg.string("trim_value", None), cfg.boolean("strip_brackets"), cfg.boolean("ignore_missing"))


class SortProcessor(Processor):
    type = "sort"

    def __init__(self, field: str, order: str, target: str) -> None:
        super().__init__(None, None)
        self.field, self.order, self.target = field, order, target

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        import functools

        value = doc.get(self.field)
        if value is None:
            raise iae(f"field [{self.field}] is null, cannot sort.")
        if not isinstance(value, list):
            raise iae(f"field [{self.field}] of type [{class_name(value)}] cannot be cast to [java.util.List]")
        try:
            ordered = sorted(value, key=functools.cmp_to_key(compare), reverse=self.order == "desc")
        except Exception as exc:  # noqa: BLE001 - mixed types
            raise EsError(500, "class_cast_exception", str(getattr(exc, "message", exc))) from None
        doc.set(self.target, ordered)
        return doc


@register("sort")
def _sort(service: Any, cfg: Config) -> Processor:
    field = cfg.string("field")
    order = cfg.string("order", "asc")
    if order not in ("asc", "desc"):
        raise cfg.error("order", f"Sort direction [{order}] not recognized. Valid values are: [asc, desc]")
    return SortProcessor(field, order, cfg.string("target_field", field))


class UriPartsProcessor(Processor):
    type = "uri_parts"

    def __init__(self, field: str, target: str, keep_original: bool, remove_if_successful: bool,
                 ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.field, self.target = field, target
        self.keep_original, self.remove_if_successful, self.ignore_missing = keep_original, remove_if_successful, \
            ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        value = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise iae(f"field [{self.field}] is null, cannot parse URI.")
        if type(value) is not str:
            raise iae(f"field [{self.field}] of type [{class_name(value)}] cannot be cast to [java.lang.String]")
        parts = parse_uri(value)
        if self.keep_original:
            parts["original"] = value
        if self.remove_if_successful and self.field != self.target:
            doc.remove(self.field)
        doc.set(self.target, parts)
        return doc


_URI_ILLEGAL = re.compile(r'[\s"<>{}|\\^`]')


def parse_uri(value: str) -> dict[str, Any]:
    """java.net.URI's view of a URL, as ES's uri_parts processor reports it."""
    from urllib.parse import unquote

    if not value or _URI_ILLEGAL.search(value) or value.count("#") > 1:
        raise iae(f"unable to parse URI [{value}]")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise iae(f"unable to parse URI [{value}]") from None
    out: dict[str, Any] = {}
    opaque = bool(parts.scheme) and not value[len(parts.scheme) + 1:].startswith("/")
    if parts.hostname:
        out["domain"] = parts.hostname
    if parts.fragment:
        out["fragment"] = unquote(parts.fragment)
    if not opaque:
        path = unquote(parts.path)
        out["path"] = path
        dot = path.rfind(".")
        if dot > -1 and dot > path.rfind("/"):
            out["extension"] = path[dot + 1:]
    if port is not None:
        out["port"] = port
    if parts.query:
        out["query"] = unquote(parts.query)
    if parts.scheme:
        out["scheme"] = parts.scheme
    if "@" in parts.netloc:
        user_info = unquote(parts.netloc.rsplit("@", 1)[0])
        out["user_info"] = user_info
        if ":" in user_info:
            out["username"], out["password"] = user_info.split(":", 1)
    return out


@register("uri_parts")
def _uri_parts(service: Any, cfg: Config) -> Processor:
    return UriPartsProcessor(cfg.string("field"), cfg.string("target_field", "url"),
                             cfg.boolean("keep_original", True), cfg.boolean("remove_if_successful"),
                             cfg.boolean("ignore_missing"))


# ---------------------------------------------------------------------------------------------- control
class DropProcessor(Processor):
    type = "drop"

    def execute(self, doc: IngestDocument, runner: Runner) -> None:
        return None


@register("drop")
def _drop(service: Any, cfg: Config) -> Processor:
    return DropProcessor(None, None)


class TerminateProcessor(Processor):
    type = "terminate"

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        doc.terminated = True
        return doc


class FailProcessor(Processor):
    type = "fail"

    def __init__(self, message: Template) -> None:
        super().__init__(None, None)
        self.message = message

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        raise EsError(500, "fail_processor_exception", render(self.message, doc))


@register("fail")
def _fail(service: Any, cfg: Config) -> Processor:
    return FailProcessor(cfg.template("message"))


class PipelineProcessor(Processor):
    type = "pipeline"

    def __init__(self, name: Template, ignore_missing_pipeline: bool) -> None:
        super().__init__(None, None)
        self.name, self.ignore_missing_pipeline = name, ignore_missing_pipeline

    def pipeline_name(self, doc: IngestDocument) -> str:
        return render(self.name, doc)

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument | None:
        name = self.pipeline_name(doc)
        pipeline = runner.service.get_pipeline(name)
        if pipeline is None:
            if self.ignore_missing_pipeline:
                return doc
            raise EsError(500, "illegal_state_exception",
                          f"Pipeline processor configured for non-existent pipeline [{name}]")
        return runner.run_pipeline(pipeline, doc)


@register("pipeline")
def _pipeline(service: Any, cfg: Config) -> Processor:
    return PipelineProcessor(cfg.template("name"), cfg.boolean("ignore_missing_pipeline"))


class ForEachProcessor(Processor):
    type = "foreach"

    def __init__(self, field: str, inner: Node, ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.field, self.inner, self.ignore_missing = field, inner, ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument | None:
        value = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise iae(f"field [{self.field}] is null, cannot loop over its elements.")
        inner_runner = Runner(runner.service) if runner.tracker is not None else runner
        ingest = doc.ingest
        had_value, previous_value = "_value" in ingest, ingest.get("_value")
        had_key, previous_key = "_key", ingest.get("_key")
        try:
            if isinstance(value, list):
                new: list[Any] = []
                for item in value:
                    ingest["_value"] = item
                    result = inner_runner.run_node(self.inner, doc)
                    if result is None:
                        return None
                    new.append(ingest.get("_value"))
                doc.set(self.field, new)
            elif isinstance(value, dict):
                new_map: dict[str, Any] = {}
                for key, item in list(value.items()):
                    ingest["_key"] = key
                    ingest["_value"] = item
                    result = inner_runner.run_node(self.inner, doc)
                    if result is None:
                        return None
                    new_map[ingest.get("_key")] = ingest.get("_value")
                doc.set(self.field, new_map)
            else:
                raise iae(f"field [{self.field}] of type [{class_name(value)}] cannot be cast to a list or map")
        finally:
            if had_value:
                ingest["_value"] = previous_value
            else:
                ingest.pop("_value", None)
            if previous_key is not None and had_key:
                ingest["_key"] = previous_key
            else:
                ingest.pop("_key", None)
        return doc


@register("foreach")
def _foreach(service: Any, cfg: Config) -> Processor:
    from .processors import FACTORIES as factories

    field = cfg.string("field")
    ignore_missing = cfg.boolean("ignore_missing")
    spec = cfg.map("processor")
    if len(spec) != 1:
        raise cfg.error("processor", "Must specify exactly one processor type")
    ptype, pcfg = next(iter(spec.items()))
    inner = read_processor(ptype, pcfg, factories, service)
    return ForEachProcessor(field, inner, ignore_missing)


class ScriptProcessor(Processor):
    type = "script"

    def __init__(self, source: str, params: dict[str, Any]) -> None:
        super().__init__(None, None)
        self.script = compile_script(source)
        self.params = params

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        self.script.execute_owned({"ctx": doc.data, "params": self.params})
        return doc


@register("script")
def _script(service: Any, cfg: Config) -> Processor:
    lang = cfg.string("lang", "painless")
    script_id = cfg.string("id", None)
    source = cfg.string("source", None)
    inline = cfg.string("inline", None)
    params = cfg.map("params", {})
    cfg.cfg.pop("options", None)
    source = source if source is not None else inline
    if script_id is not None and source is not None:
        raise cfg.error(None, "Only one of [id] or [source] may be configured")
    if script_id is None and source is None:
        raise cfg.error(None, "Need [id] or [source] parameter to refer to scripts")
    if script_id is not None:
        raise EsError(404, "resource_not_found_exception", f"unable to find script [{script_id}] in cluster state")
    if lang != "painless":
        raise iae(f"script_lang not supported [{lang}]")
    return ScriptProcessor(source, params)


class EnrichProcessor(Processor):
    type = "enrich"

    def __init__(self, extension: Any, policy: str, field: Template, target: Template, ignore_missing: bool,
                 override: bool, max_matches: int, shape_relation: str | None) -> None:
        super().__init__(None, None)
        self.extension, self.policy, self.field, self.target = extension, policy, field, target
        self.ignore_missing, self.override, self.max_matches = ignore_missing, override, max_matches
        self.shape_relation = shape_relation

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        field = self.field.source if self.field.is_plain else render(self.field, doc)
        value = doc.get(field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise iae(f"field [{field}] not present as part of path [{field}]")
        target = self.target.source if self.target.is_plain else render(self.target, doc)
        if not self.override and doc.has(target):
            return doc
        matches = self.extension.lookup(self.policy, value, self.max_matches)
        if not matches:
            return doc
        doc.set(target, deep_copy(matches[0] if self.max_matches == 1 else matches[:self.max_matches]))
        return doc


@register("enrich")
def _enrich(service: Any, cfg: Config) -> Processor:
    policy = cfg.string("policy_name")
    field = cfg.template("field")
    target = cfg.template("target_field")
    ignore_missing = cfg.boolean("ignore_missing")
    override = cfg.boolean("override", True)
    max_matches = cfg.integer("max_matches", 1)
    if max_matches < 1 or max_matches > 128:
        raise cfg.error("max_matches", "should be between 1 and 128")
    shape_relation = cfg.string("shape_relation", None)
    engine = getattr(service, "engine", None)
    extension = engine.extensions.get("enrich") if engine is not None else None
    if extension is None and engine is not None:
        try:
            from ..enrich import service as enrich_service
        except ImportError:  # pragma: no cover - the enrich module is optional
            enrich_service = None
        extension = enrich_service(engine) if enrich_service is not None else None
    if extension is None:
        raise iae("enrich policies are not supported yet by the embedded engine; the enrich processor "
                  f"cannot use policy [{policy}]")
    snapshot = getattr(extension, "snapshot_index", None)
    if snapshot is not None and snapshot(policy) is None:
        raise iae(f"no enrich index exists for policy with name [{policy}]")
    return EnrichProcessor(extension, policy, field, target, ignore_missing, override, max_matches, shape_relation)


@register("terminate")
def _terminate(service: Any, cfg: Config) -> Processor:
    return TerminateProcessor(None, None)


# ---------------------------------------------------------------------------------------------- network
class GeoIpProcessor(Processor):
    """geoip / ip_location as on a node whose GeoIP databases are not available (none are bundled)."""

    type = "geoip"

    def __init__(self, field: str, target: str, database_file: str, ignore_missing: bool, ptype: str) -> None:
        super().__init__(None, None)
        self.field, self.target, self.database_file, self.ignore_missing = field, target, database_file, \
            ignore_missing
        self.type = ptype

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        ip = doc.get(self.field, self.ignore_missing)
        if ip is None:
            if self.ignore_missing:
                return doc
            raise iae(f"field [{self.field}] is null, cannot extract geoip information.")
        doc.append("tags", f"_geoip_database_unavailable_{self.database_file}", False)
        return doc


def _geoip_factory(ptype: str) -> Callable[[Any, Config], Processor]:
    def factory(service: Any, cfg: Config) -> Processor:
        field = cfg.string("field")
        target = cfg.string("target_field", "geoip")
        database_file = cfg.string("database_file", "GeoLite2-City.mmdb")
        cfg.list("properties", None)
        cfg.boolean("first_only", True)
        cfg.boolean("download_database_on_pipeline_creation", True)
        return GeoIpProcessor(field, target, database_file, cfg.boolean("ignore_missing"), ptype)
    return factory


FACTORIES["geoip"] = _geoip_factory("geoip")
FACTORIES["ip_location"] = _geoip_factory("ip_location")

_ICMP_TYPES = {0: "0", 8: "8"}


class CommunityIdProcessor(Processor):
    type = "community_id"

    def __init__(self, fields: dict[str, str], target: str, seed: int, ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.fields, self.target, self.seed, self.ignore_missing = fields, target, seed, ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        def get(name: str) -> Any:
            return doc.get(self.fields[name], True)

        src, dst = get("source_ip"), get("destination_ip")
        if src is None or dst is None:
            if self.ignore_missing:
                return doc
            raise iae("ip address cannot be null")
        proto = get("iana_number")
        transport = get("transport")
        if proto is None:
            if transport is None:
                if self.ignore_missing:
                    return doc
                raise iae("transport protocol cannot be null")
            proto = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "ipv6-icmp": 58, "icmpv6": 58,
                     "eigrp": 88, "ospf": 89, "pim": 103, "sctp": 132}.get(str(transport).lower())
            if proto is None:
                raise iae(f"unsupported transport type [{transport}]")
        proto = int(proto)
        sip, dip = ipaddress.ip_address(src), ipaddress.ip_address(dst)
        if proto in (1, 58):
            sport = get("icmp_type")
            dport = get("icmp_code")
            sport, dport, one_way = _icmp_ports(proto, int(sport or 0), int(dport or 0))
        else:
            sport, dport = get("source_port"), get("destination_port")
            if sport is None or dport is None:
                if proto in (6, 17, 132):
                    if self.ignore_missing:
                        return doc
                    raise iae("port cannot be null")
                sport = dport = 0
            sport, dport, one_way = int(sport), int(dport), False
        a = (sip.packed, sport)
        b = (dip.packed, dport)
        if not one_way and (b < a):
            a, b = b, a
        data = struct.pack(">H", self.seed) + a[0] + b[0] + bytes([proto, 0])
        if proto in (1, 58, 6, 17, 132):
            data += struct.pack(">HH", a[1], b[1])
        digest = hashlib.sha1(data).digest()
        doc.set(self.target, "1:" + base64.b64encode(digest).decode())
        return doc


def _icmp_ports(proto: int, itype: int, icode: int) -> tuple[int, int, bool]:
    v4 = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17, 9: 10, 10: 9}
    v6 = {128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 144: 145, 145: 144}
    table = v4 if proto == 1 else v6
    if itype in table:
        return itype, table[itype], False
    return itype, icode, True


@register("community_id")
def _community_id(service: Any, cfg: Config) -> Processor:
    fields = {
        "source_ip": cfg.string("source_ip", "source.ip"), "source_port": cfg.string("source_port", "source.port"),
        "destination_ip": cfg.string("destination_ip", "destination.ip"),
        "destination_port": cfg.string("destination_port", "destination.port"),
        "iana_number": cfg.string("iana_number", "network.iana_number"),
        "transport": cfg.string("transport", "network.transport"),
        "icmp_type": cfg.string("icmp_type", "icmp.type"), "icmp_code": cfg.string("icmp_code", "icmp.code"),
    }
    seed = cfg.integer("seed", 0)
    if seed < 0 or seed > 65535:
        raise cfg.error("seed", "must be a value between 0 and 65535")
    return CommunityIdProcessor(fields, cfg.string("target_field", "network.community_id"), seed,
                                cfg.boolean("ignore_missing", True))


class NetworkDirectionProcessor(Processor):
    type = "network_direction"

    def __init__(self, source: str, dest: str, target: str, networks: list[str] | None, networks_field: str | None,
                 ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.source, self.dest, self.target = source, dest, target
        self.networks, self.networks_field, self.ignore_missing = networks, networks_field, ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        networks = self.networks
        if networks is None:
            networks = doc.get(self.networks_field or "", self.ignore_missing)
            if networks is None:
                if self.ignore_missing:
                    return doc
                raise iae(f"unable to find internal networks field [{self.networks_field}]")
        src, dst = doc.get(self.source, True), doc.get(self.dest, True)
        if src is None or dst is None:
            if self.ignore_missing:
                return doc
            raise iae("unable to extract source or destination IP")
        s_int, d_int = _is_internal(src, networks), _is_internal(dst, networks)
        direction = ("internal" if d_int else "outbound") if s_int else ("inbound" if d_int else "external")
        doc.set(self.target, direction)
        return doc


def _is_internal(ip_text: str, networks: list[str]) -> bool:
    ip = ipaddress.ip_address(ip_text)
    named = {
        "loopback": lambda a: a.is_loopback, "private": lambda a: a.is_private and not a.is_loopback,
        "public": lambda a: a.is_global, "unspecified": lambda a: a.is_unspecified,
        "link_local_unicast": lambda a: a.is_link_local, "multicast": lambda a: a.is_multicast,
        "global_unicast": lambda a: a.is_global and not a.is_multicast,
        "link_local_multicast": lambda a: a.is_multicast and a.is_link_local,
        "interface_local_multicast": lambda a: False,
    }
    for net in networks:
        if net in named:
            if named[net](ip):
                return True
        elif ip in ipaddress.ip_network(net, strict=False):
            return True
    return False


@register("network_direction")
def _network_direction(service: Any, cfg: Config) -> Processor:
    networks = cfg.list("internal_networks", None)
    networks_field = cfg.string("internal_networks_field", None)
    if networks is None and networks_field is None:
        raise cfg.error("internal_networks", "and [internal_networks_field] cannot both be empty")
    if networks is not None and networks_field is not None:
        raise cfg.error("internal_networks", "and [internal_networks_field] cannot both be used in the same "
                                             "processor")
    return NetworkDirectionProcessor(cfg.string("source_ip", "source.ip"), cfg.string("destination_ip",
                                                                                      "destination.ip"),
                                     cfg.string("target_field", "network.direction"), networks, networks_field,
                                     cfg.boolean("ignore_missing", True))


class RegisteredDomainProcessor(Processor):
    type = "registered_domain"
    MULTI_SUFFIXES = frozenset({
        "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp", "ne.jp", "or.jp",
        "com.br", "com.cn", "com.mx", "co.in", "co.za", "com.tr", "com.sg", "com.hk", "co.kr", "com.ar",
        "github.io", "herokuapp.com", "appspot.com", "blogspot.com", "cloudfront.net", "amazonaws.com",
    })

    def __init__(self, field: str, target: str, ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.field, self.target, self.ignore_missing = field, target, ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        value = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise iae(f"field [{self.field}] is null, cannot extract registered domain.")
        host = str(value).strip().lower().rstrip(".")
        labels = host.split(".")
        if len(labels) < 2:
            raise iae(f"unable to set domain information for document [{value}]")
        suffix_len = 2 if ".".join(labels[-2:]) in self.MULTI_SUFFIXES else 1
        if len(labels) <= suffix_len:
            raise iae(f"unable to set domain information for document [{value}]")
        registered = ".".join(labels[-(suffix_len + 1):])
        out: dict[str, Any] = {"domain": host, "registered_domain": registered,
                               "top_level_domain": ".".join(labels[-suffix_len:])}
        sub = ".".join(labels[:-(suffix_len + 1)])
        if sub:
            out["subdomain"] = sub
        prefix = f"{self.target}." if self.target else ""
        for key, v in out.items():
            doc.set(prefix + key, v)
        return doc


@register("registered_domain")
def _registered_domain(service: Any, cfg: Config) -> Processor:
    return RegisteredDomainProcessor(cfg.string("field"), cfg.string("target_field", ""),
                                     cfg.boolean("ignore_missing"))


# ---------------------------------------------------------------------------------------------- text parsing
@register("dissect")
def _dissect(service: Any, cfg: Config) -> Processor:
    from .dissect import DissectParser, DissectProcessor

    field = cfg.string("field")
    pattern = cfg.string("pattern")
    append_separator = cfg.string("append_separator", "")
    try:
        parser = DissectParser(pattern, append_separator)
    except EsError as err:
        raise _config_cause(cfg, "pattern", err) from None
    return DissectProcessor(field, parser, cfg.boolean("ignore_missing"))


@register("grok")
def _grok(service: Any, cfg: Config) -> Processor:
    from .grok import GrokProcessor, compile_grok

    field = cfg.string("field")
    patterns = cfg.list("patterns")
    if not patterns:
        raise cfg.error("patterns", "List of patterns must not be empty")
    definitions = cfg.map("pattern_definitions", {})
    trace = cfg.boolean("trace_match")
    cfg.string("ecs_compatibility", None)
    try:
        compiled = [compile_grok(p, definitions) for p in patterns]
    except EsError as err:
        raise _config_cause(cfg, "patterns", err) from None
    return GrokProcessor(field, compiled, trace, cfg.boolean("ignore_missing"))


def _config_cause(cfg: Config, prop: str, err: EsError) -> EsError:
    out = cfg.error(prop, err.reason or "")
    out.type = err.type if err.type != "illegal_argument_exception" else "parse_exception"
    return out


@register("user_agent")
def _user_agent(service: Any, cfg: Config) -> Processor:
    from .useragent import UserAgentProcessor

    field = cfg.string("field")
    target = cfg.string("target_field", "user_agent")
    props = cfg.list("properties", None)
    cfg.string("regex_file", None)
    cfg.boolean("extract_device_type")
    return UserAgentProcessor(field, target, props, cfg.boolean("ignore_missing"))


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value)


def values_equal(a: Any, b: Any) -> bool:
    return java_eq(a, b)
