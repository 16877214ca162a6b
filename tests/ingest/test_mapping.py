"""Source mappings: built-ins load, rows map to documents, bad mappings fail clearly."""

from __future__ import annotations

import pytest

from es360.errors import Es360Error
from es360.ingest.mapping import RowError, builtin_sources, load_mapping, parse_mapping


def test_every_builtin_mapping_loads() -> None:
    names = builtin_sources()
    assert {"crm", "shop-customers", "shop-orders", "support", "marketing-subscribers", "marketing-events",
            "web"} <= set(names)
    for name in names:
        assert load_mapping(name).targets


def test_row_maps_to_documents_with_extra_and_raw() -> None:
    mapping = load_mapping("crm")
    row = {"contact_id": "C-1", "first_name": " Sam ", "last_name": "Smith", "email": "s@x.io", "phone": "",
           "account_owner": "alice"}
    [(kind, key, doc)] = mapping.apply(row)
    assert (kind, key) == ("records", "crm:C-1")
    assert doc["name"] == {"first": "Sam", "last": "Smith"} and "phone" not in doc
    assert doc["extra"] == {"account_owner": "alice"} and doc["raw"] == row and doc["source"] == "crm"


def test_support_ticket_makes_three_documents_and_optional_requester() -> None:
    mapping = load_mapping("support")
    row = {"ticket_id": "T-1", "requester_email": "a@b.io", "subject": "hi", "description": "body",
           "created": "2025-01-01T00:00:00Z"}
    assert [k for k, _, _ in mapping.apply(row)] == ["tickets", "records", "activity"]
    anonymous = {**row, "requester_email": None}
    assert [k for k, _, _ in mapping.apply(anonymous)] == ["tickets", "activity"]


def test_missing_key_or_required_field_rejects_the_row() -> None:
    mapping = load_mapping("shop-orders")
    with pytest.raises(RowError, match="order_id"):
        mapping.apply({"order_id": "", "amount": "1"})
    with pytest.raises(RowError, match="order.currency"):
        mapping.apply({"order_id": "O-1", "order_ts": "2025-01-01T00:00:00Z", "amount": "5", "currency": ""})


@pytest.mark.parametrize("text,message", [
    ("name = 'x'\n[[targets]]\nkind = 'nope'\nkey = 'id'\n", "kind must be one of"),
    ("name = 'x'\n", "at least one"),
    ("name = 'x'\ncolour = 'red'\n[[targets]]\nkind = 'records'\nkey = 'id'\n", "unknown key"),
    ("name = \n", "not valid TOML"),
])
def test_bad_mapping_files_fail_with_one_sentence(text: str, message: str) -> None:
    with pytest.raises(Es360Error, match=message):
        parse_mapping(text, "mine.toml")


def test_unknown_builtin_lists_the_choices() -> None:
    with pytest.raises(Es360Error, match="built-ins are"):
        load_mapping("salesforce")
