"""`servicepilot ask` is a whole process per question, so what it imports is its latency
(issue 22: ≤ 0.8 s p50 at 1M tickets). These tests run a real question in a fresh interpreter
and check that the modules a plain metric answer does not need stay unloaded; each first checks
that the answer really came back, so an early failure cannot pass for a lean import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The detectors, baselines and forecaster: imported by a forecast, the alerts and the monitoring
# commands, never by a metric answer (which reads only tools.monitoring.targets, for its note).
NOT_ON_THE_ASK_PATH = (
    "tools.monitoring.alerts",
    "tools.monitoring.baseline",
    "tools.monitoring.detector",
    "tools.monitoring.forecast",
    # ≈0.35 s together: the answer reads the plain columns (MetricResult.table), and no
    # statement on DuckDB binds a parameter (semantic_layer.inline_sql), the client's trigger.
    "pandas",
    "numpy",
    "pyarrow",
)


def _env(data_dir: Path, cache_dir: Path | None = None) -> dict[str, str]:
    """A fresh interpreter's environment: this checkout, its own data (and cache) folder."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SERVICEPILOT_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        **({"SERVICEPILOT_CACHE_DIR": str(cache_dir)} if cache_dir else {}),
    }


def _ask_in_fresh_process(
    db: Path, question: str, data_dir: Path, as_json: bool = True, cache_dir: Path | None = None
) -> tuple[dict | str, list[str]]:
    code = (
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from assistant.cli import main\n"
        f"r = CliRunner().invoke(main, ['ask', '--db', {str(db)!r}, {question!r}, "
        f"'--today', '2026-11-22'{', ' + repr('--json') if as_json else ''}])\n"
        "assert r.exit_code == 0, r.output\n"
        "answer = json.loads(r.output) if '--json' in sys.argv[1:] else r.output\n"
        "print(json.dumps({'answer': answer, 'modules': sorted(sys.modules)}))\n"
    )
    env = _env(data_dir, cache_dir)
    done = subprocess.run(
        [sys.executable, "-c", code, *(["--json"] if as_json else [])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out["answer"], out["modules"]


def test_a_metric_question_does_not_import_monitoring(demo_warehouse_path, tmp_path) -> None:
    answer, modules = _ask_in_fresh_process(
        demo_warehouse_path, "上个月各大区的客户满意度是多少？", tmp_path
    )
    assert answer["kind"] == "metric" and answer["query"]["metrics"] == ["csat"]
    assert len(answer["rows"]) == 7  # one per region: the SQL ran and was narrated
    assert "tools.monitoring.targets" in modules  # the note on the target was looked up
    loaded = [m for m in NOT_ON_THE_ASK_PATH if m in modules]
    assert loaded == [], f"{loaded} imported by a metric answer"


def test_a_forecast_question_still_loads_monitoring_when_asked(
    demo_warehouse_path, tmp_path
) -> None:
    answer, modules = _ask_in_fresh_process(demo_warehouse_path, "预测未来4周的工单量", tmp_path)
    assert answer["kind"] == "forecast", answer.get("answer")
    assert "tools.monitoring.forecast" in modules


def test_a_text_answer_with_a_comparison_stays_without_pandas(
    demo_warehouse_path, tmp_path
) -> None:
    """The text answer (narration, table with previous values and changes, provenance) reads
    the plain columns: no DataFrame is built."""
    text, modules = _ask_in_fresh_process(
        demo_warehouse_path, "CSAT by region last month vs the month before", tmp_path, False
    )
    assert "CSAT (%)" in text and "CSAT previous (%)" in text and "CSAT change %" in text
    assert "East China" in text and "How was this computed" in text, text
    loaded = [m for m in NOT_ON_THE_ASK_PATH if m in modules]
    assert loaded == [], f"{loaded} imported by a metric answer in text"


def test_a_question_reads_its_packaged_yaml_without_pyyaml(demo_warehouse_path, tmp_path) -> None:
    """Planner words, roles, verified questions and targets come from the parse cache (≈10 ms
    of PyYAML import): the first process parses and stores them, the next only reads."""
    question, cache = "上个月各大区的客户满意度是多少？", tmp_path / "cache"
    first, modules = _ask_in_fresh_process(demo_warehouse_path, question, tmp_path, cache_dir=cache)
    assert "yaml" in modules  # a cold cache: parsed
    again, modules = _ask_in_fresh_process(demo_warehouse_path, question, tmp_path, cache_dir=cache)
    assert again["rows"] == first["rows"] and len(again["rows"]) == 7
    assert again["answer"] == first["answer"] and again["query"] == first["query"]
    assert "yaml" not in modules and "semantic_layer.yaml_parse" not in modules


# `servicepilot query` runs through the application, not its API: the API's tool layer (alert
# and notification tools) imports pandas. Its JSON output reads the plain columns.
NOT_ON_THE_QUERY_JSON_PATH = (*NOT_ON_THE_ASK_PATH, "assistant.api", "assistant.operations")


def _query_in_fresh_process(db: Path, args: list[str], data_dir: Path) -> tuple[str, list[str]]:
    code = (
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from assistant.cli import main\n"
        f"r = CliRunner().invoke(main, ['query', '--db', {str(db)!r}, *{args!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(json.dumps({'output': r.output, 'modules': sorted(sys.modules)}))\n"
    )
    env = _env(data_dir)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out["output"], out["modules"]


def test_query_json_does_not_import_pandas_or_the_api(demo_warehouse_path, tmp_path) -> None:
    output, modules = _query_in_fresh_process(
        demo_warehouse_path,
        ["--metric", "csat", "--by", "region", "--grain", "month", "--json"],
        tmp_path,
    )
    data = json.loads(output)
    assert data["ok"] is True and data["query"]["metrics"] == ["csat"]
    assert len(data["rows"]) >= 7 and "csat" in data["rows"][0]  # the SQL ran
    loaded = [m for m in NOT_ON_THE_QUERY_JSON_PATH if m in modules]
    assert loaded == [], f"{loaded} imported by `servicepilot query --json`"


def test_query_text_keeps_pandas_table(demo_warehouse_path, tmp_path) -> None:
    """The text table is pandas' rendering (kept byte for byte): it imports pandas, and only
    it; the run is still audited without the API."""
    output, modules = _query_in_fresh_process(
        demo_warehouse_path, ["--metric", "csat", "--by", "region"], tmp_path
    )
    assert "csat: CSAT" in output and "east" in output, output
    assert "pandas" in modules and "assistant.api" not in modules


def _run_cli_in_fresh_process(
    args: list[str], data_dir: Path, cache_dir: Path | None = None, prelude: str = ""
) -> subprocess.CompletedProcess:
    """``run()``, the console script's entry, in a new interpreter; ``prelude`` runs first."""
    argv = ["servicepilot", *args]
    code = f"{prelude}\nimport sys\nimport assistant.cli as cli\nsys.argv = {argv!r}\ncli.run()\n"
    env = _env(data_dir, cache_dir)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env
    )


# An object alive until the end: its __del__ runs only when the interpreter tears down.
WITNESS = (
    "import sys, assistant.cli\n"
    "class Witness:\n"
    "    def __del__(self): print('torn down', file=sys.stderr)\n"
    "assistant.cli.witness = Witness()\n"
)


def test_an_answer_ends_the_process_without_tearing_it_down(demo_warehouse_path, tmp_path) -> None:
    """Freeing every module's objects costs ≈ 0.15-0.2 s after a question: `ask` leaves
    right after its output, which still arrives whole, with its exit code."""
    args = [
        "ask",
        "--db",
        str(demo_warehouse_path),
        "上个月各大区的客户满意度",
        "--today",
        "2026-11-22",
    ]
    done = _run_cli_in_fresh_process([*args, "--json"], tmp_path, prelude=WITNESS)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(json.loads(done.stdout)["rows"]) == 7  # every byte of the answer was flushed
    assert "torn down" not in done.stderr
    refused = _run_cli_in_fresh_process([*args, "--role", "nobody"], tmp_path, prelude=WITNESS)
    assert refused.returncode == 1 and "Unknown role 'nobody'" in refused.stderr
    assert "torn down" not in refused.stderr and "Traceback" not in refused.stderr
    # Any other command ends the usual way.
    other = _run_cli_in_fresh_process(["--version"], tmp_path, prelude=WITNESS)
    assert other.returncode == 0 and "torn down" in other.stderr


def test_the_quick_exit_still_waits_for_threads_and_runs_exit_handlers() -> None:
    code = (
        "import atexit, threading, time\n"
        "from assistant.cli import _leave\n"
        "atexit.register(lambda: print('handler ran', flush=True))\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n"
        # an idle thread pool left open: a normal exit stops it, so must this one
        "from concurrent.futures import ThreadPoolExecutor\n"
        "ThreadPoolExecutor(2).submit(lambda: None).result()\n"
        "print('answer', end=' ')\n"
        "_leave(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 3
    assert done.stdout.split() == ["answer", "thread", "done", "handler", "ran"]


def test_a_second_process_opens_no_database_to_probe_duckdb(demo_warehouse_path, tmp_path) -> None:
    """duckdb-sqlalchemy's two probes (an in-memory database each) run once per installed
    version pair; the next process reads their answers from the user's cache."""
    import duckdb

    spy = (
        "import duckdb, sys\n"
        "real = duckdb.connect\n"
        "def connect(database=':memory:', *a, **k):\n"
        "    print('connect', database, file=sys.stderr)\n"
        "    return real(database, *a, **k)\n"
        "duckdb.connect = connect\n"
    )
    args = ["ask", "--db", str(demo_warehouse_path), "上个月的客户满意度", "--json"]
    args += ["--today", "2026-11-22"]
    cache = tmp_path / "cache"
    first = _run_cli_in_fresh_process(args, tmp_path, cache, prelude=spy)
    again = _run_cli_in_fresh_process(args, tmp_path, cache, prelude=spy)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert json.loads(again.stdout)["rows"] == json.loads(first.stdout)["rows"]
    assert "connect :memory:" in first.stderr
    assert "connect :memory:" not in again.stderr
    assert f"connect {demo_warehouse_path}" in again.stderr  # it did open the warehouse
    # What was kept is what DuckDB answers.
    import pickle

    (kept,) = cache.glob("duckdb-probes-*.pickle")
    _, settings, comments = pickle.loads(kept.read_bytes())
    with duckdb.connect(":memory:") as conn:
        names = {name for (name,) in conn.execute("SELECT name FROM duckdb_settings()").fetchall()}
    assert settings == names and comments is True
