"""Shared fixtures: the demo warehouse `make run` ships (200k tickets, seed 42) and every alert
over its window (computed once).

Monitoring is judged at the shipped size: at the 40k tickets most tests use, the narrow planted
facts are 9-14 complaints in their cells, which no detector separates from noise across 343
region x product line x category cells without also firing on noise.
"""

from __future__ import annotations

from datetime import date

import pytest

from semantic_layer.catalog_loader import default_catalog
from tools.monitoring.alerts import Alert, detect_alerts
from tools.warehouse.engine import make_engine

DEMO_END = date(2026, 10, 31)
SHIPPED_TICKETS = 200_000  # Makefile DEMO_TICKETS
SHIPPED_SEED = 42  # Makefile demo-data --seed


@pytest.fixture(scope="session")
def shipped_warehouse_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tools.demo_data.generator import generate_demo_warehouse

    path = tmp_path_factory.mktemp("shipped") / "warehouse.duckdb"
    url = f"duckdb:///{path}"
    generate_demo_warehouse(url, tickets=SHIPPED_TICKETS, seed=SHIPPED_SEED, end=DEMO_END)
    return url


@pytest.fixture(scope="session")
def demo_alerts(shipped_warehouse_url: str) -> list[Alert]:
    engine = make_engine(shipped_warehouse_url, read_only=True)
    try:
        return detect_alerts(
            engine, date(2024, 11, 1), date(2026, 11, 1), catalog=default_catalog(), explain=False
        )
    finally:
        engine.dispose()
