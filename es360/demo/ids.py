"""Identifiers of every system: unique, stable for a seed, shaped like each system's own ids.

The world is generated in chunks of people that may run in parallel, so each chunk numbers its
records inside its own block (block sizes bound what one person can have: at most two CRM contacts,
shop accounts and subscriptions, MAX_TICKETS tickets and MAX_ORDERS orders). Records skip a number now
and then, like real systems where records get deleted.
"""

from __future__ import annotations

from random import Random

MAX_ORDERS = 99  # per person; each may have one refund row
MAX_TICKETS = 20  # per person
_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


class Ids:
    """Id counters of one chunk of `block_people` people."""

    def __init__(self, rng: Random, seed: int, chunk: int, block_people: int) -> None:
        self.rng = rng
        self._chunk = chunk
        self._salt = (seed * 0xD1B54A32D192ED03 + 0x632BE59BD9B4E019) & _MASK64
        records = block_people * 2 * 4  # two records per person, gaps of at most four numbers
        self._contact = chunk * records
        self._customer = 100 + chunk * records
        self._subscriber = chunk * records
        self._ticket = 10_000 + chunk * block_people * MAX_TICKETS
        self._order = 100_000 + chunk * block_people * MAX_ORDERS * 2
        self._email_event = 0
        self._web_event = 0
        self._session = chunk << 40
        self._device = chunk << 40

    def _gap(self) -> int:
        return 1 if self.rng.random() < 0.9 else 2 + int(self.rng.random() * 3)

    def contact(self) -> str:
        self._contact += self._gap()
        return f"C-{self._contact}"

    def customer(self) -> str:
        self._customer += self._gap()
        return f"S-{self._customer:06d}"

    def subscriber(self) -> str:
        self._subscriber += self._gap()
        return f"M-{self._subscriber}"

    def ticket(self) -> str:
        self._ticket += 1
        return f"T-{self._ticket}"

    def order(self) -> str:
        self._order += 1
        return f"O-{self._order}"

    def email_event(self) -> str:
        self._email_event += 1
        return f"ee-{self._chunk:x}-{self._email_event}"

    def web_event(self) -> str:
        self._web_event += 1
        return f"we-{self._chunk:x}-{self._web_event}"

    def session(self) -> str:
        self._session += 1
        return f"{self._scramble(self._session):016x}"

    def device(self) -> str:
        """An anonymous cookie id (unique: an odd-multiplier bijection of a counter)."""
        self._device += 1
        x = self._scramble(self._device ^ 0x5555_5555)
        return f"{x >> 32:08x}-{(x >> 16) & 0xFFFF:04x}-{x & 0xFFFF:04x}"

    def _scramble(self, n: int) -> int:
        return ((n * _GOLDEN) ^ self._salt) & _MASK64
