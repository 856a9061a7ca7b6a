"""Answering in worker processes behind one server: ``servicepilot serve --workers N``.

The web server stays ONE process: Gradio keeps each browser session's state and its event
queue (join, then a server-sent event stream) in the process that took the request, so
processes sharing a port (SO_REUSEPORT) would lose an answer whose stream lands on another
process. What costs CPU — planning, SQL, narration, why-analysis, case search, suggestions —
runs in a pool of N worker processes, each with its own application (``build_app``) over the
same warehouse opened read-only. The server process keeps what must be one: sessions, the
per-user rate limits, sign-in throttling, the cockpit's alert cache and feedback.

The server process writes the audit log of every answer (``PooledAPI``): the workers answer
unaudited, so one process writes the operations store (``tools.audit.OpsStore``) and its
group commit batches the answers of all workers; workers writing the DuckDB file themselves
queued on each other's file lock.

A worker exits when the server process is gone (it watches its parent), so killing the
server never leaves workers behind; ``WorkerPool.close`` stops them in order.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from assistant import trace
from assistant.api import ServicePilotAPI

if TYPE_CHECKING:
    from assistant.app import App
    from assistant.planning.plans import ConversationState, Plan
    from assistant.service import Answer
    from semantic_layer.catalog import Catalog
    from semantic_layer.executor import MetricResult
    from semantic_layer.query import MetricQuery

log = logging.getLogger(__name__)
PARENT_POLL_S = 1.0
# The API calls a worker runs (every one that reads the warehouse or the case index).
WORKER_METHODS = frozenset(
    {
        "ask",
        "choose",
        "query_metrics",
        "search_cases",
        "explain_change",
        "suggest_resolution",
        "customer_profile",
    }
)


# From this many cores the server answers through a pool of one worker per core: on a quiet
# 2-core machine the pool cut p95 from 4.0 s to 2.3 s at 20 sessions (docs/scale.md, "Load
# test"); on one core there is nothing to spread over.
POOL_MIN_CORES = 2


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def default_workers(cores: int | None = None) -> int:
    """``serve``'s default ``--workers``: 0 (answer in the server process) below
    ``POOL_MIN_CORES`` cores, else one worker per core."""
    cores = usable_cores() if cores is None else cores
    return 0 if cores < POOL_MIN_CORES else cores


@dataclass(frozen=True)
class WorkerSpec:
    """What each worker builds its application from (settings come from the environment,
    which the workers inherit)."""

    warehouse: str
    today: date
    planner: str = "offline"
    warm_cases: bool = True


# -- inside a worker process ----------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(spec: WorkerSpec, parent: int) -> None:
    from assistant.app import build_app

    _exit_with_parent(parent)
    # Unaudited: the server records each answer (``PooledAPI``), so one process writes the
    # operations store; workers writing it too waited on each other's file lock.
    app = build_app(
        None, "ui", warehouse=spec.warehouse, today=spec.today, planner=spec.planner, audit=False
    )
    _worker.update(app=app, api=ServicePilotAPI(app, rate_limit=None), generation=0)
    if spec.warm_cases and app.services.cases is not None:
        threading.Thread(target=_warm_cases, args=(app,), name="cases-warmup", daemon=True).start()


def _warm_cases(app: App) -> None:
    """Load the case index and embedding model in the background (seconds), as the
    single-process server does, so the first case search does not wait for them."""
    from assistant.commands.serve import warmed

    started = time.perf_counter()
    try:
        app.services.cases.warm()
    except Exception as exc:  # no index yet: a search says how to build it
        log.info("worker %d: similar cases not warmed: %s", os.getpid(), exc)
    warmed(f"similar-case search (worker {os.getpid()})", started)


def _exit_with_parent(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _pid() -> int:
    return os.getpid()


def _run(generation: int, method: str, args: tuple, kwargs: dict) -> Any:
    api: ServicePilotAPI = _worker["api"]
    if generation != _worker["generation"]:  # the server reloaded the definitions
        from semantic_layer.catalog_loader import default_catalog, load_catalog

        catalog = load_catalog()
        default_catalog.cache_clear()
        api.replace_catalog(catalog)
        _worker["generation"] = generation
    try:
        with trace.span(f"worker.{method}"):
            return getattr(api, method)(*args, **kwargs)
    except Exception as exc:
        raise _portable(exc) from None


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling back to the server, else the nearest base class that
    does, with the same message (an error class whose __init__ takes other arguments cannot
    be rebuilt from its pickled args; the user reads the same text either way)."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        pass
    for cls in type(exc).__mro__[1:]:
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            continue
        try:
            candidate = cls(str(exc))
            pickle.loads(pickle.dumps(candidate))
            return candidate
        except Exception:
            continue
    return RuntimeError(str(exc))


# -- in the server process ------------------------------------------------------------------


class WorkerPool:
    """N worker processes, each with its own application; ``call`` runs one API method in
    whichever worker is free and returns its result (or raises its error)."""

    def __init__(self, spec: WorkerSpec, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}.")
        self.spec, self.size = spec, workers
        self.generation = 0
        # spawn: the server has threads (Gradio, warm-ups); forking them is unsafe.
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(spec, os.getpid()),
        )

    def start(self, timeout_s: float = 600) -> list[int]:
        """Start every worker and wait until each has built its application; their PIDs."""
        futures = [self._executor.submit(_pid) for _ in range(self.size)]
        for future in futures:
            future.result(timeout=timeout_s)
        return self.pids()

    def pids(self) -> list[int]:
        processes = getattr(self._executor, "_processes", None) or {}
        return sorted(processes)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if method not in WORKER_METHODS:
            raise ValueError(f"'{method}' does not run in a worker; use one of {WORKER_METHODS}.")
        with trace.span(f"pool.{method}") as span:
            future = self._executor.submit(_run, self.generation, method, args, kwargs)
            if trace.enabled():  # when the result reached this process (its manager thread)
                future.add_done_callback(lambda _: span.update(done_at=round(time.time(), 4)))
            return future.result()

    def reload_catalog(self) -> None:
        """The definitions changed: each worker re-reads them before its next call."""
        self.generation += 1

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


BACKGROUND_TIMEOUT_S = 600
# The background process's nice value: a nice-0 process gets ~10x its CPU when both want it;
# 19 (~70x) starved the quality panel for 20 s and more on a machine busy with other work.
# Where Linux's idle class is available the process runs in it instead (BACKGROUND_IDLE).
BACKGROUND_NICE = 10
# SCHED_IDLE: the process runs only on a core no other work wants. At nice 10 the data-quality
# scan after new data still took ~0.5 core (3.5 s of CPU over the 7 s of a viewer's drill
# steps on the 200k demo, 2 cores): when the viewer's page, the server and its query workers
# each wait a moment, a nice-10 process is the only runnable one and takes the core, and the
# request's process then waits its turn behind it.
BACKGROUND_IDLE = hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE")
# A call in the idle class whose process got less than STARVED_CPU_S of CPU in STARVED_AFTER_S
# (no core was ever free: a machine busy with other work) is run again in a fresh process at
# BACKGROUND_NICE, so the work still gets done under constant use (the calls are reads).
STARVED_AFTER_S = 10.0
STARVED_CPU_S = 0.5


def _init_background(parent: int, idle: bool) -> None:
    _exit_with_parent(parent)
    os.nice(BACKGROUND_NICE)  # below any request's work: a viewer's queries run first
    if idle:  # threads started from here on (DuckDB's) inherit the class
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds the process ``pid`` has used (None where unknown)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class BackgroundLane:
    """One spawned process at the lowest CPU priority (Linux's idle class, else
    ``BACKGROUND_NICE``) for work no click waits on: the cockpit's data-quality scan after new
    data (seconds of full-table scans at 200k tickets) ran in the server process beside the
    viewer's drill steps and took both cores from them. The process starts at its first call;
    it is a daemon, ended with the server (never waited for: at low priority under load a scan
    may take long). ``call`` runs a picklable function there and returns its result (or raises
    its error); a call starved in the idle class runs again at ``BACKGROUND_NICE``
    (``STARVED_AFTER_S``), so only reads belong here."""

    def __init__(
        self, starved_after_s: float = STARVED_AFTER_S, starved_cpu_s: float = STARVED_CPU_S
    ) -> None:
        self.starved_after_s, self.starved_cpu_s = starved_after_s, starved_cpu_s
        self._lock = threading.Lock()
        self._pool: Any = None
        self._idle = BACKGROUND_IDLE  # the class of the process _pool starts
        self.rerun = 0  # calls run again at BACKGROUND_NICE after starving

    def _started(self) -> Any:
        with self._lock:
            if self._pool is None:
                self._pool = multiprocessing.get_context("spawn").Pool(
                    1, initializer=_init_background, initargs=(os.getpid(), self._idle)
                )
            return self._pool

    def call(self, fn: Any, *args: Any) -> Any:
        pool = self._started()
        deadline = time.monotonic() + BACKGROUND_TIMEOUT_S
        pending = pool.apply_async(fn, args)
        with trace.span("lane.call", fn=getattr(fn, "__name__", "?")) as span:
            if self._idle:
                pending = self._unless_starved(pool, pending, fn, args, span)
            try:
                return pending.get(timeout=max(0.0, deadline - time.monotonic()))
            except multiprocessing.TimeoutError:  # a lost call (process killed) never answers
                raise TimeoutError(
                    f"No answer from the background process in {BACKGROUND_TIMEOUT_S} s."
                ) from None

    def _unless_starved(
        self, pool: Any, pending: Any, fn: Any, args: tuple, span: dict[str, Any]
    ) -> Any:
        """``pending``, or the same call in a fresh process at ``BACKGROUND_NICE`` when the
        idle-class process got (almost) no CPU for ``starved_after_s``."""
        pid = pool._pool[0].pid if getattr(pool, "_pool", None) else None
        used = _cpu_seconds(pid) if pid else None
        while not pending.ready():
            pending.wait(self.starved_after_s)
            now = _cpu_seconds(pid) if pid else None
            if pending.ready() or now is None or used is None:
                return pending
            if now - used >= self.starved_cpu_s:
                used = now  # it progresses: wait on
                continue
            log.info(
                "background work starved in the idle class: run again at nice %d", BACKGROUND_NICE
            )
            span["starved"] = True
            with self._lock:
                if self._pool is pool:
                    self._pool, self._idle = None, False
            pool.terminate()
            nice = self._started()
            with self._lock:  # the next call starts in the idle class again
                if self._pool is nice:
                    self._pool, self._idle = None, True
            self.rerun += 1
            pending = nice.apply_async(fn, args)
            # the nice process ends once its call is answered (it holds no other work)
            threading.Thread(target=_close_after, args=(nice,), daemon=True).start()
            return pending
        return pending

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()


def _close_after(pool: Any) -> None:
    pool.close()
    pool.join()


class PooledAPI(ServicePilotAPI):
    """The API of the server process whose warehouse and case-index work runs in ``pool``.
    Rate limits are counted here, once for all workers."""

    def __init__(self, app: App, pool: WorkerPool) -> None:
        super().__init__(app, rate_limit=app.rate_limit)
        self.pool = pool

    def ask(self, question: str, state: ConversationState) -> Answer:
        if self.rate_limit is not None:
            self.rate_limit.check(state.user or state.role)
        return self.assistant.audited(self.pool.call("ask", question, state), state)

    def choose(self, plan: Plan, *, question: str, state: ConversationState) -> Answer:
        answer = self.pool.call("choose", plan, question=question, state=state)
        return self.assistant.audited(answer, state)

    def query_metrics(
        self, query: MetricQuery | dict[str, Any], role: str | None, row_limit: int | None = None
    ) -> MetricResult:
        return self.pool.call("query_metrics", query, role, row_limit)

    def search_cases(self, text: str, role: str | None, **filters: Any) -> list[dict[str, Any]]:
        return self.pool.call("search_cases", text, role, **filters)

    def explain_change(self, metric: str, start: date, end: date, role: str | None, *a, **kw):
        return self.pool.call("explain_change", metric, start, end, role, *a, **kw)

    def suggest_resolution(self, text: str, role: str | None, **filters: Any) -> dict[str, Any]:
        return self.pool.call("suggest_resolution", text, role, **filters)

    def customer_profile(self, customer_id: str, role: str | None) -> dict[str, Any]:
        return self.pool.call("customer_profile", customer_id, role)

    def replace_catalog(self, catalog: Catalog) -> None:
        super().replace_catalog(catalog)
        self.pool.reload_catalog()
