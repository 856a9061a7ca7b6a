"""A real ServicePilot web server on 127.0.0.1 (free port) over the demo warehouse, with a
small similar-case index built beside it; stopped by PID at the end of the session."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.paths import ROOT

TODAY = "2026-11-22"
INDEX_CASES = 120
ARTIFACTS = ROOT / "test-artifacts" / "ui"
INDEX_SCRIPT = """
import itertools, sys
from tools.cases.indexer import index_cases
from tools.cases.sources import warehouse_records
from tools.cases.store import open_store
store = open_store(None, create=True)
index_cases(store, itertools.islice(warehouse_records(sys.argv[1]), int(sys.argv[2])))
"""


def wait_until_serving(
    url: str,
    process: subprocess.Popen,
    log: Path,
    timeout_s: float = 240,  # a server (and any worker processes) on a busy machine
    also_kill: tuple[subprocess.Popen, ...] = (),
) -> None:
    """Return once ``url`` answers HTTP; fail the test with the log's tail if ``process``
    exits or ``timeout_s`` passes (killing it and ``also_kill``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url + "/config", timeout=2):
                return
        except urllib.error.HTTPError:  # 401 before login: the server is up
            return
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                for proc in (process, *also_kill):
                    proc.kill()
                pytest.fail(f"server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    startup_s: float
    env: dict[str, str]
    log: Path
    index_process: subprocess.Popen

    def wait_for_index(self, timeout: float = 150) -> None:
        code = self.index_process.wait(timeout=timeout)
        assert code == 0, f"case indexing failed; see {self.log.parent / 'index.log'}"


def _env(tmp: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SERVICEPILOT_TODAY=TODAY,
        SERVICEPILOT_DATA_DIR=str(tmp / "data"),
        SERVICEPILOT_CHROMA_DIR=str(tmp / "chroma"),
        SERVICEPILOT_WAREHOUSE_URL=url,
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="session")
def ui_server(
    demo_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("ui")
    env = _env(tmp, demo_warehouse_url)
    index_log = tmp / "index.log"
    with index_log.open("w") as out:
        index_process = subprocess.Popen(
            [sys.executable, "-c", INDEX_SCRIPT, demo_warehouse_url, str(INDEX_CASES)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    port = free_port()
    log = tmp / "serve.log"
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "assistant.commands.serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                # Answers in the server process: the worker pool has its own test
                # (tests/test_serve_workers.py); N more processes would slow every start.
                "--workers",
                "0",
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, process, log, also_kill=(index_process,))
    startup = time.perf_counter() - started
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.txt").write_text(f"startup_s {startup:.2f}\n")
    server = Server(url, process, startup, env, log, index_process)
    try:
        yield server
    finally:
        for proc in (process, index_process):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
