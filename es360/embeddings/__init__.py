"""Text embeddings for es360: an `Embedder` protocol and a sentence-transformers implementation.

Importing this package is cheap: torch and sentence-transformers load only on the first `encode`.

    from es360.embeddings import get_embedder, ticket_text
    embedder = get_embedder()                 # ES360_EMBEDDING_MODEL or the packaged all-MiniLM-L6-v2
    vectors = embedder.encode([ticket_text("Can't log in", "The reset link never arrives")])
"""

from __future__ import annotations

from es360.embeddings.base import MAX_TEXT_CHARS, TEXT_RECIPE, Embedder, ticket_text
from es360.embeddings.sentence import DEFAULT_MODEL_NAME, MODEL_ENV, SentenceTransformerEmbedder, get_embedder

__all__ = ["DEFAULT_MODEL_NAME", "MAX_TEXT_CHARS", "MODEL_ENV", "TEXT_RECIPE", "Embedder", "SentenceTransformerEmbedder",
           "get_embedder", "ticket_text"]
