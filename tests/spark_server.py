"""Start a throw-away Spark Connect server on 127.0.0.1 for the Spark tests, stop it by PID.

Uses the Spark that ships inside the pyspark package (the ``spark`` extra) and a Java 17 runtime
(Debian's openjdk-17-jre-headless, installed by .ci/run). One server serves the whole test
session: it takes ~15 s to start.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def find_spark_home() -> Path | None:
    """The Spark distribution inside the installed pyspark package, when Java is there too."""
    if shutil.which("java") is None:
        return None
    try:
        import pyspark
    except ImportError:
        return None
    home = Path(pyspark.__file__).parent
    return home if (home / "bin" / "spark-class").exists() and (home / "jars").is_dir() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SparkConnectServer:
    remote: str  # host:port
    pid: int
    log: Path

    def stop(self) -> None:
        try:
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(30):
                os.kill(self.pid, 0)
                time.sleep(0.1)
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_spark_connect(timeout_s: float = 120.0) -> SparkConnectServer:
    home = find_spark_home()
    if home is None:
        raise FileNotFoundError("pyspark (the spark extra) or a Java runtime is missing")
    port = _free_port()
    log = Path(tempfile.mkdtemp(prefix="sp-spark-")) / "server.log"
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"}
    # spark-class execs java, so the process's PID is the server's.
    proc = subprocess.Popen(
        [
            "bash",
            str(home / "bin" / "spark-class"),
            "org.apache.spark.deploy.SparkSubmit",
            "--class",
            "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--master",
            "local[2]",
            "--driver-memory",
            "1g",
            "--conf",
            "spark.connect.grpc.binding.address=127.0.0.1",
            "--conf",
            f"spark.connect.grpc.binding.port={port}",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.driver.bindAddress=127.0.0.1",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.sql.shuffle.partitions=4",
            "spark-internal",
        ],
        stdout=open(log, "wb"),  # noqa: SIM115 - the server outlives this function
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Spark Connect exited early:\n{log.read_text()[-4000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return SparkConnectServer(f"127.0.0.1:{port}", proc.pid, log)
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"Spark Connect did not start in {timeout_s:g}s:\n{log.read_text()[-4000:]}")
