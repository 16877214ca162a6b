"""A record with a single name word: read it as the part the run's records mostly make it.

Help desks and chat widgets keep one name field, so 'Orla' or 'Ximena' arrive as the whole name,
and the records pipeline stores a lone word as the last name (it cannot tell). Newsletter forms get
their columns swapped ('Sahin' as the first name). Which part a word is gets learned from the run's
name counts: a lone word written as a first name at least `MIN_COUNT` times and `ROLE_RATIO` times
as often as a last name is a first name, and the other way round. The record's email is then read
again for the missing part (es360.identity.emailname), so 'Orla' with orlagal571@… stays Orla and
does not become a surname with a first name guessed from the mailbox.
"""

from __future__ import annotations

from collections.abc import Iterable

from es360.identity.emailname import infer_name
from es360.identity.features import Rec
from es360.identity.model import Model, NameFrequencies

MIN_COUNT = 3
ROLE_RATIO = 3.0


def stated_word(r: Rec) -> str:
    """The one name word the record itself states ('' when it states none or both parts)."""
    return _stated(r)[0]


def _stated(r: Rec) -> tuple[str, str]:
    """(the one name word the record states, the part it is in: 'first' or 'last'), or ('', '')."""
    first = "" if "first" in r.name_from_email else r.first
    last = "" if "last" in r.name_from_email else r.last
    if bool(first) == bool(last):
        return "", ""
    return (first, "first") if first else (last, "last")


def _role(word: str, firsts: dict[str, int], lasts: dict[str, int]) -> str:
    as_first, as_last = firsts.get(word, 0), lasts.get(word, 0)
    if as_first >= MIN_COUNT and as_first >= ROLE_RATIO * as_last:
        return "first"
    if as_last >= MIN_COUNT and as_last >= ROLE_RATIO * as_first:
        return "last"
    return ""


def settle_lone_names(records: Iterable[Rec], first_names: NameFrequencies | None,
                      last_names: NameFrequencies | None) -> int:
    """Move lone name words to the part the name counts give them; returns how many records moved."""
    if first_names is None or last_names is None:
        return 0
    moved = 0
    for r in records:
        word, part = _stated(r)
        if len(word) < 2 or " " in word:
            continue
        role = _role(word, first_names.counts, last_names.counts)
        if not role or role == part:
            continue
        first, last = (word, "") if role == "first" else ("", word)
        first, last, inferred = infer_name(first, last, r.email)  # no email: nothing is read
        r.first, r.last, r.name_from_email = first, last, inferred
        moved += 1
    return moved


def settle_model_lone_names(records: Iterable[Rec], model: Model) -> int:
    """settle_lone_names with the name counts a fitted model learned."""
    return settle_lone_names(records, model.tf.get("first_name"), model.tf.get("last_name"))
