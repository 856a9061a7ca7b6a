"""Shared fixtures: real DuckDB warehouses and a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.pg_server import find_pg_bin, start_postgres

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL server started for this test session (127.0.0.1, temp dir)."""
    if find_pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries missing in CI: .ci/run must install postgresql")
        pytest.skip("PostgreSQL not installed (apt-get install postgresql); CI runs this")
    server = start_postgres()
    try:
        yield server.url
    finally:
        server.stop()


# The demo warehouse most tests share: small enough to build in seconds, large enough that
# every planted fact is visible. Tests must not write to it.
DEMO_TICKETS = 40_000
DEMO_SEED = 7
DEMO_END = "2026-10-31"


@pytest.fixture(scope="session")
def demo_warehouse_path(tmp_path_factory: pytest.TempPathFactory):
    from datetime import date

    from tools.demo_data.generator import generate_demo_warehouse

    path = tmp_path_factory.mktemp("demo") / "warehouse.duckdb"
    generate_demo_warehouse(
        f"duckdb:///{path}", tickets=DEMO_TICKETS, seed=DEMO_SEED, end=date.fromisoformat(DEMO_END)
    )
    return path


@pytest.fixture(scope="session")
def demo_warehouse_url(demo_warehouse_path) -> str:
    """SQLAlchemy URL of the shared demo warehouse. Open it only with
    ``make_engine(url, read_only=True)``: DuckDB refuses in-process connections to one file
    with different settings."""
    return f"duckdb:///{demo_warehouse_path}"


@pytest.fixture(scope="session")
def spark_connect_remote() -> Iterator[str]:
    """host:port of a Spark Connect server started for this test session (127.0.0.1)."""
    from tests.spark_server import find_spark_home, start_spark_connect

    if find_spark_home() is None:
        if os.environ.get("CI"):
            pytest.fail(
                "pyspark or Java missing in CI: .ci/run must install the spark extra and "
                "openjdk-17-jre-headless"
            )
        pytest.skip("pyspark (pip install '.[spark]') or Java 17 not installed; CI runs this")
    server = start_spark_connect()
    try:
        yield server.remote
    finally:
        server.stop()
