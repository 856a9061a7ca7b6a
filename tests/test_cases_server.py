"""Chroma server mode: index and search against a real `chroma run` on 127.0.0.1, started
and stopped by this test (by PID)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.cases.embedding import load_model
from tools.cases.indexer import index_cases
from tools.cases.records import CaseRecord
from tools.cases.search import AccessScope, search_cases
from tools.cases.store import ChromaTarget, open_store
from tools.settings import load_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _chroma_bin() -> str | None:
    local = Path(sys.executable).with_name("chroma")
    return str(local) if local.exists() else shutil.which("chroma")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    binary = _chroma_bin()
    if binary is None:
        pytest.skip("the `chroma` CLI is not installed")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen(
        [binary, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"chroma run exited: {(data / 'server.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma run did not listen within 60 s")
        yield "127.0.0.1", port
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def test_index_and_search_against_a_chroma_server(chroma_server, tmp_path: Path) -> None:
    host, port = chroma_server
    load_model()
    settings = load_settings(data_dir=tmp_path, chroma_host=host, chroma_port=port)
    assert ChromaTarget.from_settings(settings).host == host
    store = open_store("server-cases", settings=settings, create=True)
    records = [
        CaseRecord(
            "S1",
            "热水器不出热水，我电话13812345678",
            "更换温控阀",
            {"region": "east", "resolved": True, "root_cause": "batch_defect"},
        ),
        CaseRecord(
            "S2",
            "热水器忽冷忽热，同一批都有问题",
            "召回换新",
            {"region": "east", "resolved": True, "root_cause": "batch_defect"},
        ),
        CaseRecord(
            "S3",
            "快递一直不到，物流不更新",
            "催件",
            {"region": "north", "resolved": True, "root_cause": "carrier_delay"},
        ),
    ]
    assert index_cases(store, records).added == 3
    assert index_cases(store, records).unchanged == 3
    # A second, independent opening (another process would do the same) sees the data.
    again = open_store("server-cases", settings=settings)
    assert again.count() == 3
    hits = search_cases(again, "热水器不出热水", k=3, access=AccessScope.of(region=["east"]))
    assert [h.case_id for h in hits][:1] == ["S1"]
    assert {h.metadata["region"] for h in hits} == {"east"}
    stored = again.collection.get(ids=["S1"], include=["documents"])["documents"][0]
    assert "13812345678" not in stored and "[PHONE]" in stored
