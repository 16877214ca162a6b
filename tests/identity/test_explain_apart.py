"""`explain` on two records of different customers whose pair links: the cluster-level reason."""

from __future__ import annotations

from typing import Any

import pytest

from es360.identity import explain as explain_module
from es360.identity.explain import Explanation, _explain_apart
from es360.identity.matcher import Resolution, score_pair


def _hit(record_id: str, customer_id: str, **fields: Any) -> dict[str, Any]:
    source, _, source_id = record_id.partition(":")
    return {"_id": record_id, "_index": "records", "_source": {
        "record_id": record_id, "source": source, "source_id": source_id, "customer_id": customer_id,
        "name": {"first": "Quentin", "last": "Zyxwell"}, **fields}}


def test_customers_that_now_agree_through_a_shared_identifier_are_reported_as_joining_next_run(
        fitted: Resolution, monkeypatch: pytest.MonkeyPatch) -> None:
    hits = [_hit("crm:C-1", "A", email="qz@work.example", phone="+49301112233"),
            _hit("shop:S-1", "A", email="qz@work.example", phone="+49301112233", birth_date="1980-01-02"),
            _hit("support:quentin.z@mail.example", "B", email="quentin.z@mail.example", birth_date="1980-01-02"),
            _hit("shop:S-2", "B", email="quentin.z@mail.example", phone="+49309998877")]
    monkeypatch.setattr(explain_module, "_fetch", lambda es, alias, query, size=500: hits)
    monkeypatch.setattr(explain_module, "attach_seen_mailboxes", lambda es, prefix, recs, only_these: 0)
    monkeypatch.setattr(explain_module, "requester_details", lambda es, tickets, emails: {})
    recs = explain_module._recs(hits)
    a = next(r for r in recs if r.record_id == "shop:S-1")
    b = next(r for r in recs if r.record_id == "support:quentin.z@mail.example")
    model = fitted.model
    score = score_pair(model, a, b)
    assert score.weight >= model.threshold_weight  # the same birth date and full name
    out = Explanation(a={}, b={}, evidence=score.as_dict(), threshold_weight=model.threshold_weight,
                      prior_weight=0.0, decision="", reason="")
    _explain_apart(None, "records", model, out, a, b)  # type: ignore[arg-type]
    assert out.linkage is not None and out.linkage["mean_weight"] < out.linkage["best_match_mean_weight"]
    assert "share a contact identifier" in out.reason and "next `es360 resolve` joins them" in out.reason
