"""`servicepilot warehouse export --format parquet` and `demo-data --parquet`: the contract tables
as Parquet files that Spark and any other engine read, with the same rows."""

from __future__ import annotations

import json

import duckdb
import pytest
from click.testing import CliRunner

from assistant.cli import main
from tools.warehouse.schema import CONTRACT_TABLES


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def exported(demo_warehouse_url, tmp_path_factory):
    directory = tmp_path_factory.mktemp("export")
    result = _run("warehouse", "export", str(directory), "--db", demo_warehouse_url, "--json")
    assert result.exit_code == 0, result.output
    return directory, json.loads(result.output)


def test_every_contract_table_is_written_with_its_rows(exported, demo_warehouse_url):
    from tools.warehouse.engine import make_engine

    directory, summary = exported
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        f"{t}.parquet" for t in CONTRACT_TABLES
    )
    # Through the project's engine: other tests' pooled read-only connections to this file
    # stay open, and DuckDB refuses a second connection with different settings.
    engine = make_engine(demo_warehouse_url, read_only=True)
    raw = engine.raw_connection()
    con = raw.driver_connection
    try:
        for table in CONTRACT_TABLES:
            source = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            written = duckdb.sql(f"SELECT count(*) FROM '{directory}/{table}.parquet'").fetchone()
            assert summary["rows"][table] == source == written[0], table
        # Same values, not only counts: a checksum over the survey scores and ticket times.
        check = (
            "SELECT sum(csat), sum(nps), count(responded_at), max(responded_at) FROM {}",
            "SELECT sum(handle_minutes), max(created_at), count(resolved_at) FROM {}",
        )
        for sql, table in zip(check, ("surveys", "tickets"), strict=True):
            expected = con.execute(sql.format(table)).fetchone()
            got = duckdb.sql(sql.format(f"'{directory}/{table}.parquet'")).fetchone()
            assert got == expected, table
    finally:
        raw.close()
        engine.dispose()


def test_a_second_export_needs_replace(exported, demo_warehouse_url):
    directory, _ = exported
    before = (directory / "tickets.parquet").stat().st_mtime_ns
    result = CliRunner().invoke(
        main, ["warehouse", "export", str(directory), "--db", demo_warehouse_url]
    )
    assert result.exit_code != 0
    assert "Pass --replace to overwrite them" in result.output
    assert (directory / "tickets.parquet").stat().st_mtime_ns == before
    again = _run("warehouse", "export", str(directory), "--db", demo_warehouse_url, "--replace")
    assert again.exit_code == 0, again.output
    assert not (directory / ".exporting").exists()


def test_demo_data_writes_the_parquet_layout(tmp_path):
    db, out = tmp_path / "w.duckdb", tmp_path / "pq"
    result = _run(
        "demo-data", "--tickets", "1000", "--seed", "3", "--end", "2026-10-31",
        "--db", str(db), "--parquet", str(out), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["parquet"]["rows"]["tickets"] == summary["rows"]["tickets"] == 1000
    assert duckdb.sql(f"SELECT count(*) FROM '{out}/tickets.parquet'").fetchone() == (1000,)


def test_commands_that_need_sqlalchemy_say_spark_is_metrics_only(tmp_path):
    result = CliRunner().invoke(main, ["warehouse", "status", "--db", f"spark+local://{tmp_path}"])
    assert result.exit_code != 0
    assert "is a Spark warehouse: Spark runs the certified metric queries" in result.output
    assert "Traceback" not in result.output
