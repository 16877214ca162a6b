"""Reading a dashboard's control group: order, data views, the filters selections make, chaining."""

from __future__ import annotations

import json

import pytest

from es360.dashboard.controls import read_controls
from es360.errors import Es360Error


def _attrs(chaining: str) -> dict:
    panels = {
        "b": {"type": "optionsListControl", "order": 1,
              "explicitInput": {"fieldName": "customer.country", "title": "Country", "selectedOptions": ["DE"],
                                "exclude": True}},
        "a": {"type": "optionsListControl", "order": 0,
              "explicitInput": {"fieldName": "rfm.segment", "title": "Segment", "selectedOptions": ["lost"]}},
        "t": {"type": "timeSlider", "order": 2, "explicitInput": {"title": "Time range"}},
    }
    return {"controlGroupInput": {"chainingSystem": chaining, "panelsJSON": json.dumps(panels),
                                  "ignoreParentSettingsJSON": json.dumps({"ignoreQuery": True})}}


REFS = [{"name": "controlGroup_a:optionsListDataView", "id": "dv-rollup"},
        {"name": "controlGroup_b:optionsListDataView", "id": "dv-activity"}]


def test_controls_in_order_with_their_filters_and_chaining() -> None:
    group = read_controls(_attrs("HIERARCHICAL"), REFS)
    assert [(c.title, c.view_id) for c in group.controls] == [
        ("Segment", "dv-rollup"), ("Country", "dv-activity"), ("Time range", None)]
    segment, country, _ = group.controls
    assert group.filters() == [{"terms": {"rfm.segment": ["lost"]}},
                               {"bool": {"must_not": {"terms": {"customer.country": ["DE"]}}}}]
    assert group.filters_before(segment) == []
    assert group.filters_before(country) == [{"terms": {"rfm.segment": ["lost"]}}]
    assert group.ignore == {"ignoreQuery": True}
    assert read_controls(_attrs("NONE"), REFS).filters_before(country) == []


def test_a_broken_control_group_is_one_clear_error() -> None:
    with pytest.raises(Es360Error, match="control group is not valid JSON"):
        read_controls({"controlGroupInput": {"panelsJSON": "{nope"}}, [])
    assert read_controls({}, []).controls == []
