"""REST handlers, one module per API family; importing a module registers its routes."""

from __future__ import annotations

import importlib

MODULES = ["cluster", "indices", "field_caps", "documents", "bulk", "search", "reindex", "enrich", "transforms", "ingest", "security"]
_loaded = False


def load_all() -> None:
    """Import every handler module once so their routes are registered."""
    global _loaded
    if _loaded:
        return
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
    _loaded = True
