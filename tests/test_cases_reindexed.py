"""A long-running reader (the server's case searcher) picks up a re-index done by another
process: it reads the new cases instead of the index as it was when it opened it (Chroma's
client cache), with a real `servicepilot cases index` process writing the same directory."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.answer.cases import CaseSearcher
from assistant.roles import get_role
from tools.cases.indexer import index_cases
from tools.cases.records import CaseRecord
from tools.cases.store import GENERATION_FILE, index_generation, open_store
from tools.settings import load_settings

OLD = ["热水器漏水，师傅一直不来", "空调不制冷", "The fridge stopped cooling.", "退款没到账"]
NEW = [f"洗衣机排水管第{i}次漏水，地上全是水" for i in range(12)]


def test_a_running_searcher_reads_the_index_another_process_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SERVICEPILOT_CHROMA_DIR", str(tmp_path / "chroma"))
    settings = load_settings()
    store = open_store("regen", settings=settings, create=True)
    meta = {"created": "2026-06-10", "created_day": 20260610}
    index_cases(store, [CaseRecord(f"B{i}", t, "已处理", meta) for i, t in enumerate(OLD)])
    first = index_generation(store.target)
    assert first and store.generation == first  # the writer's own client stays current

    searcher = CaseSearcher(collection="regen")  # what `serve` keeps for its whole life
    analyst = get_role("analyst")
    before = searcher.search("洗衣机漏水", analyst, k=3)
    assert {h["case_id"] for h in before} <= {f"B{i}" for i in range(len(OLD))}

    rows = tmp_path / "new.csv"
    with rows.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "text", "created"])
        out.writerows([f"N{i}", t, "2026-06-11"] for i, t in enumerate(NEW))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", "from assistant.cli import main; main()", "cases", "index"]
        + ["--csv", str(rows), "--id-column", "id", "--text-column", "text"]
        + ["--meta-columns", "created", "--collection", "regen", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert index_generation(store.target) not in ("", first)
    assert (tmp_path / "chroma" / GENERATION_FILE).exists()

    after = searcher.search("洗衣机漏水", analyst, k=3)
    assert [h["case_id"][0] for h in after] == ["N", "N", "N"], after
    assert searcher.store().count() == len(OLD) + len(NEW)
    # an unchanged index is not reopened: the same collection object serves the next search
    collection = searcher.store().collection
    searcher.search("空调不制冷", analyst, k=1)
    assert searcher.store().collection is collection
