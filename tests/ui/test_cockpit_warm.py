"""The cockpit computes the drill level under the one on screen before the click: on the shared
demo warehouse, every member's step is then answered from memory with the very numbers it shows
when computed on click; warming follows the role's rows and never outlives the data version;
the server's runner for it is a worker at the lowest CPU priority giving the same result."""

from __future__ import annotations

import time
from datetime import date

import pytest

from assistant.ui.cockpit_tab import WARM_MEMBERS, cockpit, step_queries, warm_next_level
from assistant.ui.drill import DrillScope
from assistant.ui.result_cache import ResultCache
from semantic_layer.query import MetricQuery, TimeRange

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def app(demo_warehouse_url):
    from assistant.app import build_app

    app = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    yield app
    app.close()


def _context(app, cache: ResultCache | None = None):
    from assistant.ui.context import UIContext

    return UIContext(api=app.api, results=cache)


def _warming_cache(app, runs: list) -> ResultCache:
    def run(query, role):
        runs.append((query, role))
        return app.api.query_metrics(query, role)

    cache = ResultCache.over(app.api)
    cache._warm_run = run  # the server's runner is a nice-19 worker (test below)
    return cache


def _settled(cache: ResultCache) -> None:
    deadline = time.monotonic() + 120
    while cache._warming:
        assert time.monotonic() < deadline, "warming did not finish"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("role", "steps"),
    [("executive", ()), ("executive", (("region", "east"),)), ("east_manager", ())],
)
def test_each_warmed_step_is_kept_with_the_numbers_of_a_click(app, role, steps) -> None:
    runs: list = []
    cache = _warming_cache(app, runs)
    ctx = _context(app, cache)
    scope = DrillScope(steps=steps) if role == "executive" else None
    view = cockpit(ctx, role, "month", "csat", "zh", scope)
    warm_next_level(ctx, view, role, "month", "csat")
    _settled(cache)
    assert view.members and cache.warmed == len(runs) > 0
    assert {r for _, r in runs} == {role}
    plain = _context(app)  # computed on click, by a cache of its own
    for _, code in view.members[:WARM_MEMBERS]:
        child = view.scope.down(view.breakdown, code)
        misses = cache.misses
        for lang in ("zh", "en"):
            warm = cockpit(ctx, role, "month", "csat", lang, child)
            cold = cockpit(plain, role, "month", "csat", lang, child)
            assert (warm.cards, warm.member_list, warm.alerts) == (
                cold.cards,
                cold.member_list,
                cold.alerts,
            )
            assert warm.trend.to_json() == cold.trend.to_json()
            assert (warm.drill_plot is None) == (cold.drill_plot is None)
            if warm.drill_plot is not None:
                assert warm.drill_plot.to_json() == cold.drill_plot.to_json()
        assert cache.misses == misses, f"{child} was not warmed"
    if role == "east_manager":  # inside their region: every warmed query says so
        assert all(("region", "=", ("east",)) in _filters(q) for q, _ in runs)


def _filters(query: MetricQuery) -> set:
    return {(f.field, f.op, tuple(f.values)) for f in query.filters}


def test_step_queries_are_the_queries_a_step_runs(app) -> None:
    """What is warmed is what the step asks: nothing of a step is left to its click."""
    ctx = _context(app)
    asked: list = []
    run = ctx.results._run
    ctx.results._run = lambda q, r: (asked.append(q), run(q, r))[1]
    scope = DrillScope(steps=(("region", "north"),))
    cockpit(ctx, "executive", "quarter", "sla_compliance", "en", scope)
    warmed = step_queries(scope, "quarter", "sla_compliance", TODAY)
    assert sorted(q.model_dump_json() for q in asked) == sorted(q.model_dump_json() for q in warmed)


def test_warming_without_a_low_priority_runner_does_nothing(app) -> None:
    """A single-process server has no idle worker: warming there would slow the viewer."""
    ctx = _context(app)
    view = cockpit(ctx, "executive", "month", "csat", "zh")
    misses = ctx.results.misses
    warm_next_level(ctx, view, "executive", "month", "csat")
    assert not ctx.results._warming and ctx.results.warmed == 0
    assert ctx.results.misses == misses


def test_the_idle_worker_runs_at_the_lowest_priority_with_the_same_result(
    app, demo_warehouse_url
) -> None:
    from assistant.workers import PooledAPI, WorkerPool, WorkerSpec

    idle = WorkerPool(
        WorkerSpec(warehouse=demo_warehouse_url, today=TODAY, warm_cases=False), 1, 19
    )
    pooled = PooledAPI(app, idle, idle)
    query = MetricQuery(
        metrics=("csat", "complaint_volume"),
        dimensions=("region",),
        time_range=TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1)),
    )
    try:
        for role in ("executive", "east_manager"):
            there = pooled.query_metrics_idle(query, role)
            here = app.api.query_metrics(query, role)
            assert there.sql == here.sql
            assert there.data.equals(here.data)
        (pid,) = idle.pids()
        with open(f"/proc/{pid}/stat") as stat:
            assert int(stat.read().rsplit(")", 1)[1].split()[16]) == 19  # its nice value
        assert ResultCache.over(pooled)._warm_run is not None
        assert ResultCache.over(app.api)._warm_run is None
    finally:
        idle.close()
