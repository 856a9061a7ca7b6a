"""The posting client of ``bench_ingest.py --via http``, in its own process: its JSON encoding
and HTTP work never hold the benchmark's GIL while the reader threads there are timed.

    python -m benchmarks.ingest_feeder --port 8000 --key spk_... --batch 1000 burst --events 40000
    python -m benchmarks.ingest_feeder --port 8000 --key spk_... --batch 1000 paced --rate 5000

``--inbox DIR`` stores the batches in the writer's inbox directly (no HTTP). It encodes every
body first, prints ``ready``, waits for a line on stdin (``go``), then posts
over ``--clients`` keep-alive connections and prints one JSON line: the posting seconds and,
for ``paced``, the wall-clock time (``time.time()``) each second's marker ticket was accepted.
``burst`` posts flat out; ``paced`` posts ``--rate`` events a second for ``--seconds`` seconds,
each second's posts spread evenly over it, with one marker ticket (``M-<second>``) a second.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ticket(ticket_id: str, at: datetime) -> dict:
    stamp = at.isoformat(timespec="seconds")
    return {
        "kind": "ticket",
        "id": ticket_id,
        "event_time": stamp,
        "data": {
            "customer_id": f"C-bench-{ticket_id}",  # one customer each: no repeat-contact rule
            "channel": "phone",
            "ticket_type": "complaint",
            "category": "quality",
            "priority": "normal",
            "status": "open",
            "region": "east",
            "created_at": stamp,
            "sla_due_at": (at + timedelta(days=1)).isoformat(timespec="seconds"),
        },
    }


def batch(prefix: str, size: int, at: datetime) -> list[dict]:
    """``size`` events: new tickets and first-response updates of them, half each (a realistic
    mix; one event is one new ticket)."""
    updates = size // 2
    events = [ticket(f"{prefix}-{i}", at) for i in range(size - updates)]
    events += [
        {
            "kind": "ticket_update",
            "id": f"{prefix}-{i}",
            "change": "first_response",
            "event_time": (at + timedelta(minutes=5)).isoformat(timespec="seconds"),
        }
        for i in range(updates)
    ]
    return events


def chunks(events: list[dict], size: int) -> list[list[dict]]:
    return [events[i : i + size] for i in range(0, len(events), size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="the ingest endpoint's port (HTTP)")
    parser.add_argument("--key", help="the source's API key (HTTP)")
    parser.add_argument("--inbox", type=Path, help="store in this ingest dir's inbox instead")
    parser.add_argument("--batch", type=int, default=1000, help="events per post")
    parser.add_argument("--clients", type=int, default=2, help="keep-alive connections")
    parser.add_argument("--nice", type=int, default=0, help="os.nice() increment of this process")
    modes = parser.add_subparsers(dest="mode", required=True)
    burst = modes.add_parser("burst")
    burst.add_argument("--prefix", default="B")
    burst.add_argument("--events", type=int, default=40_000)
    burst.add_argument("--minutes-ago", type=int, default=30)
    paced = modes.add_parser("paced")
    paced.add_argument("--rate", type=int, default=5000, help="events per second")
    paced.add_argument("--seconds", type=int, default=20)
    paced.add_argument(
        "--pause-every",
        type=int,
        default=0,
        help="after every this many seconds of feed, pause as long (0: no pauses)",
    )
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)

    now = datetime.now().replace(microsecond=0)
    # (seconds after go, events, marker in them or None)
    plan: list[tuple[float, list[dict], str | None]] = []
    if args.mode == "burst":
        at = now - timedelta(minutes=args.minutes_ago)
        for number in range(max(1, args.events // args.batch)):
            events = batch(f"{args.prefix}{number}", args.batch, at)
            plan += [(0.0, part, None) for part in chunks(events, args.batch)]
    else:
        for second in range(args.seconds):
            stamp = now + timedelta(seconds=second)
            marker = f"M-{second}"
            events = [*batch(f"F{second}", max(2, args.rate), stamp), ticket(marker, stamp)]
            parts = chunks(events, args.batch)
            for k, part in enumerate(parts):
                last = k == len(parts) - 1
                gaps = second // args.pause_every * args.pause_every if args.pause_every else 0
                plan.append((gaps + second + k / len(parts), part, marker if last else None))
    events_total = sum(len(part) for _, part, _ in plan)
    if args.inbox is None:  # encoded before timing starts, as a source would have them
        plan = [(due, json.dumps(part).encode(), marker) for due, part, marker in plan]  # type: ignore[misc]
        inbox = None
    else:
        from tools.ingest.writer import Inbox

        inbox = Inbox(args.inbox)

    accepted: dict[str, float] = {}
    errors: list[str] = []
    headers = {"Authorization": f"Bearer {args.key}", "Content-Type": "application/json"}

    def post(share: list, started: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", args.port or 0, timeout=300)
        for due, body, marker in share:
            wait = started + due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            if inbox is not None:
                inbox.put("bench", body)
                if marker is not None:
                    accepted[marker] = time.time()
                continue
            try:
                conn.request("POST", "/ingest/events", body=body, headers=headers)
                answer = conn.getresponse()
            except (ConnectionError, http.client.RemoteDisconnected):
                # the server closed an idle keep-alive connection (a pause): once more, anew
                conn.close()
                conn.request("POST", "/ingest/events", body=body, headers=headers)
                answer = conn.getresponse()
            text = answer.read()
            if answer.status != 202:
                errors.append(f"{answer.status} {text[:300]!r}")
                return
            if marker is not None:
                accepted[marker] = time.time()
        conn.close()

    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    shares = [plan[i :: args.clients] for i in range(args.clients)]
    threads = [threading.Thread(target=post, args=(share, started)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    posting_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "posting_s": posting_s,
                "posts": len(plan),
                "events": events_total,
                "markers": accepted,
                "errors": errors[:3],
            }
        ),  # fmt: skip
        flush=True,
    )


if __name__ == "__main__":
    main()
