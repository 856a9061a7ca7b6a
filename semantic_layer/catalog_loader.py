"""Loading the catalog: read the YAML spec, check it with the static rules, build the Catalog.

Its own module so the dependencies run one way: ``catalog`` (the in-memory catalog) <-
``validation`` (rules over a loaded spec) <- ``catalog_loader``; the executor never enters the
chain (the warehouse smoke test lives in ``smoke``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from semantic_layer.catalog import Catalog
from semantic_layer.errors import SpecError
from semantic_layer.loader import load_spec
from semantic_layer.validation import validate_static

__all__ = ["default_catalog", "load_catalog"]


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate the spec (static rules); raise SpecError listing every problem."""
    loaded = load_spec(path)
    errors = [i for i in validate_static(loaded) if i.severity == "error"]
    if errors:
        raise SpecError(errors)
    return Catalog(loaded.spec, loaded)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The packaged certified catalog (cached: the YAML is read once per process)."""
    return load_catalog()
