"""Lucene-faithful text analysis: char filters, tokenizers, token filters, analyzers and `_analyze`.

A stream is a list of `_Tok` carrying Lucene's *position increments*; positions become absolute only
when tokens leave an analyzer as `Token`s. Offsets always index into the original text (as Python
code-point indices; `analyze_request` reports UTF-16 offsets like Elasticsearch): char filters record
offset corrections the way Lucene's `BaseCharFilter` does and tokenizers apply them.

The standard tokenizer approximates UAX#29 word breaking with regular expressions (ASCII, Latin and
BMP fast variants). Analyzers whose filters are all per-term maps or drops get precompiled fast paths
for `Analyzer.terms` and `Analyzer.analyze`; everything else runs the full token pipeline.

Not implemented (rejected with ES-style errors): file-based resources (`*_path`), hunspell, kstem /
snowball / language analyzers other than english, ICU, classic tokenizer, named stop sets other than
`_english_`, wordnet synonym format.
"""

from __future__ import annotations

import bisect
import html.entities
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from es360.embedded.errors import EsError, action_request_validation, illegal_argument, x_content_parse

__all__ = [
    "DEFAULT_REGISTRY",
    "AnalysisRegistry",
    "Analyzer",
    "Token",
    "analyze_request",
    "porter_stem",
]


@dataclass(slots=True)
class Token:
    """One token as an analyzer emits it: absolute position, offsets into the original text."""

    term: str
    position: int
    start_offset: int
    end_offset: int
    type: str = "<ALPHANUM>"
    position_length: int = 1


class _Tok:
    """A token inside the pipeline: `inc` is Lucene's position increment, `kw` the keyword flag."""

    __slots__ = ("term", "inc", "start", "end", "type", "plen", "kw")

    def __init__(
        self, term: str, inc: int, start: int, end: int, type_: str, plen: int = 1, kw: bool = False
    ) -> None:
        self.term = term
        self.inc = inc
        self.start = start
        self.end = end
        self.type = type_
        self.plen = plen
        self.kw = kw

    def but(self, **changes: Any) -> _Tok:
        """A copy with some attributes changed."""
        tok = _Tok(self.term, self.inc, self.start, self.end, self.type, self.plen, self.kw)
        for key, value in changes.items():
            setattr(tok, key, value)
        return tok


class _State:
    """End-of-stream attributes: trailing position increment and final (corrected) offset."""

    __slots__ = ("end_inc", "final_offset")

    def __init__(self, final_offset: int) -> None:
        self.end_inc = 0
        self.final_offset = final_offset


# ---------------------------------------------------------------------------------------------------------
# Settings helpers
# ---------------------------------------------------------------------------------------------------------


def _opt_str(cfg: dict[str, Any], key: str, default: str | None = None) -> str | None:
    value = cfg.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        raise illegal_argument(f"Failed to parse setting [{key}]: expected a string but got [{value}]")
    return str(value)


def _opt_int(cfg: dict[str, Any], key: str, default: int) -> int:
    value = cfg.get(key)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise illegal_argument(f"Failed to parse value [{value}] for setting [{key}]")


def _opt_bool(cfg: dict[str, Any], key: str, default: bool) -> bool:
    value = cfg.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


def _opt_list(cfg: dict[str, Any], key: str) -> list[str] | None:
    value = cfg.get(key)
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [_scalar(v) for v in value]
    return [_scalar(value)]


def _name_list(cfg: dict[str, Any], key: str) -> list[str]:
    """A list of component names; a plain string is comma-delimited, as ES settings lists are."""
    value = cfg.get(key)
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return _opt_list(cfg, key) or []


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _no_files(cfg: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if cfg.get(key) is not None:
            raise illegal_argument(f"[{key}] is not supported: files cannot be read by the embedded engine")


# ---------------------------------------------------------------------------------------------------------
# Unicode character classes (Java semantics where Lucene relies on them)
# ---------------------------------------------------------------------------------------------------------

_JAVA_WS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u2028\u2029\u205f\u3000"
_JAVA_WS_CLASS = r"\t\n\x0b\x0c\r\x1c-\x1f \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000"
_HAN = (
    (0x2E80, 0x2FDF),
    (0x3005, 0x3005),
    (0x3007, 0x3007),
    (0x3021, 0x3029),
    (0x3038, 0x303B),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
)
_HIRAGANA = ((0x3041, 0x3096), (0x309D, 0x309F), (0x1B001, 0x1B11F), (0x1F200, 0x1F200))
_KATAKANA = (
    (0x3031, 0x3035),
    (0x309B, 0x309C),
    (0x30A0, 0x30FA),
    (0x30FC, 0x30FF),
    (0x31F0, 0x31FF),
    (0x32D0, 0x32FE),
    (0x3300, 0x3357),
    (0xFF66, 0xFF9D),
    (0x1B000, 0x1B000),
)
_SE_ASIAN = (
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0x1950, 0x19DF),
    (0x1A20, 0x1AAF),
    (0xA9E0, 0xA9FF),
    (0xAA60, 0xAADF),
)
_HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xFFA0, 0xFFDC))
_EXTEND_NUM_LET = r"_\u202f\u203f\u2040\u2054\ufe33\ufe34\ufe4d-\ufe4f\uff3f"
_MID_LETTER = r":\u00b7\u0387\u055f\u05f4\u2027\ufe13\ufe55\uff1a"
_MID_NUM_LET = r".'\u2018\u2019\u2024\ufe52\uff07\uff0e"
_MID_NUM = r",;\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe10\ufe14\ufe50\ufe54\uff0c\uff1b"
_EMOJI_BMP = (
    r"\u231a\u231b\u23e9-\u23ec\u23f0\u23f3\u25fd\u25fe\u2614\u2615\u2648-\u2653\u267f\u2693\u26a1"
    r"\u26aa\u26ab\u26bd\u26be\u26c4\u26c5\u26ce\u26d4\u26ea\u26f2\u26f3\u26f5\u26fa\u26fd\u2705\u270a"
    r"\u270b\u2728\u274c\u274e\u2753-\u2755\u2757\u2795-\u2797\u27b0\u27bf\u2b1b\u2b1c\u2b50\u2b55"
)
_EMOJI_SMP = r"\U0001f000-\U0001f0ff\U0001f18e\U0001f191-\U0001f19a\U0001f200-\U0001f3fa\U0001f400-\U0001faff"


class _UnicodeTables:
    """Category ranges computed once from `unicodedata` (BMP, SMP, SIP and the tag/variation planes)."""

    def __init__(self) -> None:
        runs: dict[str, list[tuple[int, int]]] = {}
        category = unicodedata.category
        spans = (range(0, 0x30000), range(0xE0000, 0xE1000))
        for span in spans:
            prev_cat = ""
            start = span.start
            for cp in span:
                cat = category(chr(cp))
                if cat != prev_cat:
                    if prev_cat:
                        runs.setdefault(prev_cat, []).append((start, cp - 1))
                    prev_cat, start = cat, cp
            runs.setdefault(prev_cat, []).append((start, span.stop - 1))
        self.runs = runs

    def spans(self, *categories: str) -> list[tuple[int, int]]:
        """Sorted code-point ranges of the given general categories (prefixes allowed)."""
        picked: list[tuple[int, int]] = []
        for cat, spans in self.runs.items():
            if any(cat.startswith(c) for c in categories):
                picked.extend(spans)
        return _merge(picked)

    def ranges(self, *categories: str) -> str:
        """A character-class body (without brackets) covering the categories."""
        return _render(self.spans(*categories))


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _subtract(spans: list[tuple[int, int]], removed: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out = spans
    for r_lo, r_hi in _merge(removed):
        nxt: list[tuple[int, int]] = []
        for lo, hi in out:
            if hi < r_lo or lo > r_hi:
                nxt.append((lo, hi))
                continue
            if lo < r_lo:
                nxt.append((lo, r_lo - 1))
            if hi > r_hi:
                nxt.append((r_hi + 1, hi))
        out = nxt
    return out


def _render(spans: Iterable[tuple[int, int]]) -> str:
    return "".join(_cp_escape(lo) if lo == hi else f"{_cp_escape(lo)}-{_cp_escape(hi)}" for lo, hi in spans)


def _cp_escape(cp: int) -> str:
    return f"\\U{cp:08x}"


@lru_cache(maxsize=1)
def _tables() -> _UnicodeTables:
    return _UnicodeTables()


def _java_lower(text: str) -> str:
    """Per-code-point lowercasing as Java's `Character.toLowerCase` (no final-sigma / dotted-I special casing)."""
    if text.isascii():
        return text.lower()
    if "\u03a3" not in text and "\u0130" not in text:
        return text.lower()
    return "".join(_lower_char(ch) for ch in text)


def _lower_char(ch: str) -> str:
    if ch == "\u0130":
        return "i"
    lowered = ch.lower()
    return lowered if len(lowered) == 1 else ch


def _java_upper(text: str) -> str:
    """Per-code-point uppercasing as Java's `Character.toUpperCase` (no 'ß' -> 'SS' expansion)."""
    if text.isascii():
        return text.upper()
    out = []
    for ch in text:
        up = ch.upper()
        out.append(up if len(up) == 1 else ch)
    return "".join(out)


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Lucene counts term length."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


# ---------------------------------------------------------------------------------------------------------
# Java regular expressions -> Python
# ---------------------------------------------------------------------------------------------------------

_JAVA_FLAG_NAMES = {
    "CASE_INSENSITIVE": re.IGNORECASE,
    "MULTILINE": re.MULTILINE,
    "DOTALL": re.DOTALL,
    "COMMENTS": re.VERBOSE,
    "UNICODE_CASE": 0,
    "CANON_EQ": 0,
    "UNIX_LINES": 0,
    "LITERAL": 0,
    "UNICODE_CHARACTER_CLASS": 0,
}
_POSIX_ASCII = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": r"\x00-\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": r"!-/:-@\[-`{-~",
    "Graph": r"!-~",
    "Print": r" -~",
    "Blank": r" \t",
    "Cntrl": r"\x00-\x1f\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": r" \t\n\x0b\x0c\r",
}


def _compile_java_regex(pattern: str, flags: str | None = None) -> re.Pattern[str]:
    """Compile a Java regex (as ES passes them to java.util.regex) with Python's `re`."""
    py_flags = re.ASCII
    literal = False
    for raw in (flags or "").split("|"):
        flag = raw.strip().upper()
        if not flag:
            continue
        if flag not in _JAVA_FLAG_NAMES:
            raise illegal_argument(f"Unknown regex flag [{raw.strip()}]")
        py_flags |= _JAVA_FLAG_NAMES[flag]
        if flag in ("UNICODE_CHARACTER_CLASS", "UNICODE_CASE"):
            py_flags &= ~re.ASCII
        literal = literal or flag == "LITERAL"
    source = re.escape(pattern) if literal else _translate_java_regex(pattern)
    try:
        return re.compile(source, py_flags)
    except (re.error, OverflowError) as exc:
        raise illegal_argument(f"Invalid regex [{pattern}]: {exc}") from None


def _translate_java_regex(pattern: str) -> str:
    out: list[str] = []
    i, n, depth = 0, len(pattern), 0
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            i = _translate_escape(pattern, i, out, depth > 0)
            continue
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif ch == "(" and depth == 0 and pattern.startswith("(?<", i) and i + 3 < n:
            if pattern[i + 3] not in "=!":
                out.append("(?P<")
                i += 3
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _translate_escape(pattern: str, i: int, out: list[str], in_class: bool) -> int:
    nxt = pattern[i + 1]
    if nxt in "pP" and i + 2 < len(pattern):
        if pattern[i + 2] == "{":
            close = pattern.find("}", i + 3)
            name = pattern[i + 3 : close] if close > 0 else ""
            end = close + 1
        else:
            name, end = pattern[i + 2], i + 3
        body = _property_class(name)
        if nxt == "P":
            out.append(f"[^{body}]")
        else:
            out.append(body if in_class else f"[{body}]")
        return end
    if nxt == "Q":
        close = pattern.find("\\E", i + 2)
        quoted = pattern[i + 2 :] if close < 0 else pattern[i + 2 : close]
        out.append(re.escape(quoted))
        return len(pattern) if close < 0 else close + 2
    if nxt == "k" and pattern.startswith("<", i + 2):
        close = pattern.find(">", i + 3)
        out.append(f"(?P={pattern[i + 3 : close]})")
        return close + 1
    if nxt == "h":
        body = r" \t\xa0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000"
        out.append(body if in_class else f"[{body}]")
        return i + 2
    if nxt == "z":
        out.append(r"\Z")
        return i + 2
    if nxt == "Z":
        out.append(r"(?=\n?\Z)")
        return i + 2
    out.append(pattern[i : i + 2])
    return i + 2


def _property_class(name: str) -> str:
    short = name[2:] if name.startswith(("Is", "In")) and len(name) > 2 else name
    if name in _POSIX_ASCII:
        return _POSIX_ASCII[name]
    aliases = {
        "Letter": "L",
        "Alphabetic": "L",
        "Digit": "Nd",
        "Punctuation": "P",
        "Uppercase": "Lu",
        "Lowercase": "Ll",
        "White_Space": "Z",
        "WhiteSpace": "Z",
    }
    short = aliases.get(short, short)
    if short.startswith("general_category="):
        short = short.split("=", 1)[1]
    if short and short[0] in "LMNPSZC" and len(short) <= 2:
        body = _tables().ranges(short)
        if name.endswith(("White_Space", "WhiteSpace")):
            body += r"\t\n\x0b\x0c\r\x85"
        return body
    raise illegal_argument(f"Unsupported regex character property [\\p{{{name}}}]")


def _java_constant(replacement: str) -> str | None:
    """The text a Java replacement string stands for when it has no group reference, else None."""
    out: list[str] = []
    i, n = 0, len(replacement)
    while i < n:
        ch = replacement[i]
        if ch == "\\" and i + 1 < n:
            out.append(replacement[i + 1])
            i += 2
            continue
        if ch == "$":
            return None
        out.append(ch)
        i += 1
    return "".join(out)


def _java_replacement(replacement: str, pattern: re.Pattern[str]) -> Callable[[re.Match[str]], str]:
    """A replacement function implementing Java's `Matcher.appendReplacement` syntax ($n, ${name}, \\x)."""
    parts: list[str | int] = []
    literal: list[str] = []
    i, n = 0, len(replacement)
    while i < n:
        ch = replacement[i]
        if ch == "\\" and i + 1 < n:
            literal.append(replacement[i + 1])
            i += 2
            continue
        if ch == "$" and i + 1 < n:
            ref, i = _group_ref(replacement, i + 1, pattern)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(ref)
            continue
        if ch == "$":
            raise illegal_argument("Illegal group reference: group index is missing")
        literal.append(ch)
        i += 1
    if literal:
        parts.append("".join(literal))
    if all(isinstance(p, str) for p in parts):
        constant = "".join(p for p in parts if isinstance(p, str))
        return lambda _m: constant

    def replace(match: re.Match[str]) -> str:
        return "".join(p if isinstance(p, str) else (match.group(p) or "") for p in parts)

    return replace


def _group_ref(text: str, i: int, pattern: re.Pattern[str]) -> tuple[int, int]:
    if text[i] == "{":
        close = text.find("}", i)
        name = text[i + 1 : close]
        if close < 0 or name not in pattern.groupindex:
            raise illegal_argument(f"No group with name {{{name}}}")
        return pattern.groupindex[name], close + 1
    if not text[i].isdigit():
        raise illegal_argument("Illegal group reference")
    ref = int(text[i])
    i += 1
    if ref > pattern.groups:
        raise illegal_argument(f"No group {ref}")
    while i < len(text) and text[i].isdigit() and ref * 10 + int(text[i]) <= pattern.groups:
        ref = ref * 10 + int(text[i])
        i += 1
    return ref, i


# ---------------------------------------------------------------------------------------------------------
# Char filters and offset correction
# ---------------------------------------------------------------------------------------------------------


class _OffsetMap:
    """Lucene BaseCharFilter corrections: from output offset `pos[i]` on, add `diff[i]`."""

    __slots__ = ("pos", "diff")

    def __init__(self, pos: list[int], diff: list[int]) -> None:
        self.pos = pos
        self.diff = diff

    def correct(self, offset: int) -> int:
        idx = bisect.bisect_right(self.pos, offset) - 1
        return offset if idx < 0 else offset + self.diff[idx]


class _Rewriter:
    """Builds a char filter's output while recording offset corrections."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.out_len = 0
        self.cum = 0
        self.pos: list[int] = []
        self.diff: list[int] = []

    def keep(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.out_len += len(text)

    def replace(self, in_len: int, out: str) -> None:
        start = self.out_len
        self.keep(out)
        delta = in_len - len(out)
        if delta > 0:
            self.cum += delta
            self._mark(start + len(out), self.cum)
        elif delta < 0:
            for extra in range(-delta):
                self._mark(start + in_len + extra, self.cum - extra - 1)
            self.cum += delta

    def _mark(self, position: int, diff: int) -> None:
        if self.pos and self.pos[-1] == position:
            self.diff[-1] = diff
        else:
            self.pos.append(position)
            self.diff.append(diff)

    def result(self) -> tuple[str, _OffsetMap | None]:
        text = "".join(self.parts)
        return text, (_OffsetMap(self.pos, self.diff) if self.pos else None)


class _CharFilter:
    """Base char filter: `apply` returns the filtered text and its offset corrections."""

    kind = ""
    normalizing = False

    def __init__(self, name: str) -> None:
        self.name = name

    def apply(self, text: str) -> tuple[str, _OffsetMap | None]:
        raise NotImplementedError

    def fast(self, text: str) -> str:
        """The filtered text without offset bookkeeping."""
        return self.apply(text)[0]


# fmt: off
_INLINE_TAGS = frozenset(
    [
        "a", "b", "i", "q", "s", "u", "abbr", "acronym", "basefont", "bdo", "big", "cite", "code", "dfn", "em",
        "font", "img", "input", "kbd", "label", "samp", "select", "small", "span", "strike", "strong", "sub",
        "sup", "textarea", "tt", "var"
    ]
)
# fmt: on
_LEGACY_ENTITIES = frozenset(("amp", "lt", "gt", "quot", "nbsp", "AMP", "LT", "GT", "QUOT"))
_HTML_RE = re.compile(
    r"""(?P<comment><!--.*?(?:-->|\Z))
      |(?P<cdata><!\[CDATA\[(?P<cdata_body>.*?)(?:\]\]>|\Z))
      |(?P<decl><![A-Za-z][^>]*>)
      |(?P<pi><\?.*?>)
      |(?P<raw><(?P<raw_name>script|style)\b(?:[^>"']|"[^"]*"|'[^']*')*>.*?(?:</(?P=raw_name)\s*>|\Z))
      |(?P<tag></?(?P<name>[A-Za-z][A-Za-z0-9:_.-]*)
          (?:\s+(?:[^\s>"'/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?|/))*\s*/?>)
      |(?P<entity>&(?:\#[0-9]{1,7}|\#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?)""",
    re.S | re.I | re.X,
)


class _HtmlStripCharFilter(_CharFilter):
    kind = "html_strip"

    def __init__(self, name: str, escaped_tags: Iterable[str] = ()) -> None:
        super().__init__(name)
        self.escaped = frozenset(t.lower() for t in escaped_tags)

    def apply(self, text: str) -> tuple[str, _OffsetMap | None]:
        if "<" not in text and "&" not in text:
            return text, None
        rw = _Rewriter()
        last = 0
        for m in _HTML_RE.finditer(text):
            out = self._replacement(m)
            if out is None:
                continue
            rw.keep(text[last : m.start()])
            rw.replace(m.end() - m.start(), out)
            last = m.end()
        rw.keep(text[last:])
        return rw.result()

    def _replacement(self, m: re.Match[str]) -> str | None:
        kind = m.lastgroup
        if kind == "entity":
            return _decode_entity(m.group(0))
        if kind == "cdata":
            return m.group("cdata_body")
        if kind == "raw":
            return None if m.group("raw_name").lower() in self.escaped else "\n"
        if kind == "tag" or kind is None:
            name = (m.group("name") or "").lower()
            if name in self.escaped:
                return None
            return "" if name in _INLINE_TAGS else "\n"
        return ""


def _decode_entity(entity: str) -> str | None:
    body = entity[1:]
    has_semicolon = body.endswith(";")
    body = body.rstrip(";")
    if body.startswith(("#x", "#X")):
        return _code_point(int(body[2:], 16))
    if body.startswith("#"):
        return _code_point(int(body[1:]))
    if has_semicolon:
        return html.entities.html5.get(body + ";")
    if body in _LEGACY_ENTITIES:
        return html.entities.html5.get(body.lower() + ";")
    return None


def _code_point(value: int) -> str | None:
    if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return "\ufffd"
    return chr(value)


class _MappingCharFilter(_CharFilter):
    kind = "mapping"
    normalizing = True

    def __init__(self, name: str, mappings: dict[str, str]) -> None:
        super().__init__(name)
        self.mappings = mappings
        keys = sorted(mappings, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(k) for k in keys)) if keys else None

    def apply(self, text: str) -> tuple[str, _OffsetMap | None]:
        if self.pattern is None:
            return text, None
        rw = _Rewriter()
        last = 0
        for m in self.pattern.finditer(text):
            rw.keep(text[last : m.start()])
            rw.replace(m.end() - m.start(), self.mappings[m.group(0)])
            last = m.end()
        if last == 0:
            return text, None
        rw.keep(text[last:])
        return rw.result()

    def fast(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.mappings[m.group(0)], text)


class _PatternReplaceCharFilter(_CharFilter):
    kind = "pattern_replace"
    normalizing = True

    def __init__(self, name: str, pattern: re.Pattern[str], replacement: str) -> None:
        super().__init__(name)
        self.pattern = pattern
        self.replace_fn = _java_replacement(replacement, pattern)
        constant = _java_constant(replacement)
        # re.sub with a string replaces without a Python call per match; every backslash doubled,
        # the string has no escapes or group references left for re to read
        self._sub_with: Any = self.replace_fn if constant is None else constant.replace("\\", "\\\\")
        # a pattern that always matches exactly one character of a big character class (such as
        # `[^\p{L}\p{Nd}]`, hundreds of ranges) with a constant replacement maps each character on its
        # own: str.translate with a table filled on first sight of each character replaces re.sub,
        # which walks the whole class for every character (small classes stay with re.sub: faster)
        self._table: _CharTable | None = (
            _CharTable(pattern, constant) if constant is not None and _big_one_char_class(pattern) else None
        )

    def apply(self, text: str) -> tuple[str, _OffsetMap | None]:
        rw = _Rewriter()
        last = 0
        for m in self.pattern.finditer(text):
            rw.keep(text[last : m.start()])
            rw.replace(m.end() - m.start(), self.replace_fn(m))
            last = m.end()
        rw.keep(text[last:])
        return rw.result()

    def fast(self, text: str) -> str:
        if self._table is not None:
            return text.translate(self._table)
        return self.pattern.sub(self._sub_with, text)


class _CharTable(dict):
    """A str.translate table for a one-character pattern: code point -> its replacement (the
    constant where the pattern matches the character, else the character itself), filled lazily."""

    __slots__ = ("_fullmatch", "_replacement")

    def __init__(self, pattern: re.Pattern[str], replacement: str) -> None:
        super().__init__()
        self._fullmatch = pattern.fullmatch
        self._replacement = replacement

    def __missing__(self, code: int) -> str | int | None:
        value: str | int | None = code
        if self._fullmatch(chr(code)) is not None:
            value = self._replacement or None  # None deletes, faster than mapping to ""
        if len(self) < _CHAR_TABLE_LIMIT:
            self[code] = value
        return value


_CHAR_TABLE_LIMIT = 65_536


_BIG_CLASS_ITEMS = 16


def _big_one_char_class(pattern: re.Pattern[str]) -> bool:
    """Whether `pattern` is one character class of more than _BIG_CLASS_ITEMS items (ranges,
    characters, categories): every match is exactly one character, so substituting matches is a
    per-character map. False when unsure."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        items = list(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - an internal module: any surprise means no fast path
        return False
    if len(items) != 1:
        return False
    op, arg = items[0]
    return str(op) == "IN" and isinstance(arg, list) and len(arg) > _BIG_CLASS_ITEMS


_MAPPING_RULE = re.compile(r"(.*)\s*=>\s*(.*)\s*$", re.S)
_MAPPING_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _parse_mapping_rules(rules: list[str]) -> dict[str, str]:
    mappings: dict[str, str] = {}
    for rule in rules:
        m = _MAPPING_RULE.match(rule)
        if m is None:
            raise illegal_argument(f"Invalid Mapping Rule : [{rule}]")
        key = _unescape_mapping(_java_trim_control(m.group(1)), rule)
        value = _unescape_mapping(_java_trim_control(m.group(2)), rule)
        if not key:
            raise illegal_argument("cannot match the empty string")
        if key in mappings:
            raise illegal_argument(f'match "{key}" was already added')
        mappings[key] = value
    return mappings


def _java_trim_control(text: str) -> str:
    """Java's `String.trim()`: strips characters <= U+0020 from both ends."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def _unescape_mapping(text: str, rule: str) -> str:
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and i + 6 <= len(text):
                try:
                    out.append(chr(int(text[i + 2 : i + 6], 16)))
                except ValueError:
                    raise illegal_argument(f"Invalid Mapping Rule : [{rule}]") from None
                i += 6
                continue
            if nxt not in _MAPPING_ESCAPES:
                raise illegal_argument(f"Invalid escaped char in [{text}]")
            out.append(_MAPPING_ESCAPES[nxt])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# Tokenizers
# ---------------------------------------------------------------------------------------------------------


_Span = tuple[str, int, int, str]  # term, start, end, type


class _Tokenizer:
    """Base tokenizer.

    Simple tokenizers implement `spans` (every token with increment 1) and get `tokenize` for free;
    `fast` returns just the terms. Tokenizers without `spans` implement `tokenize` themselves.
    """

    kind = ""
    lower_safe = False  # True when lowercasing the text first cannot change the token boundaries
    has_spans = False

    def __init__(self, name: str) -> None:
        self.name = name

    def spans(self, text: str) -> list[_Span]:
        raise NotImplementedError

    def tokenize(self, text: str) -> list[_Tok]:
        return [_Tok(term, 1, start, end, type_) for term, start, end, type_ in self.spans(text)]

    def fast(self, text: str) -> list[str]:
        return [t.term for t in self.tokenize(text)]


def _chunked(terms: list[str], max_len: int) -> list[str]:
    out: list[str] = []
    for term in terms:
        if len(term) <= max_len:
            out.append(term)
        else:
            out.extend(term[i : i + max_len] for i in range(0, len(term), max_len))
    return out


def _chunk_spans(spans: list[_Span], max_len: int) -> list[_Span]:
    """Split tokens longer than `max_len` at `max_len` intervals, as Lucene's tokenizers do."""
    if all(len(span[0]) <= max_len for span in spans):
        return spans
    out: list[_Span] = []
    for term, start, end, type_ in spans:
        if len(term) <= max_len:
            out.append((term, start, end, type_))
            continue
        for i in range(0, len(term), max_len):
            piece = term[i : i + max_len]
            out.append((piece, start + i, start + i + len(piece), type_))
    return out


_ASCII_LRUN = r"[A-Za-z]+(?:[.:'][A-Za-z]+)*"
_ASCII_NRUN = r"[0-9]+(?:[.,;'][0-9]+)*"
_ASCII_WORD = re.compile(rf"_*(?:{_ASCII_LRUN}|{_ASCII_NRUN})(?:_*(?:{_ASCII_LRUN}|{_ASCII_NRUN}))*_*")
_ASCII_ALPHA = re.compile(r"[A-Za-z]")


class _StdPatterns:
    """UAX#29 word-break approximation used by the standard tokenizer (see module docs).

    `re` only compiles character classes to bitmaps when they stay inside the BMP, so texts without
    supplementary characters use a BMP-only variant that is several times faster.
    """

    def __init__(self, bmp: bool) -> None:
        tables = _tables()

        def cls(spans: Iterable[tuple[int, int]]) -> str:
            kept = [(lo, min(hi, 0xFFFF)) for lo, hi in spans if lo <= 0xFFFF] if bmp else list(spans)
            return f"[{_render(kept)}]" if kept else "(?!)"

        extend = _subtract(tables.spans("Mn", "Mc", "Me", "Cf"), [(0x200B, 0x200B)]) + [(0x1F3FB, 0x1F3FF)]
        x = f"{cls(_merge(extend))}*"
        letters = _subtract(
            tables.spans("Lu", "Ll", "Lt", "Lm", "Lo", "Nl"), _HAN + _HIRAGANA + _KATAKANA + _SE_ASIAN
        )
        letter = cls(letters)
        lx, nx, ex = letter + x, r"\d" + x, f"[{_EXTEND_NUM_LET}]{x}"
        mid_l = f"[{_MID_LETTER}{_MID_NUM_LET}]{x}"
        mid_n = f"[{_MID_NUM}{_MID_NUM_LET}]{x}"
        unit = f"(?:{lx}(?:(?:{mid_l})?{lx})*|{nx}(?:(?:{mid_n})?{nx})*)"
        word = f"(?:{ex})*{unit}(?:(?:{ex})*{unit})*(?:{ex})*"
        kata_c = cls(_KATAKANA)
        kata = f"(?:{ex})*{kata_c}{x}(?:(?:{ex})*{kata_c}{x})*(?:{ex})*"
        alts = (
            ("w", word),
            ("k", kata),
            ("i", f"{cls(_HAN)}{x}"),
            ("h", f"{cls(_HIRAGANA)}{x}"),
            ("s", f"(?:{cls(_SE_ASIAN)}{x})+"),
            ("e", _EMOJI_BMP_RE if bmp else _EMOJI_RE),
        )
        self.typed = re.compile("|".join(f"(?P<{name}>{body})" for name, body in alts))
        self.plain = re.compile("|".join(f"(?:{body})" for _, body in alts))
        self.letter = re.compile(letter)
        self.hangul_only = re.compile(f"(?:{cls(_HANGUL)}{x})+")


_EMOJI_TEXT_BASE = r"[\u00a9\u00ae\u2000-\u2bff]\ufe0f"
_EMOJI_BMP_RE = (
    f"(?:[{_EMOJI_BMP}]|{_EMOJI_TEXT_BASE})\\ufe0f?(?:\\u200d(?:[{_EMOJI_BMP}]|{_EMOJI_TEXT_BASE})\\ufe0f?)*"
)
_EMOJI_BASE = f"(?:[{_EMOJI_BMP}{_EMOJI_SMP}]|{_EMOJI_TEXT_BASE})"
_EMOJI_TAIL = r"[\U0001f3fb-\U0001f3ff\ufe0f\u20e3\U000e0020-\U000e007f]*"
_EMOJI_RE = (
    f"(?:[\\U0001f1e6-\\U0001f1ff]{{1,2}}|{_EMOJI_BASE}{_EMOJI_TAIL}(?:\\u200d{_EMOJI_BASE}{_EMOJI_TAIL})*)"
)


@lru_cache(maxsize=2)
def _std_patterns(bmp: bool = False) -> _StdPatterns:
    return _StdPatterns(bmp)


class _LatinPatterns:
    """The standard tokenizer's rules restricted to Latin-1 and Latin Extended-A/B (text below U+0250)."""

    def __init__(self) -> None:
        letter = r"[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]"
        lx, nx, ex = letter + r"\u00ad*", r"[0-9]\u00ad*", r"_\u00ad*"
        mid_l, mid_n = r"[.:'\u00b7]\u00ad*", r"[.,;']\u00ad*"
        unit = f"(?:{lx}(?:(?:{mid_l})?{lx})*|{nx}(?:(?:{mid_n})?{nx})*)"
        word = f"(?:{ex})*{unit}(?:(?:{ex})*{unit})*(?:{ex})*"
        self.typed = re.compile(f"(?P<w>{word})")
        self.plain = re.compile(word)
        self.letter = re.compile(letter)
        self.hangul_only = re.compile(r"(?!)")


_LATIN = _LatinPatterns()


def _std_for(text: str) -> _StdPatterns | _LatinPatterns:
    top = max(text) if text else "a"
    if top < "\u0250":
        return _LATIN
    return _std_patterns(top <= "\uffff")


_STD_TYPES = {
    "k": "<KATAKANA>",
    "i": "<IDEOGRAPHIC>",
    "h": "<HIRAGANA>",
    "s": "<SOUTHEAST_ASIAN>",
    "e": "<EMOJI>",
}


class _StandardTokenizer(_Tokenizer):
    kind = "standard"
    lower_safe = True

    def __init__(self, name: str, max_token_length: int = 255) -> None:
        super().__init__(name)
        if max_token_length < 1:
            raise illegal_argument(f"maxTokenLength must be greater than zero, got {max_token_length}")
        self.max_len = max_token_length

    has_spans = True

    def spans(self, text: str) -> list[_Span]:
        if text.isascii():
            alpha = _ASCII_ALPHA.search
            out = [
                (m.group(), m.start(), m.end(), "<ALPHANUM>" if alpha(m.group()) else "<NUM>")
                for m in _ASCII_WORD.finditer(text)
            ]
        else:
            pats = _std_for(text)
            out = [
                (
                    m.group(),
                    m.start(),
                    m.end(),
                    _STD_TYPES.get(m.lastgroup or "w") or _word_type(m.group(), pats),
                )
                for m in pats.typed.finditer(text)
            ]
        return _chunk_spans(out, self.max_len) if len(text) > self.max_len else out

    def fast(self, text: str) -> list[str]:
        terms = _ASCII_WORD.findall(text) if text.isascii() else _std_for(text).plain.findall(text)
        if len(text) > self.max_len:
            terms = _chunked(terms, self.max_len)
        return terms


def _word_type(term: str, pats: _StdPatterns | _LatinPatterns) -> str:
    if not pats.letter.search(term):
        return "<NUM>"
    if pats.hangul_only.fullmatch(term):
        return "<HANGUL>"
    return "<ALPHANUM>"


_EMAIL_RE = (
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)
_URL_RE = r"(?:(?:https?|ftp|file)://|www\.)[^\s<>\"'`{}|\\^\[\]]*[^\s<>\"'`{}|\\^\[\].,;:!?)]"
_URL_EMAIL = re.compile(f"(?P<url>{_URL_RE})|(?P<email>{_EMAIL_RE})", re.I)


class _UaxUrlEmailTokenizer(_StandardTokenizer):
    kind = "uax_url_email"
    lower_safe = False

    def spans(self, text: str) -> list[_Span]:
        out: list[_Span] = []
        last = 0
        for m in _URL_EMAIL.finditer(text):
            self._plain(text, last, m.start(), out)
            kind = "<URL>" if m.lastgroup == "url" else "<EMAIL>"
            out.append((m.group(), m.start(), m.end(), kind))
            last = m.end()
        self._plain(text, last, len(text), out)
        return _chunk_spans(out, self.max_len)

    def _plain(self, text: str, start: int, end: int, out: list[_Span]) -> None:
        if start < end:
            out.extend((t, s + start, e + start, ty) for t, s, e, ty in super().spans(text[start:end]))

    def fast(self, text: str) -> list[str]:
        return [span[0] for span in self.spans(text)]


class _RegexTokenizer(_Tokenizer):
    """Tokens are the regex matches (CharTokenizer-style), chunked at `max_len`, typed `word`."""

    def __init__(
        self, name: str, pattern: Callable[[str], re.Pattern[str]], max_len: int = 255, kind: str = ""
    ) -> None:
        super().__init__(name)
        self.pattern_for = pattern
        self.max_len = max_len
        self.kind = kind

    has_spans = True

    def spans(self, text: str) -> list[_Span]:
        out = [(m.group(), m.start(), m.end(), "word") for m in self.pattern_for(text).finditer(text)]
        return _chunk_spans(out, self.max_len) if len(text) > self.max_len else out

    def fast(self, text: str) -> list[str]:
        terms = self.pattern_for(text).findall(text)
        return _chunked(terms, self.max_len) if len(text) > self.max_len else terms


_WHITESPACE_RUN = re.compile(f"[^{_JAVA_WS_CLASS}]+")
_ASCII_LETTER_RUN = re.compile("[A-Za-z]+")


def _whitespace_run(text: str) -> re.Pattern[str]:
    return _WHITESPACE_RUN


@lru_cache(maxsize=2)
def _letter_pattern(bmp: bool) -> re.Pattern[str]:
    spans = _tables().spans("L")
    if bmp:
        spans = [(lo, min(hi, 0xFFFF)) for lo, hi in spans if lo <= 0xFFFF]
    return re.compile(f"[{_render(spans)}]+")


def _letter_run(text: str) -> re.Pattern[str]:
    """Runs of Java letters (`Character.isLetter`), picking the fastest equivalent pattern for `text`."""
    if text.isascii():
        return _ASCII_LETTER_RUN
    return _letter_pattern(max(text) <= "\uffff")


class _LowercaseTokenizer(_RegexTokenizer):
    def spans(self, text: str) -> list[_Span]:
        return [(_java_lower(t), s, e, ty) for t, s, e, ty in super().spans(text)]

    def fast(self, text: str) -> list[str]:
        return [_java_lower(t) for t in super().fast(text)]


class _KeywordTokenizer(_Tokenizer):
    kind = "keyword"
    lower_safe = True

    has_spans = True

    def spans(self, text: str) -> list[_Span]:
        return [(text, 0, len(text), "word")]

    def fast(self, text: str) -> list[str]:
        return [text]


_TOKEN_CHAR_CLASSES = ("custom", "digit", "letter", "punctuation", "symbol", "whitespace")


def _char_matcher(classes: list[str], custom: str) -> Callable[[str], bool]:
    """ES's CharMatcher for `token_chars`."""
    checks: list[Callable[[str], bool]] = []
    for cls in classes:
        cls = cls.strip().lower()
        if cls == "letter":
            checks.append(str.isalpha)
        elif cls == "digit":
            checks.append(str.isdecimal)
        elif cls == "whitespace":
            checks.append(lambda ch: ch in _JAVA_WS)
        elif cls == "punctuation":
            checks.append(lambda ch: unicodedata.category(ch)[0] == "P")
        elif cls == "symbol":
            checks.append(lambda ch: unicodedata.category(ch)[0] == "S")
        elif cls == "custom":
            checks.append(lambda ch: ch in custom)
        else:
            raise illegal_argument(
                f"Unknown token type: '{cls}', must be one of [{', '.join(_TOKEN_CHAR_CLASSES)}]"
            )
    return lambda ch: any(check(ch) for check in checks)


def _char_runs(text: str, matcher: Callable[[str], bool] | None) -> list[tuple[int, int]]:
    if matcher is None:
        return [(0, len(text))] if text else []
    runs = []
    start = -1
    for i, ch in enumerate(text):
        if matcher(ch):
            if start < 0:
                start = i
        elif start >= 0:
            runs.append((start, i))
            start = -1
    if start >= 0:
        runs.append((start, len(text)))
    return runs


class _NGramTokenizer(_Tokenizer):
    def __init__(
        self, name: str, min_gram: int, max_gram: int, matcher: Callable[[str], bool] | None, edge: bool
    ) -> None:
        super().__init__(name)
        if min_gram < 1:
            raise illegal_argument("minGram must be greater than zero")
        if min_gram > max_gram:
            raise illegal_argument("minGram must not be greater than maxGram")
        self.min_gram, self.max_gram, self.matcher, self.edge = min_gram, max_gram, matcher, edge
        self.kind = "edge_ngram" if edge else "ngram"

    def tokenize(self, text: str) -> list[_Tok]:
        out: list[_Tok] = []
        lo, hi = self.min_gram, self.max_gram
        for start, end in _char_runs(text, self.matcher):
            starts = (start,) if self.edge else range(start, end)
            for i in starts:
                for size in range(lo, hi + 1):
                    if i + size > end:
                        break
                    out.append(_Tok(text[i : i + size], 1, i, i + size, "word"))
        return out


class _PatternTokenizer(_Tokenizer):
    kind = "pattern"

    def __init__(self, name: str, pattern: re.Pattern[str], group: int) -> None:
        super().__init__(name)
        if group > pattern.groups:
            raise illegal_argument(f"invalid group [{group}] for pattern [{pattern.pattern}]")
        self.pattern, self.group = pattern, group

    def tokenize(self, text: str) -> list[_Tok]:
        out: list[_Tok] = []
        if self.group >= 0:
            for m in self.pattern.finditer(text):
                start, end = m.span(self.group)
                if start < end:
                    out.append(_Tok(text[start:end], 1, start, end, "word"))
            return out
        index = 0
        for m in self.pattern.finditer(text):
            if m.start() > index:
                out.append(_Tok(text[index : m.start()], 1, index, m.start(), "word"))
            index = max(index, m.end())
        if index < len(text):
            out.append(_Tok(text[index:], 1, index, len(text), "word"))
        return out


class _SplitTokenizer(_Tokenizer):
    """simple_pattern_split / char_group: tokens are the non-empty text between separators."""

    def __init__(self, name: str, separator: re.Pattern[str], kind: str, max_len: int = 1 << 30) -> None:
        super().__init__(name)
        self.separator, self.kind, self.max_len = separator, kind, max_len

    has_spans = True

    def spans(self, text: str) -> list[_Span]:
        out: list[_Span] = []
        index = 0
        for m in self.separator.finditer(text):
            if m.start() > index:
                out.append((text[index : m.start()], index, m.start(), "word"))
            index = max(index, m.end())
        if index < len(text):
            out.append((text[index:], index, len(text), "word"))
        return _chunk_spans(out, self.max_len)


class _PathHierarchyTokenizer(_Tokenizer):
    kind = "path_hierarchy"

    def __init__(self, name: str, delimiter: str, replacement: str, skip: int, reverse: bool) -> None:
        super().__init__(name)
        if len(delimiter) != 1 or len(replacement) != 1:
            raise illegal_argument("delimiter and replacement must be exactly one character")
        if skip < 0:
            raise illegal_argument("skip can't be negative")
        self.delim, self.repl, self.skip, self.reverse = delimiter, replacement, skip, reverse

    def tokenize(self, text: str) -> list[_Tok]:
        spans = self._reverse_spans(text) if self.reverse else self._forward_spans(text)
        out = []
        for i, (start, end) in enumerate(spans):
            term = text[start:end].replace(self.delim, self.repl)
            out.append(_Tok(term, 1 if i == 0 else 0, start, end, "word"))
        return out

    def _forward_spans(self, text: str) -> list[tuple[int, int]]:
        delims = [i for i, ch in enumerate(text) if ch == self.delim]
        bounds = [d for d in delims if d > 0] + [len(text)]
        bounds = sorted(set(b for b in bounds if b > 0))
        if not text:
            return []
        start = 0
        if self.skip:
            components = [d for d in delims if d > 0]
            if len(components) < self.skip:
                return []
            start = components[self.skip - 1]
            bounds = [b for b in bounds if b > start]
        return [(start, b) for b in bounds]

    def _reverse_spans(self, text: str) -> list[tuple[int, int]]:
        if not text:
            return []
        delims = [i for i, ch in enumerate(text) if ch == self.delim]
        end = len(text)
        if self.skip:
            tail = [d for d in delims if d < len(text) - 1]
            if len(tail) < self.skip:
                return []
            end = tail[-self.skip] + 1
        starts = [0] + [d + 1 for d in delims if d + 1 < end]
        return [(s, end) for s in sorted(set(starts)) if s < end]


# ---------------------------------------------------------------------------------------------------------
# Token filters
# ---------------------------------------------------------------------------------------------------------


class _Filter:
    """Base token filter.

    `map_fn` (term -> term) or `keep_fn` (term -> bool) enable `Analyzer.terms`' fast path;
    `normalizing` marks filters allowed in normalizers; `marks_keyword` filters add a keyword attribute.
    """

    kind = ""
    normalizing = False
    marks_keyword = False
    sets_keyword = False
    synonym_parse = "use"  # "use", "skip" or "reject" when it precedes a synonym filter
    search_time_only = False
    noop = False  # leaves streams untouched
    map_fn: Callable[[str], str] | None = None
    keep_fn: Callable[[str], bool] | None = None

    def __init__(self, name: str) -> None:
        self.name = name

    def normalize_term(self, text: str) -> str:
        """This filter applied to a whole string (only meaningful for normalizing filters)."""
        return self.map_fn(text) if self.map_fn is not None else text

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        if self.map_fn is not None:
            fn = self.map_fn
            for tok in toks:
                tok.term = fn(tok.term)
            return toks
        if self.keep_fn is not None:
            keep = self.keep_fn
            return _drop(toks, state, lambda t: keep(t.term))
        raise NotImplementedError

    def bind(self, chain: Analyzer) -> _Filter:
        """Chain-aware variant (synonym filters parse their rules with the preceding chain)."""
        return self


def _drop(toks: list[_Tok], state: _State, keep: Callable[[_Tok], bool]) -> list[_Tok]:
    """Lucene FilteringTokenFilter: dropped tokens leave position holes."""
    out: list[_Tok] = []
    skipped = 0
    for tok in toks:
        if keep(tok):
            if skipped:
                tok.inc += skipped
                skipped = 0
            out.append(tok)
        else:
            skipped += tok.inc
    state.end_inc += skipped
    return out


class _MapFilter(_Filter):
    """A filter rewriting each term independently (keyword tokens included unless `skip_keywords`)."""

    def __init__(
        self,
        name: str,
        kind: str,
        fn: Callable[[str], str],
        normalizing: bool = False,
        skip_keywords: bool = False,
    ) -> None:
        super().__init__(name)
        self.kind = kind
        self.fn = fn
        self.normalizing = normalizing
        self.skip_keywords = skip_keywords
        self.marks_keyword = skip_keywords
        self.map_fn = fn

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        fn = self.fn
        for tok in toks:
            if not (self.skip_keywords and tok.kw):
                tok.term = fn(tok.term)
        return toks


class _KeepFilter(_Filter):
    """A FilteringTokenFilter over terms."""

    def __init__(self, name: str, kind: str, keep: Callable[[str], bool]) -> None:
        super().__init__(name)
        self.kind = kind
        self.keep_fn = keep


# fmt: off
_ENGLISH_STOP_WORDS = frozenset(
    [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no",
        "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to",
        "was", "will", "with"
    ]
)
_ES_NAMED_STOP_SETS = frozenset(
    [
        "_arabic_", "_armenian_", "_basque_", "_bengali_", "_brazilian_", "_bulgarian_", "_catalan_", "_cjk_",
        "_czech_", "_danish_", "_dutch_", "_estonian_", "_finnish_", "_french_", "_galician_", "_german_",
        "_greek_", "_hindi_", "_hungarian_", "_indonesian_", "_irish_", "_italian_", "_latvian_",
        "_lithuanian_", "_norwegian_", "_persian_", "_portuguese_", "_romanian_", "_russian_", "_serbian_",
        "_sorani_", "_spanish_", "_swedish_", "_thai_", "_turkish_"
    ]
)
# fmt: on


def _stop_words(cfg: dict[str, Any], default: frozenset[str], ignore_case: bool) -> frozenset[str]:
    _no_files(cfg, "stopwords_path")
    words = _opt_list(cfg, "stopwords")
    if words is None:
        resolved: Iterable[str] = default
    elif words == ["_none_"]:
        resolved = ()
    else:
        expanded: list[str] = []
        for word in words:
            if word == "_english_":
                expanded.extend(_ENGLISH_STOP_WORDS)
            elif word in _ES_NAMED_STOP_SETS:
                raise illegal_argument(f"stop words set [{word}] is not supported by the embedded engine")
            else:
                expanded.append(word)
        resolved = expanded
    return frozenset(_java_lower(w) for w in resolved) if ignore_case else frozenset(resolved)


class _StopFilter(_Filter):
    kind = "stop"

    def __init__(self, name: str, words: frozenset[str], ignore_case: bool, remove_trailing: bool) -> None:
        super().__init__(name)
        self.words, self.ignore_case, self.remove_trailing = words, ignore_case, remove_trailing
        if remove_trailing:
            self.keep_fn = self._keep
        self.marks_keyword = not remove_trailing

    def _keep(self, term: str) -> bool:
        return (_java_lower(term) if self.ignore_case else term) not in self.words

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        if self.remove_trailing or not toks:
            return _drop(toks, state, lambda t: self._keep(t.term))
        last = toks[-1]
        keep_last = not self._keep(last.term) and last.end == state.final_offset
        kept = _drop(toks[:-1], state, lambda t: self._keep(t.term))
        if keep_last or self._keep(last.term):
            if state.end_inc:
                last.inc += state.end_inc
                state.end_inc = 0
            last.kw = last.kw or keep_last
            kept.append(last)
        else:
            state.end_inc += last.inc
        return kept


# fmt: off
_FOLD_TABLE = {
    "Æ": "AE", "æ": "ae", "Ð": "D", "ð": "d", "Ø": "O", "ø": "o", "Þ": "TH", "þ": "th", "ß": "ss",
    "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "ĸ": "q", "Ŀ": "L", "ŀ": "l", "Ł": "L", "ł": "l",
    "ŉ": "'n", "Ŋ": "N", "ŋ": "n", "Œ": "OE", "œ": "oe", "Ŧ": "T", "ŧ": "t", "ƀ": "b", "Ɓ": "B",
    "Ƃ": "B", "ƃ": "b", "Ƈ": "C", "ƈ": "c", "Ɖ": "D", "Ɗ": "D", "Ƌ": "D", "ƌ": "d", "Ɛ": "E", "Ƒ": "F",
    "ƒ": "f", "Ɠ": "G", "Ɨ": "I", "Ƙ": "K", "ƙ": "k", "ƚ": "l", "Ɲ": "N", "ƞ": "n", "Ƥ": "P", "ƥ": "p",
    "ƫ": "t", "Ƭ": "T", "ƭ": "t", "Ʈ": "T", "Ʋ": "V", "Ƴ": "Y", "ƴ": "y", "Ƶ": "Z", "ƶ": "z", "Ǆ": "DZ",
    "ȡ": "d", "ȴ": "l", "ȵ": "n", "ȶ": "t", "ȷ": "j", "ȸ": "db", "ȹ": "qp", "Ⱥ": "A", "Ȼ": "C",
    "ȼ": "c", "Ƚ": "L", "Ⱦ": "T", "ȿ": "s", "ɀ": "z", "Ƀ": "B", "Ʉ": "U", "Ɇ": "E", "ɇ": "e", "Ɉ": "J",
    "ɉ": "j", "Ɍ": "R", "ɍ": "r", "Ɏ": "Y", "ɏ": "y", "ɓ": "b", "ɕ": "c", "ɖ": "d", "ɗ": "d", "ɟ": "j",
    "ɠ": "g", "ɡ": "g", "ɢ": "G", "ɦ": "h", "ɧ": "h", "ɨ": "i", "ɪ": "I", "ɫ": "l", "ɬ": "l", "ɭ": "l",
    "ɱ": "m", "ɲ": "n", "ɳ": "n", "ɴ": "N", "ɶ": "OE", "ɼ": "r", "ɽ": "r", "ɾ": "r", "ʀ": "R", "ʂ": "s",
    "ʈ": "t", "ʉ": "u", "ʋ": "v", "ʏ": "Y", "ʐ": "z", "ʑ": "z", "ʙ": "B", "ʛ": "G", "ʜ": "H", "ʝ": "j",
    "ʟ": "L", "ʠ": "q", "ʣ": "dz", "ʥ": "dz", "ʦ": "ts", "ʪ": "ls", "ʫ": "lz", "ᴀ": "A", "ᴁ": "AE",
    "ᴃ": "B", "ᴄ": "C", "ᴅ": "D", "ᴆ": "D", "ᴇ": "E", "ᴊ": "J", "ᴋ": "K", "ᴌ": "L", "ᴍ": "M",
    "ᴏ": "O", "ᴘ": "P", "ᴛ": "T", "ᴜ": "U", "ᴠ": "V", "ᴡ": "W", "ᴢ": "Z", "ẞ": "SS",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u2035": "'",
    "\u2039": "'", "\u203a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2033": '"', "\u2036": '"', "\u2010": "-", "\u2011": "-",
    "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u00bd": "1/2",
    "\u00bc": "1/4", "\u00be": "3/4", "\u2044": "/", "\u00a0": " ",
}
# fmt: on
_fold_cache: dict[str, str] = {}


def _fold_char(ch: str) -> str:
    folded = _fold_cache.get(ch)
    if folded is not None:
        return folded
    folded = _FOLD_TABLE.get(ch)
    if folded is None:
        decomposed = unicodedata.normalize("NFKD", ch)
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
        folded = stripped if stripped and stripped.isascii() and stripped.isprintable() else ch
    _fold_cache[ch] = folded
    return folded


def _ascii_fold(term: str) -> str:
    """Lucene ASCIIFoldingFilter: Latin letters, digits and punctuation to their ASCII equivalents."""
    if term.isascii():
        return term
    return "".join(ch if ch < "\x80" else _fold_char(ch) for ch in term)


class _AsciiFoldingFilter(_Filter):
    kind = "asciifolding"
    normalizing = True

    def __init__(self, name: str, preserve_original: bool) -> None:
        super().__init__(name)
        self.preserve = preserve_original
        if not preserve_original:
            self.map_fn = _ascii_fold

    def normalize_term(self, text: str) -> str:
        return _ascii_fold(text)

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        out: list[_Tok] = []
        for tok in toks:
            folded = _ascii_fold(tok.term)
            if folded == tok.term:
                out.append(tok)
                continue
            out.append(tok.but(term=folded))
            if self.preserve:
                out.append(tok.but(inc=0))
        return out


def _greek_lower(term: str) -> str:
    lowered = _java_lower(term).replace("\u03c2", "\u03c3")
    decomposed = unicodedata.normalize("NFD", lowered)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in "\u0301\u0308\u0344"))


def _turkish_lower(term: str) -> str:
    return _java_lower(term.replace("I", "\u0131").replace("\u0130", "i"))


class _NGramFilter(_Filter):
    def __init__(self, name: str, min_gram: int, max_gram: int, preserve: bool, edge: bool) -> None:
        super().__init__(name)
        if min_gram < 1:
            raise illegal_argument("minGram must be greater than zero")
        if min_gram > max_gram:
            raise illegal_argument("minGram must not be greater than maxGram")
        self.min_gram, self.max_gram, self.preserve, self.edge = min_gram, max_gram, preserve, edge
        self.kind = "edge_ngram" if edge else "ngram"
        self.synonym_parse = "reject"

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        out: list[_Tok] = []
        skipped = 0
        for tok in toks:
            grams = self._grams(tok.term)
            keep_original = self.preserve and (len(tok.term) < self.min_gram or len(tok.term) > self.max_gram)
            if not grams and not keep_original:
                skipped += tok.inc
                continue
            inc = tok.inc + skipped
            skipped = 0
            start, end, type_, plen, kw = tok.start, tok.end, tok.type, tok.plen, tok.kw
            for gram in grams:
                out.append(_Tok(gram, inc, start, end, type_, plen, kw))  # tok.but(term=gram, inc=inc)
                inc = 0
            if keep_original:
                out.append(tok.but(inc=inc))
        state.end_inc += skipped
        return out

    def _grams(self, term: str) -> list[str]:
        n = len(term)
        lo, hi = self.min_gram, self.max_gram
        if self.edge:
            return [term[:size] for size in range(lo, min(hi, n) + 1)]
        return [term[i : i + size] for i in range(n) for size in range(lo, hi + 1) if i + size <= n]


class _UniqueFilter(_Filter):
    kind = "unique"

    def __init__(self, name: str, only_on_same_position: bool) -> None:
        super().__init__(name)
        self.same_position = only_on_same_position

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        out: list[_Tok] = []
        seen: set[str] = set()
        for tok in toks:
            if self.same_position and tok.inc > 0:
                seen = set()
            if tok.term in seen:
                continue
            seen.add(tok.term)
            out.append(tok)
        return out


class _LimitFilter(_Filter):
    kind = "limit"

    def __init__(self, name: str, max_count: int) -> None:
        super().__init__(name)
        self.max_count = max_count

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        return toks[: self.max_count]


class _KeepTypesFilter(_Filter):
    kind = "keep_types"

    def __init__(self, name: str, types: frozenset[str], include: bool) -> None:
        super().__init__(name)
        self.types, self.include = types, include

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        return _drop(toks, state, lambda t: (t.type in self.types) == self.include)


class _KeywordMarkerFilter(_Filter):
    kind = "keyword_marker"
    marks_keyword = True
    sets_keyword = True

    def __init__(self, name: str, words: frozenset[str], pattern: re.Pattern[str] | None, ignore_case: bool):
        super().__init__(name)
        self.words, self.pattern, self.ignore_case = words, pattern, ignore_case

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        for tok in toks:
            term = _java_lower(tok.term) if self.ignore_case else tok.term
            if term in self.words or (self.pattern is not None and self.pattern.fullmatch(tok.term)):
                tok.kw = True
        return toks


class _KeywordRepeatFilter(_Filter):
    kind = "keyword_repeat"
    marks_keyword = True
    sets_keyword = True

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        out: list[_Tok] = []
        for tok in toks:
            out.append(tok.but(kw=True))
            out.append(tok.but(inc=0, kw=False))
        return out


class _FingerprintFilter(_Filter):
    kind = "fingerprint"
    synonym_parse = "reject"

    def __init__(self, name: str, separator: str, max_output_size: int) -> None:
        super().__init__(name)
        self.separator, self.max_size = separator, max_output_size

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        if not toks:
            return toks
        terms = sorted({t.term for t in toks})
        joined = self.separator.join(terms)
        if len(joined) > self.max_size:
            return []
        return [_Tok(joined, 1, 0, state.final_offset, "fingerprint")]


class _FlattenGraphFilter(_Filter):
    kind = "flatten_graph"
    noop = True

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        return toks


# --- Porter stemmer (M. F. Porter, 1980; the reference-implementation variant Lucene ships) -----------------

_PORTER_STEP2 = {
    "a": (("ational", "ate"), ("tional", "tion")),
    "c": (("enci", "ence"), ("anci", "ance")),
    "e": (("izer", "ize"),),
    "l": (("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous")),
    "o": (("ization", "ize"), ("ation", "ate"), ("ator", "ate")),
    "s": (("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous")),
    "t": (("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")),
    "g": (("logi", "log"),),
}
_PORTER_STEP3 = {
    "e": (("icate", "ic"), ("ative", ""), ("alize", "al")),
    "i": (("iciti", "ic"),),
    "l": (("ical", "ic"), ("ful", "")),
    "s": (("ness", ""),),
}
# fmt: off
_PORTER_STEP4 = {
    "a": ("al",), "c": ("ance", "ence"), "e": ("er",), "i": ("ic",), "l": ("able", "ible"),
    "n": ("ant", "ement", "ment", "ent"), "s": ("ism",), "t": ("ate", "iti"), "u": ("ous",),
    "v": ("ive",), "z": ("ize",),
}
# fmt: on


class _Porter:
    """One stemming run over a word held as a list of chars; `k` is the last index, `j` a suffix mark."""

    __slots__ = ("b", "k", "j")

    def __init__(self, word: str) -> None:
        self.b = list(word)
        self.k = len(word) - 1
        self.j = 0

    def cons(self, i: int) -> bool:
        ch = self.b[i]
        if ch in "aeiou":
            return False
        if ch == "y":
            return i == 0 or not self.cons(i - 1)
        return True

    def m(self) -> int:
        """Number of consonant-vowel sequences in b[0..j]."""
        n, i, j = 0, 0, self.j
        while i <= j and self.cons(i):
            i += 1
        while True:
            while i <= j and not self.cons(i):
                i += 1
            if i > j:
                return n
            while i <= j and self.cons(i):
                i += 1
            n += 1
            if i > j:
                return n

    def vowel_in_stem(self) -> bool:
        return any(not self.cons(i) for i in range(self.j + 1))

    def double_c(self, j: int) -> bool:
        return j >= 1 and self.b[j] == self.b[j - 1] and self.cons(j)

    def cvc(self, i: int) -> bool:
        if i < 2 or not self.cons(i) or self.cons(i - 1) or not self.cons(i - 2):
            return False
        return self.b[i] not in "wxy"

    def ends(self, suffix: str) -> bool:
        size = len(suffix)
        if size > self.k + 1 or "".join(self.b[self.k - size + 1 : self.k + 1]) != suffix:
            return False
        self.j = self.k - size
        return True

    def set_to(self, text: str) -> None:
        del self.b[self.j + 1 :]
        self.b.extend(text)
        self.k = self.j + len(text)

    def replace_if_measured(self, text: str) -> None:
        if self.m() > 0:
            self.set_to(text)

    def step1(self) -> None:
        b = self.b
        if b[self.k] == "s":
            if self.ends("sses"):
                self.k -= 2
            elif self.ends("ies"):
                self.set_to("i")
            elif b[self.k - 1] != "s":
                self.k -= 1
        if self.ends("eed"):
            if self.m() > 0:
                self.k -= 1
        elif (self.ends("ed") or self.ends("ing")) and self.vowel_in_stem():
            self.k = self.j
            if self.ends("at"):
                self.set_to("ate")
            elif self.ends("bl"):
                self.set_to("ble")
            elif self.ends("iz"):
                self.set_to("ize")
            elif self.double_c(self.k):
                if self.b[self.k] not in "lsz":
                    self.k -= 1
            elif self.m() == 1 and self.cvc(self.k):
                self.set_to("e")

    def step2(self) -> None:
        if self.ends("y") and self.vowel_in_stem():
            del self.b[self.k :]
            self.b.append("i")

    def table_step(self, table: dict[str, tuple[tuple[str, str], ...]], key_index: int) -> None:
        if self.k + key_index < 0:
            return
        for suffix, replacement in table.get(self.b[self.k + key_index], ()):
            if self.ends(suffix):
                self.replace_if_measured(replacement)
                return

    def step5(self) -> None:
        if self.k == 0:
            return
        key = self.b[self.k - 1]
        if key == "o":
            matched = (self.ends("ion") and self.j >= 0 and self.b[self.j] in "st") or self.ends("ou")
        else:
            matched = any(self.ends(s) for s in _PORTER_STEP4.get(key, ()))
        if matched and self.m() > 1:
            self.k = self.j

    def step6(self) -> None:
        self.j = self.k
        if self.b[self.k] == "e":
            a = self.m()
            if a > 1 or (a == 1 and not self.cvc(self.k - 1)):
                self.k -= 1
        if self.b[self.k] == "l" and self.double_c(self.k) and self.m() > 1:
            self.k -= 1

    def run(self) -> str:
        if self.k > 1:
            self.step1()
            self.step2()
            if self.k > 0:
                self.table_step(_PORTER_STEP2, -1)
            self.table_step(_PORTER_STEP3, 0)
            self.step5()
            self.step6()
        return "".join(self.b[: self.k + 1])


@lru_cache(maxsize=65536)
def porter_stem(word: str) -> str:
    """Stem one (lowercase) English word with the Porter algorithm."""
    return _Porter(word).run() if len(word) > 2 else word


def _english_minimal_stem(term: str) -> str:
    n = len(term)
    if n < 3 or term[-1] != "s":
        return term
    second = term[-2]
    if second in "us":
        return term
    if second == "e":
        if n > 3 and term[-3] == "i" and term[-4] not in "ae":
            return term[:-3] + "y"
        if term[-3] in "iaoe":
            return term
    return term[:-1]


def _english_possessive(term: str) -> str:
    if len(term) >= 2 and term[-2] in "'\u2019\uff07" and term[-1] in "sS":
        return term[:-2]
    return term


def _elision(articles: frozenset[str], ignore_case: bool) -> Callable[[str], str]:
    def strip(term: str) -> str:
        for idx, ch in enumerate(term):
            if ch in "'\u2019":
                prefix = term[:idx]
                if (_java_lower(prefix) if ignore_case else prefix) in articles:
                    return term[idx + 1 :]
                return term
        return term

    return strip


def _decimal_digits(term: str) -> str:
    if term.isascii():
        return term
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in term)


def _strip_apostrophe(term: str) -> str:
    for idx, ch in enumerate(term):
        if ch in "'\u2019":
            return term[:idx]
    return term


# --- Shingles ------------------------------------------------------------------------------------------------


class _ShingleFilter(_Filter):
    kind = "shingle"
    synonym_parse = "reject"

    def __init__(
        self,
        name: str,
        min_size: int,
        max_size: int,
        unigrams: bool,
        unigrams_if_none: bool,
        separator: str,
        filler: str,
    ) -> None:
        super().__init__(name)
        if max_size < 2:
            raise illegal_argument("Max shingle size must be >= 2")
        if min_size < 2:
            raise illegal_argument("Min shingle size must be >= 2")
        if min_size > max_size:
            raise illegal_argument("Min shingle size must be <= max shingle size")
        self.min_size, self.max_size = min_size, max_size
        self.unigrams, self.unigrams_if_none = unigrams, unigrams_if_none
        self.separator, self.filler = separator, filler

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        seq = self._with_fillers(toks, state)
        out: list[_Tok] = []
        last_p = -1
        shingles = 0
        for p, item in enumerate(seq):
            emitted = []
            if isinstance(item, _Tok) and self.unigrams:
                emitted.append(item.but())
            for size in range(self.min_size, self.max_size + 1):
                shingle = self._shingle(seq, p, size)
                if shingle is not None:
                    emitted.append(shingle)
                    shingles += 1
            for idx, tok in enumerate(emitted):
                tok.inc = (p - last_p) if idx == 0 else 0
            if emitted:
                last_p = p
            out.extend(emitted)
        if shingles == 0 and not self.unigrams and self.unigrams_if_none:
            return toks
        return out

    def _with_fillers(self, toks: list[_Tok], state: _State) -> list[_Tok | tuple[int, int]]:
        seq: list[_Tok | tuple[int, int]] = []
        for tok in toks:
            for _ in range(min(tok.inc - 1, self.max_size - 1)):
                seq.append((tok.start, tok.start))
            seq.append(tok)
        for _ in range(min(state.end_inc, self.max_size - 1)):
            seq.append((state.final_offset, state.final_offset))
        return seq

    def _shingle(self, seq: list[Any], p: int, size: int) -> _Tok | None:
        if p + size > len(seq):
            return None
        window = seq[p : p + size]
        if not any(isinstance(w, _Tok) for w in window):
            return None
        terms = [w.term if isinstance(w, _Tok) else self.filler for w in window]
        first, last = window[0], window[-1]
        start = first.start if isinstance(first, _Tok) else first[0]
        end = last.end if isinstance(last, _Tok) else last[1]
        return _Tok(self.separator.join(terms), 0, start, end, "shingle", size)


# --- Word delimiter --------------------------------------------------------------------------------------------

_WD_LOWER, _WD_UPPER, _WD_DIGIT, _WD_DELIM = 1, 2, 4, 8
_WD_ALPHA = _WD_LOWER | _WD_UPPER
# fmt: off
_WD_TYPE_NAMES = {
    "LOWER": _WD_LOWER, "UPPER": _WD_UPPER, "ALPHA": _WD_ALPHA, "DIGIT": _WD_DIGIT,
    "ALPHANUM": _WD_ALPHA | _WD_DIGIT, "SUBWORD_DELIM": _WD_DELIM,
}
_WD_CATEGORY_TYPES = {
    "Lu": _WD_UPPER, "Ll": _WD_LOWER, "Lt": _WD_ALPHA, "Lm": _WD_ALPHA, "Lo": _WD_ALPHA,
    "Mn": _WD_ALPHA, "Me": _WD_ALPHA, "Mc": _WD_ALPHA, "Nd": _WD_DIGIT, "Nl": _WD_DIGIT,
    "No": _WD_DIGIT, "Cs": _WD_ALPHA | _WD_DIGIT,
}
# fmt: on


def _wd_char_type(ch: str, table: dict[str, int]) -> int:
    if ch in table:
        return table[ch]
    return _WD_CATEGORY_TYPES.get(unicodedata.category(ch), _WD_DELIM)


@dataclass(slots=True)
class _WdOptions:
    word_parts: bool = True
    number_parts: bool = True
    catenate_words: bool = False
    catenate_numbers: bool = False
    catenate_all: bool = False
    preserve_original: bool = False
    split_on_case_change: bool = True
    split_on_numerics: bool = True
    stem_possessive: bool = True
    adjust_offsets: bool = True
    ignore_keywords: bool = False


class _WdConcat:
    __slots__ = ("text", "type", "start_pos", "start_char", "end_char", "count")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.type = 0
        self.start_pos = self.start_char = self.end_char = self.count = 0

    def add(self, part: str, wtype: int, word_pos: int, start: int, end: int) -> None:
        if not self.text:
            self.type, self.start_pos, self.start_char = wtype, word_pos, start
        self.text.append(part)
        self.end_char = end
        self.count += 1


class _WordDelimiterFilter(_Filter):
    synonym_parse = "reject"

    def __init__(
        self, name: str, opts: _WdOptions, graph: bool, protected: frozenset[str], table: dict[str, int]
    ) -> None:
        super().__init__(name)
        self.opts, self.graph, self.protected, self.table = opts, graph, protected, table
        self.kind = "word_delimiter_graph" if graph else "word_delimiter"

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        out: list[_Tok] = []
        for tok in toks:
            out.extend(self._split(tok))
        return out

    def _split(self, tok: _Tok) -> list[_Tok]:
        term = tok.term
        if (self.opts.ignore_keywords and tok.kw) or term in self.protected:
            return [tok]
        types = [_wd_char_type(ch, self.table) for ch in term]
        parts = self._subwords(term, types)
        if parts and parts[0] == (0, len(term)):
            return [tok]
        if not parts and not self.opts.preserve_original:
            return []
        buffered = self._buffer(term, types, parts)
        return self._emit(tok, buffered)

    def _subwords(self, term: str, types: list[int]) -> list[tuple[int, int]]:
        n = len(term)
        start = 0
        while start < n and types[start] & _WD_DELIM:
            start += 1
        end_b = n
        while end_b > start and types[end_b - 1] & _WD_DELIM:
            end_b -= 1
        if self._possessive(term, types, end_b, end_b):
            end_b -= 2
        parts: list[tuple[int, int]] = []
        cur, skip = start, False
        while True:
            if skip:
                cur += 2
                skip = False
            while cur < end_b and types[cur] & _WD_DELIM:
                cur += 1
            if cur >= end_b:
                return parts
            last = types[cur]
            end = cur + 1
            while end < end_b and not self._is_break(last, types[end]):
                last = types[end]
                end += 1
            if end < end_b - 1 and self._possessive(term, types, end + 2, end_b):
                skip = True
            parts.append((cur, end))
            cur = end

    def _possessive(self, term: str, types: list[int], pos: int, end_b: int) -> bool:
        if not self.opts.stem_possessive or pos <= 2 or pos > len(term):
            return False
        return (
            term[pos - 2] == "'"
            and term[pos - 1] in "sS"
            and bool(types[pos - 3] & _WD_ALPHA)
            and (pos == end_b or bool(types[pos] & _WD_DELIM))
        )

    def _is_break(self, last: int, cur: int) -> bool:
        if cur & last:
            return False
        if not self.opts.split_on_case_change and last & _WD_ALPHA and cur & _WD_ALPHA:
            return False
        if last & _WD_UPPER and cur & _WD_ALPHA:
            return False
        mixed = (last & _WD_ALPHA and cur & _WD_DIGIT) or (last & _WD_DIGIT and cur & _WD_ALPHA)
        return not (not self.opts.split_on_numerics and mixed)

    def _buffer(self, term: str, types: list[int], parts: list[tuple[int, int]]) -> list[list[Any]]:
        """Lucene's buffering: entries [start_pos, end_pos, text, start_char, end_char, kind]."""
        opts = self.opts
        buffered: list[list[Any]] = []
        if opts.preserve_original:
            buffered.append([0, 0, term, 0, len(term), 0])
        pos = 0
        last_count = 0
        concat, concat_all = _WdConcat(), _WdConcat()

        def generates(wtype: int) -> bool:
            return bool((opts.word_parts and wtype & _WD_ALPHA) or (opts.number_parts and wtype & _WD_DIGIT))

        def concatenates(wtype: int) -> bool:
            return bool(
                (opts.catenate_words and wtype & _WD_ALPHA) or (opts.catenate_numbers and wtype & _WD_DIGIT)
            )

        def flush(group: _WdConcat, kind: int) -> _WdConcat:
            nonlocal pos, last_count
            if pos == group.start_pos:
                pos += 1
            last_count = group.count
            if group.count != 1 or not generates(group.type):
                buffered.append(
                    [group.start_pos, pos, "".join(group.text), group.start_char, group.end_char, kind]
                )
            return _WdConcat()

        for start, end in parts:
            wtype = types[start]
            wtype = _WD_ALPHA if wtype in (_WD_LOWER, _WD_UPPER) else wtype
            if concat.text and not concat.type & wtype:
                concat = flush(concat, 2)
            if concatenates(wtype):
                concat.add(term[start:end], wtype, pos, start, end)
            if opts.catenate_all:
                concat_all.add(term[start:end], wtype, pos, start, end)
            if generates(wtype):
                buffered.append([pos, pos + 1, term[start:end], start, end, 1])
                pos += 1
        if concat.text:
            concat = flush(concat, 2)
        if concat_all.text and concat_all.count > last_count:
            if pos == concat_all.start_pos:
                pos += 1
            buffered.append(
                [
                    concat_all.start_pos,
                    pos,
                    "".join(concat_all.text),
                    concat_all.start_char,
                    concat_all.end_char,
                    3,
                ]
            )
        if opts.preserve_original:
            buffered[0][1] = max(pos, 1)
        if self.graph:
            buffered.sort(key=lambda e: (e[0], -e[1]))
        else:
            buffered.sort(key=lambda e: (e[0], e[5]))
        return buffered

    def _emit(self, tok: _Tok, buffered: list[list[Any]]) -> list[_Tok]:
        illegal = tok.end - tok.start != len(tok.term)
        out: list[_Tok] = []
        last_start = 0
        for idx, (start_pos, end_pos, text, s, e, _kind) in enumerate(buffered):
            if illegal or not self.opts.adjust_offsets:
                start_off, end_off = tok.start, tok.end
            else:
                start_off, end_off = tok.start + s, tok.start + e
            inc = tok.inc if idx == 0 else start_pos - last_start
            plen = (end_pos - start_pos) if self.graph else 1
            out.append(_Tok(text, inc, start_off, end_off, tok.type, max(plen, 1), tok.kw))
            last_start = start_pos
        return out


# --- Synonyms ------------------------------------------------------------------------------------------------


class _SynonymMap:
    """Input term sequence -> (outputs, keep original), as Lucene's SynonymMap.Builder with dedup."""

    def __init__(self) -> None:
        self.rules: dict[tuple[str, ...], tuple[list[tuple[str, ...]], list[bool]]] = {}
        self.prefixes: set[tuple[str, ...]] = set()
        self.max_len = 0

    def add(self, source: tuple[str, ...], target: tuple[str, ...], include_orig: bool) -> None:
        outputs, keep = self.rules.setdefault(source, ([], [False]))
        if target not in outputs:
            outputs.append(target)
        keep[0] = keep[0] or include_orig
        self.max_len = max(self.max_len, len(source))
        for i in range(1, len(source)):
            self.prefixes.add(source[:i])

    def longest(self, terms: list[str], i: int) -> tuple[int, tuple[list[tuple[str, ...]], bool] | None]:
        best_len, best = 0, None
        for size in range(1, self.max_len + 1):
            if i + size > len(terms):
                break
            key = tuple(terms[i : i + size])
            entry = self.rules.get(key)
            if entry is not None:
                best_len, best = size, (entry[0], entry[1][0])
            if key not in self.prefixes:
                break
        return best_len, best


def _solr_split(text: str, separator: str) -> list[str]:
    pieces: list[str] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith(separator, i):
            if buf:
                pieces.append("".join(buf))
                buf = []
            i += len(separator)
            continue
        ch = text[i]
        i += 1
        if ch == "\\":
            buf.append(ch)
            if i >= n:
                break
            ch = text[i]
            i += 1
        buf.append(ch)
    if buf:
        pieces.append("".join(buf))
    return pieces


def _solr_unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i < len(text) - 1:
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out)


class _SynonymParser:
    """Solr-format synonym rules analyzed with the chain that precedes the synonym filter."""

    def __init__(self, chain: Analyzer | None, expand: bool, lenient: bool) -> None:
        self.chain, self.expand, self.lenient = chain, expand, lenient
        self.map = _SynonymMap()

    def parse(self, rules: list[str]) -> _SynonymMap:
        lines = "\n".join(rules).split("\n")
        for number, line in enumerate(lines, start=1):
            if not line or line[0] == "#":
                continue
            try:
                self._parse_line(line)
            except EsError as exc:
                parse_error = EsError(
                    400, "parse_exception", f"Invalid synonym rule at line {number}", caused_by=exc
                )
                raise EsError(
                    400, "illegal_argument_exception", "failed to build synonyms", caused_by=parse_error
                ) from None
        return self.map

    def _parse_line(self, line: str) -> None:
        sides = _solr_split(line, "=>")
        if len(sides) > 2:
            raise illegal_argument("more than one explicit mapping specified on the same line")
        if len(sides) == 2:
            sources = [self._analyze(s) for s in _solr_split(sides[0], ",")]
            targets = [self._analyze(s) for s in _solr_split(sides[1], ",")]
            for source in sources:
                for target in targets:
                    self._add(source, target, False)
            return
        terms = [self._analyze(s) for s in _solr_split(line, ",")]
        if self.expand:
            for i, source in enumerate(terms):
                for j, target in enumerate(terms):
                    if i != j:
                        self._add(source, target, True)
        else:
            for source in terms:
                self._add(source, terms[0], False)

    def _add(self, source: tuple[str, ...], target: tuple[str, ...], include_orig: bool) -> None:
        if not source or not target:
            if self.lenient:
                return
            raise illegal_argument("numInputWords must be > 0")
        self.map.add(source, target, include_orig)

    def _analyze(self, raw: str) -> tuple[str, ...]:
        text = _solr_unescape(raw).strip()
        try:
            return self._terms(text)
        except EsError:
            if self.lenient:
                return ()
            raise

    def _terms(self, text: str) -> tuple[str, ...]:
        if self.chain is None:
            words = tuple(text.split())
            if not words:
                raise illegal_argument(f"term: {text} was completely eliminated by analyzer")
            return words
        toks, _ = self.chain.stream(text)
        terms = []
        for tok in toks:
            if not tok.term:
                raise illegal_argument(f"term: {text} analyzed to a zero-length token")
            if tok.inc != 1:
                raise illegal_argument(
                    f"term: {text} analyzed to a token ({tok.term}) with position increment != 1 (got: {tok.inc})"
                )
            terms.append(tok.term)
        if not terms:
            raise illegal_argument(f"term: {text} was completely eliminated by analyzer")
        return tuple(terms)


class _SynonymFilter(_Filter):
    """synonym (Lucene SynonymFilter) and synonym_graph (SynonymGraphFilter)."""

    synonym_parse = "skip"

    def __init__(self, name: str, kind: str, rules: list[str], expand: bool, lenient: bool, updateable: bool):
        super().__init__(name)
        self.kind, self.rules, self.expand, self.lenient = kind, rules, expand, lenient
        self.search_time_only = updateable
        self.map: _SynonymMap | None = None

    def bind(self, chain: Analyzer) -> _Filter:
        bound = _SynonymFilter(
            self.name, self.kind, self.rules, self.expand, self.lenient, self.search_time_only
        )
        bound.map = _SynonymParser(chain, self.expand, self.lenient).parse(self.rules)
        return bound

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        syn_map = self.map
        if syn_map is None:
            syn_map = self.map = _SynonymParser(None, self.expand, self.lenient).parse(self.rules)
        if not syn_map.rules or not toks:
            return toks
        if self.kind == "synonym_graph":
            return _apply_synonym_graph(syn_map, toks)
        return _apply_synonym_flat(syn_map, toks)


def _apply_synonym_graph(syn_map: _SynonymMap, toks: list[_Tok]) -> list[_Tok]:
    terms = [t.term for t in toks]
    out: list[_Tok] = []
    last_node, next_node = -1, 0
    i = 0
    while i < len(toks):
        size, entry = syn_map.longest(terms, i)
        if entry is None:
            tok = toks[i]
            out.append(tok)
            last_node += tok.inc
            next_node = last_node + tok.plen
            i += 1
            continue
        outputs, keep = entry
        span = toks[i : i + size]
        nodes = _graph_nodes(outputs, keep, span, next_node)
        next_node = _graph_end(outputs, keep, size, next_node)
        start_off, end_off = span[0].start, span[-1].end
        for src, term, start_node, end_node in nodes:
            inc = start_node - last_node
            last_node = start_node
            if src is None:
                out.append(_Tok(term, inc, start_off, end_off, "SYNONYM", end_node - start_node))
            else:
                out.append(src.but(inc=inc, plen=end_node - start_node))
        i += size
    return out


def _graph_end(outputs: list[tuple[str, ...]], keep: bool, size: int, start_node: int) -> int:
    total = (size - 1 if keep else 0) + sum(len(o) - 1 for o in outputs)
    return start_node + total + 1


def _graph_nodes(
    outputs: list[tuple[str, ...]], keep: bool, span: list[_Tok], start_node: int
) -> list[tuple[_Tok | None, str, int, int]]:
    """Lucene SynonymGraphFilter.bufferOutputTokens: side paths first, then the original tokens."""
    end_node = _graph_end(outputs, keep, len(span), start_node)
    buf: list[tuple[_Tok | None, str, int, int]] = []
    new_nodes = 0
    first_ends = []
    for output in outputs:
        if len(output) == 1:
            path_end = end_node
        else:
            path_end = start_node + new_nodes + 1
            new_nodes += len(output) - 1
        first_ends.append(path_end)
        buf.append((None, output[0], start_node, path_end))
    orig_end = end_node
    if keep:
        orig_end = end_node if len(span) == 1 else start_node + new_nodes + 1
        buf.append((span[0], span[0].term, start_node, orig_end))
    for output, node in zip(outputs, first_ends, strict=True):
        if len(output) > 1:
            for word in output[1:-1]:
                buf.append((None, word, node, node + 1))
                node += 1
            buf.append((None, output[-1], node, end_node))
    if keep and len(span) > 1:
        node = orig_end
        for tok in span[1:-1]:
            buf.append((tok, tok.term, node, node + 1))
            node += 1
        buf.append((span[-1], span[-1].term, node, end_node))
    return buf


def _apply_synonym_flat(syn_map: _SynonymMap, toks: list[_Tok]) -> list[_Tok]:
    """Lucene's (non-graph) SynonymFilter: outputs are stacked on the input positions."""
    terms = [t.term for t in toks]
    n = len(toks)
    keep = [False] * n
    matched = [False] * n
    pending: dict[int, list[tuple[str, int | None, int]]] = {}
    out: list[_Tok] = []
    i = 0
    while i < n:
        size, entry = syn_map.longest(terms, i)
        span = 1
        if entry is not None:
            outputs, keep_orig = entry
            for output in outputs:
                for k, word in enumerate(output):
                    if len(output) == 1:
                        pending.setdefault(i, []).append(
                            (word, toks[i + size - 1].end, size if keep_orig else 1)
                        )
                    else:
                        pending.setdefault(i + k, []).append((word, None, 1))
            for k in range(size):
                keep[i + k] = keep[i + k] or keep_orig
                matched[i + k] = True
            span = size
        for slot in range(i, i + span):
            _emit_flat_slot(toks[slot], keep[slot] or not matched[slot], pending.pop(slot, []), out)
        i += span
    last = toks[-1]
    for slot in sorted(k for k in pending if k >= n):
        for idx, (word, _end, plen) in enumerate(pending[slot]):
            out.append(_Tok(word, 1 if idx == 0 else 0, last.start, last.end, "SYNONYM", plen))
    return out


def _emit_flat_slot(
    tok: _Tok, emit_orig: bool, outputs: list[tuple[str, int | None, int]], out: list[_Tok]
) -> None:
    inc = 1
    if emit_orig:
        out.append(tok)
        inc = 0
    for word, end, plen in outputs:
        out.append(_Tok(word, inc, tok.start, tok.end if end is None else end, "SYNONYM", plen))
        inc = 0


# ---------------------------------------------------------------------------------------------------------
# Analyzer
# ---------------------------------------------------------------------------------------------------------


class Analyzer:
    """A tokenizer with char filters and token filters (what Lucene calls an Analyzer)."""

    def __init__(
        self,
        name: str,
        tokenizer: _Tokenizer,
        filters: Sequence[_Filter] = (),
        char_filters: Sequence[_CharFilter] = (),
        *,
        position_increment_gap: int = 100,
        offset_gap: int = 1,
        custom: bool = True,
    ) -> None:
        self.name = name
        self.tokenizer = tokenizer
        self.char_filters = tuple(char_filters)
        self.filters = tuple(self._bind(filters))
        self.position_increment_gap = position_increment_gap
        self.offset_gap = offset_gap
        self.custom = custom
        self.search_time_only = any(f.search_time_only for f in self.filters)
        self._fast: Callable[[str], list[str]] | None = None
        self._fast_tokens: Callable[[str], list[Token]] | None = None
        self._fast_positions: Callable[[str], list[tuple[str, int]]] | None = None
        self._fast_grouped: Callable[[str], Grouped] | None = None
        self._plan_fast_paths()

    def _bind(self, filters: Sequence[_Filter]) -> list[_Filter]:
        bound: list[_Filter] = []
        for f in filters:
            if isinstance(f, _SynonymFilter):
                f = f.bind(self._synonym_chain(bound))
            bound.append(f)
        return bound

    def _synonym_chain(self, previous: list[_Filter]) -> Analyzer:
        usable = []
        for f in previous:
            if f.synonym_parse == "reject":
                raise illegal_argument(f"Token filter [{f.name}] cannot be used to parse synonyms")
            if f.synonym_parse == "use":
                usable.append(f)
        return Analyzer(f"{self.name}__synonyms", self.tokenizer, usable, self.char_filters, custom=True)

    def stream(self, text: str, upto: int | None = None) -> tuple[list[_Tok], _State]:
        """Run char filters, the tokenizer (offsets corrected) and the first `upto` token filters."""
        filtered, maps = self._char_filter(text)
        toks = self.tokenizer.tokenize(filtered)
        final = len(filtered)
        if maps:
            for tok in toks:
                tok.start = _correct(maps, tok.start)
                tok.end = _correct(maps, tok.end)
            final = _correct(maps, final)
        state = _State(final)
        for f in self.filters[:upto]:
            toks = f.apply(toks, state)
        return toks, state

    def _char_filter(self, text: str) -> tuple[str, list[_OffsetMap]]:
        maps: list[_OffsetMap] = []
        for cf in self.char_filters:
            text, offsets = cf.apply(text)
            if offsets is not None:
                maps.append(offsets)
        return text, maps

    def analyze(self, text: str) -> list[Token]:
        """Tokens with absolute positions and offsets into `text`."""
        if self._fast_tokens is not None:
            return self._fast_tokens(text)
        toks, _ = self.stream(text)
        out = []
        pos = -1
        for tok in toks:
            if tok.inc > 0:
                pos += tok.inc
            out.append(Token(tok.term, pos, tok.start, tok.end, tok.type, tok.plen))
        return out

    def positions(self, text: str) -> list[tuple[str, int]]:
        """`(term, position)` of each token, in stream order: what indexing needs (no offsets)."""
        if self._fast_positions is not None:
            return self._fast_positions(text)
        return [(tok.term, tok.position) for tok in self.analyze(text)]

    def grouped(self, text: str) -> Grouped:
        """`positions(text)` grouped by term, as indexing adds them to postings: the distinct terms in
        order of first occurrence, each term's position (an int) or positions (a tuple, for a repeated
        term), the token count and the last token's position (-1 without tokens)."""
        if self._fast_grouped is not None:
            return self._fast_grouped(text)
        return group_positions(self.positions(text))

    def terms(self, text: str) -> list[str]:
        """Just the terms, in stream order (fast path when every component allows it)."""
        if self._fast is not None:
            return self._fast(text)
        return [tok.term for tok in self.stream(text)[0]]

    def normalize(self, text: str) -> str:
        """Apply only the normalizing char filters and token filters to the whole text (ES `normalize`)."""
        for cf in self.char_filters:
            if cf.normalizing:
                text = cf.fast(text)
        for f in self.filters:
            if f.normalizing:
                text = f.normalize_term(text)
        return text

    def _plan_fast_paths(self) -> None:
        """Precompute closures for `terms` / `analyze` when every filter is a per-term map or drop."""
        if any(f.sets_keyword for f in self.filters):
            return
        filters = list(self.filters)
        # a trailing (edge) n-gram filter expands each term in place: `positions` has a fast path for it
        grams = filters.pop() if filters and type(filters[-1]) is _NGramFilter else None
        steps: list[tuple[bool, Callable[..., Any]]] = []
        for f in filters:
            if f.noop:
                continue
            if f.map_fn is not None:
                steps.append((True, f.map_fn))
            elif f.keep_fn is not None:
                steps.append((False, f.keep_fn))
            else:
                return
        pre_lower = bool(steps) and steps[0][1] is _java_lower and self.tokenizer.lower_safe
        if pre_lower:
            steps = steps[1:]
        if self.tokenizer.has_spans:
            self._fast_positions = _fast_positions_runner(self, steps, pre_lower, grams)
            self._fast_grouped = _fast_grouped_runner(self, steps, pre_lower, grams)
        if grams is not None:
            return
        if type(self.tokenizer).fast is not _Tokenizer.fast:
            self._fast = _fast_terms_runner(
                self.tokenizer, [cf.fast for cf in self.char_filters], steps, pre_lower
            )
        if self.tokenizer.has_spans:
            self._fast_tokens = _fast_tokens_runner(self, steps, pre_lower)

    def __repr__(self) -> str:
        return f"Analyzer({self.name!r})"


def _correct(maps: list[_OffsetMap], offset: int) -> int:
    for offsets in reversed(maps):
        offset = offsets.correct(offset)
    return offset


def _fast_terms_runner(
    tokenizer: _Tokenizer,
    char_filters: list[Callable[[str], str]],
    steps: list[tuple[bool, Callable[..., Any]]],
    pre_lower: bool,
) -> Callable[[str], list[str]]:
    tokenize = tokenizer.fast

    def run(text: str) -> list[str]:
        for cf in char_filters:
            text = cf(text)
        if pre_lower:
            text = _java_lower(text)
        terms = tokenize(text)
        for is_map, fn in steps:
            terms = [fn(t) for t in terms] if is_map else [t for t in terms if fn(t)]
        return terms

    return run


def _fast_tokens_runner(
    analyzer: Analyzer, steps: list[tuple[bool, Callable[..., Any]]], pre_lower: bool
) -> Callable[[str], list[Token]]:
    spans_of = analyzer.tokenizer.spans
    char_filtering = bool(analyzer.char_filters)

    def run(text: str) -> list[Token]:
        maps: list[_OffsetMap] = []
        if char_filtering:
            text, maps = analyzer._char_filter(text)
        if pre_lower:
            text = _java_lower(text)
        out = []
        for position, (term, start, end, type_) in enumerate(spans_of(text)):
            for is_map, fn in steps:
                if is_map:
                    term = fn(term)
                elif not fn(term):
                    break
            else:
                if maps:
                    start, end = _correct(maps, start), _correct(maps, end)
                out.append(Token(term, position, start, end, type_))
        return out

    return run


def _fast_positions_runner(
    analyzer: Analyzer, steps: list[tuple[bool, Callable[..., Any]]], pre_lower: bool, grams: _NGramFilter | None
) -> Callable[[str], list[tuple[str, int]]]:
    """`positions` of an analyzer whose filters are per-term maps or drops, then optionally one n-gram
    filter: every gram of a token sits at the token's position (the first gram takes over the
    position increments of tokens that made no gram, so positions are those of the tokenizer's
    tokens). No offsets are computed, so char filters run without their offset maps."""
    spans_of = analyzer.tokenizer.spans
    char_filters = [cf.fast for cf in analyzer.char_filters]
    grams_of = grams._grams if grams is not None else None
    low, high, preserve = (grams.min_gram, grams.max_gram, grams.preserve) if grams is not None else (0, 0, False)

    def run(text: str) -> list[tuple[str, int]]:
        for char_filter in char_filters:
            text = char_filter(text)
        if pre_lower:
            text = _java_lower(text)
        out = []
        for position, (term, _start, _end, _type) in enumerate(spans_of(text)):
            for is_map, fn in steps:
                if is_map:
                    term = fn(term)
                elif not fn(term):
                    break
            else:
                if grams_of is None:
                    out.append((term, position))
                    continue
                out.extend((gram, position) for gram in grams_of(term))
                if preserve and (len(term) < low or len(term) > high):
                    out.append((term, position))
        return out

    return run


Grouped = tuple[tuple[str, ...], tuple[Any, ...], int, int]
GRAM_MEMO_LIMIT = 50_000  # terms whose n-grams a grouped runner remembers (names and street words recur)


def group_positions(tokens: list[tuple[str, int]]) -> Grouped:
    """`(term, position)` tokens grouped by term (see Analyzer.grouped)."""
    grouped: dict[str, Any] = {}
    for term, position in tokens:
        seen = grouped.get(term)
        if seen is None:
            grouped[term] = position
        elif type(seen) is int:
            grouped[term] = (seen, position)
        else:
            grouped[term] = (*seen, position)
    return tuple(grouped), tuple(grouped.values()), len(tokens), tokens[-1][1] if tokens else -1


def _fast_grouped_runner(
    analyzer: Analyzer, steps: list[tuple[bool, Callable[..., Any]]], pre_lower: bool, grams: _NGramFilter | None
) -> Callable[[str], Grouped]:
    """`grouped` of an analyzer that has a `_fast_positions_runner`: the same tokens, grouped as they
    are made. A term's n-grams are remembered (they are a pure function of the term)."""
    tokenizer = analyzer.tokenizer
    if type(tokenizer).fast is not _Tokenizer.fast:
        terms_of = tokenizer.fast  # the spans' terms, without their offsets and types
    else:
        spans_of = tokenizer.spans

        def terms_of(text: str) -> list[str]:
            return [span[0] for span in spans_of(text)]
    char_filters = [cf.fast for cf in analyzer.char_filters]
    grams_of = grams._grams if grams is not None else None
    low, high, preserve = (grams.min_gram, grams.max_gram, grams.preserve) if grams is not None else (0, 0, False)
    # edge n-grams of one term differ in length, hence are distinct (as is a preserved original,
    # outside [low, high]): one token's grams need no grouping
    distinct = grams is not None and grams.edge
    memo: dict[str, tuple[str, ...]] = {}

    def grams_with_original(term: str) -> tuple[str, ...]:
        found = memo.get(term)
        if found is None:
            made = grams_of(term)  # type: ignore[misc]
            if preserve and (len(term) < low or len(term) > high):
                made.append(term)
            found = tuple(made)
            if len(memo) >= GRAM_MEMO_LIMIT:
                memo.clear()
            memo[term] = found
        return found

    def run(text: str) -> Grouped:
        for char_filter in char_filters:
            text = char_filter(text)
        if pre_lower:
            text = _java_lower(text)
        tokens = terms_of(text)
        if len(tokens) == 1 and (grams_of is None or distinct):  # one token (keyword tokenizer, one word)
            term = tokens[0]
            for is_map, fn in steps:
                if is_map:
                    term = fn(term)
                elif not fn(term):
                    return (), (), 0, -1
            if grams_of is None:
                return (term,), (0,), 1, 0
            made = grams_with_original(term)
            return made, (0,) * len(made), len(made), 0 if made else -1
        grouped: dict[str, Any] = {}
        count = 0
        last = -1
        for position, term in enumerate(tokens):
            for is_map, fn in steps:
                if is_map:
                    term = fn(term)
                elif not fn(term):
                    break
            else:
                made = (term,) if grams_of is None else grams_with_original(term)
                if not made:
                    continue
                count += len(made)
                last = position
                for gram in made:
                    seen = grouped.get(gram)
                    if seen is None:
                        grouped[gram] = position
                    elif type(seen) is int:
                        grouped[gram] = (seen, position)
                    else:
                        grouped[gram] = (*seen, position)
        return tuple(grouped), tuple(grouped.values()), count, last

    return run


# ---------------------------------------------------------------------------------------------------------
# Component factories
# ---------------------------------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class _Ctx:
    max_ngram_diff: int = 1
    max_shingle_diff: int = 3


def _ngram_diff_check(min_gram: int, max_gram: int, ctx: _Ctx) -> None:
    diff = max_gram - min_gram
    if diff > ctx.max_ngram_diff:
        raise illegal_argument(
            f"The difference between max_gram and min_gram in NGram Tokenizer must be less than or equal to: "
            f"[{ctx.max_ngram_diff}] but was [{diff}]. This limit can be set by changing the "
            f"[index.max_ngram_diff] index level setting."
        )


def _token_matcher(cfg: dict[str, Any]) -> Callable[[str], bool] | None:
    classes = _opt_list(cfg, "token_chars") or []
    custom = _opt_str(cfg, "custom_token_chars", "") or ""
    if "custom" in classes and not custom:
        raise illegal_argument("Token type: 'custom' requires setting `custom_token_chars`")
    return _char_matcher(classes, custom) if classes else None


def _tk_standard(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    return _StandardTokenizer(name, _opt_int(cfg, "max_token_length", 255))


def _tk_uax(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    return _UaxUrlEmailTokenizer(name, _opt_int(cfg, "max_token_length", 255))


def _tk_whitespace(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    max_len = _opt_int(cfg, "max_token_length", 255)
    if max_len < 1 or max_len > 1024 * 1024:
        raise illegal_argument(f"maxTokenLen must be greater than 0 and less than 1048576 passed: {max_len}")
    tok = _RegexTokenizer(name, _whitespace_run, max_len, "whitespace")
    tok.lower_safe = True
    return tok


def _tk_letter(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    tok = _RegexTokenizer(name, _letter_run, _opt_int(cfg, "max_token_length", 255), "letter")
    tok.lower_safe = True
    return tok


def _tk_lowercase(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    return _LowercaseTokenizer(name, _letter_run, _opt_int(cfg, "max_token_length", 255), "lowercase")


def _tk_keyword(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    if _opt_int(cfg, "buffer_size", 256) <= 0:
        raise illegal_argument("bufferSize must be > 0")
    return _KeywordTokenizer(name)


def _tk_ngram(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    lo, hi = _opt_int(cfg, "min_gram", 1), _opt_int(cfg, "max_gram", 2)
    _ngram_diff_check(lo, hi, ctx)
    return _NGramTokenizer(name, lo, hi, _token_matcher(cfg), edge=False)


def _tk_edge_ngram(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    lo, hi = _opt_int(cfg, "min_gram", 1), _opt_int(cfg, "max_gram", 2)
    return _NGramTokenizer(name, lo, hi, _token_matcher(cfg), edge=True)


def _tk_pattern(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    pattern = _compile_java_regex(_opt_str(cfg, "pattern", r"\W+") or "", _opt_str(cfg, "flags"))
    return _PatternTokenizer(name, pattern, _opt_int(cfg, "group", -1))


def _tk_simple_pattern(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    pattern = _compile_plain_regex(_opt_str(cfg, "pattern", "") or "")
    tok = _PatternTokenizer(name, pattern, 0)
    tok.kind = "simple_pattern"
    return tok


def _tk_simple_pattern_split(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    return _SplitTokenizer(
        name, _compile_plain_regex(_opt_str(cfg, "pattern", "") or ""), "simple_pattern_split"
    )


def _compile_plain_regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise illegal_argument(f"Invalid regex [{pattern}]: {exc}") from None


_CHAR_GROUP_CLASSES = {
    "whitespace": _JAVA_WS_CLASS,
    "letter": r"^\W\d_",
    "digit": r"\d",
}
_CHAR_GROUP_ESCAPES = {"\\n": "\n", "\\r": "\r", "\\t": "\t", "\\f": "\f"}


def _tk_char_group(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    chars: list[str] = []
    checks: list[str] = []
    for spec in _opt_list(cfg, "tokenize_on_chars") or []:
        if len(spec) == 1:
            chars.append(spec)
        elif spec in _CHAR_GROUP_ESCAPES:
            chars.append(_CHAR_GROUP_ESCAPES[spec])
        elif spec.startswith("\\u") and len(spec) == 6:
            chars.append(chr(int(spec[2:], 16)))
        elif spec in ("whitespace", "letter", "digit", "punctuation", "symbol"):
            checks.append(spec)
        else:
            raise illegal_argument(f"Invalid escaped char in [{spec}]")
    parts = [re.escape(c) for c in chars]
    for cls in checks:
        if cls == "whitespace":
            parts.append(f"[{_JAVA_WS_CLASS}]")
        elif cls == "letter":
            parts.append(r"[^\W\d_]")
        elif cls == "digit":
            parts.append(r"\d")
        else:
            body = _tables().ranges("P" if cls == "punctuation" else "S")
            parts.append(f"[{body}]")
    separator = re.compile("|".join(parts)) if parts else re.compile(r"(?!)")
    return _SplitTokenizer(name, separator, "char_group", _opt_int(cfg, "max_token_length", 255))


def _tk_path_hierarchy(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Tokenizer:
    delimiter = _opt_str(cfg, "delimiter", "/") or "/"
    replacement = _opt_str(cfg, "replacement", delimiter) or delimiter
    return _PathHierarchyTokenizer(
        name, delimiter, replacement, _opt_int(cfg, "skip", 0), _opt_bool(cfg, "reverse", False)
    )


_TOKENIZER_TYPES: dict[str, tuple[Callable[[str, dict[str, Any], _Ctx], _Tokenizer], bool]] = {
    "standard": (_tk_standard, False),
    "uax_url_email": (_tk_uax, False),
    "whitespace": (_tk_whitespace, False),
    "letter": (_tk_letter, False),
    "lowercase": (_tk_lowercase, False),
    "keyword": (_tk_keyword, False),
    "ngram": (_tk_ngram, False),
    "edge_ngram": (_tk_edge_ngram, False),
    "pattern": (_tk_pattern, False),
    "simple_pattern": (_tk_simple_pattern, True),
    "simple_pattern_split": (_tk_simple_pattern_split, True),
    "char_group": (_tk_char_group, True),
    "path_hierarchy": (_tk_path_hierarchy, False),
}
_TOKENIZER_ALIASES = {"nGram": "ngram", "edgeNGram": "edge_ngram", "PathHierarchy": "path_hierarchy"}


def _f_lowercase(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    language = (_opt_str(cfg, "language") or "").lower()
    fns = {"": _java_lower, "greek": _greek_lower, "turkish": _turkish_lower}
    if language not in fns:
        raise illegal_argument(f"language [{language}] not support for lower case")
    return _MapFilter(name, "lowercase", fns[language], normalizing=True)


def _f_uppercase(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    return _MapFilter(name, "uppercase", _java_upper, normalizing=True)


def _f_asciifolding(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    return _AsciiFoldingFilter(name, _opt_bool(cfg, "preserve_original", False))


def _f_stop(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    ignore_case = _opt_bool(cfg, "ignore_case", False)
    words = _stop_words(cfg, _ENGLISH_STOP_WORDS, ignore_case)
    return _StopFilter(name, words, ignore_case, _opt_bool(cfg, "remove_trailing", True))


def _java_trim(term: str) -> str:
    return term.strip(_JAVA_WS)


def _f_trim(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    return _MapFilter(name, "trim", _java_trim, normalizing=True)


def _f_edge_ngram(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    side = _opt_str(cfg, "side", "front")
    if side == "back":
        raise illegal_argument("side=back is not supported anymore. Please fix your analysis chain")
    if side != "front":
        raise illegal_argument(f"invalid side: [{side}]")
    lo, hi = _opt_int(cfg, "min_gram", 1), _opt_int(cfg, "max_gram", 2)
    return _NGramFilter(name, lo, hi, _opt_bool(cfg, "preserve_original", False), edge=True)


def _f_ngram(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    lo, hi = _opt_int(cfg, "min_gram", 1), _opt_int(cfg, "max_gram", 2)
    _ngram_diff_check(lo, hi, ctx)
    return _NGramFilter(name, lo, hi, _opt_bool(cfg, "preserve_original", False), edge=False)


def _f_synonym(kind: str) -> Callable[[str, dict[str, Any], _Ctx], _Filter]:
    def build(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
        _no_files(cfg, "synonyms_path", "synonyms_set")
        rules = _opt_list(cfg, "synonyms")
        if rules is None:
            raise illegal_argument(
                "synonym requires either `synonyms`, `synonyms_set` or `synonyms_path` to be configured"
            )
        fmt = _opt_str(cfg, "format", "solr")
        if fmt != "solr":
            raise illegal_argument(f"synonym format [{fmt}] is not supported by the embedded engine")
        return _SynonymFilter(
            name,
            kind,
            rules,
            _opt_bool(cfg, "expand", True),
            _opt_bool(cfg, "lenient", False),
            _opt_bool(cfg, "updateable", False),
        )

    return build


def _wd_options(cfg: dict[str, Any]) -> _WdOptions:
    return _WdOptions(
        word_parts=_opt_bool(cfg, "generate_word_parts", True),
        number_parts=_opt_bool(cfg, "generate_number_parts", True),
        catenate_words=_opt_bool(cfg, "catenate_words", False),
        catenate_numbers=_opt_bool(cfg, "catenate_numbers", False),
        catenate_all=_opt_bool(cfg, "catenate_all", False),
        preserve_original=_opt_bool(cfg, "preserve_original", False),
        split_on_case_change=_opt_bool(cfg, "split_on_case_change", True),
        split_on_numerics=_opt_bool(cfg, "split_on_numerics", True),
        stem_possessive=_opt_bool(cfg, "stem_english_possessive", True),
        adjust_offsets=_opt_bool(cfg, "adjust_offsets", True),
        ignore_keywords=_opt_bool(cfg, "ignore_keywords", False),
    )


def _wd_type_table(rules: list[str]) -> dict[str, int]:
    table: dict[str, int] = {}
    for rule in rules:
        m = re.fullmatch(r"\s*(.+?)\s*=>\s*([A-Z_]+)\s*", rule)
        if m is None or m.group(2) not in _WD_TYPE_NAMES:
            raise illegal_argument(f"Invalid Mapping Rule : [{rule}]")
        key = _unescape_mapping(m.group(1), rule)
        if len(key) != 1:
            raise illegal_argument(f"Invalid Mapping Rule : [{rule}]")
        table[key] = _WD_TYPE_NAMES[m.group(2)]
    return table


def _f_word_delimiter(graph: bool) -> Callable[[str, dict[str, Any], _Ctx], _Filter]:
    def build(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
        _no_files(cfg, "protected_words_path", "type_table_path")
        opts = _wd_options(cfg)
        if not graph:
            opts.adjust_offsets = True
        protected = frozenset(_opt_list(cfg, "protected_words") or ())
        table = _wd_type_table(_opt_list(cfg, "type_table") or [])
        return _WordDelimiterFilter(name, opts, graph, protected, table)

    return build


def _f_shingle(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    lo = _opt_int(cfg, "min_shingle_size", 2)
    hi = _opt_int(cfg, "max_shingle_size", 2)
    unigrams = _opt_bool(cfg, "output_unigrams", True)
    diff = hi - lo + (1 if unigrams else 0)
    if diff > ctx.max_shingle_diff:
        raise illegal_argument(
            "In Shingle TokenFilter the difference between max_shingle_size and min_shingle_size (and +1 if "
            f"outputting unigrams) must be less than or equal to: [{ctx.max_shingle_diff}] but was [{diff}]. "
            "This limit can be set by changing the [index.max_shingle_diff] index level setting."
        )
    return _ShingleFilter(
        name,
        lo,
        hi,
        unigrams,
        _opt_bool(cfg, "output_unigrams_if_no_shingles", False),
        _opt_str(cfg, "token_separator", " ") or "",
        _opt_str(cfg, "filler_token", "_") or "",
    )


def _f_unique(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    return _UniqueFilter(name, _opt_bool(cfg, "only_on_same_position", False))


def _f_remove_duplicates(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    flt = _UniqueFilter(name, True)
    flt.kind = "remove_duplicates"
    return flt


def _f_length(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    lo, hi = _opt_int(cfg, "min", 0), _opt_int(cfg, "max", 2**31 - 1)
    if lo > hi:
        raise illegal_argument("maximum length must not be greater than minimum length")
    return _KeepFilter(name, "length", lambda t: lo <= _utf16_len(t) <= hi)


def _f_pattern_replace(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    source = _opt_str(cfg, "pattern")
    if source is None:
        raise illegal_argument(f"pattern is missing for [{name}] token filter of type 'pattern_replace'")
    pattern = _compile_java_regex(source, _opt_str(cfg, "flags"))
    replace = _java_replacement(_opt_str(cfg, "replacement", "") or "", pattern)
    count = 0 if _opt_bool(cfg, "all", True) else 1
    return _MapFilter(
        name, "pattern_replace", lambda t: pattern.sub(replace, t, count=count), normalizing=True
    )


def _f_truncate(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    length = _opt_int(cfg, "length", 10)
    if length <= 0:
        raise illegal_argument(
            f"length parameter must be provided and must be greater than zero, got {length}"
        )
    return _MapFilter(name, "truncate", lambda t: t[:length])


def _f_reverse(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    return _MapFilter(name, "reverse", lambda t: t[::-1])


_FRENCH_ARTICLES = ("l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu")


def _f_elision(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    _no_files(cfg, "articles_path")
    articles = _opt_list(cfg, "articles")
    if articles is None:
        raise illegal_argument("elision filter requires [articles] or [articles_path] setting")
    ignore_case = _opt_bool(cfg, "articles_case", False)
    words = frozenset(_java_lower(a) for a in articles) if ignore_case else frozenset(articles)
    return _MapFilter(name, "elision", _elision(words, ignore_case), normalizing=True)


def _f_porter(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    return _MapFilter(name, "porter_stem", porter_stem, skip_keywords=True)


_STEMMERS = {
    "english": porter_stem,
    "porter": porter_stem,
    "minimal_english": _english_minimal_stem,
    "possessive_english": _english_possessive,
}


def _f_stemmer(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    language = _opt_str(cfg, "language") or _opt_str(cfg, "name") or "english"
    fn = _STEMMERS.get(language)
    if fn is None:
        raise illegal_argument(f"stemmer language [{language}] is not supported by the embedded engine")
    return _MapFilter(name, "stemmer", fn, skip_keywords=True)


def _f_keyword_marker(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    _no_files(cfg, "keywords_path")
    words = _opt_list(cfg, "keywords")
    pattern_src = _opt_str(cfg, "keywords_pattern")
    if words is not None and pattern_src is not None:
        raise illegal_argument("cannot specify both `keywords_pattern` and `keywords` or `keywords_path`")
    if words is None and pattern_src is None:
        raise illegal_argument(
            "keyword filter requires either `keywords`, `keywords_path`, or `keywords_pattern` to be set"
        )
    ignore_case = _opt_bool(cfg, "ignore_case", False)
    keywords = frozenset(_java_lower(w) if ignore_case else w for w in words or ())
    pattern = _compile_java_regex(pattern_src) if pattern_src is not None else None
    return _KeywordMarkerFilter(name, keywords, pattern, ignore_case)


def _f_keyword_repeat(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    return _KeywordRepeatFilter(name)


def _f_keep(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    _no_files(cfg, "keep_words_path")
    words = _opt_list(cfg, "keep_words")
    if words is None:
        raise illegal_argument("keep requires `keep_words` or `keep_words_path` to be configured")
    if _opt_bool(cfg, "keep_words_case", False):
        lowered = frozenset(_java_lower(w) for w in words)
        return _KeepFilter(name, "keep", lambda t: _java_lower(t) in lowered)
    exact = frozenset(words)
    return _KeepFilter(name, "keep", lambda t: t in exact)


def _f_keep_types(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    types = _opt_list(cfg, "types")
    if types is None:
        raise illegal_argument("keep_types requires `types` to be configured")
    mode = _opt_str(cfg, "mode", "include")
    if mode not in ("include", "exclude"):
        raise illegal_argument(
            f"`keep_types` tokenfilter mode can only be [include] or [exclude] but was [{mode}]."
        )
    return _KeepTypesFilter(name, frozenset(types), mode == "include")


def _f_limit(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    return _LimitFilter(name, _opt_int(cfg, "max_token_count", 1))


def _f_fingerprint(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    return _FingerprintFilter(
        name, _opt_str(cfg, "separator", " ") or "", _opt_int(cfg, "max_output_size", 255)
    )


def _simple_map(kind: str, fn: Callable[[str], str], normalizing: bool = False) -> Callable[..., _Filter]:
    def build(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
        return _MapFilter(name, kind, fn, normalizing=normalizing)

    return build


def _f_flatten(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _Filter:
    return _FlattenGraphFilter(name)


_FILTER_TYPES: dict[str, tuple[Callable[[str, dict[str, Any], _Ctx], _Filter], bool]] = {
    "lowercase": (_f_lowercase, False),
    "uppercase": (_f_uppercase, False),
    "asciifolding": (_f_asciifolding, False),
    "stop": (_f_stop, False),
    "trim": (_f_trim, False),
    "edge_ngram": (_f_edge_ngram, False),
    "ngram": (_f_ngram, False),
    "synonym": (_f_synonym("synonym"), True),
    "synonym_graph": (_f_synonym("synonym_graph"), True),
    "word_delimiter": (_f_word_delimiter(False), False),
    "word_delimiter_graph": (_f_word_delimiter(True), False),
    "shingle": (_f_shingle, False),
    "unique": (_f_unique, False),
    "remove_duplicates": (_f_remove_duplicates, False),
    "length": (_f_length, False),
    "pattern_replace": (_f_pattern_replace, True),
    "truncate": (_f_truncate, False),
    "reverse": (_f_reverse, False),
    "elision": (_f_elision, False),
    "porter_stem": (_f_porter, False),
    "stemmer": (_f_stemmer, False),
    "keyword_marker": (_f_keyword_marker, True),
    "keyword_repeat": (_f_keyword_repeat, False),
    "keep": (_f_keep, True),
    "keep_types": (_f_keep_types, True),
    "limit": (_f_limit, False),
    "fingerprint": (_f_fingerprint, False),
    "decimal_digit": (_simple_map("decimal_digit", _decimal_digits, normalizing=True), False),
    "apostrophe": (_simple_map("apostrophe", _strip_apostrophe), False),
    "flatten_graph": (_f_flatten, False),
}
_FILTER_ALIASES = {"nGram": "ngram", "edgeNGram": "edge_ngram"}
_PRECONFIGURED_FILTER_CFG: dict[str, dict[str, Any]] = {
    "edge_ngram": {"min_gram": 1, "max_gram": 1},
    "elision": {"articles": list(_FRENCH_ARTICLES), "articles_case": True},
}


def _cf_html_strip(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _CharFilter:
    return _HtmlStripCharFilter(name, _opt_list(cfg, "escaped_tags") or [])


def _cf_mapping(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _CharFilter:
    _no_files(cfg, "mappings_path")
    rules = _opt_list(cfg, "mappings")
    if rules is None:
        raise illegal_argument("mapping requires either `mappings` or `mappings_path` to be configured")
    return _MappingCharFilter(name, _parse_mapping_rules(rules))


def _cf_pattern_replace(name: str, cfg: dict[str, Any], ctx: _Ctx) -> _CharFilter:
    source = _opt_str(cfg, "pattern")
    if source is None:
        raise illegal_argument(f"pattern is missing for [{name}] char filter of type 'pattern_replace'")
    pattern = _compile_java_regex(source, _opt_str(cfg, "flags"))
    return _PatternReplaceCharFilter(name, pattern, _opt_str(cfg, "replacement", "") or "")


_CHAR_FILTER_TYPES: dict[str, tuple[Callable[[str, dict[str, Any], _Ctx], _CharFilter], bool]] = {
    "html_strip": (_cf_html_strip, False),
    "mapping": (_cf_mapping, True),
    "pattern_replace": (_cf_pattern_replace, True),
}
_CHAR_FILTER_ALIASES = {"htmlStrip": "html_strip"}


@lru_cache(maxsize=1024)
def _preconfigured(component: str, name: str) -> Any:
    """Built-in component usable by name (types that need no settings), or None."""
    table, aliases = _COMPONENT_TABLES[component]
    type_name = aliases.get(name, name)
    entry = table.get(type_name)
    if entry is None or entry[1]:
        return None
    cfg = _PRECONFIGURED_FILTER_CFG.get(type_name, {}) if component == "filter" else {}
    return entry[0](name, cfg, _Ctx())


_COMPONENT_TABLES: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "tokenizer": (_TOKENIZER_TYPES, _TOKENIZER_ALIASES),
    "filter": (_FILTER_TYPES, _FILTER_ALIASES),
    "char_filter": (_CHAR_FILTER_TYPES, _CHAR_FILTER_ALIASES),
}


def _build_component(
    component: str, name: str, cfg: dict[str, Any], ctx: _Ctx, anonymous: bool = False
) -> Any:
    """Build a tokenizer / filter / char filter from its definition (`type` plus options)."""
    if not isinstance(cfg, dict):
        raise illegal_argument(f"{component} [{name}] must specify either an analyzer type, or a tokenizer")
    table, aliases = _COMPONENT_TABLES[component]
    type_name = _opt_str(cfg, "type")
    if type_name is None:
        if anonymous:
            raise illegal_argument(f"Missing [type] setting for anonymous {component}: {_java_map(cfg)}")
        raise illegal_argument(f"{component} [{name}] must specify either an analyzer type, or a tokenizer")
    entry = table.get(aliases.get(type_name, type_name))
    if entry is None:
        if anonymous:
            raise illegal_argument(f"failed to find global {component} under [{type_name}]")
        raise illegal_argument(f"Unknown {component} type [{type_name}] for [{name}]")
    return entry[0](f"__anonymous__{type_name}" if anonymous else name, cfg, ctx)


def _java_map(cfg: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in cfg.items()) + "}"


# ---------------------------------------------------------------------------------------------------------
# Built-in analyzers
# ---------------------------------------------------------------------------------------------------------

_NO_STOP: frozenset[str] = frozenset()


def _stop_filter_or_none(cfg: dict[str, Any], default: frozenset[str]) -> list[_Filter]:
    words = _stop_words(cfg, default, False)
    return [_StopFilter("stop", words, False, True)] if words else []


def _a_standard(name: str, cfg: dict[str, Any]) -> Analyzer:
    tokenizer = _StandardTokenizer("standard", _opt_int(cfg, "max_token_length", 255))
    filters: list[_Filter] = [_MapFilter("lowercase", "lowercase", _java_lower, normalizing=True)]
    return Analyzer(name, tokenizer, filters + _stop_filter_or_none(cfg, _NO_STOP), custom=False)


def _a_simple(name: str, cfg: dict[str, Any]) -> Analyzer:
    return Analyzer(
        name, _tk_lowercase("lowercase", {}, _Ctx()), [_NormOnly("lowercase", _java_lower)], custom=False
    )


class _NormOnly(_Filter):
    """A filter that does nothing to streams but contributes to `Analyzer.normalize`."""

    kind = "lowercase"
    normalizing = True
    noop = True

    def __init__(self, name: str, fn: Callable[[str], str]) -> None:
        super().__init__(name)
        self.norm = fn

    def apply(self, toks: list[_Tok], state: _State) -> list[_Tok]:
        return toks

    def normalize_term(self, text: str) -> str:
        return self.norm(text)


def _a_whitespace(name: str, cfg: dict[str, Any]) -> Analyzer:
    return Analyzer(name, _tk_whitespace("whitespace", cfg, _Ctx()), custom=False)


def _a_keyword(name: str, cfg: dict[str, Any]) -> Analyzer:
    return Analyzer(name, _KeywordTokenizer("keyword"), custom=False)


def _a_stop(name: str, cfg: dict[str, Any]) -> Analyzer:
    filters: list[_Filter] = [_NormOnly("lowercase", _java_lower)]
    filters += _stop_filter_or_none(cfg, _ENGLISH_STOP_WORDS)
    return Analyzer(name, _tk_lowercase("lowercase", {}, _Ctx()), filters, custom=False)


def _a_pattern(name: str, cfg: dict[str, Any]) -> Analyzer:
    tokenizer = _tk_pattern(
        "pattern", {"pattern": cfg.get("pattern", r"\W+"), "flags": cfg.get("flags")}, _Ctx()
    )
    filters: list[_Filter] = []
    if _opt_bool(cfg, "lowercase", True):
        filters.append(_MapFilter("lowercase", "lowercase", _java_lower, normalizing=True))
    return Analyzer(name, tokenizer, filters + _stop_filter_or_none(cfg, _NO_STOP), custom=False)


def _a_english(name: str, cfg: dict[str, Any]) -> Analyzer:
    filters: list[_Filter] = [
        _MapFilter("english_possessive", "stemmer", _english_possessive),
        _MapFilter("lowercase", "lowercase", _java_lower, normalizing=True),
    ]
    filters += _stop_filter_or_none(cfg, _ENGLISH_STOP_WORDS)
    exclusions = _opt_list(cfg, "stem_exclusion")
    if exclusions:
        filters.append(_KeywordMarkerFilter("keyword_marker", frozenset(exclusions), None, False))
    filters.append(_MapFilter("porter_stem", "porter_stem", porter_stem, skip_keywords=True))
    return Analyzer(name, _StandardTokenizer("standard"), filters, custom=False)


def _a_fingerprint(name: str, cfg: dict[str, Any]) -> Analyzer:
    filters: list[_Filter] = [
        _MapFilter("lowercase", "lowercase", _java_lower, normalizing=True),
        _AsciiFoldingFilter("asciifolding", False),
    ]
    filters += _stop_filter_or_none(cfg, _NO_STOP)
    filters.append(
        _FingerprintFilter(
            "fingerprint", _opt_str(cfg, "separator", " ") or "", _opt_int(cfg, "max_output_size", 255)
        )
    )
    return Analyzer(name, _StandardTokenizer("standard"), filters, custom=False)


_ANALYZER_TYPES: dict[str, Callable[[str, dict[str, Any]], Analyzer]] = {
    "standard": _a_standard,
    "simple": _a_simple,
    "whitespace": _a_whitespace,
    "keyword": _a_keyword,
    "stop": _a_stop,
    "pattern": _a_pattern,
    "english": _a_english,
    "fingerprint": _a_fingerprint,
}


@cache
def _builtin_analyzer(name: str) -> Analyzer | None:
    build = _ANALYZER_TYPES.get(name)
    return None if build is None else build(name, {})


# ---------------------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------------------

_SECTIONS = ("analyzer", "normalizer", "tokenizer", "filter", "char_filter")
_NORMALIZER_DEFAULT = "lowercase"


def _expand_dotted(obj: Any) -> Any:
    """`{"analyzer.my.tokenizer": "x"}` -> nested dicts, as ES settings flattening allows."""
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    for key, value in obj.items():
        value = _expand_dotted(value)
        parts = str(key).split(".")
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = parts[-1]
        if isinstance(node.get(last), dict) and isinstance(value, dict):
            node[last].update(value)
        else:
            node[last] = value
    return out


def _normalize_analysis(settings: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if settings is None:
        return {section: {} for section in _SECTIONS}
    if not isinstance(settings, dict):
        raise illegal_argument("[index.analysis] must be an object")
    expanded = _expand_dotted(settings)
    for key in expanded:
        if key not in _SECTIONS:
            raise illegal_argument(
                f"unknown setting [index.analysis.{key}] please check that any required plugins are installed, "
                "or check the breaking changes documentation for removed settings"
            )
    out: dict[str, dict[str, Any]] = {}
    for section in _SECTIONS:
        defs = expanded.get(section) or {}
        if not isinstance(defs, dict):
            raise illegal_argument(f"[index.analysis.{section}] must be an object")
        out[section] = defs
    return out


class AnalysisRegistry:
    """Built-in and index-defined analysis components; validates eagerly and caches analyzers."""

    def __init__(
        self,
        analysis_settings: dict[str, Any] | None = None,
        *,
        max_ngram_diff: int = 1,
        max_shingle_diff: int = 3,
        global_scope: bool = False,
    ) -> None:
        self.global_scope = global_scope
        self._ctx = _Ctx(max_ngram_diff, max_shingle_diff)
        defs = _normalize_analysis(analysis_settings)
        self._char_filters = self._build_section("char_filter", defs["char_filter"])
        self._tokenizers = self._build_section("tokenizer", defs["tokenizer"])
        self._filters = self._build_section("filter", defs["filter"])
        self._analyzers: dict[str, Analyzer] = {}
        self._normalizers: dict[str, Analyzer] = {}
        for name, cfg in defs["analyzer"].items():
            self._analyzers[name] = self._build_analyzer(name, cfg)
        for name, cfg in defs["normalizer"].items():
            self._normalizers[name] = self._build_normalizer(name, cfg)
        self._check_names()

    def _build_section(self, component: str, defs: dict[str, Any]) -> dict[str, Any]:
        return {name: _build_component(component, name, cfg, self._ctx) for name, cfg in defs.items()}

    def _check_names(self) -> None:
        if "default_index" in self._analyzers:
            raise illegal_argument(
                "setting [index.analysis.analyzer.default_index] is not supported anymore, use "
                "[index.analysis.analyzer.default] instead"
            )
        for name in self._analyzers:
            if name.startswith("_"):
                raise illegal_argument(f"analyzer name must not start with '_'. got \"{name}\"")
        default = self._analyzers.get("default")
        if default is not None and default.search_time_only:
            names = ", ".join(f.name for f in default.filters if f.search_time_only)
            raise illegal_argument(
                f"analyzer [default] contains filters [{names}] that are not allowed to run in all mode."
            )

    # --- lookups --------------------------------------------------------------------------------------------

    def tokenizer_named(self, name: str) -> _Tokenizer | None:
        """A tokenizer defined in the index or built in, by name."""
        return self._tokenizers.get(name) or _preconfigured("tokenizer", name)

    def filter_named(self, name: str) -> _Filter | None:
        """A token filter defined in the index or built in, by name."""
        return self._filters.get(name) or _preconfigured("filter", name)

    def char_filter_named(self, name: str) -> _CharFilter | None:
        """A char filter defined in the index or built in, by name."""
        return self._char_filters.get(name) or _preconfigured("char_filter", name)

    def has_analyzer(self, name: str) -> bool:
        """Whether `analyzer(name)` would succeed."""
        return (
            name in self._analyzers
            or name in _ANALYZER_TYPES
            or name in ("default", "default_search", "default_search_quoted")
        )

    def has_normalizer(self, name: str) -> bool:
        """Whether `normalizer(name)` would succeed."""
        return name in self._normalizers or name == _NORMALIZER_DEFAULT

    def analyzer(self, name: str) -> Analyzer:
        """The analyzer registered under `name` (index-defined first, then built-in)."""
        found = self._analyzers.get(name)
        if found is not None:
            return found
        if name == "default":
            return _builtin_alias("default")
        if name == "default_search":
            return self.analyzer("default")
        if name == "default_search_quoted":
            return self.analyzer("default_search")
        built = _builtin_analyzer(name)
        if built is None:
            scope = "global " if self.global_scope else ""
            raise illegal_argument(f"failed to find {scope}analyzer [{name}]")
        return built

    def normalizer(self, name: str) -> Analyzer:
        """The normalizer registered under `name` (built-in: `lowercase`)."""
        found = self._normalizers.get(name)
        if found is not None:
            return found
        if name == _NORMALIZER_DEFAULT:
            return _lowercase_normalizer_analyzer()
        raise illegal_argument(f"failed to find normalizer under [{name}]")

    # --- builders -------------------------------------------------------------------------------------------

    def _build_analyzer(self, name: str, cfg: Any) -> Analyzer:
        if not isinstance(cfg, dict):
            raise illegal_argument(f"analyzer [{name}] must specify either an analyzer type, or a tokenizer")
        type_name = _opt_str(cfg, "type")
        if type_name is None and cfg.get("tokenizer") is None:
            raise illegal_argument(f"analyzer [{name}] must specify either an analyzer type, or a tokenizer")
        if type_name is None or type_name == "custom":
            return self._build_custom(name, cfg)
        build = _ANALYZER_TYPES.get(type_name)
        if build is None:
            raise illegal_argument(f"Unknown analyzer type [{type_name}] for [{name}]")
        return build(name, cfg)

    def _build_custom(self, name: str, cfg: dict[str, Any]) -> Analyzer:
        tokenizer_name = _opt_str(cfg, "tokenizer")
        if tokenizer_name is None:
            raise illegal_argument(f"Custom Analyzer [{name}] must be configured with a tokenizer")
        tokenizer = self.tokenizer_named(tokenizer_name)
        if tokenizer is None:
            raise illegal_argument(
                f"Custom Analyzer [{name}] failed to find tokenizer under name [{tokenizer_name}]"
            )
        char_filters = []
        for cf_name in _name_list(cfg, "char_filter"):
            cf = self.char_filter_named(cf_name)
            if cf is None:
                raise illegal_argument(
                    f"Custom Analyzer [{name}] failed to find char_filter under name [{cf_name}]"
                )
            char_filters.append(cf)
        filters = []
        for f_name in _name_list(cfg, "filter"):
            flt = self.filter_named(f_name)
            if flt is None:
                raise illegal_argument(
                    f"Custom Analyzer [{name}] failed to find filter under name [{f_name}]"
                )
            filters.append(flt)
        gap = _opt_int(cfg, "position_increment_gap", 100)
        offset_gap = _opt_int(cfg, "offset_gap", -1)
        return Analyzer(
            name,
            tokenizer,
            filters,
            char_filters,
            position_increment_gap=gap,
            offset_gap=1 if offset_gap < 0 else offset_gap,
        )

    def _build_normalizer(self, name: str, cfg: Any) -> Analyzer:
        if not isinstance(cfg, dict):
            raise illegal_argument(
                f"normalizer [{name}] must specify either an analyzer type, or a tokenizer"
            )
        type_name = _opt_str(cfg, "type")
        if type_name not in (None, "custom"):
            raise illegal_argument(f"Unknown normalizer type [{type_name}] for [{name}]")
        if cfg.get("tokenizer") is not None:
            raise illegal_argument(f"Custom normalizer [{name}] cannot configure a tokenizer")
        char_filters = []
        for cf_name in _name_list(cfg, "char_filter"):
            cf = self.char_filter_named(cf_name)
            if cf is None:
                raise illegal_argument(
                    f"Custom normalizer [{name}] failed to find char_filter under name [{cf_name}]"
                )
            if not cf.normalizing:
                raise illegal_argument(f"Custom normalizer [{name}] may not use char filter [{cf_name}]")
            char_filters.append(cf)
        filters = []
        for f_name in _name_list(cfg, "filter"):
            flt = self.filter_named(f_name)
            if flt is None:
                raise illegal_argument(
                    f"Custom Analyzer [{name}] failed to find filter under name [{f_name}]"
                )
            if not flt.normalizing:
                raise illegal_argument(f"Custom normalizer [{name}] may not use filter [{f_name}]")
            filters.append(flt)
        return Analyzer(name, _KeywordTokenizer("keyword"), filters, char_filters)

    # --- ad-hoc chains for _analyze -------------------------------------------------------------------------

    def _component(self, component: str, spec: Any) -> Any:
        if isinstance(spec, dict):
            return _build_component(component, "", spec, self._ctx, anonymous=True)
        name = _scalar(spec)
        lookup = {
            "tokenizer": self.tokenizer_named,
            "filter": self.filter_named,
            "char_filter": self.char_filter_named,
        }[component]
        found = lookup(name)
        if found is None:
            scope = "global " if self.global_scope else ""
            raise illegal_argument(f"failed to find {scope}{component} under [{name}]")
        return found

    def custom_chain(
        self, tokenizer: Any, filters: Sequence[Any], char_filters: Sequence[Any], normalizer: bool = False
    ) -> Analyzer:
        """An analyzer built from `_analyze`-style specs (names or inline definitions)."""
        tok = self._component("tokenizer", tokenizer)
        cfs = [self._component("char_filter", spec) for spec in char_filters]
        fls = [self._component("filter", spec) for spec in filters]
        if normalizer:
            for flt in fls:
                if not flt.normalizing:
                    raise illegal_argument(f"Custom normalizer may not use filter [{flt.name}]")
            for cf in cfs:
                if not cf.normalizing:
                    raise illegal_argument(f"Custom normalizer may not use char filter [{cf.name}]")
        name = "keyword_for_normalizer" if normalizer else "__custom__"
        return Analyzer(name, tok, fls, cfs, position_increment_gap=100 if normalizer else 0)


@cache
def _builtin_alias(name: str) -> Analyzer:
    return _a_standard(name, {})


@lru_cache(maxsize=1)
def _lowercase_normalizer_analyzer() -> Analyzer:
    lower = _MapFilter("lowercase", "lowercase", _java_lower, normalizing=True)
    return Analyzer(_NORMALIZER_DEFAULT, _KeywordTokenizer("keyword"), [lower])


DEFAULT_REGISTRY = AnalysisRegistry()
_GLOBAL_REGISTRY = AnalysisRegistry(global_scope=True)


# ---------------------------------------------------------------------------------------------------------
# _analyze
# ---------------------------------------------------------------------------------------------------------

_ANALYZE_FIELDS = frozenset(
    ("text", "analyzer", "tokenizer", "filter", "char_filter", "normalizer", "field", "explain", "attributes")
)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _validate_analyze(body: dict[str, Any], texts: list[str], has_index: bool) -> None:
    errors = []
    if not texts:
        errors.append("text is missing")
    normalizer = body.get("normalizer")
    if normalizer is not None and not has_index:
        errors.append("index is required if normalizer is specified")
    if normalizer is not None and (body.get("tokenizer") is not None or body.get("analyzer") is not None):
        errors.append("tokenizer/analyze should be null if normalizer is specified")
    if body.get("analyzer") is not None and (
        body.get("tokenizer") is not None or _as_list(body.get("filter")) or _as_list(body.get("char_filter"))
    ):
        errors.append("custom tokenizer or filters cannot be specified if a named analyzer is used")
    if errors:
        raise action_request_validation(errors)


def _pick_analyzer(body: dict[str, Any], registry: AnalysisRegistry) -> Analyzer:
    filters = _as_list(body.get("filter"))
    char_filters = _as_list(body.get("char_filter"))
    if body.get("tokenizer") is not None:
        return registry.custom_chain(body["tokenizer"], filters, char_filters)
    if filters or char_filters:
        return registry.custom_chain("keyword", filters, char_filters, normalizer=True)
    if body.get("analyzer") is not None:
        return registry.analyzer(_scalar(body["analyzer"]))
    if body.get("normalizer") is not None:
        return registry.normalizer(_scalar(body["normalizer"]))
    return registry.analyzer("default")


def analyze_request(
    body: dict[str, Any],
    registry: AnalysisRegistry | None = None,
    *,
    max_token_count: int = 10000,
    max_char_count: int | None = None,
) -> dict[str, Any]:
    """The response of `POST _analyze` (registry None) or `POST {index}/_analyze` (the index's registry).

    `field` must already have been resolved by the caller into `analyzer`/`normalizer`.
    """
    if not isinstance(body, dict):
        raise x_content_parse("[analyze_request] Expected START_OBJECT")
    for key in body:
        if key not in _ANALYZE_FIELDS:
            raise x_content_parse(f"[analyze_request] unknown field [{key}]", 1, 2)
    texts = [_scalar(t) for t in _as_list(body.get("text"))]
    _validate_analyze(body, texts, registry is not None)
    reg = registry if registry is not None else _GLOBAL_REGISTRY
    analyzer = _pick_analyzer(body, reg)
    if max_char_count is not None:
        _check_char_count(texts, max_char_count)
    if _truthy(body.get("explain")):
        attributes = {str(a).lower() for a in _as_list(body.get("attributes"))}
        return {"detail": _explain(analyzer, texts, attributes, max_token_count)}
    tokens = _TokenList(max_token_count, None)
    for text in texts:
        tokens.add(analyzer, text, None)
    return {"tokens": tokens.items}


def _truthy(value: Any) -> bool:
    return value is True or value == "true"


def _check_char_count(texts: list[str], limit: int) -> None:
    if sum(len(t) for t in texts) > limit:
        raise EsError(
            400,
            "status_exception",
            f"The number of characters produced by calling _analyze has exceeded the allowed maximum of "
            f"[{limit}]. This limit can be set by changing the [index.analyze.max_char_count] index level setting.",
        )


class _TokenList:
    """Accumulates `_analyze` tokens over several texts (TransportAnalyzeAction's TokenListCreator)."""

    def __init__(self, max_tokens: int, attributes: set[str] | None) -> None:
        self.items: list[dict[str, Any]] = []
        self.max_tokens = max_tokens
        self.attributes = attributes
        self.last_position = -1
        self.last_offset = 0

    def add(self, analyzer: Analyzer, text: str, upto: int | None, keyword_attr: bool = False) -> None:
        toks, state = analyzer.stream(text, upto)
        to_utf16 = _utf16_offsets(text)
        if to_utf16 is not None:
            for tok in toks:
                tok.start, tok.end = to_utf16(tok.start), to_utf16(tok.end)
            state.final_offset = to_utf16(state.final_offset)
        for tok in toks:
            if tok.inc > 0:
                self.last_position += tok.inc
            self.items.append(self._render(tok, keyword_attr))
            if len(self.items) > self.max_tokens:
                raise EsError(
                    500,
                    "illegal_state_exception",
                    f"The number of tokens produced by calling _analyze has exceeded the allowed maximum of "
                    f"[{self.max_tokens}]. This limit can be set by changing the [index.analyze.max_token_count] "
                    "index level setting.",
                )
        self.last_offset += state.final_offset
        self.last_position += state.end_inc
        self.last_position += analyzer.position_increment_gap
        self.last_offset += analyzer.offset_gap

    def _render(self, tok: _Tok, keyword_attr: bool) -> dict[str, Any]:
        item: dict[str, Any] = {
            "token": tok.term,
            "start_offset": self.last_offset + tok.start,
            "end_offset": self.last_offset + tok.end,
            "type": tok.type,
            "position": self.last_position,
        }
        if tok.plen > 1:
            item["positionLength"] = tok.plen
        if self.attributes is not None:
            extra = {
                "bytes": "[" + " ".join(f"{b:x}" for b in tok.term.encode("utf-8", "surrogatepass")) + "]",
                "positionLength": tok.plen,
                "termFrequency": 1,
            }
            if keyword_attr:
                extra["keyword"] = tok.kw
            for key in sorted(extra):
                if not self.attributes or key.lower() in self.attributes:
                    item[key] = extra[key]
        return item


def _utf16_offsets(text: str) -> Callable[[int], int] | None:
    """Maps code-point offsets to the UTF-16 offsets ES reports (None when they coincide)."""
    if not text or max(text) <= "\uffff":
        return None
    astral_before = [0]
    count = 0
    for ch in text:
        count += ch > "\uffff"
        astral_before.append(count)
    return lambda offset: offset + astral_before[min(max(offset, 0), len(text))]


def _explain(analyzer: Analyzer, texts: list[str], attributes: set[str], max_tokens: int) -> dict[str, Any]:
    if not analyzer.custom:
        tokens = _TokenList(max_tokens, attributes)
        keyword_attr = any(f.marks_keyword for f in analyzer.filters)
        for text in texts:
            tokens.add(analyzer, text, None, keyword_attr)
        return {"custom_analyzer": False, "analyzer": {"name": analyzer.name, "tokens": tokens.items}}
    current = list(texts)
    charfilters = []
    for cf in analyzer.char_filters:
        current = [cf.apply(text)[0] for text in current]
        charfilters.append({"name": cf.name, "filtered_text": current})
    stages = []
    for upto in range(len(analyzer.filters) + 1):
        keyword_attr = any(f.marks_keyword for f in analyzer.filters[:upto])
        tokens = _TokenList(max_tokens, attributes)
        for text in texts:
            tokens.add(analyzer, text, upto, keyword_attr)
        stages.append(tokens.items)
    return {
        "custom_analyzer": True,
        "charfilters": charfilters,
        "tokenizer": {"name": analyzer.tokenizer.name, "tokens": stages[0]},
        "tokenfilters": [
            {"name": f.name, "tokens": stage} for f, stage in zip(analyzer.filters, stages[1:], strict=True)
        ],
    }
