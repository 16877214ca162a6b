"""The dissect processor: split text on literal delimiters with `%{key}` patterns (ES's DissectParser).

Key modifiers: `%{+key}` append (optionally `%{+key/2}` ordered), `%{?key}` / `%{}` skip,
`%{*key}` + `%{&key}` reference (the first names a field, the second gives its value) and
`%{key->}` right padding (repeated delimiters after the value are skipped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import EsError
from ..painless.runtime import class_name
from .document import IngestDocument
from .pipeline import Processor, Runner

_KEY_RX = re.compile(r"%\{([^}]*)\}")


def _dissect_error(reason: str) -> EsError:
    return EsError(400, "dissect_exception", reason)


@dataclass
class _Key:
    name: str
    modifier: str  # "", "+", "?", "*", "&"
    order: int
    right_pad: bool
    skip: bool


def _parse_key(text: str, pattern: str) -> _Key:
    body = text
    right_pad = False
    if body.endswith("->"):
        right_pad = True
        body = body[:-2]
    modifier = ""
    if body[:1] in ("+", "?", "*", "&"):
        modifier = body[0]
        body = body[1:]
    order = 0
    if modifier == "+" and "/" in body:
        body, _, raw_order = body.rpartition("/")
        try:
            order = int(raw_order)
        except ValueError:
            raise _dissect_error(f"Unable to parse pattern: {pattern}") from None
    if modifier in ("*", "&") and not body:
        raise _dissect_error(f"Unable to parse pattern: {pattern}")
    skip = modifier == "?" or (modifier == "" and body == "")
    return _Key(body, modifier, order, right_pad, skip)


class DissectParser:
    def __init__(self, pattern: str, append_separator: str = "") -> None:
        self.pattern = pattern
        self.append_separator = append_separator
        matches = list(_KEY_RX.finditer(pattern))
        if not matches:
            raise _dissect_error(f"Unable to find any keys or delimiters in pattern [{pattern}]")
        self.leading = pattern[:matches[0].start()]
        self.pairs: list[tuple[_Key, str]] = []
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(pattern)
            self.pairs.append((_parse_key(m.group(1), pattern), pattern[m.end():end]))
        refs = {k.name for k, _ in self.pairs if k.modifier == "*"}
        values = {k.name for k, _ in self.pairs if k.modifier == "&"}
        if refs != values:
            raise _dissect_error(f"Unable to parse pattern: {pattern} (reference keys must come in pairs)")
        if all(k.skip for k, _ in self.pairs):
            raise _dissect_error(f"Unable to parse pattern: {pattern} (no keys to extract)")

    def parse(self, text: str) -> dict[str, str]:
        fail = _dissect_error(f"Unable to find match for dissect pattern: {self.pattern} against source: {text}")
        if not text.startswith(self.leading):
            raise fail
        pos = len(self.leading)
        raw: list[tuple[_Key, str]] = []
        last = len(self.pairs) - 1
        for i, (key, delim) in enumerate(self.pairs):
            if i == last:
                if delim:
                    if not text.endswith(delim) or len(text) - len(delim) < pos:
                        raise fail
                    value = text[pos:len(text) - len(delim)]
                    if key.right_pad:
                        while value.endswith(delim):
                            value = value[:-len(delim)]
                else:
                    value = text[pos:]
                raw.append((key, value))
                break
            if not delim:
                raw.append((key, ""))
                continue
            idx = text.find(delim, pos)
            if idx == -1:
                raise fail
            raw.append((key, text[pos:idx]))
            pos = idx + len(delim)
            if key.right_pad:
                while text.startswith(delim, pos):
                    pos += len(delim)
        return self._assemble(raw)

    def _assemble(self, raw: list[tuple[_Key, str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        appends: dict[str, list[tuple[int, int, str]]] = {}
        ref_names: dict[str, str] = {}
        ref_values: dict[str, str] = {}
        for seq, (key, value) in enumerate(raw):
            if key.skip:
                continue
            if key.modifier == "+":
                appends.setdefault(key.name, []).append((key.order, seq, value))
            elif key.modifier == "*":
                ref_names[key.name] = value
            elif key.modifier == "&":
                ref_values[key.name] = value
            else:
                out[key.name] = value
        for name, parts in appends.items():
            base = [(0, -1, out.pop(name))] if name in out else []
            ordered = sorted(base + parts, key=lambda p: (p[0], p[1]))
            out[name] = self.append_separator.join(p[2] for p in ordered)
        for ref, field_name in ref_names.items():
            out[field_name] = ref_values.get(ref, "")
        return out


class DissectProcessor(Processor):
    type = "dissect"

    def __init__(self, field: str, parser: DissectParser, ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.field, self.parser, self.ignore_missing = field, parser, ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        value: Any = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise EsError(400, "illegal_argument_exception", f"field [{self.field}] is null, cannot process it.")
        if type(value) is not str:
            raise EsError(400, "illegal_argument_exception", f"field [{self.field}] of type [{class_name(value)}] "
                                                             f"cannot be cast to [java.lang.String]")
        for key, extracted in self.parser.parse(value).items():
            doc.set(key, extracted)
        return doc
