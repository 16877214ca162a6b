"""A tiny deterministic embedder for tests: hashed bag of word stems, L2-normalized."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

from es360.embeddings.base import normalize_rows

_WORD = re.compile(r"[a-z0-9]+")
# A few synonyms so that "semantic" search can find paraphrases that share no word.
_SYNONYMS = {"parcel": "package", "delivery": "package", "shipment": "package", "arrived": "arrive",
             "charged": "charge", "billed": "charge", "twice": "double", "duplicate": "double",
             "password": "login", "signin": "login", "sign": "login", "log": "login", "locked": "login"}


class HashEmbedder:
    """Each word stem adds a signed unit at a hashed dimension; the same text always gives the same vector."""

    def __init__(self, name: str = "fake-hash", version: str = "1", dims: int = 384) -> None:
        self.name = name
        self.version = version
        self.dims = dims
        self.calls = 0
        self.encoded = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.calls += 1
        self.encoded += len(texts)
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                stem = _SYNONYMS.get(word, word)
                stem = stem[:-1] if len(stem) > 3 and stem.endswith("s") else stem
                h = zlib.crc32(stem.encode())
                out[row, h % self.dims] += 1.0 if (h >> 16) & 1 else -1.0
            out[row, self.dims - 1] += 0.01  # no all-zero rows
        return normalize_rows(out)
