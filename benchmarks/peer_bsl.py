"""Peer worker: boring-semantic-layer answering the benchmark's query, run inside its own venv.

Started by benchmarks/peers.py as `<venv>/bin/python peer_bsl.py DB START END`; it must not
import this project (another interpreter, other package versions). Protocol on stdin/stdout,
one JSON line per request, so the caller can interleave it with the other variants:
  "rows"  -> the result rows [[period, region, csat], ...] (for the agreement check)
  "run"   -> {"ms": elapsed} for one query, timed here (no pipe overhead in the number)
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date

import ibis
from boring_semantic_layer import to_semantic_table


def build(db: str, start: date, end: date):
    con = ibis.duckdb.connect(db, read_only=True)
    surveys = con.table("surveys")
    tickets = con.table("tickets").select("ticket_id", "region")
    joined = surveys.left_join(tickets, surveys.ticket_id == tickets.ticket_id)
    window = joined.filter(
        (joined.responded_at >= ibis.timestamp(start.isoformat()))
        & (joined.responded_at < ibis.timestamp(end.isoformat()))
    )
    model = (
        to_semantic_table(window, name="survey_responses")
        .with_dimensions(
            period=lambda t: t.responded_at.truncate("M").cast("date"),
            region=lambda t: t.region,
        )
        .with_measures(
            csat=lambda t: 100.0 * (t.csat >= 4).sum() / t.csat.count(),
        )
    )
    return lambda: model.group_by("period", "region").aggregate("csat").execute()


def main() -> None:
    db, start, end = sys.argv[1], date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3])
    query = build(db, start, end)
    for line in sys.stdin:
        request = line.strip()
        if request == "rows":
            frame = query()
            rows = [[str(r[0])[:10], r[1], float(r[2])] for r in frame.itertuples(index=False)]
            print(json.dumps(rows), flush=True)
        elif request == "run":
            t = time.perf_counter()
            query()
            print(json.dumps({"ms": (time.perf_counter() - t) * 1000}), flush=True)
        else:
            print(json.dumps({"error": f"unknown request {request!r}"}), flush=True)


if __name__ == "__main__":
    main()
