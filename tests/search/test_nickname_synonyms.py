"""The search-time nickname synonyms know every nickname identity resolution knows."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from es360.assets import index_alias
from es360.search.customers import nickname_words


def test_every_identity_nickname_is_a_search_synonym() -> None:
    nicknames = pytest.importorskip("es360.identity.nicknames")
    missing = sorted(name for name in nicknames.GROUPS if name not in nickname_words())
    assert not missing, f"add these names to es360_nicknames in mappings/component/*.json: {missing[:20]}"


def test_search_analyzer_expands_nicknames(es: Elasticsearch, world: str) -> None:
    tokens = es.indices.analyze(index=index_alias("customers", world), analyzer="es360_nickname_search",
                                text="Bill")["tokens"]
    assert {"bill", "william", "will"} <= {t["token"] for t in tokens}
