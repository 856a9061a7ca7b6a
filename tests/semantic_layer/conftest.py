"""Fixtures for semantic-layer tests: a read-only engine on the shared demo warehouse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.semantic_layer.reference import enrich, load_tables


@pytest.fixture(scope="session")
def demo_engine(demo_warehouse_url: str) -> Iterator[sa.Engine]:
    from tools.warehouse.engine import make_engine

    engine = make_engine(demo_warehouse_url, read_only=True)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_tables(demo_engine: sa.Engine) -> dict:
    return enrich(load_tables(demo_engine))
