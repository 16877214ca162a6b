"""Painless lexer: source text to tokens (identifiers, numbers, strings, regexes, operators)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import PainlessCompileError

KEYWORDS = frozenset({
    "if", "else", "while", "do", "for", "in", "continue", "break", "return", "new", "try", "catch", "throw",
    "this", "instanceof", "true", "false", "null",
})

# Longest operators first so that the first match is the longest one.
OPERATORS = sorted([
    ">>>=", "===", "!==", "==~", ">>>", "<<=", ">>=", "?.", "?:", "->", "::", "==", "!=", "<=", ">=", "&&", "||",
    "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<", ">>", "=~",
    "{", "}", "[", "]", "(", ")", ".", ",", ";", "+", "-", "*", "/", "%", "<", ">", "=", "!", "~", "&", "|", "^",
    "?", ":",
], key=len, reverse=True)

_WS = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)+", re.S)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+[lL]?")
_OCTAL = re.compile(r"0[0-7]+[lL]?")
_DECIMAL = re.compile(r"(?:[0-9]+\.[0-9]+|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?[lLfFdD]?")
_REGEX = re.compile(r"/((?:\\[^\n]|[^/\n\\])+)/([cilmsUux]*)")

# After these tokens a `/` is a division; elsewhere it starts a regex literal.
_OPERAND_END_KINDS = frozenset({"id", "int", "float", "str", "regex"})
_OPERAND_END_OPS = frozenset({")", "]", "}", "++", "--"})


@dataclass(slots=True)
class Token:
    kind: str  # id, kw, int, float, str, regex, op, eof
    value: object
    pos: int
    end: int
    text: str = ""

    def is_op(self, *ops: str) -> bool:
        return self.kind == "op" and self.value in ops

    def is_kw(self, *words: str) -> bool:
        return self.kind == "kw" and self.value in words


def _unescape(body: str, quote: str, pos: int, source: str) -> str:
    if "\\" not in body:
        return body
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            mapped = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(n)
            if mapped is None:
                raise PainlessCompileError("unexpected character [\\" + n + "].", pos + i, source)
            out.append(mapped)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    n = len(source)
    while True:
        m = _WS.match(source, i)
        if m:
            i = m.end()
        if i >= n:
            tokens.append(Token("eof", None, n, n, "<EOF>"))
            return tokens
        c = source[i]
        if c.isalpha() or c == "_":
            m = _IDENT.match(source, i)
            assert m
            word = m.group(0)
            tokens.append(Token("kw" if word in KEYWORDS else "id", word, i, m.end(), word))
            i = m.end()
            continue
        if c.isdigit() or (c == "." and i + 1 < n and source[i + 1].isdigit()):
            tokens.append(_number(source, i))
            i = tokens[-1].end
            continue
        if c in "\"'":
            j = i + 1
            while j < n and source[j] != c:
                j += 2 if source[j] == "\\" else 1
            if j >= n:
                raise PainlessCompileError("unexpected character [" + source[i:i + 10] + "].", i, source)
            body = source[i + 1:j]
            tokens.append(Token("str", _unescape(body, c, i + 1, source), i, j + 1, source[i:j + 1]))
            i = j + 1
            continue
        if c == "/" and not _division_context(tokens):
            m = _REGEX.match(source, i)
            if m:
                tokens.append(Token("regex", (m.group(1), m.group(2)), i, m.end(), m.group(0)))
                i = m.end()
                continue
        for op in OPERATORS:
            if source.startswith(op, i):
                tokens.append(Token("op", op, i, i + len(op), op))
                i += len(op)
                break
        else:
            raise PainlessCompileError(f"unexpected character [{c}].", i, source)


def _division_context(tokens: list[Token]) -> bool:
    if not tokens:
        return False
    last = tokens[-1]
    if last.kind in _OPERAND_END_KINDS:
        return True
    if last.kind == "kw" and last.value in ("true", "false", "null", "this"):
        return True
    return last.kind == "op" and last.value in _OPERAND_END_OPS


def _number(source: str, i: int) -> Token:
    for rx, base in ((_HEX, 16), (_OCTAL, 8)):
        m = rx.match(source, i)
        if m and not (base == 8 and source[m.end():m.end() + 1] in (".", "e", "E")):
            text = m.group(0)
            digits = text.rstrip("lL")
            value = int(digits[2:], 16) if base == 16 else int(digits, 8)
            return Token("int", value, i, m.end(), text)
    m = _DECIMAL.match(source, i)
    assert m
    text = m.group(0)
    suffix = text[-1] if text[-1] in "lLfFdD" else ""
    body = text[:-1] if suffix else text
    if suffix in ("l", "L"):
        if "." in body or "e" in body.lower():
            raise PainlessCompileError(f"Invalid long constant [{text}].", i, source)
        return Token("int", int(body), i, m.end(), text)
    if suffix or "." in body or "e" in body.lower():
        value = float(body)
        if suffix in ("f", "F"):
            return Token("float", value, i, m.end(), text)
        return Token("float", value, i, m.end(), text)
    return Token("int", int(body), i, m.end(), text)
