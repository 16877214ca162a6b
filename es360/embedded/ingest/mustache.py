"""Mustache templates as ES's ingest processors render them (`{{field}}`, `{{{field}}}`, sections).

ES renders ingest templates with JSON string escaping by default (`application/json`);
`text/plain` leaves values alone and `application/x-www-form-urlencoded` URL-encodes them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

import orjson

from ..painless.runtime import java_str

_TAG = re.compile(r"\{\{(\{)?\s*([#^/&!]?)\s*(.*?)\s*(\})?\}\}", re.S)
JSON = "application/json"
TEXT = "text/plain"
FORM = "application/x-www-form-urlencoded"


def _json_escape(text: str) -> str:
    return orjson.dumps(text).decode()[1:-1]


ESCAPERS: dict[str, Callable[[str], str]] = {
    JSON: _json_escape,
    TEXT: lambda s: s,
    FORM: lambda s: quote_plus(s, safe=""),
}


class Template:
    """A compiled template; `render(model)` returns a string. Plain strings render as themselves."""

    __slots__ = ("source", "parts", "escape", "is_plain", "simple")

    def __init__(self, source: str, media_type: str = JSON) -> None:
        self.source = source
        self.escape = ESCAPERS.get(media_type, _json_escape)
        self.is_plain = "{{" not in source
        self.parts = [] if self.is_plain else _parse(source)
        # literals and `{{a.b}}` variables only: rendered straight from a document (`render_doc`)
        self.simple: list[Any] | None = None
        if not self.is_plain and all(type(p) is str or (p[0] == "var" and p[1] != ".") for p in self.parts):
            self.simple = [p if type(p) is str else (p[1].split("."), p[2]) for p in self.parts]

    def render(self, model: Any) -> str:
        if self.is_plain:
            return self.source
        out: list[str] = []
        _render(self.parts, [model], out, self.escape)
        return "".join(out)

    def render_doc(self, data: dict[str, Any], ingest: dict[str, Any]) -> str:
        """Render against an ingest document's fields: what `render(doc.model())` gives, without
        building the model for templates made of literals and variables only."""
        if self.is_plain:
            return self.source
        simple = self.simple
        if simple is None:
            model = dict(data)
            model["_source"] = data
            model["_ingest"] = ingest
            return self.render(model)
        out: list[str] = []
        escape = self.escape
        for part in simple:
            if type(part) is str:
                out.append(part)
                continue
            names, escaped = part
            first = names[0]
            value = data if first == "_source" else ingest if first == "_ingest" else data.get(first, _MISSING)
            if value is _MISSING:
                value = None
            else:
                for name in names[1:]:
                    value = _step(value, name)
                    if value is _MISSING:
                        value = None
                        break
            text = "" if value is None else value if type(value) is str else java_str(value)
            out.append(escape(text) if escaped else text)
        return "".join(out)


@functools.lru_cache(maxsize=2048)
def compile_template(source: str, media_type: str = JSON) -> Template:
    return Template(source, media_type)


def _parse(source: str) -> list[Any]:
    """Parts: str literals, ("var", name, escaped), ("section", name, inverted, children)."""
    root: list[Any] = []
    stack: list[tuple[str, list[Any]]] = [("", root)]
    pos = 0
    for m in _TAG.finditer(source):
        if m.start() > pos:
            stack[-1][1].append(source[pos:m.start()])
        pos = m.end()
        triple = m.group(1) is not None and m.group(4) is not None
        sigil, name = m.group(2), m.group(3)
        if sigil == "!":
            continue
        if sigil in ("#", "^"):
            children: list[Any] = []
            stack[-1][1].append(("section", name, sigil == "^", children))
            stack.append((name, children))
        elif sigil == "/":
            if len(stack) > 1 and stack[-1][0] == name:
                stack.pop()
            else:
                raise ValueError(f"Mismatched start/end tags: {name}")
        else:
            stack[-1][1].append(("var", name, not (triple or sigil == "&")))
    if pos < len(source):
        stack[-1][1].append(source[pos:])
    if len(stack) > 1:
        raise ValueError(f"Failed to close '{stack[-1][0]}' tag")
    return root


_MISSING = object()


def _lookup(name: str, stack: list[Any]) -> Any:
    if name == ".":
        return stack[-1]
    parts = name.split(".")
    for ctx in reversed(stack):
        value = _step(ctx, parts[0])
        if value is not _MISSING:
            for part in parts[1:]:
                value = _step(value, part)
                if value is _MISSING:
                    return None
            return value
    return None


def _step(ctx: Any, key: str) -> Any:
    if isinstance(ctx, dict):
        return ctx.get(key, _MISSING)
    if isinstance(ctx, list) and key.isdigit():
        i = int(key)
        return ctx[i] if i < len(ctx) else _MISSING
    return _MISSING


def to_text(value: Any) -> str:
    if value is None:
        return ""
    return java_str(value)


def _render(parts: list[Any], stack: list[Any], out: list[str], escape: Callable[[str], str]) -> None:
    for part in parts:
        if type(part) is str:
            out.append(part)
            continue
        if part[0] == "var":
            text = to_text(_lookup(part[1], stack))
            out.append(escape(text) if part[2] else text)
            continue
        _, name, inverted, children = part
        if name == "toJson" and not inverted:
            inner: list[str] = []
            _render(children, stack, inner, lambda s: s)
            value = _lookup("".join(inner).strip(), stack)
            out.append(orjson.dumps(value).decode())
            continue
        if name == "join" and not inverted:
            inner = []
            _render(children, stack, inner, lambda s: s)
            value = _lookup("".join(inner).strip(), stack)
            out.append(",".join(to_text(v) for v in value) if isinstance(value, list) else to_text(value))
            continue
        if name == "url" and not inverted:
            inner = []
            _render(children, stack, inner, escape)
            out.append(quote_plus("".join(inner), safe=""))
            continue
        value = _lookup(name, stack)
        falsy = value is None or value is False or (isinstance(value, (list, dict, str)) and not value)
        if inverted:
            if falsy:
                _render(children, stack, out, escape)
            continue
        if falsy:
            continue
        if isinstance(value, list):
            for item in value:
                stack.append(item)
                _render(children, stack, out, escape)
                stack.pop()
        else:
            stack.append(value)
            _render(children, stack, out, escape)
            stack.pop()
