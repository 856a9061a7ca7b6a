"""Benchmark: the same query through ServicePilot and through peer semantic layers, each peer in
its own virtual environment, interleaved so machine load hits all alike.

    PYTHONPATH=. .venv/bin/python benchmarks/peers.py --db data/bench/bench_1000000.duckdb

Query: monthly CSAT by region over 12 months (as benchmarks/bench_execute.py). Variants per
round, in a fresh random order: `hand` (hand-written SQL on the raw DuckDB cursor), `execute`
(semantic_layer.execute()) and one per peer. A peer is installed by this script into
benchmarks/.venvs/<peer> (git-ignored) from the configured package index, pinned, and runs as
a worker process (benchmarks/peer_<peer>.py) that answers "rows" and "run" requests, so its
own interpreter and package versions never mix with ours. Every system's rows are checked to
agree with the hand-written SQL before timing; a disagreement stops the run.

Peers: boring-semantic-layer (ibis on DuckDB) and MetricFlow (dbt-metricflow on dbt-duckdb,
dbt-core<1.12: newer dbt-core downloads a wheel at build time, which an offline index cannot
serve). Both pin duckdb to this project's version so they read the same file format.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import venv
from pathlib import Path

from benchmarks.bench_execute import END, HAND_WRITTEN, QUERY, START, TIMEOUT_S, interleaved

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / "benchmarks" / ".venvs"

# name -> (pinned requirements, worker script); pins keep runs comparable across machines.
PEERS: dict[str, tuple[tuple[str, ...], str]] = {
    "boring-semantic-layer": (
        ("boring-semantic-layer==0.3.18", "ibis-framework[duckdb]==11.0.0", "duckdb==1.5.6"),
        "peer_bsl.py",
    ),
    "metricflow": (
        (
            "dbt-metricflow==0.15.0",
            "dbt-duckdb==1.11.1",
            "dbt-core==1.11.16",
            "duckdb==1.5.6",
        ),
        "peer_metricflow.py",
    ),
}


class PeerUnavailable(Exception):
    """A peer could not be installed or started; the message says why."""


def ensure_venv(name: str, requirements: tuple[str, ...]) -> Path:
    """The peer's interpreter, installing its venv first when missing or stale."""
    home = VENVS / name
    python = home / "bin" / "python"
    stamp = home / ".installed"
    wanted = "\n".join(requirements)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *requirements],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        tail = [line for line in done.stderr.splitlines() if "is ignored" not in line][-5:]
        raise PeerUnavailable(f"{name}: pip install failed: " + " | ".join(tail))
    stamp.write_text(wanted)
    return python


class PeerWorker:
    def __init__(self, python: Path, script: str, db: Path) -> None:
        self._process = subprocess.Popen(
            [str(python), str(ROOT / "benchmarks" / script), str(db), str(START), str(END)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def request(self, what: str) -> object:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(what + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            error = self._process.stderr.read() if self._process.stderr else ""
            raise PeerUnavailable(f"worker died: {error.strip().splitlines()[-1:]}")
        return json.loads(line)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=60)


def _rounded(rows) -> list[tuple[str, str, float]]:
    return sorted((str(p)[:10], r, round(float(v), 9)) for p, r, v in rows)


def measure(db: Path, rounds: int) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """p50/p95/ratio-to-hand per system, and the peers that could not run (with why)."""
    from semantic_layer.catalog_loader import default_catalog
    from semantic_layer.compiler import CompileCache
    from semantic_layer.executor import execute
    from tools.warehouse.engine import make_engine

    catalog = default_catalog()
    engine = make_engine(f"duckdb:///{db}", read_only=True)
    cache = CompileCache(catalog)
    raw = engine.raw_connection()
    con = raw.driver_connection._ConnectionWrapper__c.cursor()
    hand_sql = HAND_WRITTEN.format(start=START, end=END)
    workers: dict[str, PeerWorker] = {}
    skipped: dict[str, str] = {}
    try:
        hand = _rounded((r[0], r[1], r[2]) for r in con.execute(hand_sql).fetchall())
        frame = execute(QUERY, engine, catalog=catalog, timeout_s=TIMEOUT_S).data
        ours = _rounded(frame[["period", "region", "csat"]].itertuples(index=False))
        if ours != hand:
            raise SystemExit("execute() and hand-written SQL disagree")
        for name, (requirements, script) in PEERS.items():
            try:
                worker = PeerWorker(ensure_venv(name, requirements), script, db)
                rows = worker.request("rows")
            except PeerUnavailable as exc:
                skipped[name] = str(exc)
                continue
            if _rounded(rows) != hand:
                raise SystemExit(f"{name} and hand-written SQL disagree")
            workers[name] = worker
        variants = {
            "hand": lambda: con.execute(hand_sql).fetchall(),
            "execute": lambda: execute(
                QUERY, engine, catalog=catalog, compiled=cache.compile(QUERY), timeout_s=TIMEOUT_S
            ),
        }
        for name, worker in workers.items():
            variants[name] = lambda w=worker: w.request("run")
        return interleaved(variants, rounds, "hand"), skipped
    finally:
        for worker in workers.values():
            worker.close()
        con.close()
        raw.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a demo warehouse (DuckDB file)")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    results, skipped = measure(args.db, args.rounds)
    print(f"{args.db.name}: {args.rounds} rounds, interleaved; every system's numbers agree")
    for name, r in results.items():
        print(
            f"  {name:<24} p50 {r['p50']:8.1f} ms  p95 {r['p95']:8.1f} ms  x hand {r['ratio']:.2f}"
        )
    for name, why in skipped.items():
        print(f"  {name}: not run ({why})")


if __name__ == "__main__":
    sys.exit(main())
