"""Clustering: weak chains do not merge clusters, households stay apart, rules and overrides win."""

from __future__ import annotations

from collections.abc import Callable

from es360.identity.cluster import cluster
from es360.identity.matcher import Resolution, match
from tests.identity.conftest import make_rec

THRESHOLD = 5.0


def weights(table: dict[tuple[int, int], float], default: float = -10.0) -> Callable[[int, int], float]:
    return lambda i, j: table.get((min(i, j), max(i, j)), default)


def edges(table: dict[tuple[int, int], float]) -> list[tuple[int, int, float]]:
    return [(a, b, w) for (a, b), w in table.items()]


def test_a_weak_chain_does_not_merge_its_ends() -> None:
    # A~B just above the threshold, B~C just above, A and C contradict each other
    table = {(0, 1): 6.0, (1, 2): 5.5, (0, 2): -12.0}
    result = cluster(3, edges(table), weights(table), THRESHOLD)
    assert result.labels[0] == result.labels[1] != result.labels[2]
    assert any(d.action == "rejected_contradiction" for d in result.decisions)


def test_one_weak_link_does_not_merge_two_big_clusters() -> None:
    table = {(a, b): 20.0 for a in range(3) for b in range(a + 1, 3)}
    table |= {(a, b): 20.0 for a in range(3, 6) for b in range(a + 1, 6)}
    table[(2, 3)] = 6.0  # the only link between the two groups; the other cross pairs say nothing
    result = cluster(6, edges(table), weights(table, default=-1.0), THRESHOLD)
    assert len(set(result.labels)) == 2


def test_strong_cross_evidence_joins_clusters() -> None:
    table = {(0, 1): 20.0, (2, 3): 20.0, (0, 2): 18.0, (1, 3): 17.0, (0, 3): 3.0, (1, 2): 4.0}
    result = cluster(4, edges(table), weights(table), THRESHOLD)
    assert len(set(result.labels)) == 1


def test_same_record_id_rule_and_must_merge_win_over_weights() -> None:
    result = cluster(4, [], weights({}), THRESHOLD, same=[(0, 1)], must_merge=[(2, 3)])
    assert result.labels[0] == result.labels[1] and result.labels[2] == result.labels[3]
    assert result.labels[0] != result.labels[2]


def test_do_not_merge_beats_links_and_must_merge() -> None:
    table = {(0, 1): 30.0, (1, 2): 30.0, (0, 2): 30.0}
    result = cluster(3, edges(table), weights(table), THRESHOLD, do_not_merge=[(0, 2)], must_merge=[(0, 2)])
    assert result.labels[0] != result.labels[2]
    assert {d.action for d in result.decisions} >= {"conflict", "do_not_merge"}


def _with(fitted: Resolution, extra: list[dict[str, object]]) -> Resolution:
    base = [r for r in fitted.records]
    records = [make_rec(len(base) + k, **row) for k, row in enumerate(extra)]  # type: ignore[arg-type]
    for r in base:
        r.email_shared = r.phone_shared = False
    return match(base + records, model=fitted.model)


def test_a_household_sharing_an_email_phone_and_address_stays_apart(fitted: Resolution) -> None:
    home = {"street": "7 Mill Lane", "postcode": "YO1 7HH", "city": "York", "country": "GB"}
    family = [
        {"record_id": "crm:FAM-1", "first": "Peter", "last": "Quill", "email": "quill.family@gmail.com",
         "phone": "+441904000111", "address": home, "birth_date": "1961-02-03"},
        {"record_id": "shop:FAM-2", "first": "Meredith", "last": "Quill", "email": "quillfamily@gmail.com",
         "phone": "+441904000111", "address": home},
        {"record_id": "support:quill.family@gmail.com", "first": "Peter", "last": "Quill",
         "email": "quill.family@gmail.com"},
        {"record_id": "marketing:FAM-4", "email": "quill.family@gmail.com"},  # no name: cannot tell who
    ]
    resolution = _with(fitted, family)
    label = {r.record_id: resolution.labels[r.idx] for r in resolution.records}
    assert label["crm:FAM-1"] == label["support:quill.family@gmail.com"]
    assert label["crm:FAM-1"] != label["shop:FAM-2"]
    assert label["marketing:FAM-4"] not in (label["crm:FAM-1"], label["shop:FAM-2"])


def test_two_people_with_the_same_name_stay_apart(fitted: Resolution) -> None:
    namesakes = [
        {"record_id": "crm:NS-1", "first": "John", "last": "Lee", "email": "john.lee@gmail.com",
         "phone": "+12125550101", "birth_date": "1970-05-05", "address": {"city": "New York", "postcode": "10001"}},
        {"record_id": "crm:NS-2", "first": "John", "last": "Lee", "email": "jlee77@yahoo.com",
         "phone": "+13105550199", "birth_date": "1988-11-21", "address": {"city": "Los Angeles", "postcode": "90001"}},
        {"record_id": "shop:NS-3", "first": "Johnny", "last": "Lee", "email": "jlee77@yahoo.com"},
    ]
    resolution = _with(fitted, namesakes)
    label = {r.record_id: resolution.labels[r.idx] for r in resolution.records}
    assert label["crm:NS-1"] != label["crm:NS-2"] == label["shop:NS-3"]


def test_the_same_name_at_the_same_address_is_one_person_unless_birth_dates_differ(fitted: Resolution) -> None:
    home = {"street": "12 Larch Close", "postcode": "BS1 5TT", "city": "Bristol", "country": "GB"}
    rows = [
        {"record_id": "crm:ADR-1", "first": "Imelda", "last": "Varga", "email": "imelda.v@work.example",
         "address": home, "birth_date": "1979-04-02"},
        {"record_id": "shop:ADR-2", "first": "Imelda", "last": "Varga", "email": "ivarga@home.example", "address": home},
        {"record_id": "crm:ADR-3", "first": "Tamas", "last": "Varga", "email": "t.varga@home.example",
         "phone": "+441179000001", "address": home, "birth_date": "1950-01-01"},
        {"record_id": "shop:ADR-4", "first": "Tamas", "last": "Varga", "email": "tv@else.example",
         "phone": "+447700900555", "address": home, "birth_date": "1980-06-06"},  # his son, same name
    ]
    resolution = _with(fitted, rows)
    label = {r.record_id: resolution.labels[r.idx] for r in resolution.records}
    assert label["crm:ADR-1"] == label["shop:ADR-2"]
    assert label["crm:ADR-3"] != label["shop:ADR-4"]
    assert label["crm:ADR-1"] != label["crm:ADR-3"]


def test_a_link_on_a_shared_identifier_passes_on_best_match_linkage() -> None:
    # 0 and 1 are one person with two mailboxes (strongly linked); 2 shares 1's mailbox (anchored)
    # but disagrees mildly with 0 (another mailbox): the mean is low, the best match is strong
    table = {(0, 1): 20.0, (1, 2): 9.0, (0, 2): -3.0}
    plain = cluster(3, edges(table), weights(table), THRESHOLD, min_linkage=THRESHOLD)
    assert plain.labels[2] != plain.labels[0]
    anchored = cluster(3, edges(table), weights(table), THRESHOLD, min_linkage=THRESHOLD,
                       anchored=lambda i, j: {i, j} == {1, 2})
    assert len(set(anchored.labels)) == 1
    assert [d.action for d in anchored.decisions][-1] == "anchored_link"
    assert all(d.joined for d in anchored.decisions)


def test_an_anchored_link_never_overrides_a_contradiction_or_a_name_only_link() -> None:
    table = {(0, 1): 20.0, (1, 2): 9.0, (0, 2): -12.0}  # 2 contradicts 0 strongly (e.g. another birth date)
    result = cluster(3, edges(table), weights(table), THRESHOLD, anchored=lambda i, j: True)
    assert result.labels[2] != result.labels[0]
    table = {(0, 1): 20.0, (1, 2): 9.0, (0, 2): -3.0}  # the same weights, but 1~2 shares no identifier
    result = cluster(3, edges(table), weights(table), THRESHOLD, anchored=lambda i, j: False)
    assert result.labels[2] != result.labels[0]


def test_a_rare_name_joins_across_mailboxes_but_not_across_countries(fitted: Resolution) -> None:
    """The unique-name pass joins a newsletter record to the one customer with its rare full name,
    unless their countries differ: a Zebulon Quarrington in Canada is not the one in Britain."""
    home = {"street": "3 Quay Street", "postcode": "BS1 4DJ", "city": "Bristol", "country": "GB"}
    person = [
        {"record_id": "crm:UN-1", "first": "Zebulon", "last": "Quarrington", "email": "zq@work.example",
         "phone": "+441179000123", "address": home},
        {"record_id": "shop:UN-2", "first": "Zebulon", "last": "Quarrington", "email": "zq@work.example",
         "address": home},
    ]
    for country, joins in (("GB", True), ("", True), ("CA", False)):
        newsletter = {"record_id": "marketing:UN-3", "first": "Zebulon", "last": "Quarrington",
                      "email": "zebulon.q@mail.example", "address": {"country": country}}
        resolution = _with(fitted, [*person, newsletter])
        label = {r.record_id: resolution.labels[r.idx] for r in resolution.records}
        assert (label["marketing:UN-3"] == label["crm:UN-1"]) is joins, country
