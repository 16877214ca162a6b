"""One small demo world per test session, loaded into plain Python structures."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from es360.demo.generator import WorldSummary, generate_world

PEOPLE = 1000


@dataclass
class Loaded:
    """The files of a generated world, parsed."""

    root: Path
    summary: WorldSummary
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: list[dict[str, str]] = field(default_factory=list)
    subscribers: dict[str, dict[str, str]] = field(default_factory=dict)
    email_events: list[dict[str, str]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    web: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    ticket_truth: dict[str, dict[str, str]] = field(default_factory=dict)

    def records(self, person: dict[str, Any], source: str) -> list[dict[str, Any]]:
        """The rows of one system that belong to a person."""
        out: list[dict[str, Any]] = []
        for rec in person["records"]:
            if rec["source"] != source:
                continue
            if source == "crm":
                out.append(self.contacts[rec["id"]])
            elif source == "shop":
                out.append(self.customers[rec["id"]])
            elif source == "marketing":
                out.append(self.subscribers[rec["id"]])
        return out

    def names(self, person: dict[str, Any]) -> list[tuple[str, str]]:
        """(first, last) as the CRM and marketing have them, and the shop's 'First Last' split."""
        out = [(r["first_name"], r["last_name"]) for r in self.records(person, "crm")]
        out += [(r["first_name"], r["last_name"]) for r in self.records(person, "marketing")]
        for r in self.records(person, "shop"):
            name = r["name"]
            if ", " in name:
                last, first = name.split(", ", 1)
            else:
                first, _, last = name.partition(" ")
            out.append((first, last))
        return out


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def load(root: Path, summary: WorldSummary) -> Loaded:
    """Parse every file of a world."""
    w = Loaded(root, summary)
    w.contacts = {r["contact_id"]: r for r in _csv(root / "crm/contacts.csv")}
    w.customers = {r["customer_number"]: r for r in _jsonl(root / "shop/customers.jsonl")}
    w.orders = _csv(root / "shop/orders.csv")
    w.subscribers = {r["subscriber_id"]: r for r in _csv(root / "marketing/subscribers.csv")}
    w.email_events = _csv(root / "marketing/email_events.csv")
    w.tickets = _jsonl(root / "support/tickets.jsonl")
    w.web = _jsonl(root / "web/events.jsonl")
    w.people = _jsonl(root / "truth/people.jsonl")
    w.ticket_truth = {t["ticket_id"]: t for t in _jsonl(root / "truth/tickets.jsonl")}
    return w


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """A 1k-person world with the default seed and clock."""
    root = tmp_path_factory.mktemp("demo-world")
    return load(root, generate_world(root, customers=PEOPLE))
