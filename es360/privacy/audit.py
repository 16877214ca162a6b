"""The privacy audit trail: who erased or exported which customer id, when, with per-index counts.

Entries hold the customer id (a pseudonymous key) and counts, never the person's names, emails,
phones or source ids: the audit must survive the erasure it records.
"""

from __future__ import annotations

import getpass
import uuid
import warnings
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, ElasticsearchWarning, TransportError

from es360 import __version__
from es360.assets import index_alias


def new_audit_id() -> str:
    """A sortable, unique id for one privacy action."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def current_actor(es: Elasticsearch) -> dict[str, str]:
    """The authenticated Elasticsearch user (`_security/_authenticate`) when security is on, else the OS user."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ElasticsearchWarning)
            me = es.security.authenticate()
        name = me.get("username")
        if name:
            realm = (me.get("authentication_realm") or {}).get("name") or ""
            return {"name": str(name), "source": "elasticsearch", "realm": str(realm)}
    except (ApiError, TransportError, ValueError):
        pass
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return {"name": user, "source": "os", "realm": ""}


def write_audit(es: Elasticsearch, prefix: str, audit_id: str, entry: dict[str, Any]) -> None:
    """Index one audit entry (searchable at once)."""
    doc = {"@timestamp": datetime.now(UTC).isoformat(), "audit_id": audit_id, "es360_version": __version__, **entry}
    es.index(index=index_alias("audit", prefix), id=audit_id, document=doc, refresh=True)
