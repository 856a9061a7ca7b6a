"""Loading the catalog: read the YAML spec, check it with the static rules, build the Catalog.

Its own module so the dependencies run one way: ``catalog`` (the in-memory catalog) <-
``validation`` (rules over a loaded spec) <- ``catalog_loader``; the executor never enters the
chain (the warehouse smoke test lives in ``smoke``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from semantic_layer.catalog import Catalog
from semantic_layer.catalog_cache import cached_spec
from semantic_layer.errors import SpecError
from semantic_layer.loader import LoadedSpec, load_spec, spec_files
from semantic_layer.validation import validate_static

__all__ = ["default_catalog", "load_catalog"]


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate the spec (static rules); raise SpecError listing every problem.

    ``path``: a directory of ``*.yml`` or one file (default: the packaged definitions). A valid
    spec is cached on disk keyed by the files' contents (``catalog_cache``)."""

    def build() -> LoadedSpec:
        loaded = load_spec(path)
        errors = [i for i in validate_static(loaded) if i.severity == "error"]
        if errors:
            raise SpecError(errors)
        return loaded

    single = path is not None and not path.is_dir()
    files = ([path] if path.exists() else []) if single else spec_files(path)
    loaded = cached_spec(files, build) if files else build()
    return Catalog(loaded.spec, loaded)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The packaged certified catalog (cached: the YAML is read once per process)."""
    return load_catalog()
