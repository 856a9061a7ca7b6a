"""The demo warehouse: deterministic, consistent, realistic, with every planted fact visible."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
import sqlalchemy as sa

from tests.conftest import DEMO_END, DEMO_TICKETS
from tools.demo_data.facts import planted_facts
from tools.demo_data.generator import DemoSpec, generate_demo_warehouse
from tools.errors import WarehouseError
from tools.warehouse.codes import CODED_COLUMNS
from tools.warehouse.engine import make_engine, missing_contract_columns


@pytest.fixture(scope="module")
def con(demo_warehouse_url):
    # Through make_engine: DuckDB refuses a second in-process connection to the same file
    # with a different configuration, and every other test opens the file this way.
    engine = make_engine(demo_warehouse_url, read_only=True)
    raw = engine.raw_connection()
    yield raw.driver_connection
    raw.close()
    engine.dispose()


def scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


def test_window_is_24_months_ending_at_end():
    spec = DemoSpec(tickets=1000, seed=1, end=date(2026, 10, 31))
    assert (spec.start, spec.stop) == (date(2024, 11, 1), date(2026, 11, 1))
    leap = DemoSpec(tickets=1000, seed=1, end=date(2028, 2, 28))
    assert (leap.start, leap.stop) == (date(2026, 2, 28), date(2028, 2, 29))


def test_exact_counts_and_span(con):
    assert scalar(con, "SELECT COUNT(*) FROM tickets") == DEMO_TICKETS
    assert scalar(con, "SELECT COUNT(*) FROM orders") == 3 * DEMO_TICKETS
    first, last = con.execute("SELECT MIN(created_at), MAX(created_at) FROM tickets").fetchone()
    assert first.date() == date(2024, 11, 1)
    assert last.date() == date.fromisoformat(DEMO_END)
    for column in ("first_response_at", "resolved_at", "closed_at"):
        latest = scalar(con, f"SELECT MAX({column}) FROM tickets")
        assert latest < duckdb.sql("SELECT TIMESTAMP '2026-11-01'").fetchone()[0]
    assert scalar(con, "SELECT MAX(responded_at) FROM surveys").date() <= date(2026, 10, 31)


def test_schema_matches_contract(demo_warehouse_url):
    engine = make_engine(demo_warehouse_url, read_only=True)
    try:
        assert missing_contract_columns(engine) == {}
        pks = {
            t: sa.inspect(engine).get_pk_constraint(t)["constrained_columns"]
            for t in ("customers", "tickets", "surveys", "orders", "agents", "products")
        }
    finally:
        engine.dispose()
    assert pks["tickets"] == ["ticket_id"] and pks["surveys"] == ["survey_id"]


@pytest.mark.parametrize(("table", "column"), sorted(CODED_COLUMNS))
def test_only_contract_codes_and_every_ticket_code_used(con, table, column):
    codes = set(CODED_COLUMNS[(table, column)])
    found = {row[0] for row in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()}
    assert found <= codes
    if table == "tickets":
        assert found == codes


def test_timestamps_are_consistent(con):
    bad = scalar(
        con,
        """
        SELECT COUNT(*) FROM tickets WHERE first_response_at < created_at
            OR resolved_at < first_response_at OR closed_at < resolved_at
            OR (resolved_at IS NOT NULL AND first_response_at IS NULL)
            OR sla_due_at <= created_at""",
    )
    assert bad == 0
    bad_surveys = scalar(
        con,
        """
        SELECT COUNT(*) FROM surveys s JOIN tickets t USING (ticket_id)
        WHERE t.resolved_at IS NULL OR s.sent_at < t.resolved_at OR s.responded_at < s.sent_at""",
    )
    assert bad_surveys == 0
    status_mismatch = scalar(
        con,
        """
        SELECT COUNT(*) FROM tickets WHERE
            (status IN ('resolved', 'closed')) <> (resolved_at IS NOT NULL)
            OR (status = 'closed') <> (closed_at IS NOT NULL)""",
    )
    assert status_mismatch == 0


def test_survey_scores_in_range_and_not_every_ticket_rated(con):
    assert scalar(con, "SELECT COUNT(*) FROM surveys WHERE csat NOT BETWEEN 1 AND 5") == 0
    assert scalar(con, "SELECT COUNT(*) FROM surveys WHERE nps NOT BETWEEN 0 AND 10") == 0
    assert scalar(con, "SELECT COUNT(*) FROM surveys WHERE ces NOT BETWEEN 1 AND 7") == 0
    assert (
        scalar(
            con,
            "SELECT COUNT(*) FROM surveys WHERE responded_at IS NULL "
            "AND (csat IS NOT NULL OR nps IS NOT NULL)",
        )
        == 0
    )
    response_rate = scalar(con, "SELECT COUNT(responded_at) * 1.0 / COUNT(*) FROM surveys")
    assert 0.15 < response_rate < 0.5


def test_kpis_are_in_realistic_ranges(con):
    csat = scalar(
        con,
        "SELECT AVG(CASE WHEN csat >= 4 THEN 1.0 ELSE 0 END) FROM surveys WHERE csat IS NOT NULL",
    )
    assert 0.65 < csat < 0.9
    breach = scalar(
        con,
        "SELECT AVG(CASE WHEN resolved_at > sla_due_at THEN 1.0 ELSE 0 END) "
        "FROM tickets WHERE resolved_at IS NOT NULL",
    )
    assert 0.08 < breach < 0.3
    reopen = scalar(
        con,
        "SELECT AVG(CASE WHEN reopened_count > 0 THEN 1.0 ELSE 0 END) "
        "FROM tickets WHERE resolved_at IS NOT NULL",
    )
    assert 0.02 < reopen < 0.15
    churned = scalar(con, "SELECT COUNT(churned_at) * 1.0 / COUNT(*) FROM customers")
    assert 0.03 < churned < 0.25


def test_response_times_are_skewed_per_channel(con):
    rows = dict(
        con.execute("""
        SELECT channel, MEDIAN(epoch(first_response_at - created_at)) FROM tickets
        GROUP BY channel""").fetchall()
    )
    assert rows["phone"] < rows["web_chat"] < rows["wechat"] < rows["app"] < rows["email"]
    median, p90, p99 = con.execute("""
        SELECT MEDIAN(x), QUANTILE_CONT(x, 0.9), QUANTILE_CONT(x, 0.99) FROM (
            SELECT epoch(first_response_at - created_at) AS x FROM tickets
            WHERE channel = 'email')""").fetchone()
    assert p90 > 3 * median and p99 > 2 * p90  # long tail


def test_satisfaction_falls_with_slow_resolution_and_reopenings(con):
    fast, slow = con.execute("""
        SELECT AVG(csat) FILTER (WHERE t.resolved_at <= t.sla_due_at),
               AVG(csat) FILTER (WHERE t.resolved_at > t.sla_due_at)
        FROM surveys s JOIN tickets t USING (ticket_id)""").fetchone()
    assert fast - slow > 0.3
    clean, reopened = con.execute("""
        SELECT AVG(csat) FILTER (WHERE t.reopened_count = 0),
               AVG(csat) FILTER (WHERE t.reopened_count > 0)
        FROM surveys s JOIN tickets t USING (ticket_id)""").fetchone()
    assert clean - reopened > 0.4


def test_seasonal_patterns(con):
    monthly = dict(
        con.execute("""
        SELECT strftime(created_at, '%Y-%m'), COUNT(*) / COUNT(DISTINCT created_at::DATE)
        FROM tickets GROUP BY 1""").fetchall()
    )
    assert monthly["2025-11"] > 1.15 * monthly["2025-10"]  # Double-11
    assert monthly["2026-02"] < 0.9 * monthly["2026-03"]  # Spring Festival
    weekday = dict(
        con.execute("""
        SELECT isodow(created_at), COUNT(*) FROM tickets GROUP BY 1""").fetchall()
    )
    assert weekday[1] > 1.25 * weekday[7]


def test_both_languages_and_written_text(con):
    shares = dict(
        con.execute(
            "SELECT language, COUNT(*) * 1.0 / SUM(COUNT(*)) OVER () FROM tickets GROUP BY 1"
        ).fetchall()
    )
    assert 0.75 < shares["zh"] < 0.95 and shares["en"] > 0.05
    zh_text = scalar(con, "SELECT description FROM tickets WHERE language = 'zh' LIMIT 1")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh_text)
    assert (
        scalar(
            con,
            "SELECT COUNT(*) FROM tickets WHERE resolved_at IS NOT NULL "
            "AND (resolution IS NULL OR root_cause IS NULL)",
        )
        == 0
    )
    distinct = scalar(con, "SELECT COUNT(DISTINCT description) * 1.0 / COUNT(*) FROM tickets")
    assert distinct > 0.9


@pytest.mark.parametrize(
    "fact", planted_facts(date.fromisoformat(DEMO_END)), ids=lambda f: f.fact_id
)
def test_planted_fact_is_visible_in_plain_sql(con, fact):
    period, baseline = con.execute(fact.check_sql).fetchone()
    assert fact.holds(float(period), float(baseline)), (fact.fact_id, period, baseline)


def test_planted_facts_lie_inside_the_window():
    for end in (date(2026, 10, 31), date(2025, 3, 15), date(2028, 2, 29)):
        spec = DemoSpec(tickets=1000, seed=1, end=end)
        for fact in planted_facts(end):
            assert spec.start <= fact.start < fact.end <= spec.stop, (end, fact.fact_id)


def test_same_seed_same_checksum_other_seed_differs(tmp_path):
    end = date(2026, 10, 31)
    summaries = [
        generate_demo_warehouse(f"duckdb:///{tmp_path / name}", tickets=3000, seed=seed, end=end)
        for name, seed in (("a.duckdb", 5), ("b.duckdb", 5), ("c.duckdb", 6))
    ]
    assert summaries[0]["checksum"] == summaries[1]["checksum"]
    assert summaries[0]["checksum"] != summaries[2]["checksum"]
    # The stored data, not only the reported checksum, is identical.
    frames = []
    for name in ("a.duckdb", "b.duckdb"):
        with duckdb.connect(str(tmp_path / name), read_only=True) as c:
            frames.append(c.execute("SELECT * FROM tickets ORDER BY ticket_id").df())
    assert frames[0].equals(frames[1])


def test_existing_warehouse_is_not_overwritten_without_replace(tmp_path):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    generate_demo_warehouse(url, tickets=1000, seed=1, end=date(2026, 10, 31))
    with pytest.raises(WarehouseError, match="--replace"):
        generate_demo_warehouse(url, tickets=1000, seed=1, end=date(2026, 10, 31))


def test_interrupted_build_leaves_nothing_behind(tmp_path):
    target = tmp_path / "w.duckdb"

    def crash(chunk_index: int) -> None:
        if chunk_index == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_demo_warehouse(
            f"duckdb:///{target}", tickets=2000, seed=1, end=date(2026, 10, 31), on_chunk=crash
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_postgres_gets_the_same_data(postgres_url, tmp_path):
    end = date(2026, 10, 31)
    pg = generate_demo_warehouse(postgres_url, tickets=2000, seed=3, end=end, replace=True)
    duck = generate_demo_warehouse(
        f"duckdb:///{tmp_path / 'd.duckdb'}", tickets=2000, seed=3, end=end
    )
    assert pg["checksum"] == duck["checksum"] and pg["rows"] == duck["rows"]
    sql = (
        "SELECT COUNT(*), SUM(reopened_count), SUM(cost), COUNT(resolved_at), "
        "MAX(created_at) FROM tickets"
    )
    results = []
    for url in (postgres_url, f"duckdb:///{tmp_path / 'd.duckdb'}"):
        engine = make_engine(url)
        with engine.connect() as conn:
            results.append(tuple(conn.execute(sa.text(sql)).one()))
        engine.dispose()
    assert results[0] == results[1]

    # A failing rebuild on PostgreSQL rolls back completely.
    def crash(chunk_index: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_demo_warehouse(
            postgres_url, tickets=1500, seed=4, end=end, replace=True, on_chunk=crash
        )
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM tickets")).scalar() == 2000
    engine.dispose()


def test_customers_written_in_slices_are_the_same_rows(tmp_path, monkeypatch):
    """The streaming build writes customers in slices; any slice size gives the same table and
    the same checksum as one frame (the rows cannot depend on how they were written)."""
    import tools.demo_data.generator as generator

    end = date(2026, 10, 31)
    whole = generate_demo_warehouse(
        f"duckdb:///{tmp_path / 'whole.duckdb'}", tickets=3000, seed=5, end=end
    )
    monkeypatch.setattr(generator, "CUSTOMER_SLICE", 97)
    sliced = generate_demo_warehouse(
        f"duckdb:///{tmp_path / 'sliced.duckdb'}", tickets=3000, seed=5, end=end
    )
    assert sliced["checksum"] == whole["checksum"]
    assert sliced["rows"] == whole["rows"]
    tables = []
    for name in ("whole.duckdb", "sliced.duckdb"):
        with duckdb.connect(str(tmp_path / name), read_only=True) as c:
            tables.append(c.execute("SELECT * FROM customers ORDER BY customer_id").fetchall())
    assert tables[0] == tables[1]


def test_a_failing_write_stops_the_build_with_its_error(tmp_path, monkeypatch):
    """An error in the writer thread reaches the caller, and no file is left behind."""
    import tools.demo_data.generator as generator

    def broken_append(raw, table, arrow):
        if table == "tickets":
            raise RuntimeError("disk full while appending tickets")
        raw.execute("SELECT 1")

    monkeypatch.setattr(generator, "_append_arrow", broken_append)
    target = tmp_path / "w.duckdb"
    with pytest.raises(RuntimeError, match="disk full"):
        generate_demo_warehouse(f"duckdb:///{target}", tickets=3000, seed=5, end=date(2026, 10, 31))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("duplicate", [False, True])
def test_key_index_too_big_for_memory_is_checked_instead(tmp_path, duplicate):
    """At 10M tickets the orders key index (30M ids) does not fit the build's memory cap: that
    table keeps no index, but its key is still checked unique (a duplicate stops the build)."""
    from tools.demo_data.generator import _add_primary_keys_within_memory
    from tools.warehouse.engine import create_schema

    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        create_schema(engine, defer_primary_keys=True)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO orders (order_id, customer_id, product_id, ordered_at, amount, "
                "region, source) SELECT printf('O%09d', i), 'C00000001', 'P001', "
                "TIMESTAMP '2026-01-01', 1.0, 'north', 'demo' FROM range(600000) t(i)"
            )
            if duplicate:
                conn.exec_driver_sql(
                    "INSERT INTO orders (order_id, customer_id, product_id, ordered_at, amount, "
                    "region, source) VALUES ('O000000007', 'C00000001', 'P001', "
                    "TIMESTAMP '2026-01-01', 1.0, 'north', 'demo')"
                )
            # A cap the rows fit in (they spill) but the 600k-key index does not.
            conn.exec_driver_sql("SET memory_limit = '24MB'")
            conn.exec_driver_sql("SET threads = 1")
        if duplicate:
            with pytest.raises(WarehouseError, match="1 duplicate key.*orders"):
                _add_primary_keys_within_memory(engine)
            return
        assert _add_primary_keys_within_memory(engine) == ["orders"]
        pks = {
            t: sa.inspect(engine).get_pk_constraint(t)["constrained_columns"]
            for t in ("customers", "tickets", "orders")
        }
    finally:
        engine.dispose()
    assert pks == {"customers": ["customer_id"], "tickets": ["ticket_id"], "orders": []}


@pytest.mark.parametrize("extra_copies", [0, 1, 5])
def test_duplicate_keys_are_counted_across_hash_slices(tmp_path, monkeypatch, extra_copies):
    """The sliced uniqueness check counts every repeated key exactly, for a one-column key and
    a two-column key, when the table is split into many hash slices."""
    from tools.demo_data import generator

    monkeypatch.setattr(generator, "UNIQUE_CHECK_SLICE_ROWS", 7_000)  # 50k rows: 8 slices
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE one (id VARCHAR)")
            conn.exec_driver_sql("CREATE TABLE two (batch VARCHAR, seq INTEGER)")
            conn.exec_driver_sql("INSERT INTO one SELECT printf('O%09d', i) FROM range(50000) t(i)")
            # (b0, 1) and (b1, 0) share no key although each part repeats across rows.
            conn.exec_driver_sql(
                "INSERT INTO two SELECT 'b' || (i % 5), i // 5 FROM range(50000) t(i)"
            )
            # Repeat keys from different slices, and one key several times.
            for copy in range(extra_copies):
                conn.exec_driver_sql(f"INSERT INTO one VALUES ('O{copy * 9973:09d}')")
                conn.exec_driver_sql(f"INSERT INTO two VALUES ('b{copy % 5}', {copy * 977})")
            if extra_copies:
                conn.exec_driver_sql("INSERT INTO one VALUES ('O000000000')")
                conn.exec_driver_sql("INSERT INTO two VALUES ('b0', 0)")
        rows = 50_000 + extra_copies + (1 if extra_copies else 0)
        counted = {
            "one": generator._count_duplicate_keys(engine, "one", ["id"], rows),
            "two": generator._count_duplicate_keys(engine, "two", ["batch", "seq"], rows),
        }
    finally:
        engine.dispose()
    expected = extra_copies + (1 if extra_copies else 0)
    assert counted == {"one": expected, "two": expected}


@pytest.mark.parametrize("duplicate", [False, True])
def test_table_above_the_index_row_limit_is_checked_not_indexed(tmp_path, monkeypatch, duplicate):
    """A table with more rows than INDEXED_ROWS_LIMIT gets no index attempt (a failed one
    left too little memory for the check at 10M tickets); its key is checked instead."""
    from tools.demo_data import generator
    from tools.warehouse.engine import create_schema

    monkeypatch.setattr(generator, "INDEXED_ROWS_LIMIT", 1_000)
    monkeypatch.setattr(generator, "UNIQUE_CHECK_SLICE_ROWS", 700)  # 3 slices
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        create_schema(engine, defer_primary_keys=True)
        with engine.begin() as conn:
            distinct_ids = 1999 if duplicate else 2000  # 1999: the last id repeats the first
            conn.exec_driver_sql(
                "INSERT INTO orders (order_id, customer_id, product_id, ordered_at, amount, "
                f"region, source) SELECT printf('O%09d', i % {distinct_ids}), 'C00000001', "
                "'P001', TIMESTAMP '2026-01-01', 1.0, 'north', 'demo' FROM range(2000) t(i)"
            )
        if duplicate:
            with pytest.raises(WarehouseError, match="1 duplicate key.*orders"):
                generator._add_primary_keys_within_memory(engine)
            return
        assert generator._add_primary_keys_within_memory(engine) == ["orders"]
        pks = {
            t: sa.inspect(engine).get_pk_constraint(t)["constrained_columns"]
            for t in ("customers", "orders")
        }
    finally:
        engine.dispose()
    assert pks == {"customers": ["customer_id"], "orders": []}


@pytest.mark.parametrize("unindexed", [[], ["orders"]])
def test_unindexed_tables_are_recorded_and_the_file_checkpointed(tmp_path, unindexed):
    """The end of a build that skipped a key index: sp_meta names the table and the checkpoint
    still runs (it once shared the insert's transaction, which DuckDB refuses)."""
    from tools.demo_data.generator import _record_and_checkpoint
    from tools.warehouse.engine import create_schema

    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        create_schema(engine, defer_primary_keys=True)
        _record_and_checkpoint(engine, unindexed)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT value FROM sp_meta WHERE key = 'unindexed_keys'")
            ).fetchall()
    finally:
        engine.dispose()
    assert rows == ([('["orders"]',)] if unindexed else [])
    assert not (tmp_path / "w.duckdb.wal").exists()  # checkpointed: nothing left in the WAL


def test_writer_holds_one_batch_and_frees_it_once_written(tmp_path, monkeypatch):
    """While the next chunk is simulated the writer holds one batch at most: ``put`` returns
    only once the previous batch is committed, and a written batch's Arrow memory is freed
    then, not when the next batch arrives (each extra chunk held cost memory at 10M tickets)."""
    import time

    import pandas as pd
    import pyarrow as pa

    import tools.demo_data.generator as generator
    from tools.warehouse.engine import create_schema

    real_append = generator._append_arrow

    def slow_append(raw, table, arrow):
        time.sleep(0.2)  # writing slower than simulating: the case that piled batches up
        real_append(raw, table, arrow)

    monkeypatch.setattr(generator, "_append_arrow", slow_append)
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    rows, batches = 20_000, 4

    def orders(batch: int) -> pd.DataFrame:
        numbers = range(batch * rows, (batch + 1) * rows)
        return pd.DataFrame(
            {
                "order_id": [f"O{i:09d}" for i in numbers],
                "customer_id": [f"C{i % 997:08d}" for i in numbers],
                "product_id": "P001",
                "ordered_at": pd.Timestamp("2026-01-01"),
                "amount": 1.0,
                "region": "north",
                "source": "demo",
            }
        )

    def committed() -> int:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT COUNT(*) FROM orders")).scalar_one()

    try:
        create_schema(engine, defer_primary_keys=True)
        arrow_before = pa.total_allocated_bytes()
        seen = []
        with generator._BackgroundWriter(engine) as writer:
            for batch in range(batches):
                writer.put([("orders", orders(batch))])
                seen.append(committed())
            writer.flush()
            # Every frame is gone on this side; the writer must not keep the last batch.
            assert pa.total_allocated_bytes() <= arrow_before
        assert seen == [batch * rows for batch in range(batches)]
        assert committed() == batches * rows
    finally:
        engine.dispose()
