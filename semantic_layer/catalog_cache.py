"""The validated catalog kept on disk between processes, keyed by the YAML files' contents.

A CLI call would otherwise parse the YAML (with line tracking), validate every item with
pydantic and run the static rules on each start. The cache holds the validated ``LoadedSpec``
(pickled) under a name that hashes the spec files' names and bytes and the code that reads and
checks them, so an edited definition or an upgrade misses and rebuilds. A missing, corrupt,
foreign or unwritable cache is never an error: the catalog is then built from the YAML.

Location: ``$SERVICEPILOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/servicepilot``, else
``~/.cache/servicepilot``; ``SERVICEPILOT_CACHE_DIR=off`` disables it. The files are the
user's own (pickle runs code when read: do not point the directory at a shared location).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from semantic_layer import user_cache
from semantic_layer.loader import LoadedSpec
from semantic_layer.user_cache import cache_dir

FORMAT = 1
# The modules whose code decides what a loaded, validated spec is.
_CODE = (
    "spec.py",
    "loader.py",
    "validation.py",
    "yaml_load.py",
    "yaml_parse.py",
    "issues.py",
    "catalog_cache.py",
)

__all__ = ["cache_dir", "cache_key", "cached_spec"]


def cache_key(files: list[Path]) -> str:
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    here = Path(__file__).parent
    for name in (*_CODE, *(str(f.resolve()) for f in files)):
        path = here / name if name in _CODE else Path(name)
        data = path.read_bytes()
        digest.update(f"{name}\n{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()[:32]


def cached_spec(files: list[Path], build: Callable[[], LoadedSpec]) -> LoadedSpec:
    """The validated spec of ``files`` from the cache, else ``build()`` (stored when valid:
    ``build`` raises on an invalid spec, so errors are always reported from the YAML)."""
    directory = cache_dir()
    try:
        path = directory / f"catalog-{cache_key(files)}.pickle" if directory else None
    except OSError:  # a file vanished while hashing: let the loader report it
        path = None
    if path is not None:
        found = user_cache.load(path)
        if isinstance(found, LoadedSpec):
            return found
    loaded = build()
    if path is not None:
        user_cache.store(path, loaded)
    return loaded
