"""Certified results the cockpit has shown, kept per (role, query, data version), so going back
up the drill path, drilling into the same member again, switching the language or the trend
metric answer without asking the warehouse again.

The data version is the warehouse's own (``semantic_layer.executor.data_version``: the DuckDB
file's and its WAL's identity, size and time, and the freshness generation): any committed
write (an import, an ingest batch) changes it, so a result is never served after new data has
arrived. A warehouse without such a version (PostgreSQL, Spark) is asked every time. Results
are kept only per role (row filters differ) and per catalog (an analyst's reload of the
definitions starts afresh). Failures are not kept.

``warm`` computes queries before anyone asks (the drill level under the one on screen), in a
runner at the lowest CPU priority when the API has one (``query_metrics_idle`` of the worker
pool's API): the same query as the same role gives the same certified result, only sooner."""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

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
        warm_run: QueryFn | None = None,
    ) -> None:
        self._run = run
        self._warm_run = warm_run
        self._pending: list[tuple[MetricQuery, str | None]] = []
        self._warming = False
        self.warmed = 0  # results computed by ``warm``
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
            warm_run=getattr(api, "query_metrics_idle", None)
            if getattr(api, "idle", None)
            else None,
        )

    def query(self, query: MetricQuery, role: str | None) -> MetricResult:
        version, catalog = self._version(), self._catalog()
        if version is None:
            return self._run(query, role)
        key = (role, query.model_dump_json())
        with self._lock:
            self._current(version, catalog)
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
        if found is not None:
            return _copy(found)
        result = self._run(query, role)
        with self._lock:
            self.misses += 1
            if self._keeps(version, catalog):  # not when new data came while this ran
                self._items[key] = _copy(result)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return result

    def warm(self, queries: Iterable[MetricQuery], role: str | None) -> None:
        """Compute ``queries`` for ``role`` in the background (one at a time, each kept as
        ``query`` keeps it) unless kept already; replaces what an earlier call left waiting.
        Does nothing without a low-priority runner: on one core it would slow the viewer."""
        if self._warm_run is None:
            return
        with self._lock:
            self._pending = [(q, role) for q in queries]
            if self._warming or not self._pending:
                return
            self._warming = True
        threading.Thread(target=self._warm_all, name="cockpit-warm", daemon=True).start()

    def _warm_all(self) -> None:
        assert self._warm_run is not None
        while True:
            with self._lock:
                if not self._pending:
                    self._warming = False
                    return
                query, role = self._pending.pop(0)
            version, catalog = self._version(), self._catalog()
            if version is None:
                continue
            key = (role, query.model_dump_json())
            with self._lock:
                self._current(version, catalog)
                if key in self._items:
                    continue
            try:
                result = self._warm_run(query, role)
            except Exception:  # the click computes it and shows the problem
                continue
            with self._lock:
                if self._keeps(version, catalog) and key not in self._items:
                    self._items[key] = result
                    self.warmed += 1
                    while len(self._items) > self._size:
                        self._items.popitem(last=False)

    def _current(self, version: tuple[object, ...], catalog: Any) -> None:
        """Forget what was kept for other data or definitions (under the lock)."""
        if not self._keeps(version, catalog):
            self._items.clear()  # new data or definitions: nothing kept is current
            self._kept_for = (version, catalog)

    def _keeps(self, version: tuple[object, ...], catalog: Any) -> bool:
        kept = self._kept_for
        return kept is not None and kept[0] == version and kept[1] is catalog


def _copy(result: MetricResult) -> MetricResult:
    """The result with its own frame: callers may add columns or sort in place."""
    return dataclasses.replace(result, data=result.data.copy())
