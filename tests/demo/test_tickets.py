"""Tickets of one issue type are written in many different ways."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from random import Random

from es360.demo.ticket_phrases import ISSUE_TYPES
from es360.demo.tickets_text import TicketStyle, compose, render
from tests.demo.conftest import Loaded

STOP = set(["the", "a", "an", "to", "and", "of", "my", "it", "is", "was", "for", "in", "on", "me", "you", "your", "this", "that", "be", "have", "has", "with", "but", "not", "at", "so"])


def _words(ticket: dict) -> set[str]:
    text = f"{ticket['subject']} {ticket['description']}".lower()
    return {w for w in re.findall(r"[a-z']+", text) if w not in STOP and len(w) > 2}


def _by_type(world: Loaded) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for t in world.tickets:
        out[world.ticket_truth[t["ticket_id"]]["issue_type"]].append(t)
    return out


def test_every_issue_type_channel_and_status_occurs(world: Loaded) -> None:
    assert set(_by_type(world)) == set(ISSUE_TYPES)
    assert {t["channel"] for t in world.tickets} == {"email", "chat", "phone", "web"}
    assert {t["status"] for t in world.tickets} == {"open", "pending", "solved", "closed"}
    assert any(t["escalated"] for t in world.tickets) and not all(t["escalated"] for t in world.tickets)
    assert all(t["requester_email"] for t in world.tickets if t["channel"] in ("email", "web"))
    assert any(t["requester_email"] is None for t in world.tickets if t["channel"] == "phone")


def test_subjects_of_one_type_are_mostly_distinct(world: Loaded) -> None:
    for issue, tickets in _by_type(world).items():
        distinct = len({t["subject"] for t in tickets})
        assert distinct >= 0.5 * len(tickets), issue


def test_tickets_of_one_type_share_few_words(world: Loaded) -> None:
    rng = Random(7)
    for issue, tickets in _by_type(world).items():
        overlaps = []
        for _ in range(300):
            a, b = rng.sample(tickets, 2)
            wa, wb = _words(a), _words(b)
            overlaps.append(len(wa & wb) / max(1, len(wa | wb)))
        assert sum(o < 0.2 for o in overlaps) >= 0.6 * len(overlaps), issue


def test_lengths_moods_and_typos_vary(world: Loaded) -> None:
    lengths = sorted(len(t["description"]) for t in world.tickets)
    assert lengths[len(lengths) // 10] < 120 and lengths[-len(lengths) // 10] > 350 and lengths[-1] > 600
    texts = " ".join(t["description"] for t in world.tickets)
    assert "unacceptable" in texts and "Thanks in advance" in texts
    assert re.search(r"\b(lockde|recieved|teh|\w*[bcdfghjklmnpqrstvwxz]{4,}\w*)\b", texts)
    phone = [t for t in world.tickets if t["channel"] == "phone"]
    assert phone and all("Says:" in t["description"] for t in phone)


def test_ticket_text_uses_the_customers_own_orders(world: Loaded) -> None:
    order_ids = {o["order_id"] for o in world.orders}
    quoted = Counter()
    for t in world.tickets:
        for ref in re.findall(r"O-\d{6,}", t["description"]):
            quoted[ref in order_ids] += 1
    assert quoted[True] > 50 and quoted[False] == 0


def test_no_template_syntax_leaks_into_text(world: Loaded) -> None:
    for t in world.tickets:
        for text in (t["subject"], t["description"]):
            assert "{" not in text and "[" not in text and "|" not in text
            assert not re.search(r"\b(the|my) the\b", text, re.IGNORECASE)


def test_render_picks_alternatives_and_fills_slots() -> None:
    rng = Random(1)
    seen = {render(rng, "[Hi|Hello] {name}[!|]", {"name": "Zoë"}) for _ in range(100)}
    assert seen == {"Hi Zoë!", "Hi Zoë", "Hello Zoë!", "Hello Zoë"}
    assert render(rng, "keep {missing}", {}) == "keep {missing}"


def test_compose_is_deterministic_per_seed() -> None:
    style = TicketStyle("email", 2, 2, "Sam")
    slots = {"order": "O-100001", "product": "the kettle", "date": "3 May", "amount": "€12.00"}
    assert compose(Random(5), "refund", style, slots) == compose(Random(5), "refund", style, slots)
    assert compose(Random(5), "refund", style, slots) != compose(Random(6), "refund", style, slots)
