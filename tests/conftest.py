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
