"""Mistyped mail domains read as the popular domain they slip from."""

from __future__ import annotations

from es360.identity.compare import E_EXACT, compare, shares_identifier
from es360.identity.domains import attach_domain_typos, domain_counts, domain_typos, read_as
from es360.identity.features import Rec, from_source
from es360.identity.matcher import match

POPULAR = {"gmail.com": 1000, "hotmail.co.uk": 200, "mail.com": 30, "gmx.de": 80, "gmx.at": 40, "web.de": 60}


def test_rare_domains_one_slip_from_one_popular_domain_are_read_as_it() -> None:
    counts = {**POPULAR, "gmial.com": 8, "gmaill.com": 1, "hotmial.co.uk": 2, "gmx.com": 1}
    typos = domain_typos(counts)
    assert typos == {"gmial.com": "gmail.com", "gmaill.com": "gmail.com", "hotmial.co.uk": "hotmail.co.uk"}


def test_real_domains_are_never_read_as_others() -> None:
    typos = domain_typos({**POPULAR, "wed.de": 1})
    assert "mail.com" not in typos  # one letter from gmail.com, but another first letter
    assert "gmx.at" not in typos and "gmx.de" not in typos  # another ending is another domain
    assert typos == {"wed.de": "web.de"}
    # a domain used by more than 1/50 as many addresses is a domain of its own
    assert domain_typos({"gmail.com": 1000, "gmial.com": 30}) == {}
    # too few addresses to call a domain popular
    assert domain_typos({"gmail.com": 19, "gmial.com": 0}, ["gmial.com"]) == {}


def test_two_popular_domains_within_one_slip_leave_the_domain_alone() -> None:
    assert domain_typos({"live.com": 100, "love.com": 100, "lve.com": 1}) == {}


def test_a_domain_unknown_to_the_counts_counts_as_used_once() -> None:
    assert domain_typos(POPULAR, ["gmai.com", "gmail.com"]) == {"gmai.com": "gmail.com"}


def test_read_as_recanonicalizes_gmail() -> None:
    assert read_as("sam.smith@gmial.com", {"gmial.com": "gmail.com"}) == "samsmith@gmail.com"
    assert read_as("sam@other.org", {"gmial.com": "gmail.com"}) == "sam@other.org"


def _rec(idx: int, email: str, alt: frozenset[str] = frozenset()) -> Rec:
    r = from_source(idx, {"source": "crm", "source_id": str(idx), "email": email,
                          "name": {"first": "Bryan", "last": "Russell"}})
    r.alt_emails = alt
    return r


def test_attached_typos_make_the_mailboxes_equal() -> None:
    typo, right = _rec(0, "br.yanrus615@gmai.com", frozenset({"bryan@gmial.com"})), _rec(1, "bryanrus615@gmail.com")
    others = [_rec(i, f"person{i}@gmail.com") for i in range(2, 60)]
    records = [typo, right, *others]
    assert attach_domain_typos(records, domain_counts(records)) == 1
    assert typo.email_canon == "bryanrus615@gmail.com" and typo.alt_emails == {"bryan@gmail.com"}
    assert typo.email == "br.yanrus615@gmai.com"  # the address as written stays
    assert compare(typo, right).levels[2] == E_EXACT and shares_identifier(typo, right)


def test_the_model_keeps_domain_counts_for_explain() -> None:
    records = [_rec(i, f"person{i}@gmail.com") for i in range(60)] + [_rec(60, "person1@gmial.com")]
    resolution = match(records)
    assert resolution.model.tf["email_domain"].counts["gmail.com"] == 60
    assert records[60].email_canon == "person1@gmail.com"
    assert resolution.labels[60] == resolution.labels[1]
