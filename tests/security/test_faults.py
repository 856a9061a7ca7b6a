"""Faults a real deployment meets, each answered with a clear message and no half-written data:
a missing, locked or corrupt warehouse file, an unreachable Chroma server, the case indexer and
the importer killed with SIGKILL mid-run. Real processes, real files, 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.paths import CFPB_SAMPLE, ROOT

TODAY = "2026-11-05"
QUESTION = "What was CSAT last month?"


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SERVICEPILOT_") or k == "SERVICEPILOT_SHARED_DATA"
    }
    env.update(
        SERVICEPILOT_DATA_DIR=str(tmp / "data"),
        SERVICEPILOT_CHROMA_DIR=str(tmp / "chroma"),
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
        ANONYMIZED_TELEMETRY="False",
    )
    env.update(extra)
    return env


def cli(tmp: Path, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=tmp,
        env=env_for(tmp, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def no_traceback(proc: subprocess.CompletedProcess) -> str:
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out[-3000:]
    return out


# -- the warehouse file --------------------------------------------------------------------


def test_missing_warehouse_names_the_file_and_how_to_build_it(tmp_path: Path) -> None:
    proc = cli(tmp_path, "ask", QUESTION, "--today", TODAY, "--db", "missing.duckdb")
    no_traceback(proc)
    assert proc.returncode == 3
    assert str(tmp_path / "missing.duckdb") in proc.stderr
    assert "servicepilot demo-data" in proc.stderr
    assert not (tmp_path / "missing.duckdb").exists()  # asking never creates a warehouse


@pytest.fixture()
def warehouse_copy(demo_warehouse_path: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse_path, copy)
    return copy


LOCK_HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])  # read-write: holds the file lock
con.execute("CREATE TABLE IF NOT EXISTS lock_probe(x INTEGER)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.fixture()
def locked_warehouse(warehouse_copy: Path):
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(warehouse_copy), "60"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield warehouse_copy
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)


def test_locked_warehouse_gives_a_clear_message(locked_warehouse: Path, tmp_path: Path) -> None:
    proc = cli(tmp_path, "ask", QUESTION, "--today", TODAY, "--db", str(locked_warehouse))
    out = no_traceback(proc)
    assert "lock" in out.lower() and str(locked_warehouse) in out, out
    assert "69." not in out  # no number is made up while the file is unreadable


def test_locked_warehouse_exit_code_is_3(locked_warehouse: Path, tmp_path: Path) -> None:
    proc = cli(tmp_path, "ask", QUESTION, "--today", TODAY, "--db", str(locked_warehouse))
    assert proc.returncode == 3


@pytest.fixture()
def corrupt_warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "corrupt.duckdb"
    path.write_bytes(np.random.default_rng(3).bytes(256 * 1024))
    return path


def test_corrupt_warehouse_gives_a_clear_message(corrupt_warehouse: Path, tmp_path: Path) -> None:
    proc = cli(tmp_path, "ask", QUESTION, "--today", TODAY, "--db", str(corrupt_warehouse))
    out = no_traceback(proc)
    assert str(corrupt_warehouse) in out and "not a valid DuckDB database" in out, out
    assert corrupt_warehouse.stat().st_size == 256 * 1024  # left untouched


def test_corrupt_warehouse_exit_code_is_3(corrupt_warehouse: Path, tmp_path: Path) -> None:
    proc = cli(tmp_path, "ask", QUESTION, "--today", TODAY, "--db", str(corrupt_warehouse))
    assert proc.returncode == 3


# -- Chroma server unavailable -------------------------------------------------------------


def test_chroma_server_down_gives_a_clear_message(tmp_path: Path) -> None:
    port = free_port()
    proc = cli(
        tmp_path,
        "cases",
        "search",
        "热水器漏水了",
        SERVICEPILOT_CHROMA_HOST="127.0.0.1",
        SERVICEPILOT_CHROMA_PORT=str(port),
    )
    no_traceback(proc)
    assert proc.returncode == 2
    assert f"Cannot open the Chroma store at http://127.0.0.1:{port}" in proc.stderr
    assert "chroma run" in proc.stderr and "SERVICEPILOT_CHROMA_HOST" in proc.stderr


@pytest.fixture()
def api_without_chroma(demo_warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from datetime import date

    from assistant.answer.cases import CaseSearcher
    from assistant.app import build_app

    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SERVICEPILOT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("SERVICEPILOT_CHROMA_PORT", str(free_port()))
    app = build_app(
        None,
        "test",
        warehouse=demo_warehouse_url,
        today=date.fromisoformat(TODAY),
        cases=CaseSearcher(collection="cases"),
    )
    yield app.api
    app.close()


def test_offline_planner_keeps_answering_metrics_when_chroma_is_down(api_without_chroma) -> None:
    api = api_without_chroma
    case = api.ask_dict("找相似案例：热水器漏水了", "executive")
    assert case["kind"] == "case_search" and case["answer"]  # answered, not raised
    for question in ("上个月华东区的客户满意度是多少？", "What was ticket volume last month?"):
        got = api.ask_dict(question, "executive")
        assert got["kind"] == "metric" and got["value"] is not None, got["answer"]


def test_chat_says_the_chroma_server_is_unreachable(api_without_chroma) -> None:
    got = api_without_chroma.ask_dict("Find similar cases: my water heater leaks", "executive")
    assert "Chroma" in got["answer"] and "127.0.0.1" in got["answer"], got["answer"]


# -- the case indexer killed with SIGKILL ----------------------------------------------------
# tests/test_cases_index.py covers an in-process exception mid-index; this is a real SIGKILL.

INDEXER = """
import sys
from tools.cases.indexer import index_cases
from tools.cases.records import CaseRecord
from tools.cases.store import open_store

n = int(sys.argv[1])
records = [
    CaseRecord(
        f"K{i:05d}",
        f"第{i}号投诉：洗衣机脱水时噪音很大，型号 WM{i % 37}，已经报修{i % 5 + 1}次",
        f"更换减震器（案例{i}）",
        {"region": ["east", "north", "south"][i % 3], "resolved": True, "status": "resolved"},
    )
    for i in range(n)
]
def report(batch_no):
    print(f"batch {batch_no}", flush=True)
store = open_store("killed", create=True)
index_cases(store, records, batch_size=int(sys.argv[2]), on_batch=report)
print("done", flush=True)
"""
INDEX_N = 400


def test_indexer_sigkill_then_restart_has_no_duplicates(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    killed = subprocess.Popen(
        [sys.executable, "-c", INDEXER, str(INDEX_N), "20"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert killed.stdout is not None
    batches = 0
    for line in killed.stdout:  # bounded: the process ends after INDEX_N / 20 batches
        if line.startswith("batch"):
            batches += 1
        if batches >= 5:
            os.kill(killed.pid, signal.SIGKILL)
            break
    killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL, "the indexer finished before it was killed"

    restarted = subprocess.run(
        [sys.executable, "-c", INDEXER, str(INDEX_N), "20"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    assert restarted.stdout.strip().endswith("done")

    from tools.cases.store import open_store
    from tools.settings import load_settings

    settings = load_settings(data_dir=tmp_path / "data", chroma_dir=tmp_path / "chroma")
    store = open_store("killed", settings=settings)
    ids = store.collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids)) == INDEX_N == store.count()
    assert sorted(ids) == [f"K{i:05d}" for i in range(INDEX_N)]


# -- the importer killed with SIGKILL --------------------------------------------------------

IMPORT_ROWS = 200_000


def big_cfpb_csv(path: Path, rows: int) -> None:
    """The real CFPB sample resampled to ``rows`` rows with unique Complaint IDs."""
    sample = pd.read_csv(CFPB_SAMPLE, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(11)
    frame = sample.iloc[rng.integers(0, len(sample), rows)].copy()
    frame["Complaint ID"] = [str(20_000_000 + i) for i in range(rows)]
    frame.to_csv(path, index=False)


def ticket_count(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        return (
            con.execute("SELECT count(*) FROM tickets").fetchone()[0] if "tickets" in tables else 0
        )
    finally:
        con.close()


def test_import_sigkill_leaves_nothing_or_everything(tmp_path: Path) -> None:
    csv = tmp_path / "complaints.csv"
    big_cfpb_csv(csv, IMPORT_ROWS)
    db = tmp_path / "warehouse.duckdb"
    args = [sys.executable, "-m", "assistant.cli", "import", str(csv), "--mapping", "cfpb"]
    proc = subprocess.Popen(
        [*args, "--db", str(db)],
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # kill once rows are being written (the file grows past its empty size), bounded wait
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists() and db.stat().st_size > 4_000_000:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the import ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert ticket_count(db) in (0, IMPORT_ROWS)  # all or nothing, never some
    again = subprocess.run(
        [*args, "--db", str(db), "--json"],
        cwd=tmp_path,
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert ticket_count(db) == IMPORT_ROWS
