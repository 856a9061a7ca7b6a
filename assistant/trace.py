"""Timing spans for finding where a request's time goes, off unless ``SERVICEPILOT_TRACE``
names a file: then each span appends one JSON line there (name, process, thread, wall-clock
start, seconds, CPU seconds of the thread and of the process, and the caller's fields). Worker
and background processes inherit the variable, so their spans land in the same file and can be
laid beside the handler's on one time line (``benchmarks/trace_cockpit.py`` does)."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

ENV = "SERVICEPILOT_TRACE"
_lock = threading.Lock()


def enabled() -> bool:
    return bool(os.environ.get(ENV))


@contextlib.contextmanager
def span(name: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """Time the block; ``fields`` (and what the block adds to the yielded dict) are kept."""
    path = os.environ.get(ENV)
    if not path:
        yield fields
        return
    wall, started = time.time(), time.perf_counter()
    cpu, proc = time.thread_time(), time.process_time()
    try:
        yield fields
    finally:
        record = {
            "name": name,
            "pid": os.getpid(),
            "thread": threading.current_thread().name,
            "at": round(wall, 4),
            "s": round(time.perf_counter() - started, 4),
            "cpu": round(time.thread_time() - cpu, 4),
            "proc_cpu": round(time.process_time() - proc, 4),
            **{
                k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v)
                for k, v in fields.items()
            },
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with _lock, open(path, "a", encoding="utf-8") as out:
            out.write(line)


def start_sampler(interval_s: float = 0.005) -> None:
    """When tracing: a thread that looks at every other thread's innermost Python frame each
    ``interval_s`` and appends, per wall-clock 0.25 s, how often each (thread, file:function)
    was seen (``sample`` lines): where the process spends its time, waiting frames included."""
    path = os.environ.get(ENV)
    if not path:
        return

    def run() -> None:
        import sys
        from collections import Counter

        me = threading.get_ident()
        bucket, counts = int(time.time() * 4), Counter()
        while True:
            time.sleep(interval_s)
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                code = frame.f_code
                where = f"{os.path.basename(code.co_filename)}:{code.co_name}:{frame.f_lineno}"
                counts[(names.get(ident, "?")[:24], where)] += 1
            now = int(time.time() * 4)
            if now != bucket:
                record = {
                    "name": "sample",
                    "pid": os.getpid(),
                    "at": bucket / 4,
                    "counts": [[t, w, n] for (t, w), n in counts.most_common(12)],
                }
                with _lock, open(path, "a", encoding="utf-8") as out:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                bucket, counts = now, Counter()

    threading.Thread(target=run, name="trace-sampler", daemon=True).start()
