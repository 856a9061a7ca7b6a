"""The embedding model run through onnxruntime, so a search never imports torch.

A cold ``servicepilot cases search`` spent nearly all its seconds importing torch, transformers
and sentence-transformers and loading the model. Indexing already pays for those, so it also
exports the model's transformer to ONNX once (:func:`export_onnx`), into the store's cache
directory (``<chroma_dir>/servicepilot-cache/onnx/<model>-<fingerprint>/``). A search then
embeds its query with onnxruntime + ``tokenizers`` (:func:`onnx_encoder`): the same token ids,
the same pooling and normalisation as sentence-transformers, vectors equal within 1e-4 cosine
(tests/test_onnx_embedding.py).

Only the plain sentence-transformers layout is exported: Transformer → Pooling (mean or CLS) →
optional Normalize. Any other model (a Dense layer, another pooling) has no export and keeps
using sentence-transformers. The fingerprint covers the model directory and its files' sizes
and times, so a changed model directory never reuses a stale export.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "OnnxEncoder",
    "OnnxSpec",
    "export_onnx",
    "needs_export",
    "onnx_encoder",
    "onnx_model_path",
    "read_spec",
    "try_export_onnx",
]

logger = logging.getLogger(__name__)
EXPORT_FORMAT = 1  # bump when the exported graph or its inputs change
_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
_ENCODERS: dict[Path, OnnxEncoder] = {}
_EXPORTED: dict[str, Path] = {}  # export file name -> a file this process exported or found
_LOCK = threading.Lock()


@dataclass(frozen=True)
class OnnxSpec:
    """What the ONNX path must reproduce of a sentence-transformers model."""

    model_dir: Path
    max_seq_length: int
    pooling: str  # "mean" or "cls"
    lower_case: bool


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _modules_type(entry: dict[str, Any]) -> str:
    # sentence-transformers 3+ may write "sentence_transformers.base.modules..." style names
    kind = str(entry.get("type", ""))
    for short in (_TRANSFORMER, _POOLING, _NORMALIZE):
        if kind == short or kind.endswith("." + short.rsplit(".", 1)[1]):
            return short
    return kind


def read_spec(model_dir: Path) -> OnnxSpec | None:
    """The model's pipeline if the ONNX path can reproduce it, else None."""
    try:
        modules = _read_json(model_dir / "modules.json")
        kinds = [_modules_type(m) for m in modules]
        if kinds not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]):
            return None
        if not (model_dir / "tokenizer.json").exists():
            return None
        pooling = _read_json(model_dir / modules[1]["path"] / "config.json")
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v}
        if modes == {"pooling_mode_mean_tokens"}:
            mode = "mean"
        elif modes == {"pooling_mode_cls_token"}:
            mode = "cls"
        else:
            return None
        bert_config_path = model_dir / "sentence_bert_config.json"
        bert_config = _read_json(bert_config_path) if bert_config_path.exists() else {}
        max_len = bert_config.get("max_seq_length")
        if max_len is None:
            max_len = int(_read_json(model_dir / "tokenizer_config.json")["model_max_length"])
        return OnnxSpec(model_dir, int(max_len), mode, bool(bert_config.get("do_lower_case")))
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


FINGERPRINT_EDGE = 64 * 1024  # bytes read from each end of a model file


def _fingerprint(model_dir: Path) -> str:
    """The model's identity by content, not by where or when it was installed: each file's
    name, size and the bytes at both ends (a reinstalled or moved model package keeps its
    export; changed weights change their bytes). Reading 128 KiB per file keeps a cold search
    fast where hashing the whole weights would not."""
    digest = hashlib.sha256(str(EXPORT_FORMAT).encode())
    for path in sorted(model_dir.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            size = path.stat().st_size
            digest.update(f"\0{path.relative_to(model_dir).as_posix()}\0{size}\0".encode())
            with path.open("rb") as handle:
                digest.update(handle.read(FINGERPRINT_EDGE))
                if size > 2 * FINGERPRINT_EDGE:
                    handle.seek(-FINGERPRINT_EDGE, 2)
                    digest.update(handle.read(FINGERPRINT_EDGE))
    return digest.hexdigest()[:16]


def onnx_model_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where the export of ``model_dir`` lives in a store's cache directory."""
    return cache_dir / "onnx" / f"{model_dir.name}-{_fingerprint(model_dir)}" / "model.onnx"


def needs_export(model_dir: Path, cache_dir: Path) -> bool:
    """Whether :func:`export_onnx` would export now (an exportable model, no export yet)."""
    return read_spec(model_dir) is not None and not onnx_model_path(model_dir, cache_dir).exists()


def export_onnx(model_dir: Path, cache_dir: Path) -> Path | None:
    """Export the model's transformer to ONNX once (imports torch; run it where the model is
    loaded anyway: indexing, server warm-up). Returns the file, or None for a model the ONNX
    path cannot reproduce. The file appears atomically, so a concurrent search never reads a
    half-written model."""
    spec = read_spec(model_dir)
    if spec is None:
        return None
    target = onnx_model_path(model_dir, cache_dir)
    key = target.parent.name
    if target.exists():
        _EXPORTED.setdefault(key, target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".model-{os.getpid()}-{threading.get_ident()}.onnx")
    earlier = _EXPORTED.get(key)
    if earlier is not None and earlier.exists():
        # another store of this process (the knowledge base, a second collection) has it
        try:
            os.link(earlier, partial)
        except OSError:
            shutil.copyfile(earlier, partial)
        os.replace(partial, target)
        return target
    import torch

    from tools.cases.embedding import load_model

    transformer = load_model(model_dir)[0]
    model = transformer.auto_model.eval()
    names = [n for n in transformer.tokenizer.model_input_names if n != "position_ids"]

    class _LastHiddenState(torch.nn.Module):
        # keyword arguments: BertModel.forward takes more positional parameters than these
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state

    sample = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    dynamic = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow
        torch.onnx.export(
            _LastHiddenState(),
            sample,
            str(partial),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    os.replace(partial, target)
    _EXPORTED[key] = target
    return target


def try_export_onnx(model_dir: Path, cache_dir: Path) -> Path | None:
    """:func:`export_onnx`, logging instead of raising: a failed export (e.g. the ``onnx``
    package missing from an older install) costs only speed, searches then embed with
    sentence-transformers."""
    try:
        return export_onnx(model_dir, cache_dir)
    except Exception as exc:  # noqa: BLE001 - any exporter failure degrades to the slow path
        logger.warning(
            "ONNX export of %s failed (%s); searches use sentence-transformers.", model_dir, exc
        )
        return None


class OnnxEncoder:
    """Tokenize with ``tokenizers``, run the exported transformer, pool and L2-normalise."""

    def __init__(self, spec: OnnxSpec, model_path: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.spec = spec
        tokenizer = Tokenizer.from_file(str(spec.model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=spec.max_seq_length)
        pad_token = "[PAD]"
        special = spec.model_dir / "special_tokens_map.json"
        if special.exists():
            token = _read_json(special).get("pad_token", pad_token)
            pad_token = token["content"] if isinstance(token, dict) else str(token)
        pad_id = tokenizer.token_to_id(pad_token)
        tokenizer.enable_padding(pad_id=pad_id or 0, pad_token=pad_token)
        self.tokenizer = tokenizer
        options = ort.SessionOptions()
        options.log_severity_level = 3  # no warnings on stderr for a CLI call
        self.session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            if self.spec.lower_case:
                chunk = [t.lower() for t in chunk]
            encoded = self.tokenizer.encode_batch(chunk)
            columns = {
                "input_ids": [e.ids for e in encoded],
                "attention_mask": [e.attention_mask for e in encoded],
                "token_type_ids": [e.type_ids for e in encoded],
            }
            feed = {n: np.asarray(columns[n], dtype=np.int64) for n in self.input_names}
            hidden = self.session.run(None, feed)[0]
            if self.spec.pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = np.asarray(columns["attention_mask"], dtype=np.float32)[..., None]
                pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[start : start + len(chunk)] = pooled / np.clip(norms, 1e-12, None)
        return out


def onnx_encoder(model_dir: Path, cache_dir: Path | None) -> OnnxEncoder | None:
    """The loaded ONNX encoder of ``model_dir`` if it was exported into ``cache_dir``, else
    None (the caller falls back to sentence-transformers)."""
    if cache_dir is None:
        return None
    spec = read_spec(model_dir)
    if spec is None:
        return None
    path = onnx_model_path(model_dir, cache_dir)
    with _LOCK:
        if path in _ENCODERS:
            return _ENCODERS[path]
        if not path.exists():
            return None
        try:
            import onnxruntime  # noqa: F401 - chromadb's dependency; absent only when broken
        except ImportError:  # pragma: no cover
            return None
        _ENCODERS[path] = OnnxEncoder(spec, path)
        return _ENCODERS[path]
