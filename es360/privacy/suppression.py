"""The suppression list: salted hashes of erased identifiers that ingest refuses to bring back.

`es360 forget` adds one entry per erased identifier (`email:…` in stored and mailbox form,
`phone:` E.164, `record:source:source_id`), keyed by HMAC-SHA-256(salt, identifier); nothing in
the index is readable without the salt (see es360.privacy.salt). `es360 ingest` loads the list once
per run and skips — and counts as `suppressed` — every row whose documents would carry one of them.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, Elasticsearch, helpers

from es360.assets import index_alias
from es360.errors import Es360Error
from es360.identity.source import scan_pit
from es360.privacy.normalize import doc_identifiers
from es360.privacy.salt import ENV_FILE, ENV_VALUE, load_salt, salt_id

Mapped = Sequence[tuple[str, str, dict[str, Any]]]  # (kind, key, document) as SourceMapping.apply returns


def identifier_hash(salt: bytes, identifier: str) -> str:
    """HMAC-SHA-256 of a typed identifier under the salt, hex."""
    return hmac.digest(salt, identifier.encode(), "sha256").hex()


@dataclass
class Suppression:
    """The loaded list; `matches` tells whether a mapped row belongs to an erased person."""

    hashes: frozenset[str] = frozenset()  # hex, as stored
    salt: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        salt = self.salt or b""
        self._digests = frozenset(bytes.fromhex(h) for h in self.hashes)
        self._digest = lru_cache(maxsize=100_000)(lambda ident: hmac.digest(salt, ident.encode(), "sha256"))

    @property
    def active(self) -> bool:
        return bool(self.hashes)

    def __len__(self) -> int:
        return len(self.hashes)

    def matches(self, mapped: Mapped) -> bool:
        """True when any document of the row would carry an erased identifier."""
        if not self.hashes:
            return False
        digests, digest = self._digests, self._digest
        return any(digest(ident) in digests for kind, _key, doc in mapped
                   for ident in doc_identifiers(kind, doc))


def load_suppression(es: Elasticsearch, prefix: str, home: Path) -> Suppression:
    """Read the whole list (it is small: erasures are rare) and check the configured salt fits it."""
    alias = index_alias("suppression", prefix)
    try:
        if not es.indices.exists_alias(name=alias):
            return Suppression()  # set up before privacy existed: nobody can have been erased
        entries = [hit.get("_source") or {} for hit in scan_pit(es, alias, fields=["hash", "salt_id"])]
    except ApiError as exc:
        raise Es360Error(f"Cannot read the suppression list {alias} ({exc.status_code}); ingest needs read access to "
                         f"it, or erased people could come back.") from None
    if not entries:
        return Suppression()
    salt = load_salt(home)
    if salt is None:
        raise Es360Error(f"The suppression list {alias} holds {len(entries):,} erased identifiers but no salt is "
                         f"configured here; set {ENV_VALUE} or {ENV_FILE} to the salt `es360 forget` used, or "
                         f"erased people could come back.")
    mine = salt_id(salt)
    foreign = sum(1 for e in entries if e.get("salt_id") != mine)
    if foreign:
        raise Es360Error(f"{foreign:,} entries of the suppression list {alias} were hashed with another salt; set "
                         f"{ENV_VALUE} or {ENV_FILE} to the salt `es360 forget` used.")
    return Suppression(frozenset(str(e["hash"]) for e in entries if e.get("hash")), salt)


def add_entries(es: Elasticsearch, prefix: str, identifiers: Iterable[str], salt: bytes, audit_id: str,
                now: str) -> int:
    """Add hashed identifiers to the list (idempotent: known ones keep their first date); returns how many
    were new."""
    alias = index_alias("suppression", prefix)
    sid = salt_id(salt)
    actions = [{"_op_type": "create", "_index": alias, "_id": h,
                "_source": {"hash": h, "type": ident.partition(":")[0], "salt_id": sid, "added_at": now,
                            "audit_id": audit_id}}
               for ident in sorted(set(identifiers)) for h in [identifier_hash(salt, ident)]]
    created = 0
    errors: list[str] = []
    for ok, info in helpers.streaming_bulk(es, actions, chunk_size=1000, max_retries=5, raise_on_error=False,
                                           raise_on_exception=False):
        item = next(iter(info.values()))
        if ok:
            created += 1
        elif item.get("status") != 409:  # already suppressed
            errors.append(str(item.get("error")))
    if errors:
        raise Es360Error(f"Elasticsearch refused {len(errors)} suppression entries; first: {errors[0]}")
    es.indices.refresh(index=alias)
    return created
