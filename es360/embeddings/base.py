"""The `Embedder` protocol and how a ticket becomes the text that is embedded."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

# Bump when `ticket_text` changes: it is part of every ticket's `embedding_version`, so a backfill
# re-embeds tickets whose vectors came from an older recipe.
TEXT_RECIPE = "1"
# The default model reads at most 128 word pieces (~500-600 characters of English); longer input only
# costs tokenizer time, so bodies are cut at a word boundary well past that point.
MAX_TEXT_CHARS = 2000
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors and says which model made them."""

    @property
    def name(self) -> str:
        """The model name recorded on each document (`embedding_model`)."""
        ...

    @property
    def version(self) -> str:
        """The model version recorded on each document (`embedding_version`)."""
        ...

    @property
    def dims(self) -> int:
        """Vector length (may load the model)."""
        ...

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """A (len(texts), dims) float32 array of unit-length rows."""
        ...


def ticket_text(subject: str | None, body: str | None, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Subject + newline + body, whitespace tidied and cut at a word boundary near `max_chars`."""
    parts = [_tidy(subject), _tidy(body)]
    text = "\n".join(p for p in parts if p)
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ")
    return cut[:space] if space > max_chars * 0.8 else cut


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _tidy(text: str | None) -> str:
    if not text:
        return ""
    text = _SPACES.sub(" ", str(text))
    return _BLANK_LINES.sub("\n", text).strip()
