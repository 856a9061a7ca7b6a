"""Certified results the cockpit has shown, kept per (role, query, data version), so going back
up the drill path, drilling into the same member again, switching the language or the trend
metric answer without asking the warehouse again.

The data version is the warehouse's own (``semantic_layer.executor.data_version``: the DuckDB
file's and its WAL's identity, size and time, and the freshness generation): any committed
write (an import, an ingest batch) changes it, so a result is never served after new data has
arrived. A warehouse without such a version (PostgreSQL, Spark) is asked every time. Results
are kept only per role (row filters differ) and per catalog (an analyst's reload of the
definitions starts afresh). Failures are not kept."""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from assistant import trace
from semantic_layer.executor import MetricResult, data_version
from semantic_layer.query import MetricQuery

QueryFn = Callable[[MetricQuery, str | None], MetricResult]


class ResultCache:
    """``query(q, role)`` answers like ``run`` (an API's ``query_metrics``), from memory when
    the same role asked the same query on the same data version and catalog before."""

    def __init__(
        self,
        run: QueryFn,
        version: Callable[[], tuple[object, ...] | None],
        catalog: Callable[[], Any],
        size: int = 512,
    ) -> None:
        self._run = run
        self._version = version
        self._catalog = catalog
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[object, ...], MetricResult] = OrderedDict()
        self._kept_for: tuple[object, Any] | None = None  # (data version, catalog) of _items
        self.hits = 0
        self.misses = 0

    @classmethod
    def over(cls, api: Any) -> ResultCache:
        """A cache in front of ``api.query_metrics`` on the API's warehouse."""
        return cls(
            api.query_metrics,
            lambda: data_version(api.app.services.engine),
            lambda: api.catalog,
        )

    def query(self, query: MetricQuery, role: str | None) -> MetricResult:
        version, catalog = self._version(), self._catalog()
        if version is None:
            return self._run(query, role)
        key = (role, query.model_dump_json())
        with self._lock:
            if not self._keeps(version, catalog):
                self._items.clear()  # new data or definitions: nothing kept is current
                self._kept_for = (version, catalog)
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
        if found is not None:
            return _copy(found)
        with trace.span(
            "cache.miss", metrics=",".join(query.metrics), dims=",".join(query.dimensions)
        ):
            result = self._run(query, role)
        with self._lock:
            self.misses += 1
            if self._keeps(version, catalog):  # not when new data came while this ran
                self._items[key] = _copy(result)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return result

    def _keeps(self, version: tuple[object, ...], catalog: Any) -> bool:
        kept = self._kept_for
        return kept is not None and kept[0] == version and kept[1] is catalog


def _copy(result: MetricResult) -> MetricResult:
    """The result with its own frame: callers may add columns or sort in place."""
    copy = dataclasses.replace(result)
    copy.__dict__["data"] = result.data.copy()  # MetricResult.data is kept once built
    return copy
