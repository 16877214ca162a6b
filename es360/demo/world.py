"""What every system writer shares while a world is generated."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from es360.demo.catalog import Campaign, Catalog, Product
from es360.demo.ids import Ids
from es360.demo.rates import Rates
from es360.demo.sinks import Sinks
from es360.demo.views import Views


@dataclass(slots=True)
class World:
    """Shared state: randomness, rates, the clock, output files, id counters, catalog, campaigns."""

    rng: Random
    rates: Rates
    now: int
    sinks: Sinks
    ids: Ids
    views: Views
    catalog: Catalog
    campaigns: tuple[Campaign, ...]
    campaign_ts: list[int]


@dataclass(slots=True)
class Account:
    """A shop account of a person (the web uses it for logged-in sessions)."""

    number: str
    email: str
    created: int


@dataclass(slots=True)
class OrderInfo:
    """What support tickets and web sessions need to know about an order."""

    order_id: str
    ts: int
    products: list[tuple[Product, int]]
    amount: float
    currency: str
    account: Account | None
