"""Per-field comparison levels: what counts as exact, close, shared or different."""

from __future__ import annotations

from es360.identity.compare import (
    F_CLOSE,
    F_EXACT,
    F_NICK,
    L_CLOSE,
    L_DIFF,
    L_FUZZY,
    address_level,
    compare,
    compare_names,
    dob_level,
    first_level,
    last_level,
    mark_shared_contacts,
)
from tests.identity.conftest import make_rec


def levels(a: object, b: object) -> dict[str, str]:
    return compare(a, b).describe()  # type: ignore[arg-type]


def test_first_names_exact_nickname_typo_initial_and_different() -> None:
    assert first_level("sam", "sam") == 1
    assert first_level("sam", "samuel") == 2  # nickname
    assert first_level("jonathon", "jonathan") in (2, 3)  # variant or typo
    assert first_level("micheal", "michael") == 3  # typo: close
    assert first_level("s", "samuel") == 4 and first_level("s", "bob") == 6  # 'S.' fits Sam, not Bob
    assert first_level("anna maria", "anna") in (2, 3)  # a second given name
    assert first_level("john", "peter") == 6
    assert first_level("", "peter") == 0  # missing: no evidence either way


def test_last_names_phonetic_compound_and_different() -> None:
    assert last_level("meyer", "maier") == 2
    assert last_level("garcia", "garcia lopez") == 2
    assert last_level("kowalski", "kowalska") == 2
    assert last_level("smith", "jones") == 4


def test_swapped_first_and_last_names_are_detected() -> None:
    a = make_rec(0, "crm:C-1", "Nguyen", "Minh")
    b = make_rec(1, "shop:S-1", "Minh", "Nguyen")
    assert compare_names(a, b) == (1, 1, True)
    household = make_rec(2, "shop:S-2", "Trang", "Nguyen")  # the shared surname is not a first-name match
    assert compare_names(a, household)[2] is False


def test_a_single_name_is_read_as_first_or_last_name() -> None:
    rogers = make_rec(0, "marketing:M-1", "Rogers", "")
    full = make_rec(1, "crm:C-1", "Charlotte", "Rogers")
    first, last, swapped = compare_names(rogers, full)
    assert (first, last) == (0, 1) and swapped


def test_email_levels_exact_gmail_dots_domain_typo_and_local_part() -> None:
    a = make_rec(0, "crm:C-1", "Sam", "Smith", email="sam.smith@gmail.com")
    assert levels(a, make_rec(1, "shop:S-1", "Sam", "Smith", email="samsmith+shop@gmail.com"))["email"] == "exact"
    assert levels(a, make_rec(1, "shop:S-1", "Sam", "Smith", email="sam.smith@gmial.com"))["email"] == "close"
    assert levels(a, make_rec(1, "shop:S-1", "Sam", "Smith", email="sam.smith@yahoo.com"))["email"] == "local"
    assert levels(a, make_rec(1, "shop:S-1", "Sam", "Smith", email="other@yahoo.com"))["email"] == "different"


def test_family_email_agreement_is_weak_when_first_names_differ() -> None:
    john = make_rec(0, "crm:C-1", "John", "Smith", email="thesmiths@gmail.com", phone="+441234567890")
    jane = make_rec(1, "shop:S-1", "Jane", "Smith", email="thesmiths@gmail.com", phone="+441234567890")
    result = levels(john, jane)
    assert (result["first_name"], result["email"], result["phone"]) == ("different", "shared", "shared")


def test_shared_mailbox_is_weak_for_a_record_without_first_name() -> None:
    john = make_rec(0, "crm:C-1", "John", "Smith", email="thesmiths@gmail.com")
    jane = make_rec(1, "shop:S-1", "Jane", "Smith", email="thesmiths@gmail.com")
    nameless = make_rec(2, "marketing:M-1", email="thesmiths@gmail.com")
    assert mark_shared_contacts([john, jane, nameless]) == (1, 0)
    assert levels(nameless, john)["email"] == "shared"
    own = make_rec(3, "marketing:M-2", email="sam@x.io")
    assert levels(own, make_rec(4, "crm:C-2", "Sam", "Lee", email="sam@x.io"))["email"] == "exact"


def test_a_lone_first_name_and_a_lone_last_name_do_not_make_a_mailbox_shared() -> None:
    """'Alexandre' on the newsletter and 'Roux' on a ticket are parts of one name, not two people."""
    full = make_rec(0, "crm:C-1", "Alexandre", "Roux", email="alexandrerou284@gmail.com")
    first_only = make_rec(1, "marketing:M-1", "Alexandre", "", email="alexandrerou284@gmail.com")
    last_only = make_rec(2, "support:x", "", "Roux", email="alexandre.rou284@gmail.com")
    assert mark_shared_contacts([full, first_only, last_only]) == (0, 0)
    other = make_rec(3, "support:y", "Zoe", "", email="alexandrerou284@gmail.com")
    assert mark_shared_contacts([full, first_only, other]) == (1, 0)  # two first names still clash


def test_phone_exact_country_code_and_one_digit() -> None:
    a = make_rec(0, "crm:C-1", phone="+447700900123")
    assert levels(a, make_rec(1, "shop:S-1", phone="+447700900123"))["phone"] == "exact"
    assert levels(a, make_rec(1, "shop:S-1", phone="+17700900123"))["phone"] == "close"  # wrong country code
    assert levels(a, make_rec(1, "shop:S-1", phone="+447700900124"))["phone"] == "close"  # one digit off
    assert levels(a, make_rec(1, "shop:S-1", phone="+447700111999"))["phone"] == "different"


def test_birth_date_swaps_and_typos() -> None:
    assert dob_level("1984-03-07", "1984-03-07") == 1
    assert dob_level("1984-03-07", "1984-07-03") == 2  # day and month swapped
    assert dob_level("1984-03-07", "1985-03-07") == 2  # one digit
    assert dob_level("1984-03-07", "1948-03-07") == 2  # two digits transposed
    assert dob_level("1984-03-07", "1962-11-30") == 3


def test_address_postcode_street_and_city() -> None:
    home = {"street": "12 Main Street", "city": "Leeds", "postcode": "LS1 4AB"}
    a = make_rec(0, "crm:C-1", "Sam", "Lee", address=home)
    same = make_rec(1, "shop:S-1", "Sam", "Lee", address={"street": "12 Main St", "city": "Leeds", "postcode": "ls14ab"})
    city = make_rec(2, "shop:S-2", "Sam", "Lee", address={"street": "9 Oak Road", "city": "Leeds", "postcode": "LS6 1QQ"})
    assert address_level(a, same, 1) == 1
    assert address_level(a, city, 1) == 4  # same city only
    sibling = make_rec(3, "shop:S-3", "Tom", "Lee", address=home)
    assert levels(a, sibling)["address"] == "shared"  # a household, not evidence of one person


def test_a_mailbox_seen_in_activity_counts_as_the_records_own() -> None:
    shop = make_rec(0, "shop:S-1", "Sam", "Smith", email="sam@home.io")
    crm = make_rec(1, "crm:C-1", "Sam", "Smith", email="s.smith@work.io")
    assert levels(shop, crm)["email"] == "different"
    shop.alt_emails = frozenset({"s.smith@work.io"})  # an order placed by S-1 with the work address
    assert levels(shop, crm)["email"] == "exact"


def test_one_typo_in_a_long_last_name_is_close() -> None:
    assert last_level("edwards", "efwards") == L_CLOSE
    assert last_level("jansen", "hansen") != L_CLOSE  # another first letter: another family name
    assert last_level("lee", "lea") != L_CLOSE  # too short to call a typo


def test_a_last_name_initial_agrees_only_partly() -> None:
    assert last_level("k", "krawczyk") == last_level("krawczyk", "k") == L_FUZZY
    assert last_level("k", "nowak") == L_DIFF


def test_a_slip_of_a_known_first_name_is_close_but_two_known_names_stay_apart() -> None:
    assert first_level("max", "mxa") == F_CLOSE  # "mxa" is no name: a slip of Max
    assert first_level("lena", "lina") not in (F_EXACT, F_NICK, F_CLOSE)  # two real names, two people
