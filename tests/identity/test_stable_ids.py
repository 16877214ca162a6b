"""Customer ids survive re-runs: unchanged data keeps ids, new records join, merges keep the older id,
splits get a new one; and golden profiles follow the survivorship rules."""

from __future__ import annotations

from es360.identity.features import Rec
from es360.identity.golden import golden_profile
from es360.identity.stable_ids import assign_ids, new_customer_id
from tests.identity.conftest import make_rec


def recs(*specs: tuple[str, str | None, str]) -> list[Rec]:
    """(record_id, previous customer_id, created_at) per record."""
    out = []
    for i, (record_id, customer, created) in enumerate(specs):
        r = make_rec(i, record_id, "Sam", "Smith", created_at=created)
        r.customer_id = customer
        out.append(r)
    return out


def test_first_run_ids_come_from_the_oldest_record_and_rerun_changes_nothing() -> None:
    records = recs(("crm:C-1", None, "2020-01-01T00:00:00Z"), ("shop:S-1", None, "2019-05-01T00:00:00Z"))
    first = assign_ids(records, [[0, 1]])
    assert first.ids == [new_customer_id("shop:S-1", set())] and first.new_customers == 1
    for r in records:
        r.customer_id = first.ids[0]
    again = assign_ids(records, [[0, 1]])
    assert again.ids == first.ids and again.events == [] and again.new_customers == 0


def test_a_new_record_joins_the_existing_customer_and_the_merge_is_logged() -> None:
    records = recs(("crm:C-1", "cus_a", "2020-01-01T00:00:00Z"), ("shop:S-9", None, "2024-01-01T00:00:00Z"))
    result = assign_ids(records, [[0, 1]], lambda xs, ys: (9.0, {"xs": xs, "ys": ys}))
    assert result.ids == ["cus_a"] and result.new_customers == 0
    (event,) = result.events
    assert (event.action, event.customer_id, event.other_customer_ids, event.record_ids) == \
        ("merge", "cus_a", [], ["shop:S-9"])
    assert event.evidence["kind"] == "new_records" and event.evidence["xs"] == [1] and event.match_weight == 9.0


def test_a_first_run_logs_each_new_customer_made_of_several_records() -> None:
    records = recs(("crm:C-1", None, "2020-01-01T00:00:00Z"), ("shop:S-1", None, "2019-05-01T00:00:00Z"),
                   ("shop:S-2", None, "2021-05-01T00:00:00Z"))
    result = assign_ids(records, [[0, 1], [2]], links=lambda members: (4.5, {"links": members}))
    (event,) = result.events  # the single-record customer is no merge
    assert (event.action, event.customer_id, event.record_ids) == ("merge", result.ids[0], ["crm:C-1", "shop:S-1"])
    assert event.evidence == {"kind": "new_customer", "rule": "new records resolved into one new customer",
                              "links": [0, 1]}


def test_a_merge_keeps_the_older_customers_id_and_is_logged() -> None:
    records = recs(("crm:C-1", "cus_new", "2022-01-01T00:00:00Z"), ("shop:S-1", "cus_old", "2018-01-01T00:00:00Z"),
                   ("shop:S-2", "cus_new", "2023-01-01T00:00:00Z"))
    result = assign_ids(records, [[0, 1, 2]], lambda xs, ys: (12.5, {"why": "test"}))
    assert result.ids == ["cus_old"]
    assert result.merged_into == {"cus_old": ["cus_new"]}
    (event,) = result.events
    assert (event.action, event.customer_id, event.other_customer_ids) == ("merge", "cus_old", ["cus_new"])
    assert event.record_ids == ["crm:C-1", "shop:S-2"] and event.match_weight == 12.5


def test_a_split_issues_a_new_id_for_the_part_that_leaves() -> None:
    records = recs(("crm:C-1", "cus_a", "2018-01-01T00:00:00Z"), ("shop:S-1", "cus_a", "2019-01-01T00:00:00Z"),
                   ("shop:S-2", "cus_a", "2020-01-01T00:00:00Z"))
    result = assign_ids(records, [[0, 1], [2]])
    assert result.ids[0] == "cus_a" and result.ids[1] not in ("cus_a", "")
    (event,) = result.events
    assert (event.action, event.customer_id, event.other_customer_ids, event.record_ids) == \
        ("split", result.ids[1], ["cus_a"], ["shop:S-2"])


def test_the_id_stays_with_the_earliest_record_even_if_it_leaves() -> None:
    records = recs(("crm:C-1", "cus_a", "2018-01-01T00:00:00Z"), ("shop:S-1", "cus_a", "2019-01-01T00:00:00Z"),
                   ("shop:S-2", "cus_a", "2020-01-01T00:00:00Z"))
    result = assign_ids(records, [[1, 2], [0]])
    assert result.ids == [result.ids[0], "cus_a"] and result.ids[0] != "cus_a"


def test_new_ids_never_collide() -> None:
    taken = {new_customer_id("crm:C-1", set())}
    assert new_customer_id("crm:C-1", taken) not in taken


def test_golden_profile_survivorship_and_conservative_consent() -> None:
    crm = make_rec(0, "crm:C-1", "Samuel", "Smith", email="old@x.io", phone="+447700900001", birth_date="1984-03-07",
                   address={"street": "1 Main St", "city": "Leeds", "postcode": "LS1 1AA", "country": "GB"},
                   created_at="2019-01-01T00:00:00Z", updated_at="2020-01-01T00:00:00Z",
                   consent={"email": {"status": "opt_in", "source": "crm", "updated_at": "2020-01-01T00:00:00Z"}})
    shop = make_rec(1, "shop:S-1", "Sammy", "Smith", email="new@x.io", birth_date="1984-03-07",
                    address={"city": "Leeds", "country": "GB"}, created_at="2023-06-01T00:00:00Z",
                    consent={"email": {"status": "opt_out", "source": "shop", "updated_at": "2023-06-01T00:00:00Z"}})
    marketing = make_rec(2, "marketing:M-1", "S.", "Smith", email="new@x.io", created_at="2024-01-01T00:00:00Z",
                         consent={"email": {"status": "opt_in", "source": "marketing",
                                            "updated_at": "2024-01-01T00:00:00Z"}})
    doc = golden_profile("cus_x", [crm, shop, marketing], ["cus_old"])
    assert doc["name"] == {"first": "Samuel", "last": "Smith", "full": "Samuel Smith"}  # crm first
    assert doc["email"] == "new@x.io" and doc["phone"] == "+447700900001"  # most recent with a value
    assert doc["address"]["street"] == "1 Main St"  # the most complete address
    winner = {k: v for k, v in doc["consent"]["email"].items() if k != "events"}  # events: test_consent_history
    assert winner == {"status": "opt_out", "source": "shop", "updated_at": "2023-06-01T00:00:00Z"}
    assert doc["emails"] == ["new@x.io", "old@x.io"] and doc["sources"] == ["crm", "marketing", "shop"]
    assert doc["record_ids"] == ["crm:C-1", "marketing:M-1", "shop:S-1"] and doc["record_count"] == 3
    assert doc["created_at"].startswith("2019-01-01") and doc["updated_at"].startswith("2024-01-01")
    assert doc["resolution"] == {"merged_from": ["cus_old"]}
