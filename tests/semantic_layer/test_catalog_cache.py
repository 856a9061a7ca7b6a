"""The validated catalog cached on disk: reused while the YAML is unchanged, rebuilt when a
file changes, and a corrupt cache file is never an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import semantic_layer.catalog_loader as loader_module
from semantic_layer.catalog_loader import load_catalog
from semantic_layer.errors import SpecError
from semantic_layer.loader import DEFINITIONS_DIR


@pytest.fixture
def spec_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SERVICEPILOT_CACHE_DIR", str(tmp_path / "cache"))
    directory = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, directory)
    return directory


def _cache_files(spec_dir: Path) -> list[Path]:
    return sorted((spec_dir.parent / "cache").glob("catalog-*.pickle"))


def test_cache_is_reused_then_rebuilt_when_a_file_changes(spec_dir: Path, monkeypatch) -> None:
    first = load_catalog(spec_dir)
    assert len(_cache_files(spec_dir)) == 1
    calls: list[int] = []
    original = loader_module.load_spec

    def counting(path):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(path)

    monkeypatch.setattr(loader_module, "load_spec", counting)
    again = load_catalog(spec_dir)
    assert calls == []  # served from the cache
    assert sorted(again.metrics) == sorted(first.metrics)
    assert again.metric("csat").label.en == first.metric("csat").label.en

    target = next(p for p in sorted(spec_dir.glob("*.yml")) if "csat" in p.read_text())
    text = target.read_text()
    label = first.metric("csat").label.en
    target.write_text(text.replace(f"en: {label}", f"en: {label} (edited)", 1))
    edited = load_catalog(spec_dir)
    assert calls == [1]
    assert edited.metric("csat").label.en == f"{label} (edited)"
    assert len(_cache_files(spec_dir)) == 2


def test_corrupt_cache_rebuilds_silently(spec_dir: Path) -> None:
    load_catalog(spec_dir)
    (cached,) = _cache_files(spec_dir)
    cached.write_bytes(b"not a pickle")
    assert "csat" in load_catalog(spec_dir).metrics
    assert cached.read_bytes() != b"not a pickle"  # rewritten


def test_invalid_spec_is_reported_not_cached(spec_dir: Path) -> None:
    (spec_dir / "broken.yml").write_text("metrics:\n  - name: broken\n")
    with pytest.raises(SpecError):
        load_catalog(spec_dir)
    assert _cache_files(spec_dir) == []
