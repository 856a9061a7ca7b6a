"""Where the slow cockpit drill steps waited: lays ``bench_cockpit.py --raw`` beside the server's
trace (``SERVICEPILOT_TRACE``, assistant/trace.py) on one wall-clock time line.

    SERVICEPILOT_TRACE=/tmp/trace.jsonl PYTHONPATH=. .venv/bin/python -m benchmarks.bench_cockpit \\
        --db /tmp/demo200k.duckdb --rounds 8 --raw /tmp/raw.json
    PYTHONPATH=. .venv/bin/python -m benchmarks.trace_cockpit /tmp/raw.json /tmp/trace.jsonl

Prints, for the slowest drill steps, the handler's phases and the other server work that ran
during the step (panel handlers, the quality scan and its CPU seconds), then for every metric
query sent to the worker pool: the wait before a worker took it ("queued"), the worker's own
run, and the time from its end until the server had the result ("return": pickling, the
pipe and the executor's result thread)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

OTHER = ("handler.live", "handler.alert_actions", "handler.quality", "quality.scan")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def overlap(a: dict, b: dict) -> float:
    return max(0.0, min(a["at"] + a["s"], b["at"] + b["s"]) - max(a["at"], b["at"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="bench_cockpit.py --raw output")
    parser.add_argument("trace", type=Path, help="the server's SERVICEPILOT_TRACE file")
    parser.add_argument("--slowest", type=int, default=8)
    args = parser.parse_args()
    raw = json.loads(args.raw.read_text())
    spans = [json.loads(line) for line in args.trace.read_text().splitlines() if line.strip()]
    spans = [s for s in spans if s["name"] != "sample"]
    handlers = [s for s in spans if s["name"] == "handler.cockpit"]
    steps = sorted(
        (
            (v["total"], mode, step, v)
            for mode, rounds in raw.items()
            for r in rounds
            for step, v in r.items()
            if step.startswith("drill_") and "at" in v
        ),
        key=lambda x: -x[0],
    )
    print(
        f"{'kind':<9}{'step':<20}{'total':>6}{'server':>7}{'wire':>6}{'draw':>6}  phases / beside"
    )
    for total, mode, step, v in steps[: args.slowest]:
        end = v["at"] + total
        h = next((h for h in handlers if v["at"] - 0.05 <= h["at"] <= end), None)
        phases, beside = "", ""
        if h is not None:
            inner = [
                s
                for s in spans
                if s["name"].startswith("cockpit.wait_")
                and h["at"] <= s["at"] <= h["at"] + h["s"]
                and s["pid"] == h["pid"]
            ]
            phases = " ".join(f"{s['name'][13:]} {s['s']:.2f}" for s in inner)
            others = [s for s in spans if s["name"] in OTHER and overlap(s, h) > 0]
            beside = "; ".join(
                f"{s['name']} {s['s']:.1f} s"
                + (f" (its CPU {s['proc_cpu']:.1f} s)" if s["name"] == "quality.scan" else "")
                for s in others
            )
        print(
            f"{mode:<9}{step:<20}{total:>6.2f}{v.get('server', 0):>7.2f}{v.get('wire', 0):>6.2f}"
            f"{v.get('draw', 0):>6.2f}  {phases} | {beside or '-'}"
        )
    pools = sorted((s for s in spans if s["name"] == "pool.query_metrics"), key=lambda s: s["at"])
    works = [s for s in spans if s["name"] == "worker.query_metrics"]
    queued, run, back, used = [], [], [], set()
    for p in pools:
        end = p["at"] + p["s"]
        found = [
            w
            for w in works
            if id(w) not in used and w["at"] >= p["at"] - 0.005 and w["at"] + w["s"] <= end + 0.005
        ]
        if not found:
            continue
        w = min(found, key=lambda w: w["at"])
        used.add(id(w))
        queued.append(w["at"] - p["at"])
        run.append(w["s"])
        back.append(end - w["at"] - w["s"])
    print(f"\nworker-pool metric queries ({len(run)}): p50 / p90 / max s")
    for name, values in (("queued", queued), ("worker run", run), ("return", back)):
        top = max(values or [0.0])
        print(f"  {name:<11}{pct(values, 0.5):.3f} / {pct(values, 0.9):.3f} / {top:.2f}")
    scans = [s for s in spans if s["name"] == "quality.scan"]
    if scans:
        print(
            f"quality scans ({len(scans)}): wall p50 {pct([s['s'] for s in scans], 0.5):.1f} s, "
            f"CPU p50 {pct([s['proc_cpu'] for s in scans], 0.5):.1f} s"
        )


if __name__ == "__main__":
    main()
