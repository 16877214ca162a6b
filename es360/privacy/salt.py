"""The secret salt of the suppression list, kept apart from the hashes it protects.

Phone numbers and emails are easy to enumerate, so hashes stored next to their salt could be
reversed by brute force. The salt therefore never goes to Elasticsearch; it comes from, in order:

1. `ES360_SUPPRESSION_SALT` (the value itself, at least 16 characters),
2. `ES360_SUPPRESSION_SALT_FILE` (a file holding it),
3. `$ES360_HOME/privacy/suppression.salt`, created (mode 0600, 32 random bytes) by the first
   `es360 forget`.
A salt file must be readable by its owner only, like every es360 secret file.

Every host that ingests must use the same salt. Each suppression entry records a short salt id
(a hash of the salt, never the salt), so an ingest with a different or missing salt stops with a
clear error instead of silently letting erased people back in.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

from es360.errors import Es360Error

ENV_VALUE = "ES360_SUPPRESSION_SALT"
ENV_FILE = "ES360_SUPPRESSION_SALT_FILE"
MIN_LENGTH = 16


def default_salt_path(home: Path) -> Path:
    """Where the salt lives when no environment variable names it."""
    return Path(home) / "privacy" / "suppression.salt"


def _check(salt: bytes, origin: str) -> bytes:
    if len(salt) < MIN_LENGTH:
        raise Es360Error(f"The suppression salt from {origin} is shorter than {MIN_LENGTH} characters.")
    return salt


def load_salt(home: Path, *, create: bool = False, env: dict[str, str] | None = None) -> bytes | None:
    """The salt, or None when none exists yet (and `create` is false)."""
    env = dict(os.environ if env is None else env)
    if env.get(ENV_VALUE):
        return _check(env[ENV_VALUE].encode(), ENV_VALUE)
    path = Path(env[ENV_FILE]) if env.get(ENV_FILE) else default_salt_path(home)
    if path.is_file():
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                raise Es360Error(f"The suppression salt {path} is readable by group or others (mode {mode:03o}); run "
                                 f"`chmod 600 {path}` first.")
            return _check(path.read_bytes().strip(), str(path))
        except OSError as exc:
            raise Es360Error(f"Cannot read the suppression salt {path}: {exc.strerror}.") from None
    if env.get(ENV_FILE):
        raise Es360Error(f"{ENV_FILE} names {path}, which does not exist.")
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(salt + b"\n")
    return salt


def salt_id(salt: bytes) -> str:
    """A short public fingerprint of the salt (tells salts apart; reveals nothing usable)."""
    return hashlib.sha256(b"es360-suppression-salt-id:" + salt).hexdigest()[:12]
