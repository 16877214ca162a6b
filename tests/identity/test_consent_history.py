"""Golden consent: any opt-out wins, and `consent.email.events` keeps every record's consent events."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from es360.identity.features import Rec
from es360.identity.golden import golden_profile
from es360.ingest.mapping import load_mapping
from es360.setup import run_setup
from es360.show import consent_of
from tests.identity.conftest import make_rec

PREFIX = "consenttest-"


def consent(status: str, updated_at: str | None = None, opt_in_at: str | None = None,
            source: str | None = None) -> dict[str, Any]:
    """A record's `consent` as the records pipeline stores it."""
    email: dict[str, Any] = {"status": status}
    if source:
        email["source"] = source
    if updated_at:
        email["updated_at"] = updated_at
    if opt_in_at:
        email["opt_in_at"] = opt_in_at
    return {"email": email}


def golden_consent(*records: Rec) -> dict[str, Any]:
    return golden_profile("cus_x", list(records)).get("consent", {}).get("email", {})


def winner(email: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in email.items() if k != "events"}


def events(email: dict[str, Any]) -> list[tuple[str, str, str | None, bool]]:
    return [(e["record_id"], e["status"], e.get("at"), e["current"]) for e in email["events"]]


def test_an_opt_out_wins_over_a_later_opt_in_and_every_event_is_kept_in_time_order() -> None:
    crm = make_rec(0, "crm:C-1", "Ada", "Quill", consent=consent("opt_in", "2022-03-01T00:00:00Z", source="crm"))
    marketing = make_rec(1, "marketing:M-1", "Ada", "Quill", created_at="2021-06-01T08:00:00Z",
                         consent=consent("opt_out", "2023-02-01T09:30:00Z", "2021-06-01T08:00:00Z", "marketing"))
    shop = make_rec(2, "shop:S-1", "Ada", "Quill", consent=consent("opt_in", "2024-05-05T00:00:00Z", source="shop"))
    email = golden_consent(shop, crm, marketing)
    assert winner(email) == {"status": "opt_out", "source": "marketing", "updated_at": "2023-02-01T09:30:00Z"}
    assert events(email) == [
        ("marketing:M-1", "opt_in", "2021-06-01T08:00:00Z", False),  # subscribed ...
        ("crm:C-1", "opt_in", "2022-03-01T00:00:00Z", True),
        ("marketing:M-1", "opt_out", "2023-02-01T09:30:00Z", True),  # ... and unsubscribed: two events
        ("shop:S-1", "opt_in", "2024-05-05T00:00:00Z", True),
    ]
    assert {e["source"] for e in email["events"]} == {"crm", "marketing", "shop"}


def test_the_latest_of_several_opt_outs_wins() -> None:
    old = make_rec(0, "crm:C-1", consent=consent("opt_out", "2020-01-01T00:00:00Z", source="crm"))
    new = make_rec(1, "shop:S-1", consent=consent("opt_out", "2021-01-01T00:00:00Z", source="shop"))
    assert winner(golden_consent(new, old)) == {"status": "opt_out", "source": "shop",
                                                "updated_at": "2021-01-01T00:00:00Z"}


def test_without_an_opt_out_the_latest_opt_in_wins_over_a_later_unknown() -> None:
    a = make_rec(0, "crm:C-1", consent=consent("opt_in", "2020-01-01T00:00:00Z", source="crm"))
    b = make_rec(1, "shop:S-1", consent=consent("opt_in", "2022-01-01T00:00:00Z", source="shop"))
    c = make_rec(2, "support:T-1", consent=consent("unknown", "2024-01-01T00:00:00Z", source="support"))
    email = golden_consent(a, b, c)
    assert winner(email) == {"status": "opt_in", "source": "shop", "updated_at": "2022-01-01T00:00:00Z"}
    assert [e["status"] for e in email["events"]] == ["opt_in", "opt_in", "unknown"]


def test_a_still_subscribed_subscriber_is_one_event_not_two() -> None:
    sub = make_rec(0, "marketing:M-2", created_at="2022-05-05T10:00:00Z",
                   consent=consent("opt_in", "2022-05-05T10:00:00.000Z", "2022-05-05T10:00:00Z", "marketing"))
    email = golden_consent(sub)
    assert events(email) == [("marketing:M-2", "opt_in", "2022-05-05T10:00:00.000Z", True)]  # same instant


def test_a_past_opt_in_does_not_outvote_the_records_current_status() -> None:
    bounced = make_rec(0, "marketing:M-3", consent=consent("unknown", "2024-01-01T00:00:00Z",
                                                          "2024-01-01T00:00:00Z", "marketing"))
    email = golden_consent(bounced)
    assert winner(email) == {"status": "unknown", "source": "marketing", "updated_at": "2024-01-01T00:00:00Z"}
    assert events(email) == [("marketing:M-3", "opt_in", "2024-01-01T00:00:00Z", False),
                             ("marketing:M-3", "unknown", "2024-01-01T00:00:00Z", True)]


def test_events_are_ordered_by_instant_not_by_how_the_time_is_written() -> None:
    paris = make_rec(0, "shop:S-1", consent=consent("opt_in", "2024-01-01T10:30:00+02:00", source="shop"))
    utc = make_rec(1, "crm:C-1", consent=consent("opt_out", "2024-01-01T09:00:00Z", source="crm"))
    assert [e["record_id"] for e in golden_consent(utc, paris)["events"]] == ["shop:S-1", "crm:C-1"]


def test_missing_times_fall_back_to_the_record_then_sort_last_and_never_win_over_a_dated_event() -> None:
    dated_by_record = make_rec(0, "crm:C-1", updated_at="2021-01-01T00:00:00Z", consent=consent("opt_out"))
    undated = make_rec(1, "shop:S-1", consent=consent("opt_out", source="shop"))
    created_only = make_rec(2, "support:T-1", created_at="2019-01-01T00:00:00Z", consent=consent("opt_in"))
    email = golden_consent(undated, dated_by_record, created_only)
    assert winner(email) == {"status": "opt_out", "source": "crm", "updated_at": "2021-01-01T00:00:00Z"}
    assert events(email) == [("support:T-1", "opt_in", "2019-01-01T00:00:00Z", True),
                             ("crm:C-1", "opt_out", "2021-01-01T00:00:00Z", True),
                             ("shop:S-1", "opt_out", None, True)]
    assert "at" not in email["events"][-1]
    alone = golden_consent(make_rec(0, "shop:S-9", consent=consent("opt_in", source="shop")))
    assert winner(alone) == {"status": "opt_in", "source": "shop"}  # no time to report


def test_records_without_a_status_add_nothing_and_no_status_means_no_consent() -> None:
    silent = make_rec(0, "crm:C-1", consent={"email": {"opt_in_at": "2020-01-01T00:00:00Z"}})
    assert "consent" not in golden_profile("cus_x", [silent, make_rec(1, "shop:S-1")])
    said = make_rec(2, "shop:S-2", consent=consent("opt_in", "2020-02-02T00:00:00Z", source="shop"))
    assert [e["record_id"] for e in golden_consent(silent, said)["events"]] == ["shop:S-2"]


def test_the_history_does_not_depend_on_record_order() -> None:
    recs = [make_rec(i, f"crm:C-{i}", consent=consent(s, f"2020-01-0{i + 1}T00:00:00Z", source="crm"))
            for i, s in enumerate(("opt_in", "opt_out", "opt_in", "unknown"))]
    assert golden_consent(*recs) == golden_consent(*reversed(recs))


def _ingest_marketing(es: Elasticsearch, rows: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    mapping = load_mapping("marketing-subscribers")
    docs = [doc for row in rows for (_, _, doc) in mapping.apply(row)]
    for doc in docs:
        es.index(index=f"{PREFIX}records", document=doc, refresh=True)
    hits = es.search(index=f"{PREFIX}records", size=10)["hits"]["hits"]
    return {h["_source"]["record_id"]: h["_source"] for h in hits}


def test_the_records_pipeline_keeps_a_subscribers_opt_in_time_apart_from_its_status(es: Elasticsearch) -> None:
    run_setup(es, PREFIX)
    columns = ("subscriber_id", "email", "first_name", "last_name", "country", "subscribed_at", "unsubscribed_at",
               "status")
    rows = [dict(zip(columns, r, strict=True)) for r in (
        ("M-1", "ada@example.org", "Ada", "", "GB", "2021-06-01T08:00:00Z", "2023-02-01T09:30:00Z", "unsubscribed"),
        ("M-2", "bo@example.org", "Bo", "", "GB", "1651744800", "", "subscribed"),
        ("M-3", "cy@example.org", "Cy", "", "GB", "31/12/2023", "", "subscribed"))]
    records = _ingest_marketing(es, rows)
    ada = records["marketing:M-1"]["consent"]["email"]
    assert ada["status"] == "opt_out" and ada["updated_at"].startswith("2023-02-01T09:30:00")
    assert ada["opt_in_at"].startswith("2021-06-01T08:00:00")
    bo = records["marketing:M-2"]["consent"]["email"]
    assert bo["status"] == "opt_in" and bo["opt_in_at"].startswith("2022-05-05T10:00:00")  # epoch seconds
    cy = records["marketing:M-3"]  # an unreadable date is dropped and flagged; the record is kept
    assert "opt_in_at" not in cy["consent"]["email"] and cy["consent"]["email"]["status"] == "opt_in"
    assert "consent_opt_in_at_invalid" in cy["quality"]["issues"]


def test_show_reads_the_stored_history_or_rebuilds_it_for_a_profile_resolved_before_histories() -> None:
    records = [{"record_id": "crm:C-1", "source": "crm", "source_id": "C-1",
                "consent": consent("opt_in", "2022-03-01T00:00:00Z", source="crm")},
               {"record_id": "marketing:M-1", "source": "marketing", "source_id": "M-1",
                "consent": consent("opt_out", "2023-02-01T00:00:00Z", "2021-06-01T00:00:00Z", "marketing")}]
    stored = golden_profile("cus_x", [make_rec(i, r["record_id"], consent=r["consent"]) for i, r in enumerate(records)])
    view = consent_of(stored, records)
    assert view["email"] == {"status": "opt_out", "source": "marketing", "updated_at": "2023-02-01T00:00:00Z"}
    assert view["history"] == stored["consent"]["email"]["events"] and len(view["history"]) == 3
    assert [s["record_id"] for s in view["by_source"]] == ["crm:C-1", "marketing:M-1"]
    old = {"customer_id": "cus_x", "consent": {"email": view["email"]}}  # written before events existed
    assert consent_of(old, records)["history"] == view["history"]
