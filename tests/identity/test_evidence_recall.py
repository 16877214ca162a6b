"""Recall split into identifier-linked and name-only true pairs."""

from __future__ import annotations

from es360.identity.evidence_recall import recall_by_evidence
from tests.identity.conftest import make_rec


def test_pairs_are_classed_by_a_chain_of_shared_contact_points() -> None:
    records = [
        make_rec(0, "crm:C-1", "Sam", "Smith", email="sam@x.example", phone="+447700900123"),
        make_rec(1, "shop:S-1", "Sam", "Smith", email="sam@x.example"),
        make_rec(2, "support:s@y.example", "Sam", "Smith", email="s@y.example", phone="+447700900123"),
        make_rec(3, "marketing:M-1", "Sam", "", email="other@z.example"),  # only a first name links it
    ]
    truth = {r.record_id: ("P-1",) for r in records}
    predicted = {"crm:C-1": "c1", "shop:S-1": "c1", "support:s@y.example": "c2", "marketing:M-1": "c3"}
    result = recall_by_evidence(records, predicted, truth)
    # linked: 0-1 (mailbox), 0-2 (phone), 1-2 (through 0); name-only: 3 with each of the others
    assert (result.linked_pairs, result.linked_found) == (3, 1)
    assert (result.name_only_pairs, result.name_only_found) == (3, 0)
    assert round(result.linked_recall, 3) == 0.333 and result.name_only_recall == 0.0
