"""Progress of `cases index`: events from index_cases, JSON lines on stderr with --json, plain
throttled lines for a log (real Chroma, real model)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner

from tools.cases.indexer import index_cases
from tools.cases.progress import IndexProgress, TextProgress
from tools.cases.records import CaseRecord
from tools.cases.store import open_store
from tools.settings import load_settings

TEXTS = [
    "热水器漏水，师傅一直不来",
    "空调不制冷，出风是热的",
    "洗衣机脱水时噪音很大",
    "The fridge stopped cooling two days after delivery.",
    "退款一周还没到账",
]


def test_index_reports_start_each_batch_the_export_and_the_lexical_index(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, chroma_dir=tmp_path / "chroma")
    store = open_store("progress", settings=settings, create=True)
    events: list[IndexProgress] = []
    records = [CaseRecord(f"P{i}", t, None, {}) for i, t in enumerate(TEXTS)]
    index_cases(store, records, batch_size=2, total=len(records), on_progress=events.append)
    phases = [e.phase for e in events]
    assert phases == ["start", "indexing", "indexing", "indexing", "export", "lexical"]
    assert [e.seen for e in events[:4]] == [0, 2, 4, 5]
    assert events[3].added == 5 and events[3].eta_s == 0 and events[3].rate > 0
    assert all(e.total == 5 and e.collection == "progress" for e in events)
    # the lexical index (BM25 cache) was built by the indexing run, not left to the first search
    assert (store.cache_dir / "progress.bm25.pkl").exists()
    # a re-run has nothing to embed, nothing to export, nothing to rebuild: start and one batch
    again: list[IndexProgress] = []
    index_cases(store, records, batch_size=5, on_progress=again.append)
    assert [(e.phase, e.unchanged) for e in again] == [("start", 0), ("indexing", 5)]
    assert again[-1].total is None and again[-1].eta_s is None


def test_text_progress_is_throttled_and_readable() -> None:
    out = io.StringIO()
    printer = TextProgress(out, every=3600)
    base = dict(collection="cases", total=3000, updated=0, metadata_only=0, unchanged=0)
    printer(IndexProgress("start", seen=0, added=0, elapsed_s=0.1, **base))
    printer(IndexProgress("indexing", seen=1200, added=1200, elapsed_s=40.0, **base))
    printer(IndexProgress("indexing", seen=1300, added=1300, elapsed_s=44.0, **base))
    printer(IndexProgress("export", seen=3000, added=3000, elapsed_s=100.0, **base))
    lines = out.getvalue().splitlines()
    # the batch right after the start line waits for the interval; start/export always print
    assert lines == [
        "indexing cases: reading 3,000 cases",
        "indexing cases: exporting the embedding model for fast searches (once)",
    ]
    line = TextProgress.line(IndexProgress("indexing", seen=1200, added=1200, elapsed_s=40, **base))
    assert line == (
        "indexing cases: 1,200/3,000 (40%), 30 cases/s, about 60 s left; 1,200 added, "
        "0 re-embedded, 0 unchanged"
    )


def test_cli_index_json_streams_progress_on_stderr(tmp_path: Path) -> None:
    from assistant.commands.cases import command

    csv = tmp_path / "cases.csv"
    csv.write_text(
        "id,text\n" + "".join(f"c{i},{t}\n" for i, t in enumerate(TEXTS)), encoding="utf-8"
    )
    env = {
        "SERVICEPILOT_DATA_DIR": str(tmp_path),
        "SERVICEPILOT_CHROMA_DIR": str(tmp_path / "chroma"),
        "SERVICEPILOT_CHROMA_HOST": "",
    }
    args = ["index", "--csv", str(csv), "--id-column", "id", "--text-column", "text"]
    args += ["--batch-size", "2", "--collection", "cli-progress"]
    result = CliRunner().invoke(command, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 5  # stdout: the result only
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert {e["event"] for e in events} == {"progress"}
    indexing = [e for e in events if e["phase"] == "indexing"]
    assert events[0]["phase"] == "start" and [e["seen"] for e in indexing] == [2, 4, 5]
    assert {"cases_per_s", "eta_s", "elapsed_s", "added"} <= set(indexing[-1])
    # the human form, stderr not a terminal: plain lines, the result on stdout
    human = CliRunner().invoke(command, args, env=env)
    assert human.exit_code == 0, human.output
    assert human.stderr.startswith("indexing cli-progress: reading cases")
    assert "5 unchanged" in human.stdout
