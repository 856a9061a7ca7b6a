"""``servicepilot serve --workers 2``: one web server, answers from two worker processes.

A real server on 127.0.0.1 (free port) over the shared demo warehouse; concurrent chat
sessions of different roles through ``gradio_client`` (the browser's API) get the same
numbers as the same questions answered in this process; both workers do work; SIGTERM to the
server stops every process it started (checked by PID).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.paths import ROOT
from tests.ui.conftest import TODAY, _env, free_port, wait_until_serving

WORKERS = 2
SESSIONS = (("exec", "exec-demo", "executive"), ("east", "east-demo", "east_manager"))
QUESTIONS = (
    "上个月华东区的客户满意度是多少？",
    "What was CSAT by region last month?",
    "上个月各渠道的工单量",
    "What was the complaint volume by category last month?",
    "Why did complaints rise last month?",
)
READY = re.compile(r"pid (\d+), \d+ worker processes \(pids ([\d, ]+)\)")


@dataclass
class WorkerServer:
    url: str
    process: subprocess.Popen
    log: Path
    worker_pids: list[int]


def _alive(pid: int) -> bool:
    """Running (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(p) for p in (task / "children").read_text().split()}
        except FileNotFoundError:
            continue
    return found


def _cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


@pytest.fixture(scope="module")
def worker_server(demo_warehouse_url: str, workers_tmp: Path) -> Iterator[WorkerServer]:
    env = _env(workers_tmp, demo_warehouse_url)
    port = free_port()
    log = workers_tmp / "serve.log"
    cmd = [sys.executable, "-m", "assistant.commands.serve", "--port", str(port)]
    with log.open("w") as out:
        process = subprocess.Popen(
            [*cmd, "--workers", str(WORKERS)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, process, log)
    found = READY.search(log.read_text())
    assert found, f"no ready line naming the workers:\n{log.read_text()[-2000:]}"
    assert int(found.group(1)) == process.pid
    server = WorkerServer(url, process, log, [int(p) for p in found.group(2).split(", ")])
    try:
        yield server
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def workers_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workers")


def test_concurrent_sessions_get_the_numbers_of_one_process(
    worker_server: WorkerServer, demo_warehouse_url: str, workers_tmp: Path
) -> None:
    from gradio_client import Client

    from assistant.app import build_app

    pids = worker_server.worker_pids
    assert len(pids) == WORKERS and all(_alive(p) for p in pids)
    assert set(pids) <= _children(worker_server.process.pid)
    before = {pid: _cpu_ticks(pid) for pid in pids}

    def session(login: tuple[str, str, str]) -> list[dict]:
        client = Client(worker_server.url, auth=login[:2], verbose=False)
        return [client.predict(q, "", api_name="/ask") for q in QUESTIONS * 2]

    with ThreadPoolExecutor(len(SESSIONS) * 2) as pool:
        served = list(pool.map(session, SESSIONS * 2))

    app = build_app(None, "test", warehouse=demo_warehouse_url, today=date.fromisoformat(TODAY))
    try:
        wanted = {
            (role, q): app.api.ask_dict(q, role, user=user)
            for user, _, role in SESSIONS
            for q in QUESTIONS
        }
        for (_, _, role), answers in zip(SESSIONS * 2, served, strict=True):
            for question, got in zip(QUESTIONS * 2, answers, strict=True):
                want = wanted[role, question]
                assert got["kind"] == want["kind"], question
                assert got["value"] == want["value"], (role, question)
                assert got.get("rows") == want.get("rows"), (role, question)
                assert got["answer"] == want["answer"], (role, question)
    finally:
        app.close()
    east = [a for (_, _, role), s in zip(SESSIONS * 2, served, strict=True) for a in s]
    assert any(a.get("value") is not None for a in east)  # a single number came back
    # Both workers answered: each used CPU after start-up.
    assert all(_cpu_ticks(pid) > before[pid] for pid in pids), "a worker did no work"
    # The server audited every answer the workers gave (one writer of the operations store).
    ids = [a["audit_id"] for answers in served for a in answers]
    assert all(ids) and len(set(ids)) == len(ids)
    from tools.audit import AuditLog, OpsStore

    store = OpsStore(f"duckdb:///{workers_tmp / 'data' / 'ops.duckdb'}")
    try:
        stored = {row["audit_id"] for row in AuditLog(store).recent(10_000)}
    finally:
        store.close()
    assert set(ids) <= stored


def test_sigterm_stops_the_server_and_every_worker(worker_server: WorkerServer) -> None:
    process = worker_server.process
    started = _children(process.pid)  # the workers and multiprocessing's resource tracker
    assert set(worker_server.worker_pids) <= started
    os.kill(process.pid, signal.SIGTERM)
    process.wait(timeout=120)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in started if _alive(pid)], worker_server.log.read_text()[-2000:]


def test_an_error_in_a_worker_reaches_the_server_with_its_text() -> None:
    """An error class that pickle cannot rebuild (its __init__ takes other arguments) comes
    back as its nearest base class with the same message, so the user reads the same text."""
    import pickle

    from assistant.workers import _portable
    from semantic_layer.catalog_loader import default_catalog
    from semantic_layer.errors import SemanticLayerError

    with pytest.raises(SemanticLayerError) as caught:
        default_catalog().metric("csta")
    error = caught.value
    with pytest.raises(TypeError):
        pickle.loads(pickle.dumps(error))
    back = pickle.loads(pickle.dumps(_portable(error)))
    assert isinstance(back, SemanticLayerError)
    assert str(back) == str(error) and "Did you mean" in str(back)
    plain = ValueError("bad argument")
    assert _portable(plain) is plain


def test_the_default_is_one_worker_per_core_from_two() -> None:
    """Measured on a quiet 2-core machine: the pool's p95 was 0.58× the single process's at
    20 sessions (docs/scale.md); one core has nothing to spread over."""
    from assistant.workers import POOL_MIN_CORES, default_workers

    assert default_workers(1) == 0 and default_workers(POOL_MIN_CORES - 1) == 0
    assert default_workers(2) == 2  # measured faster on a quiet 2-core machine
    assert default_workers(POOL_MIN_CORES) == POOL_MIN_CORES and default_workers(16) == 16


def test_background_lane_runs_at_low_priority_and_never_holds_up_the_shutdown() -> None:
    """Work at low priority may take long under load: closing the lane (and the
    server's exit) ends its process at once instead of waiting for the call."""
    import threading

    from assistant.workers import BACKGROUND_NICE, BackgroundLane

    lane = BackgroundLane()
    assert lane.call(os.nice, 0) == BACKGROUND_NICE > 0
    # Linux: the idle class, so it runs only on a core that nothing else wants
    assert lane.call(os.sched_getscheduler, 0) == os.SCHED_IDLE
    (pid,) = _children(os.getpid()) & {p.pid for p in lane._pool._pool}
    stuck = threading.Thread(target=lambda: _ignore(lane.call, time.sleep, 60), daemon=True)
    stuck.start()
    time.sleep(0.5)
    started = time.monotonic()
    lane.close()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid) and time.monotonic() - started < 10


def policy_after(seconds: float) -> tuple[int, int]:
    """(scheduling class, nice) of the process after ``seconds`` without using the CPU."""
    time.sleep(seconds)
    return os.sched_getscheduler(0), os.nice(0)


def test_background_work_starved_in_the_idle_class_runs_again_at_nice() -> None:
    """A call whose idle-class process gets no CPU (here: it sleeps, as it would when no core
    is ever free) is run again in a fresh process at BACKGROUND_NICE, so the quality scan
    still ends under constant use; the next call is in the idle class again."""
    from assistant.workers import BACKGROUND_NICE, BackgroundLane

    lane = BackgroundLane(starved_after_s=1.0, starved_cpu_s=0.5)
    try:
        assert lane.call(policy_after, 0) == (os.SCHED_IDLE, BACKGROUND_NICE)  # warm process
        started = time.monotonic()
        assert lane.call(policy_after, 2.0) == (os.SCHED_OTHER, BACKGROUND_NICE)
        assert lane.rerun == 1 and 3.0 <= time.monotonic() - started < 15
        assert lane.call(policy_after, 0) == (os.SCHED_IDLE, BACKGROUND_NICE)
        assert lane.rerun == 1
    finally:
        lane.close()


def _ignore(fn, *args) -> None:
    with contextlib.suppress(Exception):
        fn(*args)
