"""Product and agent names the warehouse holds are understood in questions (dimensions marked
``values_from_data``), read from the real demo warehouse; names it does not hold still make the
planner ask."""

from __future__ import annotations

from collections import Counter
from datetime import date

import duckdb
import pytest
import sqlalchemy as sa

from assistant.planning.offline import OfflinePlanner
from assistant.planning.plans import Clarification, ConversationState, MetricPlan
from semantic_layer import data_values
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.data_values import read_data_values, with_data_values
from semantic_layer.query import Filter
from semantic_layer.spec import Dimension
from tools.warehouse.engine import make_engine

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def engine(demo_warehouse_url):
    eng = make_engine(demo_warehouse_url, read_only=True)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def names(engine):
    with engine.connect() as conn:
        products = [r[0] for r in conn.execute(sa.text("SELECT product_name FROM products"))]
        agents = conn.execute(sa.text("SELECT agent_name, region FROM agents")).all()
    return products, agents


def test_the_warehouse_values_of_marked_dimensions_are_read(engine, names) -> None:
    products, agents = names
    values = read_data_values(engine, default_catalog())
    assert set(values) == {"product_name", "agent_name"}
    assert set(values["product_name"]) == set(products)
    counts = Counter(name for name, _ in agents)
    once = [name for name, n in counts.items() if n == 1]
    assert set(values["agent_name"]) == set(once) and len(once) > 10


def plan(catalog, question: str, role: str | None = None):
    return OfflinePlanner(catalog).plan(question, ConversationState(today=TODAY, role=role))


def test_a_product_or_agent_name_filters_the_question(engine, names) -> None:
    catalog = with_data_values(default_catalog(), engine)
    product = names[0][0]
    got = plan(catalog, f"{product}上个月的投诉量")
    assert isinstance(got, MetricPlan), got
    assert got.query.filters == (Filter(field="product_name", op="=", values=(product,)),)
    agent = names[1][0][0]
    got = plan(catalog, f"What was the CSAT of {agent} last month?")
    assert isinstance(got, MetricPlan), got
    assert got.query.filters == (Filter(field="agent_name", op="=", values=(agent,)),)
    # A name the warehouse does not hold is an unknown word: asked about, never ignored.
    assert isinstance(plan(catalog, "云睿XQ-99滚筒洗衣机上个月的投诉量"), Clarification)


def test_without_the_warehouse_values_a_name_is_asked_about(names) -> None:
    product = names[0][0]
    assert isinstance(plan(default_catalog(), f"{product}上个月的投诉量"), Clarification)


def test_a_dimension_with_too_many_values_is_not_named(engine, monkeypatch) -> None:
    monkeypatch.setattr(data_values, "MAX_VALUES", 10)  # the demo has 20 products, 70+ agents
    assert read_data_values(engine, default_catalog()) == {}


def test_a_missing_table_reads_no_values(tmp_path) -> None:
    path = tmp_path / "bare.duckdb"
    duckdb.connect(str(path)).close()
    eng = make_engine(f"duckdb:///{path}", read_only=True)
    try:
        assert read_data_values(eng, default_catalog()) == {}
    finally:
        eng.dispose()


def test_values_from_data_is_refused_on_a_coded_dimension() -> None:
    with pytest.raises(ValueError, match="without a code list"):
        Dimension(
            name="region", label={"zh": "大区", "en": "Region"}, codes="region",
            values_from_data=True,
        )  # fmt: skip


def test_a_server_learns_a_name_added_while_it_runs(demo_warehouse_path, tmp_path) -> None:
    import shutil

    from assistant.app import build_app

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse_path, path)
    app = build_app(None, "ui", warehouse=f"duckdb:///{path}", today=TODAY, audit=False)
    try:
        api, question = app.api, "龚新宇上个月的客户满意度"  # not an agent of the demo
        assert isinstance(api.ask(question, api.new_state("executive")).plan, Clarification)
        app.engine.dispose()  # an import elsewhere adds the agent (one DuckDB writer)
        with duckdb.connect(str(path)) as conn:
            conn.execute(
                "INSERT INTO agents (agent_id, agent_name, team, region, hired_at) "
                "VALUES ('A-NEW-1', '龚新宇', 'east_a', 'east', DATE '2026-11-01')"
            )
        assert app._values_watch is not None
        app._values_watch.recheck_s = 0  # the server looks again after new data
        got = api.ask(question, api.new_state("executive")).plan
        assert isinstance(got, MetricPlan), got
        assert got.query.filters == (Filter(field="agent_name", op="=", values=("龚新宇",)),)
    finally:
        app.close()


def test_a_name_two_rows_share_is_not_recognised(demo_warehouse_path, tmp_path) -> None:
    import shutil

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse_path, path)
    with duckdb.connect(str(path)) as conn:
        (name,) = conn.execute("SELECT agent_name FROM agents LIMIT 1").fetchone()
        conn.execute(
            "INSERT INTO agents (agent_id, agent_name, team, region, hired_at) "
            "VALUES ('A-TWIN', ?, 'north_a', 'north', DATE '2026-11-01')",
            [name],
        )
    eng = make_engine(f"duckdb:///{path}", read_only=True)
    try:
        catalog = with_data_values(default_catalog(), eng)
    finally:
        eng.dispose()
    assert name not in catalog.data_values["agent_name"]
    assert len(catalog.data_values["agent_name"]) > 10
    assert isinstance(plan(catalog, f"{name}上个月的客户满意度"), Clarification)


def test_the_values_are_read_once_per_data_version(demo_warehouse_path, tmp_path, monkeypatch):
    """Kept in the user's cache under the file's data version: the next process reads no
    table, and a write (a new agent) makes the next reading query again and see it."""
    import shutil

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse_path, path)
    monkeypatch.setenv("SERVICEPILOT_CACHE_DIR", str(tmp_path / "cache"))
    queries: list[object] = []
    real_run = data_values.run
    monkeypatch.setattr(data_values, "run", lambda conn, q: queries.append(q) or real_run(conn, q))

    def read() -> dict[str, tuple[str, ...]]:
        eng = make_engine(f"duckdb:///{path}", read_only=True)
        try:
            return read_data_values(eng, default_catalog())
        finally:
            eng.dispose()

    first = read()
    assert len(queries) == 2 and len(first["agent_name"]) > 10
    assert read() == first and len(queries) == 2  # from the cache: no table read
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "INSERT INTO agents (agent_id, agent_name, team, region, hired_at) "
            "VALUES ('A-NEW-2', '龚新宇', 'east_a', 'east', DATE '2026-11-01')"
        )
    after = read()
    assert len(queries) == 4 and "龚新宇" in after["agent_name"]
    assert "龚新宇" not in first["agent_name"]
