"""Where ServicePilot keeps derived files between processes (the validated catalog, the
Chinese name finder's word sets): the user's own cache directory, never needed for
correctness — every cached file can be rebuilt from its source.

``$SERVICEPILOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/servicepilot``, else
``~/.cache/servicepilot``; ``SERVICEPILOT_CACHE_DIR=off`` disables caching.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path | None:
    configured = os.environ.get("SERVICEPILOT_CACHE_DIR")
    if configured:
        return None if configured.strip().lower() == "off" else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "servicepilot"
