"""Mistyped mail domains: a rare domain one slip away from exactly one popular domain reads as it.

People mistype their address at signup ('gmial.com', 'hotmai.com', 'yahooo.co.uk') and the mail
bounces, but the record stays: `sam.smith@gmial.com` is still Sam Smith's Gmail mailbox. As with
first names (es360.identity.spelling), which domains are real is learned from the data itself: a
domain is *popular* when at least `MIN_POPULAR` addresses of the run use it. A domain used by at
most a `RATIO`-th as many addresses, with the same top-level part and first letter, one edit
(insert, delete, substitute, transpose) from exactly one popular domain, is read as that domain for
matching. Addresses as written stay on the records and in golden profiles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from rapidfuzz.distance import OSA

from es360.identity.features import Rec
from es360.identity.model import Model, NameFrequencies
from es360.identity.text import canonical_email

MIN_POPULAR = 20
RATIO = 50


def domain_counts(records: Iterable[Rec]) -> Counter[str]:
    """How many addresses (record emails and mailboxes seen in activity) use each domain."""
    counts: Counter[str] = Counter()
    for r in records:
        for email in r.alt_emails | {r.email_canon}:
            if email:
                counts[email.rpartition("@")[2]] += 1
    return counts


def as_frequencies(counts: Mapping[str, int]) -> NameFrequencies:
    """Domain counts in the shape a model keeps them (`model.tf['email_domain']`)."""
    return NameFrequencies(sum(counts.values()), 0.0, dict(counts))


def model_domain_counts(model: Model) -> dict[str, int]:
    """The domain counts a fitted model kept (empty for a model from before es360 kept them)."""
    kept = model.tf.get("email_domain")
    return kept.counts if kept is not None else {}


def domain_typos(counts: Mapping[str, int], domains: Iterable[str] | None = None) -> dict[str, str]:
    """Mistyped domain -> the popular domain it is one slip of (see the module docstring), for
    `domains` (default: every counted one); a domain missing from `counts` counts as used once."""
    popular: dict[tuple[str, str], list[str]] = {}  # (top-level part, first letter) -> popular names
    for domain, count in counts.items():
        name, dot, top = domain.partition(".")
        if count >= MIN_POPULAR and dot and len(name) >= 3:
            popular.setdefault((top, name[0]), []).append(name)
    out: dict[str, str] = {}
    for domain in counts if domains is None else domains:
        count = counts.get(domain, 1)
        name, dot, top = domain.partition(".")
        if not dot or not name:
            continue
        near = [p for p in popular.get((top, name[0]), ()) if p != name and counts[f"{p}.{top}"] >= RATIO * count
                and OSA.distance(p, name, score_cutoff=1) <= 1]
        if len(near) == 1:
            out[domain] = f"{near[0]}.{top}"
    return out


def read_as(email: str, typos: Mapping[str, str]) -> str:
    """A canonical email with a mistyped domain read as the popular one ('a.b@gmial.com' -> 'ab@gmail.com')."""
    local, _, domain = email.rpartition("@")
    fixed = typos.get(domain)
    return canonical_email(f"{local}@{fixed}") if fixed else email


def attach_domain_typos(records: Iterable[Rec], counts: Mapping[str, int]) -> int:
    """Read mistyped domains in records' emails as the popular domain they slip from; returns how
    many records changed. `counts` are the run's domain counts (or those a fitted model kept)."""
    records = list(records)
    used = {e.rpartition("@")[2] for r in records for e in r.alt_emails | {r.email_canon} if e}
    typos = domain_typos(counts, used)
    changed = 0
    if not typos:
        return changed
    for r in records:
        canon = read_as(r.email_canon, typos) if r.email_canon else ""
        alt = frozenset(read_as(e, typos) for e in r.alt_emails)
        if canon != r.email_canon or alt != r.alt_emails:
            r.email_canon, r.alt_emails = canon, alt - {canon}
            changed += 1
    return changed
