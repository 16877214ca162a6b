"""Secret hashing: salted PBKDF2-SHA256 (ES's `pbkdf2`, 10,000 iterations), with a verified-secrets cache."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ITERATIONS = 10_000
PREFIX = "{PBKDF2}"


def hash_secret(secret: str) -> str:
    """A storable hash of `secret`: `{PBKDF2}iterations$salt$hash`, base64 parts."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, ITERATIONS)
    return f"{PREFIX}{ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether `secret` matches a hash made by hash_secret (constant-time comparison)."""
    if not stored.startswith(PREFIX):
        return False
    try:
        iterations, salt, digest = stored[len(PREFIX):].split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha256", secret.encode(), base64.b64decode(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


class VerifiedCache:
    """Remembers (in memory only) secrets already verified against a stored hash, like ES's realm cache,
    so a request does not pay PBKDF2 each time. Keyed by the stored hash: changing it invalidates."""

    def __init__(self) -> None:
        self._key = os.urandom(32)
        self._seen: dict[str, bytes] = {}

    def _tag(self, secret: str) -> bytes:
        return hmac.new(self._key, secret.encode(), hashlib.sha256).digest()

    def verify(self, secret: str, stored: str) -> bool:
        tag = self._seen.get(stored)
        if tag is not None:
            return hmac.compare_digest(tag, self._tag(secret))
        if verify_secret(secret, stored):
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[stored] = self._tag(secret)
            return True
        return False


def token_digest(token: str) -> str:
    """Lookup key of a high-entropy bearer token (the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()
