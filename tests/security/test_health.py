"""Health (issue 21): the warehouse moved away or overwritten under a running server is
noticed (identity check, /health, UI banner text), and ``servicepilot doctor`` checks the
warehouse, the case index, the model and the disk."""

from __future__ import annotations

import asyncio
import json
import shutil
import time

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from assistant.commands.doctor import command as doctor_command
from assistant.ui.health import HealthMiddleware, banner_text, health_payload
from tools.health import (
    Check,
    WarehouseWatch,
    check_disk,
    check_index,
    check_model,
    check_warehouse,
    warehouse_identity,
)
from tools.warehouse.engine import duckdb_path, make_engine


@pytest.fixture
def warehouse_copy(demo_warehouse_url, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(duckdb_path(demo_warehouse_url), path)
    return path


def test_a_warehouse_moved_away_or_overwritten_is_noticed(warehouse_copy, tmp_path):
    url = f"duckdb:///{warehouse_copy}"
    watch = WarehouseWatch(url, ttl_s=0)
    assert watch.check().status == "ok"
    assert check_warehouse(url, warehouse_identity(url)).status == "ok"

    moved = tmp_path / "moved.duckdb"
    warehouse_copy.rename(moved)
    gone = watch.check()
    assert gone.status == "fail" and "is gone" in gone.detail

    shutil.copy(moved, warehouse_copy)  # the same content, another file
    replaced = watch.check()
    assert replaced.status == "fail" and "replaced" in replaced.detail

    engine = make_engine(f"duckdb:///{moved}")
    with engine.begin() as conn:  # the content changes too
        conn.execute(sa.text("DELETE FROM tickets WHERE region = 'east'"))
    engine.dispose()
    shutil.copy(moved, warehouse_copy)
    changed = watch.check()
    assert changed.status == "fail" and "content changed" in changed.detail
    assert "Restart the server" in changed.detail
    assert "数据仓库已不可用或已被替换" in banner_text(changed)
    assert banner_text(Check("warehouse", "ok", "fine")) == ""


def test_the_watch_caches_its_check(warehouse_copy):
    watch = WarehouseWatch(f"duckdb:///{warehouse_copy}", ttl_s=3600)
    assert watch.check().status == "ok"
    warehouse_copy.unlink()
    assert watch.check().status == "ok"  # cached for ttl_s: a probe storm costs one query


def test_not_a_warehouse_fails(tmp_path):
    engine = make_engine(f"duckdb:///{tmp_path / 'x.duckdb'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (a INT)"))
    engine.dispose()
    check = check_warehouse(f"duckdb:///{tmp_path / 'x.duckdb'}")
    assert check.status == "fail" and "cannot be read" in check.detail


def test_index_model_and_disk_checks(tmp_path):
    assert check_index(lambda: 5, lambda: 5).status == "ok"
    stale = check_index(lambda: 4, lambda: 5)
    assert stale.status == "warn" and "cases index --from-warehouse" in stale.detail

    def missing() -> int:
        raise LookupError("collection 'cases' does not exist")

    assert check_index(missing, lambda: 5).detail == (
        "no case index: collection 'cases' does not exist"
    )
    assert "384 dimensions" in check_model(lambda: np.zeros((1, 384))).detail

    def broken() -> None:
        raise OSError("config.json missing")

    assert check_model(broken).status == "fail"
    assert check_disk(tmp_path / "not" / "yet").status == "ok"
    assert check_disk(tmp_path, min_free_bytes=1 << 62).status == "fail"


def _call(middleware: HealthMiddleware, path: str) -> tuple[int | None, bytes]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(middleware({"type": "http", "path": path}, None, send))
    status = sent[0].get("status") if sent else None
    return status, b"".join(m.get("body", b"") for m in sent)


def test_health_endpoint_answers_without_the_app_and_without_details():
    checks = [Check("warehouse", "fail", "the DuckDB file /srv/secret.duckdb is gone")]
    passed: list[str] = []

    async def app(scope, receive, send) -> None:
        passed.append(scope["path"])

    health = HealthMiddleware(app, lambda: checks)
    status, body = _call(health, "/health")
    assert status == 503 and json.loads(body) == {
        "status": "fail",
        "checks": {"warehouse": "fail"},
    }
    assert _call(health, "/config") == (None, b"") and passed == ["/config"]
    assert health_payload([Check("warehouse", "ok", "")]) == (
        200,
        {"status": "ok", "checks": {"warehouse": "ok"}},
    )


def test_doctor_checks_everything(demo_warehouse_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path))
    started = time.perf_counter()
    ran = CliRunner().invoke(doctor_command, ["--db", demo_warehouse_url, "--json"])
    assert ran.exit_code == 0, ran.output
    checks = {c["name"]: c for c in json.loads(ran.stdout)["checks"]}
    assert [checks[n]["status"] for n in ("warehouse", "index", "model", "disk")] == [
        "ok",
        "warn",  # no case index in this data directory
        "ok",
        "ok",
    ]
    assert "fingerprint" in checks["warehouse"]["detail"]
    assert time.perf_counter() - started < 120
    gone = CliRunner().invoke(doctor_command, ["--db", str(tmp_path / "none.duckdb")])
    assert gone.exit_code == 3 and "FAIL warehouse" in gone.output
