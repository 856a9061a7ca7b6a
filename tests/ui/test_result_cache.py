"""The cockpit's result cache on a real warehouse fed like live ingest feeds one: a repeated
query answers from memory with the same numbers, a role never gets another role's numbers, and
the first query after new data is published (a new snapshot behind the warehouse link) runs
again and shows the new count."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
import sqlalchemy as sa

from assistant.ui.result_cache import ResultCache
from semantic_layer.query import MetricQuery, TimeRange
from tools.ingest.snapshot import live_path, publish
from tools.warehouse.engine import make_engine

OCTOBER = TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1))
BY_REGION = MetricQuery(metrics=("complaint_volume",), dimensions=("region",), time_range=OCTOBER)


@pytest.fixture
def live_warehouse(demo_warehouse_path, tmp_path):
    """(link path, writer engine on the live file): the demo data published once as a
    snapshot behind ``warehouse.duckdb``, as the ingest writer lays it out."""
    target = tmp_path / "warehouse.duckdb"
    live = live_path(target)
    shutil.copyfile(demo_warehouse_path, live)
    writer = make_engine(f"duckdb:///{live}")
    with writer.connect() as conn:
        publish(conn, live, target)
    yield target, writer
    writer.dispose()


@pytest.fixture
def app(live_warehouse):
    from assistant.app import build_app

    target, _ = live_warehouse
    app = build_app(None, "test", warehouse=f"duckdb:///{target}", today=date(2026, 11, 22))
    yield app
    app.close()


def _by_region(result) -> dict[str, int]:
    return {
        r: int(n)
        for r, n in zip(result.data["region"], result.data["complaint_volume"], strict=True)
    }


def test_a_repeated_query_answers_from_memory_with_the_same_numbers(app):
    cache = ResultCache.over(app.api)
    first = cache.query(BY_REGION, "executive")
    again = cache.query(BY_REGION, "executive")
    assert (cache.misses, cache.hits) == (1, 1)
    straight = _by_region(app.api.query_metrics(BY_REGION, "executive"))
    assert _by_region(first) == _by_region(again) == straight
    again.data["complaint_volume"] = -1  # a caller changing its copy ...
    assert _by_region(cache.query(BY_REGION, "executive")) == straight  # ... not the kept one


def test_each_role_gets_its_own_numbers(app):
    cache = ResultCache.over(app.api)
    everyone = _by_region(cache.query(BY_REGION, "executive"))
    east = _by_region(cache.query(BY_REGION, "east_manager"))
    assert len(everyone) > 1 and set(east) == {"east"}
    assert east["east"] == everyone["east"]
    assert cache.hits == 0


def test_new_data_is_shown_at_once_after_it_is_published(app, live_warehouse):
    target, writer = live_warehouse
    cache = ResultCache.over(app.api)
    before = _by_region(cache.query(BY_REGION, "executive"))
    with writer.begin() as conn:  # one more October complaint in the east, as ingest adds it
        conn.execute(
            sa.text(
                "INSERT INTO tickets SELECT * REPLACE ('T-CACHE-1' AS ticket_id) FROM tickets "
                "WHERE ticket_type = 'complaint' AND region = 'east' "
                "AND created_at >= '2026-10-01' AND created_at < '2026-11-01' LIMIT 1"
            )
        )
    with writer.connect() as conn:
        publish(conn, live_path(target), target)
    after = _by_region(cache.query(BY_REGION, "executive"))
    assert after["east"] == before["east"] + 1
    assert {r: n for r, n in after.items() if r != "east"} == {
        r: n for r, n in before.items() if r != "east"
    }
    assert (cache.misses, cache.hits) == (2, 0)
    assert _by_region(cache.query(BY_REGION, "executive")) == after  # kept again
    assert cache.hits == 1


def test_a_reloaded_catalog_starts_afresh(app):
    from semantic_layer.catalog_loader import load_catalog

    cache = ResultCache.over(app.api)
    first = _by_region(cache.query(BY_REGION, "executive"))
    app.api.replace_catalog(load_catalog())  # an analyst reloaded the definitions
    assert _by_region(cache.query(BY_REGION, "executive")) == first
    assert (cache.misses, cache.hits) == (2, 0)
