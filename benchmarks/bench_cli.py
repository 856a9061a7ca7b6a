"""Benchmark: the whole `servicepilot` process (start-up included), interleaved with a bare
interpreter that imports click, so machine load hits all alike.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_cli.py --db data/bench/bench_1000000.duckdb

Goals: `servicepilot --help` p50 <= 0.3 s and `servicepilot ask` p50 <= 0.8 s at 1M tickets
(warm disk cache: one untimed warm-up run per variant first). Besides the wall time, each run's
CPU time (user + sys of the child process) is reported: on a shared machine it moves far less
with the load than the wall time does.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_execute import interleaved, percentile

ROOT = Path(__file__).resolve().parents[1]


def cli_variants(db: Path | None, data_dir: Path) -> dict[str, list[str]]:
    cli = [sys.executable, "-m", "assistant.cli"]
    variants = {
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "servicepilot --help": [*cli, "--help"],
    }
    if db is not None:
        variants["servicepilot query"] = [
            *cli,
            "query",
            "--db",
            str(db),
            "--metric",
            "csat",
            "--by",
            "region",
            "--grain",
            "month",
            "--json",
        ]
        for label, question in (
            ("servicepilot ask", "What was CSAT by region last month?"),
            # A Chinese question also runs the Chinese name check on the audit copy.
            ("servicepilot ask (zh)", "上个月各区域的满意度"),
        ):
            variants[label] = [*cli, "ask", "--db", str(db), question, "--today", "2026-11-22"]
    return variants


def children_cpu_s() -> float:
    """User + sys CPU seconds of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(
    args: list[str], env: dict[str, str], cwd: Path = ROOT, cpu: list[float] | None = None
) -> None:
    """Run one CLI process; with ``cpu``, append its user + sys CPU seconds."""
    before = children_cpu_s()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if cpu is not None:
        cpu.append(children_cpu_s() - before)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[1:])} failed ({done.returncode}):\n{done.stderr[-2000:]}")


def measure(
    db: Path | None, rounds: int, baseline: Path | None = None
) -> dict[str, dict[str, float]]:
    """p50/p95/ratio (wall, ms) and cpu_p50/cpu_p95 (ms) per variant; with ``baseline``
    (another checkout of the project, e.g. ``git archive main | tar -x -C /tmp/base``) its
    ``ask`` variants run in the same rounds, so a before/after comparison is interleaved too."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SERVICEPILOT_DATA_DIR": tmp,
            "HF_HUB_OFFLINE": "1",
        }
        # An installed package has its bytecode compiled; with PYTHONDONTWRITEBYTECODE (set
        # in some shells and CI) the warm-up could not write it and every timed run would
        # compile the project's modules from source.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        variants = cli_variants(db, Path(tmp))
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        fns = {
            name: (lambda a=args, c=cpu[name]: run_cli(a, env, cpu=c))
            for name, args in variants.items()
        }
        if baseline is not None:
            base_env = {**env, "PYTHONPATH": str(baseline)}
            for name, args in variants.items():
                if name.startswith("servicepilot ask"):
                    c = cpu[f"{name} @baseline"] = []
                    fns[f"{name} @baseline"] = lambda a=args, c=c: run_cli(
                        a, base_env, baseline, cpu=c
                    )
        results = interleaved(fns, rounds, "python -c 'import click'")
        for name, samples in cpu.items():
            timed = [s * 1000 for s in samples[1:]]  # the first run is the untimed warm-up
            results[name]["cpu_p50"] = statistics.median(timed)
            results[name]["cpu_p95"] = percentile(timed, 0.95)
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a demo warehouse (DuckDB file) for query/ask")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--baseline", type=Path, help="another checkout whose `ask` runs interleaved (before/after)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    results = measure(args.db, args.rounds, args.baseline)
    print(
        f"{args.rounds} rounds, interleaved in random order ({time.perf_counter() - started:.0f}s)"
        f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for name, r in results.items():
        print(
            f"  {name:<34} p50 {r['p50'] / 1000:6.2f} s  p95 {r['p95'] / 1000:6.2f} s  "
            f"x bare python {r['ratio']:.2f}  cpu p50 {r['cpu_p50'] / 1000:5.2f} s  "
            f"p95 {r['cpu_p95'] / 1000:5.2f} s"
        )


if __name__ == "__main__":
    main()
