"""Shared fixture: every alert over the demo warehouse's window (computed once)."""

from __future__ import annotations

from datetime import date

import pytest

from tools.monitoring.alerts import Alert, detect_alerts
from tools.warehouse.engine import make_engine

DEMO_END = date(2026, 10, 31)


@pytest.fixture(scope="session")
def demo_alerts(demo_warehouse_url: str) -> list[Alert]:
    engine = make_engine(demo_warehouse_url, read_only=True)
    try:
        return detect_alerts(engine, date(2024, 11, 1), date(2026, 11, 1), explain=False)
    finally:
        engine.dispose()
