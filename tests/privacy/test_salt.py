"""Where the suppression salt lives, and that a wrong or missing salt never lets erased people back in."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.ingest.mapping import load_mapping
from es360.ingest.run import IngestRun
from es360.privacy.forget import forget
from es360.privacy.salt import default_salt_path, load_salt, salt_id
from es360.privacy.suppression import load_suppression
from tests.privacy.conftest import World


def test_salt_is_created_once_owner_only(tmp_path: Path) -> None:
    assert load_salt(tmp_path, env={}) is None
    salt = load_salt(tmp_path, create=True, env={})
    assert salt and len(salt) == 64 and load_salt(tmp_path, env={}) == salt
    assert stat.S_IMODE(default_salt_path(tmp_path).stat().st_mode) == 0o600
    assert salt_id(salt) != salt_id(b"x" * 16) and salt.decode() not in salt_id(salt)


def test_salt_from_environment(tmp_path: Path) -> None:
    assert load_salt(tmp_path, env={"ES360_SUPPRESSION_SALT": "s" * 20}) == b"s" * 20
    with pytest.raises(Es360Error, match="shorter than 16"):
        load_salt(tmp_path, env={"ES360_SUPPRESSION_SALT": "short"})
    path = tmp_path / "salt.txt"
    path.write_text("f" * 32 + "\n")
    path.chmod(0o644)
    with pytest.raises(Es360Error, match="chmod 600"):
        load_salt(tmp_path, env={"ES360_SUPPRESSION_SALT_FILE": str(path)})
    path.chmod(0o600)
    assert load_salt(tmp_path, env={"ES360_SUPPRESSION_SALT_FILE": str(path)}) == b"f" * 32
    with pytest.raises(Es360Error, match="does not exist"):
        load_salt(tmp_path, env={"ES360_SUPPRESSION_SALT_FILE": str(tmp_path / "nope")})


def test_ingest_refuses_a_missing_or_foreign_salt(es: Elasticsearch, world: World, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ES360_SUPPRESSION_SALT", raising=False)
    monkeypatch.delenv("ES360_SUPPRESSION_SALT_FILE", raising=False)
    assert not load_suppression(es, world.prefix, world.home).active  # nothing erased yet: no salt needed
    forget(es, world.prefix, world.home, "crm:C-1")
    assert len(load_suppression(es, world.prefix, world.home)) >= 4
    before = es.count(index=f"{world.prefix}records")["count"]
    with pytest.raises(Es360Error, match="no salt is configured"):
        IngestRun(es, load_mapping("crm"), world.prefix, tmp_path).run([str(world.crm)])
    monkeypatch.setenv("ES360_SUPPRESSION_SALT", "another-salt-of-some-length")
    with pytest.raises(Es360Error, match="another salt"):
        IngestRun(es, load_mapping("crm"), world.prefix, world.home).run([str(world.crm)])
    assert es.count(index=f"{world.prefix}records")["count"] == before
