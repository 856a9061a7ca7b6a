"""A single cold ``servicepilot cases search`` CLI call: ONNX query embedding vs
sentence-transformers (goal: <= 2 s wall on an idle machine).

    python benchmarks/bench_cold_search.py [--cases 300] [--rounds 5] [--data-dir DIR] [--json]
        [--before REPO_DIR] [--no-torch]

Each call is a fresh process (imports, index open, model load, query, audit), exactly what a
user runs. Two variants on the same index: ``onnx`` (the export ``cases index`` writes next to
the index) and ``sentence-transformers`` (a copy of the index without that export, so the
search falls back to torch). Every round runs both in random order with a zh and an en query;
the table gives medians of wall time and of the child's CPU time (user+sys: on the shared
2-core machine wall time swings with other people's load, CPU time much less) and their ratio
to the sentence-transformers baseline of the same run.

Each variant is called once before the rounds (not counted): that call builds the lexical
index cache of its copy of the index if the checkout's format differs.

``--data-dir`` reuses a data directory whose default collection is already indexed (e.g. the
one ``make index`` builds); otherwise ``--cases`` demo complaints are indexed into a temporary
one first (minutes on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUERIES = ["热水器漏水，师傅一直不来", "air conditioner not cooling after installation"]


def _index_demo(data_dir: Path, n: int) -> None:
    from benchmarks.bench_cases import demo_texts
    from tools.cases.indexer import index_cases
    from tools.cases.records import CaseRecord
    from tools.cases.store import open_store
    from tools.settings import load_settings

    texts, resolutions, causes = demo_texts(n)
    settings = load_settings(data_dir=data_dir, chroma_dir=data_dir / "chroma")
    store = open_store(None, settings=settings, create=True)
    records = (
        CaseRecord(f"B{i:05d}", t, r, {"root_cause": c, "resolved": True})
        for i, (t, r, c) in enumerate(zip(texts, resolutions, causes, strict=True))
    )
    index_cases(store, records)


def _without_export(data_dir: Path, target: Path) -> Path:
    """A copy of ``data_dir``'s Chroma directory without the ONNX export."""
    shutil.copytree(data_dir / "chroma", target / "chroma", ignore=shutil.ignore_patterns("onnx"))
    return target


def _run(data_dir: Path, query: str, repo: Path = REPO) -> tuple[float, float, float]:
    env = {
        **os.environ,
        "PYTHONPATH": str(repo),
        "SERVICEPILOT_DATA_DIR": str(data_dir),
        "SERVICEPILOT_CHROMA_DIR": str(data_dir / "chroma"),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from assistant.cli import main; main()"]
        + ["cases", "search", query, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=data_dir,
        timeout=600,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"search failed: {done.stderr[-2000:]}")
    inner = json.loads(done.stdout)["timings"]["total_s"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, inner


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--before", type=Path, default=None, help="Another checkout: baseline.")
    parser.add_argument("--no-torch", action="store_true", help="Skip sentence-transformers.")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        onnx_dir = args.data_dir
        if onnx_dir is None:
            onnx_dir = Path(tmp) / "onnx"
            _index_demo(onnx_dir, args.cases)
        from tools.cases.embedding import default_model_dir
        from tools.cases.onnx_embedding import export_onnx

        export_onnx(default_model_dir(), onnx_dir / "chroma" / "servicepilot-cache")
        variants: dict[str, tuple[Path, Path]] = {"onnx": (onnx_dir, REPO)}
        if not args.no_torch:
            torch_dir = _without_export(onnx_dir, Path(tmp) / "torch")
            variants["sentence-transformers"] = (torch_dir, REPO)
        if args.before is not None:
            # its own copy of the index: the two checkouts may cache the lexical index in
            # different formats, and sharing one cache file would rebuild it on every call
            before_dir = Path(tmp) / "before"
            shutil.copytree(onnx_dir / "chroma", before_dir / "chroma")
            variants["before"] = (before_dir, args.before.resolve())
        baseline = "before" if args.before is not None else "sentence-transformers"
        if baseline not in variants:
            raise SystemExit("--no-torch needs --before (the baseline of the ratios)")
        for data_dir, repo in variants.values():  # builds each variant's lexical cache
            _run(data_dir, QUERIES[0], repo)
        rng = random.Random(args.seed)
        samples: dict[str, list[tuple[float, float, float]]] = {v: [] for v in variants}
        for _ in range(args.rounds):
            for query in QUERIES:
                order = list(variants)
                rng.shuffle(order)
                for name in order:
                    data_dir, repo = variants[name]
                    samples[name].append(_run(data_dir, query, repo))
    base = {i: statistics.median(s[i] for s in samples[baseline]) for i in range(3)}
    rows = {}
    for name, runs in samples.items():
        med = [statistics.median(r[i] for r in runs) for i in range(3)]
        rows[name] = {
            "calls": len(runs),
            "wall_s": round(med[0], 2),
            "cpu_s": round(med[1], 2),
            "command_total_s": round(med[2], 2),
            "wall_ratio": round(med[0] / base[0], 3),
            "cpu_ratio": round(med[1] / base[1], 3),
        }
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("| variant | calls | wall s (median) | CPU s (median) | wall ratio | CPU ratio |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['calls']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
            f"{r['wall_ratio']:.3f} | {r['cpu_ratio']:.3f} |"
        )
    print(
        f"load average: {load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end, on "
        f"{os.cpu_count()} CPUs; ratios against {baseline}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
