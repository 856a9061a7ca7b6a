"""The values a warehouse holds for the dimensions marked ``values_from_data`` (product and
agent names): read once per catalog so planners recognise "云睿KF-35变频挂机空调" or an agent's
name in a question instead of asking about an unknown word.

Only the distinct values of small dimension tables are read, at most ``MAX_VALUES`` per
dimension (a dimension with more is skipped and logged: a lexicon of every customer name would
match too much). Values are read without any row policy: they only let a question be
understood; every answer still runs under the asker's row policy.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from semantic_layer import user_cache
from semantic_layer.catalog import Catalog
from semantic_layer.executor import data_version
from semantic_layer.inline_sql import run

log = logging.getLogger(__name__)
MAX_VALUES = 5_000


def read_data_values(engine: Any, catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """Per ``values_from_data`` dimension, the non-empty values one row of its table holds
    (sorted). A table or column the warehouse lacks, or a Spark warehouse, gives none.

    On a DuckDB file the values are kept in the user's cache under the file's data version
    (any committed write changes it), so a CLI call reads them once per new data, not once
    per question."""
    if getattr(engine, "is_spark", False) or not isinstance(engine, sa.engine.Engine):
        return {}
    wanted: dict[str, tuple[str, str]] = {}
    for model in catalog.spec.models:
        for dim in model.dimensions:
            if dim.values_from_data and dim.name not in wanted:
                wanted[dim.name] = (model.table, dim.column_name)
    version = data_version(engine)
    path = _disk_path(version, wanted)
    kept = user_cache.load(path) if path is not None else None
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == version:
        return dict(kept[1])
    found, complete = _read(engine, wanted)
    if path is not None and complete and data_version(engine) == version:  # none written meanwhile
        user_cache.store(path, (version, found))
        user_cache.prune(path.parent, "data-values-*.pickle", _DISK_KEPT)
    return found


# Value sets kept at most (one per warehouse file and catalog in use).
_DISK_KEPT = 64
_DISK_FORMAT = 1


def _disk_path(
    version: tuple[object, ...] | None, wanted: dict[str, tuple[str, str]]
) -> Path | None:
    directory = user_cache.cache_dir() if version is not None else None
    if directory is None or not wanted:
        return None
    key = f"data values {_DISK_FORMAT} {MAX_VALUES}\n{version[0]}\n{sorted(wanted.items())!r}"
    return directory / f"data-values-{hashlib.sha256(key.encode()).hexdigest()[:32]}.pickle"


def _read(
    engine: sa.engine.Engine, wanted: dict[str, tuple[str, str]]
) -> tuple[dict[str, tuple[str, ...]], bool]:
    """The values per dimension, and whether every dimension could be read (a reading that
    met an error is not kept)."""
    found: dict[str, tuple[str, ...]] = {}
    complete = True
    for name, (table, column_name) in wanted.items():
        column = sa.column(column_name)
        query = (
            sa.select(column, sa.func.count())
            .select_from(sa.table(table))
            .where(column.is_not(None))
            .group_by(column)
            .order_by(column)
            .limit(MAX_VALUES + 1)
        )
        try:
            with engine.connect() as conn:
                rows = run(conn, query).all()  # values inline: no pandas on DuckDB
        except sa.exc.SQLAlchemyError as exc:
            log.warning("values of %s not read from %s: %s", name, table, exc)
            complete = False
            continue
        if len(rows) > MAX_VALUES:
            log.warning("%s has more than %d values: not recognised by name", name, MAX_VALUES)
            continue
        # A name two rows share (two agents called 张伟) would pool both: left out, so a
        # question naming it is asked back instead of answered for both.
        found[name] = tuple(str(v).strip() for v, n in rows if n == 1 and str(v).strip())
    return found, complete


def with_data_values(catalog: Catalog, engine: Any) -> Catalog:
    """``catalog`` with the values ``engine``'s warehouse holds (itself when it marks none)."""
    marked = any(d.values_from_data for m in catalog.spec.models for d in m.dimensions)
    return catalog.with_data_values(read_data_values(engine, catalog)) if marked else catalog


# How often a long-running application looks for new names after new data (a SELECT DISTINCT
# on two small tables; only when the warehouse's data version moved).
RECHECK_S = 60.0


class DataValuesWatch:
    """Finds the values the warehouse holds when they differ from a catalog's (a product or
    agent added by an import while the server runs): looked at most every ``recheck_s``
    seconds, and on DuckDB only after new data (its data version)."""

    def __init__(self, engine: Any, recheck_s: float = RECHECK_S) -> None:
        self.engine, self.recheck_s = engine, recheck_s
        self._checked = time.monotonic()
        self._version = data_version(engine)

    def changed(self, catalog: Catalog) -> dict[str, tuple[str, ...]] | None:
        """The warehouse's values when they differ from ``catalog``'s, else None."""
        now = time.monotonic()
        if now - self._checked < self.recheck_s:
            return None
        self._checked = now
        version = data_version(self.engine)
        if version is not None and version == self._version:
            return None
        self._version = version
        values = read_data_values(self.engine, catalog)
        return values if values != catalog.data_values else None
