"""Latency of `ask` (offline planner + semantic layer + narration) on a large warehouse.

    .venv/bin/python benchmarks/bench_ask.py --db data/bench/bench_1000000.duckdb

Warm: the assistant is built once and every question is asked once untimed first. The
baseline, measured in the same run, is the semantic layer alone executing the same plans, so
the ratio shows what planning and narration add on top of the SQL.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from assistant.app import build_app
from assistant.planning.plans import ConversationState, MetricPlan
from semantic_layer.executor import execute

QUESTIONS = [
    "上个月各大区的客户满意度是多少？",
    "上个月华东区投诉率是多少？",
    "Which channels breached SLA most last quarter?",
    "今年每月投诉量趋势",
    "近7天微信渠道的首次响应时间",
    "top 5 product lines by complaint volume last month",
    "上季度各团队的首次解决率",
    "CSAT by region last month vs the month before",
    "上个月积压工单按优先级",
    "repeat contact rate by channel last quarter",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--today", default="2026-11-22")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    app = build_app(None, "bench", warehouse=f"duckdb:///{args.db}")
    assistant = app.assistant
    state = ConversationState(today=date.fromisoformat(args.today))
    plans = {}
    for question in QUESTIONS:  # warm-up, and the plans for the baseline
        plans[question] = assistant.ask(question, state=state).plan
    ask_ms, sql_ms = [], []
    for _ in range(args.rounds):
        for question in QUESTIONS:
            started = time.perf_counter()
            assistant.ask(question, state=state)
            ask_ms.append((time.perf_counter() - started) * 1000)
            plan = plans[question]
            if isinstance(plan, MetricPlan):
                started = time.perf_counter()
                execute(plan.query, assistant.engine, catalog=assistant.catalog)
                sql_ms.append((time.perf_counter() - started) * 1000)
    app.close()
    print(f"questions={len(QUESTIONS)} rounds={args.rounds} db={args.db}")
    print(
        f"  ask (warm)          p50 {statistics.median(ask_ms):7.1f} ms   "
        f"p95 {percentile(ask_ms, 0.95):7.1f} ms"
    )
    print(
        f"  semantic layer only p50 {statistics.median(sql_ms):7.1f} ms   "
        f"p95 {percentile(sql_ms, 0.95):7.1f} ms"
    )
    ratio = statistics.median(ask_ms) / statistics.median(sql_ms)
    print(f"  ask / semantic layer (p50): {ratio:.2f}x  (goal: ask p50 <= 300 ms)")


if __name__ == "__main__":
    main()
