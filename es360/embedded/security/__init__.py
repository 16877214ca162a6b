"""The engine's optional security mode: native users, roles, API keys, bearer tokens, index privileges,
field- and document-level security, and the `_security` APIs, shaped as Elasticsearch's.

Off by default; `install()` turns it on for one engine (see server.start_server(security=True)).
"""

from __future__ import annotations

from typing import Any

MISSING_PASSWORD = ("security mode needs the bootstrap password of the built-in superuser [elastic]: set "
                    "ES360_ENGINE_ELASTIC_PASSWORD (at least 6 characters)")


def install(engine: Any, elastic_password: str | None) -> Any:
    """Turn security on for `engine` (its users, roles and keys persist in the engine's data dir)."""
    from .gate import SecurityGate
    from .realm import Realm

    if not elastic_password or len(elastic_password) < 6:
        raise ValueError(MISSING_PASSWORD)
    gate = SecurityGate(engine, Realm(engine.store, elastic_password))
    engine.extensions["security"] = gate
    return gate
