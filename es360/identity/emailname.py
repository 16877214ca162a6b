"""Name parts a record's own mailbox spells: 'marek.jaworski47@…' names Marek Jaworski.

Newsletter and support records often carry only a first name, only a last name, an initial, or
no name at all, while their email address spells the owner's name. When a record lacks a name
part and its email's local part supplies it unambiguously, the part is read from the email and
marked as inferred (`Rec.name_from_email`), so blocking, comparison and `es360 explain` can use
and show it. Patterns read (tokens are the letter runs of the local part; digits and `.`, `_`,
`-` separate them):

- a known part and one other token: `marek.jaworski`, `e.coleman`, `jeffrey.price` (for 'J. Price');
- a known part glued to the rest: `adriannavarro` (first name + last name), `ecoleman` (initial
  + last name, only when the other part is an initial or a known given name);
- an initial plus a last name after a known first name: `rtaylor` for Ronald (not when the whole
  token is itself a given name: `rachel` does not make Ronald 'achel');
- no name at all: exactly two tokens of which one is a known given name (`lisa.peters`);
- an initial completed: 'L. Peters' with `lisa1976@…`, 'Johannes K.' with `j.krause@…`.

Nothing is read from a family or shared mailbox (`thesmiths`, `smithfamily`, `bryanandjoan`,
`info@`), and an inferred part never replaces a stated one except to complete an initial.
"""

from __future__ import annotations

import re
from functools import lru_cache

from es360.identity import nicknames

_TOKENS = re.compile(r"[a-z]+")
_HOUSEHOLD = ("family", "familie", "famille", "familia", "home", "house")  # inside a local part
_HOUSEHOLD_WORDS = frozenset({"the", "casa", "haus", "and", "und", "et"})  # as a word of their own
_NOT_NAMES = frozenset({"info", "mail", "email", "contact", "admin", "office", "sales", "support", "hello",
                        "team", "web", "shop", "news", "noreply", "accounts", "billing", "me", "mr", "mrs",
                        "ms", "dr"} | set(_HOUSEHOLD) | _HOUSEHOLD_WORDS)
MIN_LAST = 3  # shortest last name read from an email


def is_given_name(token: str) -> bool:
    """A name the nickname table knows as a given name or nickname."""
    return token in nicknames.GROUPS


def _household(local: str, tokens: list[str]) -> bool:
    """A mailbox of several people ('thesmiths', 'smithfamily', 'bryanandjoan', 'jo.and.ben', 'the.smiths')."""
    if any(word in local for word in _HOUSEHOLD) or any(t in _HOUSEHOLD_WORDS for t in tokens):
        return True
    if any(t.startswith("the") and t.endswith("s") and len(t) >= 6 for t in tokens):
        return True  # 'thesmiths', 'thejoneses'
    return len(tokens) == 1 and "and" in tokens[0][2:-2] and len(tokens[0]) >= 9


def household_surname(tokens: list[str]) -> str:
    """The family name a household mailbox spells: 'powellhome', 'smith.family', 'thesmiths' -> the
    surname; '' for a couple's mailbox ('bryanandjoan') or anything else."""
    words = [t for t in tokens if t not in _HOUSEHOLD_WORDS and t not in _HOUSEHOLD]
    if len(words) != 1:
        return ""
    word = words[0]
    if len(words) == len(tokens):  # glued: 'powellhome', 'thesmiths'
        suffix = next((x for x in _HOUSEHOLD if word.endswith(x) and len(word) > len(x)), "")
        if suffix:
            word = word[:-len(suffix)]
        elif word.startswith("the") and word.endswith("s"):
            word = word[3:-1]
        else:
            return ""
    elif "the" in tokens and word.endswith("s"):
        word = word[:-1]  # 'the.smiths'
    return word if _plausible_last(word) and not is_given_name(word) else ""


def _plausible_last(token: str) -> bool:
    return len(token) >= MIN_LAST and token not in _NOT_NAMES


@lru_cache(maxsize=200_000)
def infer_name(first: str, last: str, email: str) -> tuple[str, str, str]:
    """(first, last, which) for a record: `which` names the parts read from the email ('first',
    'last', 'first,last' or '' when nothing was read). `first` and `last` are cleaned names."""
    local = email.rpartition("@")[0].split("+", 1)[0]
    if not local:
        return first, last, ""
    tokens = _TOKENS.findall(local)
    if not tokens:
        return first, last, ""
    if _household(local, tokens):  # whose mailbox is unclear, but the family name it spells is everyone's
        surname = household_surname(tokens) if len(first) >= 2 and not last else ""
        return (first, surname, "last") if surname else (first, last, "")
    if len(first) >= 2 and not last:
        found = _last_after_first(first, tokens)
        return (first, found, "last") if found else (first, last, "")
    if last and not first:
        found = _first_around_last(last, tokens)
        return (found, last, "first") if found else (first, last, "")
    if len(first) == 1 and last:
        found = _first_around_last(last, tokens, initial=first)
        if not found:
            fits = {t for t in tokens if len(t) >= 2 and t[0] == first and t != last.replace(" ", "")}
            found = fits.pop() if len(fits) == 1 else ""  # 'gunther.leon.laura' does not say which L.
            found = found if is_given_name(found) else ""
        return (found, last, "first") if len(found) >= 2 else (first, last, "")
    if not first and not last:
        return _both(tokens)
    if len(last) == 1 and len(first) >= 2:  # 'Johannes K.' with j.krause@…
        head = first.split(" ", 1)[0]
        found = [t for t in tokens if t[0] == last and _plausible_last(t) and head not in t and not is_given_name(t)]
        if len(found) == 1:
            return first, found[0], "last"
    return first, last, ""


def _last_after_first(first: str, tokens: list[str]) -> str:
    head = first.split(" ", 1)[0]
    names = {head} | {t for t in tokens if nicknames.equivalent(t, head)}
    if len(tokens) == 2:
        x, y = tokens
        if x in names and _plausible_last(y):
            return y
        if y in names and _plausible_last(x):
            return x
        if x == head[0] and _plausible_last(y) and not is_given_name(y):
            return y  # 'r.taylor'
        return ""
    if len(tokens) != 1:
        return ""
    token = tokens[0]
    for name in sorted(names, key=len, reverse=True):  # glued: a 3-letter rest is a clipped surname ('magdalenawis')
        if token.startswith(name) and len(token) - len(name) > MIN_LAST and _plausible_last(token[len(name):]):
            return token[len(name):]
        if token.endswith(name) and len(token) - len(name) > MIN_LAST and _plausible_last(token[:-len(name)]):
            return token[:-len(name)]
    rest = token[1:]
    if token[0] == head[0] and len(rest) >= 4 and token[:2] != head[:2] and not is_given_name(token) \
            and not is_given_name(rest):
        return rest  # 'rtaylor' for Ronald
    return ""


def _first_around_last(last: str, tokens: list[str], initial: str = "") -> str:
    """The given name (or initial) next to the last name in the local part."""
    surname = last.replace(" ", "")

    def fits(part: str) -> bool:
        if part in _NOT_NAMES or not part:
            return False
        if initial and part[0] != initial:
            return False
        return len(part) == 1 or is_given_name(part) or (len(part) >= 2 and len(tokens) == 2)

    if len(tokens) == 2:
        x, y = tokens
        if y == surname and fits(x):
            return x
        if x == surname and fits(y):
            return y
        return ""
    if len(tokens) != 1:
        return ""
    token = tokens[0]
    if token.endswith(surname) and token != surname:
        part = token[:-len(surname)]
        if len(part) == 1 or is_given_name(part):
            return part if fits(part) else ""
    if token.startswith(surname) and token != surname:
        part = token[len(surname):]
        if len(part) == 1 or is_given_name(part):
            return part if fits(part) else ""
    return ""


def _both(tokens: list[str]) -> tuple[str, str, str]:
    if len(tokens) != 2:
        return "", "", ""
    x, y = tokens
    if len(x) >= 2 and is_given_name(x) and _plausible_last(y) and not is_given_name(y):
        return x, y, "first,last"
    if len(y) >= 2 and is_given_name(y) and _plausible_last(x) and not is_given_name(x):
        return y, x, "first,last"
    return "", "", ""
