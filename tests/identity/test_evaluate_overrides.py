"""Evaluation against truth files, and the steward overrides file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from es360.errors import Es360Error
from es360.identity.evaluate import evaluate, load_truth
from es360.identity.overrides import forget_override, load_overrides, overrides_path, record_override


def test_pairwise_bcubed_and_exact_cluster_figures() -> None:
    truth = {"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P3"}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}
    result = evaluate(predicted, truth)
    assert (result.true_pairs, result.predicted_pairs, result.correct_pairs) == (3, 2, 1)
    assert result.precision == 0.5 and result.recall == pytest.approx(1 / 3)
    assert result.exact_cluster_rate == pytest.approx(1 / 3)  # only P3 is exactly one customer
    assert result.bcubed_precision == pytest.approx((1 + 1 + 0.5 + 0.5 + 1) / 5)


def test_truth_file_in_the_demo_format(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    rows = [{"person_id": "P-1", "records": [{"source": "crm", "id": "C-1"}, {"source": "support", "email": " A@x.io"},
                                             {"source": "web", "anonymous_id": "abc"}]},
            {"person_id": "P-2", "records": [{"source": "shop", "id": "S-1"}, {"source": "support", "email": "A@x.io"}]}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    truth = load_truth(path)
    assert truth == {"crm:C-1": ("P-1",), "support:A@x.io": ("P-1", "P-2"), "shop:S-1": ("P-2",)}
    # a record two people share (a household's support address) counts for the one it was resolved with
    result = evaluate({"crm:C-1": "x", "support:A@x.io": "x", "shop:S-1": "y"}, truth)
    assert result.precision == 1.0 and result.recall == 1.0
    path.write_text("not json\n")
    with pytest.raises(Es360Error, match="line 1"):
        load_truth(path)


def test_overrides_are_recorded_replaced_and_forgotten(tmp_path: Path) -> None:
    record_override(tmp_path, "must_merge", "shop:S-1", "crm:C-1")
    assert load_overrides(tmp_path).must_merge == [("crm:C-1", "shop:S-1")]
    record_override(tmp_path, "do_not_merge", "crm:C-1", "shop:S-1")  # the steward changed their mind
    overrides = load_overrides(tmp_path)
    assert overrides.must_merge == [] and overrides.do_not_merge == [("crm:C-1", "shop:S-1")]
    assert json.loads(overrides_path(tmp_path).read_text())["do_not_merge"][0]["a"] == "crm:C-1"
    assert forget_override(tmp_path, "crm:C-1", "shop:S-1") and load_overrides(tmp_path).count() == 0
    with pytest.raises(Es360Error, match="two record ids"):
        record_override(tmp_path, "must_merge", "C-1", "S-1")
