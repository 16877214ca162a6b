"""A small KQL (Kibana Query Language) parser for the subset es360's saved objects use.

Supported: `field : value`, `field : "quoted phrase"`, `field : val*` (wildcard), `field : *`
(exists), `field : (a or b)`, comparisons `field >= value` (and `>`, `<`, `<=`), `and`/`or`/`not`
(case-insensitive) and parentheses. The result is Elasticsearch query DSL built the way Kibana
builds it: `and` → `bool.filter`, `or` → `bool.should` with `minimum_should_match: 1`, `not` →
`bool.must_not`, an unquoted value → `match`, a quoted one → `match_phrase`, `*` → `exists`.
Anything else (free text without a field, field wildcards, nested `{}` queries) is refused with a
one-sentence `KqlError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from es360.errors import Es360Error

_SPECIAL = set('\\():<>"*{}')
_RANGE_OPS = {">=": "gte", ">": "gt", "<=": "lte", "<": "lt"}
_KEYWORDS = {"and", "or", "not"}


class KqlError(Es360Error):
    """A KQL string outside the supported subset, or malformed."""


@dataclass(frozen=True)
class _Token:
    kind: str  # word, quoted, op, lparen, rparen, colon, star, end
    text: str
    pos: int
    wildcard: bool = False  # an unquoted word containing an unescaped `*`


def _fail(query: str, pos: int, what: str) -> KqlError:
    return KqlError(f"Unsupported KQL {query!r} at position {pos}: {what}.")


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            tokens.append(_Token("lparen", ch, i))
            i += 1
        elif ch == ")":
            tokens.append(_Token("rparen", ch, i))
            i += 1
        elif ch == ":":
            tokens.append(_Token("colon", ch, i))
            i += 1
        elif ch in "<>":
            op = query[i:i + 2] if query[i + 1:i + 2] == "=" else ch
            tokens.append(_Token("op", op, i))
            i += len(op)
        elif ch == '"':
            start, i, chars = i, i + 1, []
            while i < n and query[i] != '"':
                if query[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(query[i])
                i += 1
            if i >= n:
                raise _fail(query, start, "a quoted value is not closed")
            tokens.append(_Token("quoted", "".join(chars), start))
            i += 1
        elif ch in "{}":
            raise _fail(query, i, "nested field queries with {} are not supported")
        else:
            start, chars, wildcard = i, [], False
            while i < n and not query[i].isspace() and (query[i] not in _SPECIAL or query[i] in "\\*"):
                if query[i] == "\\":
                    if i + 1 >= n:
                        raise _fail(query, i, "a trailing backslash escapes nothing")
                    i += 1
                    chars.append(query[i])
                elif query[i] == "*":
                    wildcard = True
                    chars.append("*")
                else:
                    chars.append(query[i])
                i += 1
            text = "".join(chars)
            kind = "star" if text == "*" and wildcard else "word"
            tokens.append(_Token(kind, text, start, wildcard and kind == "word"))
    tokens.append(_Token("end", "", n))
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokenize(query)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def _keyword(self, word: str) -> bool:
        return self.tok.kind == "word" and not self.tok.wildcard and self.tok.text.lower() == word

    def _advance(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> dict[str, Any]:
        if self.tok.kind == "end":
            return {"match_all": {}}
        query = self._or(self._clause)
        if self.tok.kind != "end":
            raise _fail(self.query, self.tok.pos, f"unexpected {self.tok.text!r}")
        return query

    # boolean structure, shared by whole clauses and by value lists `field : (a or b)`
    def _or(self, operand: Any) -> dict[str, Any]:
        parts = [self._and(operand)]
        while self._keyword("or"):
            self._advance()
            parts.append(self._and(operand))
        return parts[0] if len(parts) == 1 else {"bool": {"should": parts, "minimum_should_match": 1}}

    def _and(self, operand: Any) -> dict[str, Any]:
        parts = [self._not(operand)]
        while self._keyword("and"):
            self._advance()
            parts.append(self._not(operand))
        return parts[0] if len(parts) == 1 else {"bool": {"filter": parts}}

    def _not(self, operand: Any) -> dict[str, Any]:
        if self._keyword("not"):
            self._advance()
            return {"bool": {"must_not": self._not(operand)}}
        if self.tok.kind == "lparen":
            self._advance()
            inner = self._or(operand)
            if self.tok.kind != "rparen":
                raise _fail(self.query, self.tok.pos, "a parenthesis is not closed")
            self._advance()
            return inner
        return operand()

    def _clause(self) -> dict[str, Any]:
        tok = self.tok
        if tok.kind != "word" or tok.text.lower() in _KEYWORDS:
            raise _fail(self.query, tok.pos, f"expected a field name, got {tok.text or 'the end'!r}")
        if tok.wildcard:
            raise _fail(self.query, tok.pos, "wildcards in field names are not supported")
        self._advance()
        field = tok.text
        if self.tok.kind == "op":
            op = self._advance().text
            value = self.tok
            if value.kind not in ("word", "quoted") or value.wildcard:
                raise _fail(self.query, value.pos, f"{field} {op} needs a single value")
            self._advance()
            return {"range": {field: {_RANGE_OPS[op]: value.text}}}
        if self.tok.kind != "colon":
            raise _fail(self.query, tok.pos, f"free text {field!r} without `field :` is not supported")
        self._advance()
        if self.tok.kind == "star":
            self._advance()
            return {"exists": {"field": field}}
        if self.tok.kind == "lparen":  # a value list: field : (a or "b c")
            return self._not(lambda: self._value(field))
        return self._value(field)

    def _value(self, field: str) -> dict[str, Any]:
        tok = self.tok
        if tok.kind == "quoted":
            self._advance()
            return {"match_phrase": {field: tok.text}}
        if tok.kind == "word" and tok.text.lower() not in _KEYWORDS:
            self._advance()
            if tok.wildcard:
                return {"wildcard": {field: {"value": tok.text}}}
            return {"match": {field: tok.text}}
        raise _fail(self.query, tok.pos, f"expected a value for {field}, got {tok.text or 'the end'!r}")


def kql_to_dsl(query: str) -> dict[str, Any]:
    """Elasticsearch query DSL for a KQL string of the supported subset (empty → match_all)."""
    return _Parser(query or "").parse()


def query_to_dsl(query: dict[str, Any] | None) -> dict[str, Any]:
    """DSL for a Kibana `{query, language}` object; only `kuery` (KQL) and empty queries are supported."""
    if not query:
        return {"match_all": {}}
    language = query.get("language", "kuery")
    text = query.get("query", "")
    if isinstance(text, dict):  # Lucene/DSL objects as Kibana sometimes stores them
        if not text:
            return {"match_all": {}}
        raise KqlError(f"Query objects in language {language!r} are not supported; use KQL strings.")
    if language != "kuery":
        if not str(text).strip():
            return {"match_all": {}}
        raise KqlError(f"Only KQL queries are supported, not {language!r} ({text!r}).")
    return kql_to_dsl(str(text))
