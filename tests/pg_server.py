"""Start a throw-away PostgreSQL server on 127.0.0.1 for portability tests, stop it by PID.

Uses Debian's postgresql binaries (installed by .ci/run). Tests that need it skip with a
clear reason when the binaries are missing, so a developer without PostgreSQL can still run
the rest; CI always has them.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def find_pg_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    url: str
    pid: int
    data_dir: Path

    def stop(self) -> None:
        try:
            os.kill(self.pid, signal.SIGINT)  # "fast shutdown"
            for _ in range(100):
                os.kill(self.pid, 0)
                time.sleep(0.1)
        except ProcessLookupError:
            pass
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start_postgres() -> PostgresServer:
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise FileNotFoundError("PostgreSQL binaries not found (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="sp-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    subprocess.run(
        [
            *as_user,
            str(pg_bin / "initdb"),
            "-D",
            str(data),
            "-U",
            "sp",
            "-A",
            "trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = root / "server.log"
    proc = subprocess.Popen(
        [
            *as_user,
            str(pg_bin / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={root}",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ],
        stdout=open(log, "wb"),  # noqa: SIM115 - the server outlives this function
        stderr=subprocess.STDOUT,
    )
    for _ in range(200):
        ready = subprocess.run(
            [str(pg_bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
            capture_output=True,
        )
        if ready.returncode == 0:
            break
        if proc.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited early:\n{log.read_text()}")
        time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(f"PostgreSQL did not start:\n{log.read_text()}")
    subprocess.run(
        [
            *as_user,
            str(pg_bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "sp",
            "servicepilot",
        ],
        check=True,
        capture_output=True,
    )
    # runuser execs postgres, so proc.pid is the postmaster's PID.
    return PostgresServer(
        url=f"postgresql+psycopg://sp@127.0.0.1:{port}/servicepilot", pid=proc.pid, data_dir=root
    )
