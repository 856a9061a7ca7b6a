"""Where ServicePilot keeps derived files between processes (the validated catalog, the
Chinese name finder's word sets): the user's own cache directory, never needed for
correctness — every cached file can be rebuilt from its source.

``$SERVICEPILOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/servicepilot``, else
``~/.cache/servicepilot``; ``SERVICEPILOT_CACHE_DIR=off`` disables caching.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any


def cache_dir() -> Path | None:
    configured = os.environ.get("SERVICEPILOT_CACHE_DIR")
    if configured:
        return None if configured.strip().lower() == "off" else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "servicepilot"


def load(path: Path) -> Any:
    """The value kept at ``path``; None when it is missing, corrupt or from other code."""
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - a cache: anything unreadable is rebuilt
        return None


def store(path: Path, value: Any) -> None:
    """Keep ``value`` at ``path``, atomically (a concurrent reader sees the old file or the
    new one, never half of one); a cache that cannot be written is skipped."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError):
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def prune(directory: Path, pattern: str, keep: int) -> None:
    """Delete the least recently written files matching ``pattern`` beyond the newest ``keep``:
    caches keyed by a warehouse file would otherwise keep every temporary warehouse's entries."""
    try:
        files = sorted(directory.glob(pattern), key=lambda f: f.stat().st_mtime, reverse=True)
        for stale in files[keep:]:
            stale.unlink(missing_ok=True)
    except OSError:  # a file removed meanwhile, a read-only cache: nothing to tidy
        return
