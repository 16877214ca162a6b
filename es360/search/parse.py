"""Read what a support rep typed into typed tokens: emails, phones, ids, postcodes, words, initials.

Nothing here is query syntax: every token becomes a value inside a term/match clause, so quotes,
brackets, wildcards or operators are just characters (mostly separators). Input is bounded (length,
token count, token size) so a pasted novel costs no more than a normal query.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_CHARS = 256
MAX_TOKENS = 12
MAX_TOKEN_CHARS = 64

# characters that may live inside a token; anything else (quotes, brackets, *, ?, !, etc.) separates
_TOKEN = re.compile(r"[\w@.+\-'’:/#]+", re.UNICODE)
_EDGE_PUNCT = ".-_'’:/#"
_PHONE_RUN = re.compile(r"(?:^|(?<=[\s,;\"'\[\]{}<>]))(?:\+|00)?\(?\d[\d\s().\-/]*\d(?=$|[\s,;\"'\[\]{}<>])")
_TRUNK_ZERO = re.compile(r"\(0\)")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^[\w\-]+(\.[\w\-]+)*\.[a-z]{2,24}$", re.IGNORECASE)
_PHONE_HINTS = ("ends in", "ending in", "ends with", "ending with", "last digits", "last four", "last 4")
# words reps type around the identifiers ("my number ends in 4471", "order no 123"); dropped when
# something else remains, since they would only add fuzzy noise
FILLER = frozenset({
    "ends", "ending", "end", "in", "with", "number", "phone", "tel", "mobile", "email", "mail", "e-mail",
    "order", "ticket", "customer", "cust", "id", "no", "nr", "the", "my", "is", "and", "or", "of", "at",
    "digits", "last", "four", "postcode", "zip", "street", "address", "it's", "its", "it", "i", "i'm", "im",
    "think", "was", "this", "name", "called", "from", "lives", "please",
})


@dataclass(frozen=True)
class Token:
    """One piece of the query: the text as typed (cleaned), its kind and, for numbers, its digits."""

    text: str
    kind: str  # email | email_local | domain | dotted | number | short_number | id | word | initial
    digits: str = ""

    @property
    def folded(self) -> str:
        """Lowercase ASCII-folded form."""
        return fold(self.text)


@dataclass(frozen=True)
class ParsedQuery:
    """Everything customer search needs to know about the rep's text."""

    raw: str
    tokens: tuple[Token, ...] = ()
    phones: tuple[str, ...] = ()  # digit strings of phone-like runs, national trunk zeros stripped
    postcodes: tuple[str, ...] = ()  # compact candidates built from adjacent tokens ("SW1A 1AA")
    phone_hint: bool = False
    dropped: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.tokens and not self.phones

    def of(self, *kinds: str) -> list[Token]:
        """The tokens of the given kinds, in typed order."""
        return [t for t in self.tokens if t.kind in kinds]


def fold(text: str) -> str:
    """Lowercase with accents removed ('Müller' -> 'muller')."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean(text: str) -> str:
    """Normalize width/compatibility forms, drop control characters, bound the length."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return text[:MAX_CHARS].strip()


def classify(word: str) -> Token | None:
    """The kind of one token; None when nothing searchable is left."""
    word = word.strip(_EDGE_PUNCT)
    if word.startswith("+") and not word[1:].replace("-", "").isdigit():
        word = word.lstrip("+")
    if not word:
        return None
    word = word[:MAX_TOKEN_CHARS]
    has_digit = any(ch.isdigit() for ch in word)
    has_alpha = any(ch.isalpha() for ch in word)
    if "@" in word:
        local, _, domain = word.rpartition("@")
        local, domain = local.strip(_EDGE_PUNCT + "@"), domain.strip(_EDGE_PUNCT + "@")
        if local and _EMAIL.match(f"{local}@{domain}"):
            return Token(f"{local}@{domain}", "email")
        if domain and not local:
            return Token(domain, "domain")
        if local:
            return Token(local, "email_local")
        return None
    digits = re.sub(r"\D", "", word)
    if has_digit and not has_alpha and re.fullmatch(r"\+?[\d().\-/]+", word):
        return Token(word, "number" if len(digits) >= 4 else "short_number", digits)
    if has_digit:
        return Token(word, "id", digits)
    if "." in word:
        if _DOMAIN.match(word):
            return Token(word, "dotted")
        parts = [p for p in word.split(".") if p]
        word = " ".join(parts)  # "J.R." -> "J R": initials, handled below by the caller
    if not has_alpha:
        return None
    letters = re.sub(r"[^\w'’\- ]", "", word).strip("-'’ ")
    if not letters:
        return None
    if len(letters) == 1:
        return Token(letters, "initial")
    return Token(letters, "word")


def parse(text: str) -> ParsedQuery:
    """Split a rep's free text into typed tokens, phone runs and postcode candidates."""
    raw = clean(text)
    lowered = raw.lower()
    phone_hint = any(h in lowered for h in _PHONE_HINTS)
    phones: list[str] = []
    consumed: list[tuple[int, int]] = []
    for m in _PHONE_RUN.finditer(raw):
        run = _TRUNK_ZERO.sub("", m.group(0))
        digits = re.sub(r"\D", "", run)
        spaced = any(ch.isspace() for ch in run.strip())
        if spaced and len(digits) >= 7:  # "020 7946 0958": one phone, not three numbers
            phones.append(_national(digits))
            consumed.append(m.span())
    tokens: list[Token] = []
    dropped: list[str] = []
    for m in _TOKEN.finditer(raw):
        if any(a <= m.start() < b for a, b in consumed):
            continue
        for piece in _split_initials(m.group(0)):
            tok = classify(piece)
            if tok is None:
                continue
            if tok.kind in ("word", "initial") and tok.folded in FILLER:
                dropped.append(tok.text)
                continue
            if tok not in tokens:
                tokens.append(tok)
    if not tokens and not phones and dropped:  # only filler words: search them after all
        tokens = [t for t in (classify(d) for d in dropped) if t is not None]
        dropped = []
    tokens = tokens[:MAX_TOKENS]
    for tok in tokens:
        if tok.kind == "number" and len(tok.digits) >= 4:
            phones.append(_national(tok.digits))
    return ParsedQuery(raw, tuple(tokens), tuple(dict.fromkeys(p for p in phones if len(p) >= 3)),
                       tuple(_postcodes(tokens)), phone_hint, tuple(dropped))


def _split_initials(piece: str) -> list[str]:
    """'J.R.' -> ['J', 'R']; anything else unchanged."""
    if re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]?", piece):
        return [p for p in piece.split(".") if p]
    return [piece]


def _national(digits: str) -> str:
    """Digits that end the E.164 number: drop the international (00) or national trunk (0) zeros."""
    return digits.lstrip("0") or digits


def _postcodes(tokens: list[Token]) -> list[str]:
    """Postcode candidates: single tokens with digits and adjacent pairs ('SW1A 1AA', '1012 AB')."""
    out: list[str] = []
    texts = [t for t in tokens if t.kind in ("id", "number", "short_number", "word", "initial")]
    for tok in texts:
        if tok.digits:
            out.append(_compact(tok.text))
    for a, b in zip(texts, texts[1:], strict=False):
        if a.digits or b.digits:
            joined = _compact(a.text + b.text)
            if 5 <= len(joined) <= 8:
                out.append(joined)
    return [p for p in dict.fromkeys(out) if len(p) >= 3]


def _compact(text: str) -> str:
    return re.sub(r"[^\w]|_", "", fold(text))
