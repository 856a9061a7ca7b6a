"""Reading the case index while another process writes it: searches fail with a clear
"being written" error and a why-analysis drops only its themes, with a note (real Chroma, a real
writer process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from chromadb.errors import InternalError

from tools.cases.indexer import index_cases
from tools.cases.records import CaseRecord
from tools.cases.search import search_cases
from tools.cases.store import open_store, read_index
from tools.cases.why import _grown_themes
from tools.errors import CaseIndexBusy
from tools.settings import load_settings

# Upserts batches of vectors into the collection until told to stop, like an indexing run.
WRITER = """
import sys, time
import chromadb, numpy as np
from chromadb.config import Settings
client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))
col = client.get_collection(sys.argv[2])
rng = np.random.default_rng(0)
print("writing", flush=True)
n, end = 0, time.time() + float(sys.argv[3])
while time.time() < end:
    vectors = rng.normal(size=(50, 384)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    col.upsert(
        ids=[f"W{n + k}" for k in range(50)],
        embeddings=vectors.tolist(),
        metadatas=[{"created_day": 20260610, "tokens": "漏水"} for _ in range(50)],
    )
    n += 50
"""

TEXTS = ["热水器漏水，师傅一直不来", "空调不制冷", "The fridge stopped cooling.", "退款没到账"]


def test_read_index_retries_transient_errors_only() -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise InternalError("Error creating hnsw segment reader: Nothing found on disk")
        return "ok"

    assert read_index(flaky, pause_s=0.01) == "ok" and len(calls) == 3
    with pytest.raises(CaseIndexBusy, match="being written by another process"):
        read_index(lambda: (_ for _ in ()).throw(InternalError("Error finding id")), pause_s=0.01)
    with pytest.raises(ValueError):  # not a concurrent-write symptom: passes through
        read_index(lambda: (_ for _ in ()).throw(ValueError("bad where clause")), pause_s=0.01)


def test_readers_degrade_while_a_writer_process_indexes(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, chroma_dir=tmp_path / "chroma")
    store = open_store("busy", settings=settings, create=True)
    records = [
        CaseRecord(f"B{i}", t, "已处理", {"created": "2026-06-10", "created_day": 20260610})
        for i, t in enumerate(TEXTS)
    ]
    index_cases(store, records)
    period, previous = (date(2026, 6, 1), date(2026, 7, 1)), (date(2026, 5, 1), date(2026, 6, 1))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "chroma"), "busy", "25"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        time.sleep(1.0)
        outcomes: dict[str, int] = {}
        notes: list = []
        deadline = time.monotonic() + 20
        # A read the writer disturbs says so: a search raises CaseIndexBusy, the themes of a
        # why-analysis are dropped with a note. Which reads it disturbs depends on timing (a
        # dense query for the whole collection may pass), so either counts; nothing else may.

        def disturbed() -> bool:
            return "busy" in outcomes or any(n.code == "themes_busy" for n in notes)

        while time.monotonic() < deadline and not disturbed():
            try:
                search_cases(store, "热水器漏水", k=3)
                outcomes["ok"] = outcomes.get("ok", 0) + 1
            except CaseIndexBusy as exc:
                assert "Try again when the indexing run has finished" in str(exc)
                outcomes["busy"] = outcomes.get("busy", 0) + 1
            # no other exception type may escape: the test fails on any
            themes = _grown_themes({}, period, previous, store, None, settings, None, 1.5, notes)
            assert isinstance(themes, tuple)
        assert disturbed(), f"the concurrent writer never disturbed a read: {outcomes}, {notes}"
    finally:
        try:
            writer.wait(timeout=120)  # the indexing run finishes
        finally:
            writer.kill()
    # the writer done, the next process reads again (a process that stays up reopens after a
    # re-index through `servicepilot cases index`: tests/test_cases_reindexed.py)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "SERVICEPILOT_DATA_DIR": str(tmp_path),
        "SERVICEPILOT_CHROMA_DIR": str(tmp_path / "chroma"),
    }
    done = subprocess.run(
        [sys.executable, "-c", "from assistant.cli import main; main()"]
        + ["cases", "search", "热水器漏水", "--k", "1", "--collection", "busy", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert [h["case_id"] for h in json.loads(done.stdout)["hits"]] == ["B0"]
