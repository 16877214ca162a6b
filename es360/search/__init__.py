"""Support-rep search: find a customer from whatever the caller says (`es360 search customers`).

Modules: `parse` (the rep's text as typed tokens), `customers` (query building and the search
service), `commands` (CLI wiring). Nothing is imported eagerly, so the CLI starts fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["search_customers"]


def __getattr__(name: str) -> Any:
    if name == "search_customers":
        from es360.search.customers import search_customers

        return search_customers
    raise AttributeError(name)
