"""The ONNX embedding path (tools.cases.onnx_embedding): the same vectors as
sentence-transformers, exported once at index time, and a CLI search that never imports torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tools.cases.embedding import default_model_dir, encode
from tools.cases.indexer import index_cases
from tools.cases.onnx_embedding import export_onnx, onnx_encoder, onnx_model_path, read_spec
from tools.cases.records import CaseRecord
from tools.cases.search import search_cases
from tools.cases.store import open_store
from tools.settings import load_settings

REPO = Path(__file__).resolve().parents[1]

TEXTS = [
    "热水器漏水，安装师傅一直不来，已经等了三天",
    "空调制冷效果差，开机十分钟后出风是热的",
    "My water heater is leaking from the bottom valve and nobody came to fix it.",
    "I disputed a charge on my credit card statement twice and the bank ignored me. " * 30,
    "退款申请提交一周了还没有到账，客服电话打不通 " * 40,
    "x",
    "Ünïcödé — émojis 🙂 and full-width ＡＢＣ１２３",
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("onnx-cache")
    assert export_onnx(default_model_dir(), cache) is not None
    return cache


def test_onnx_vectors_match_sentence_transformers(onnx_cache: Path) -> None:
    # long texts (truncated at the model's 256 tokens), padding across a batch, CJK, accents
    reference = encode(TEXTS)  # sentence-transformers
    assert onnx_encoder(default_model_dir(), onnx_cache) is not None
    fast = encode(TEXTS, onnx_cache=onnx_cache)
    assert fast.shape == reference.shape and fast.dtype == np.float32
    cosine = (fast * reference).sum(axis=1)
    assert np.all(cosine > 1 - 1e-4), cosine
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    # batch composition does not change a text's vector (padding is masked out)
    one_by_one = np.vstack([encode([t], onnx_cache=onnx_cache) for t in TEXTS[:3]])
    np.testing.assert_allclose(one_by_one, fast[:3], atol=1e-5)


def test_export_is_reused_and_tied_to_the_model_files(onnx_cache: Path, tmp_path: Path) -> None:
    model_dir = default_model_dir()
    first = onnx_model_path(model_dir, onnx_cache)
    assert export_onnx(model_dir, onnx_cache) == first  # no second export
    # a second store of the same process gets the export without re-exporting
    other = export_onnx(model_dir, tmp_path)
    assert other is not None and other.read_bytes()[:64] == first.read_bytes()[:64]
    # a model directory whose files changed never reuses the old export
    copy = tmp_path / "model-copy"
    shutil.copytree(model_dir, copy)
    assert onnx_model_path(copy, onnx_cache) != first
    (copy / "config.json").write_text((copy / "config.json").read_text() + " ")
    assert onnx_model_path(copy, onnx_cache) != onnx_model_path(model_dir, onnx_cache)
    assert onnx_encoder(copy, onnx_cache) is None  # not exported: sentence-transformers


def test_unsupported_layout_keeps_sentence_transformers(tmp_path: Path) -> None:
    copy = tmp_path / "with-dense"
    shutil.copytree(default_model_dir(), copy)
    modules = json.loads((copy / "modules.json").read_text())
    modules.insert(
        2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}
    )
    (copy / "modules.json").write_text(json.dumps(modules))
    assert read_spec(copy) is None
    assert export_onnx(copy, tmp_path / "cache") is None
    assert read_spec(default_model_dir()) is not None


def test_cli_search_uses_the_export_and_never_imports_torch(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, chroma_dir=tmp_path / "chroma")
    store = open_store("onnx-cli", settings=settings, create=True)
    records = [
        CaseRecord(f"C{i:03d}", text, "已处理", {"resolved": True, "status": "resolved"})
        for i, text in enumerate(TEXTS)
    ]
    index_cases(store, records)
    assert onnx_model_path(store.model_dir, store.cache_dir).exists()  # exported by indexing
    in_process = [h.case_id for h in search_cases(store, "热水器漏水没人来修", k=5)]

    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('TORCH', 'torch' in sys.modules, file=sys.stderr))\n"
        "from assistant.cli import main\n"
        "main()\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SERVICEPILOT_DATA_DIR": str(tmp_path),
        "SERVICEPILOT_CHROMA_DIR": str(tmp_path / "chroma"),
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe, "cases", "search", "热水器漏水没人来修", "--k", "5"]
        + ["--collection", "onnx-cli", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "TORCH False" in done.stderr
    hits = json.loads(done.stdout)["hits"]
    assert [h["case_id"] for h in hits] == in_process


def test_an_export_is_keyed_by_the_models_content_not_its_place_or_time(tmp_path):
    # A reinstalled or copied model package (new path, new mtimes) keeps its export; changed
    # weights do not.
    import os
    import shutil

    from tools.cases.onnx_embedding import _fingerprint

    original = tmp_path / "a" / "model"
    original.mkdir(parents=True)
    (original / "config.json").write_text('{"hidden_size": 384}')
    (original / "weights.bin").write_bytes(bytes(range(256)) * 2048)  # 512 KiB
    copy = tmp_path / "b" / "model"
    shutil.copytree(original, copy)
    os.utime(copy / "weights.bin", (1, 1))
    assert _fingerprint(copy) == _fingerprint(original)
    changed = bytearray((copy / "weights.bin").read_bytes())
    changed[-1] ^= 0xFF
    (copy / "weights.bin").write_bytes(bytes(changed))
    assert _fingerprint(copy) != _fingerprint(original)
