"""The scheduler inside ``servicepilot serve``: every ``interval_s`` it looks at the jobs of
the schedules file (tools.schedule) and runs each one whose latest due time it can claim in
``sp_schedule_run`` — digests to their recipients, ``alerts notify``, ``tasks run``. A missed
run after downtime runs once (only the latest due time is claimed); two server workers never
run the same due time (the claim row's primary key)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tools.schedule.claims import ScheduleClaims
from tools.schedule.config import Job, ScheduleConfig

log = logging.getLogger(__name__)
Runner = Callable[[Job, datetime], str]  # (job, due time) -> detail; raises on failure


@dataclass(frozen=True)
class TickResult:
    job: str
    due_at: datetime
    status: str  # ok | failed | skipped (first sight of the job)
    detail: str = ""


class Scheduler:
    def __init__(
        self,
        config: ScheduleConfig,
        claims: ScheduleClaims,
        runners: dict[str, Runner],
        *,
        worker: str | None = None,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.config = config
        self.claims = claims
        self.runners = runners
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        self._stop = threading.Event()

    def tick(self, now: datetime | None = None) -> list[TickResult]:
        """Run what is due at ``now``; returns what this worker ran (or skipped)."""
        now = now or self.clock()
        done = []
        for job in self.config.jobs:
            due = job.schedule.latest(now)
            if due is None:
                continue
            last = self.claims.last_due(job.name)
            if last is not None and last >= due:
                continue
            if last is None:  # first sight: start from the next due time, not a past one
                if self.claims.claim(job.name, due, self.worker, now, status="skipped"):
                    done.append(TickResult(job.name, due, "skipped", "first seen"))
                continue
            if not self.claims.claim(job.name, due, self.worker, now):
                continue  # another worker has it
            done.append(self._run(job, due))
        return done

    def _run(self, job: Job, due: datetime) -> TickResult:
        try:
            detail = self.runners[job.kind](job, due)
            status = "ok"
        except Exception as exc:  # noqa: BLE001 - recorded; the scheduler keeps going
            log.warning("scheduled job %s (%s) failed: %s", job.name, due, exc)
            detail, status = f"{type(exc).__name__}: {exc}", "failed"
        self.claims.finish(job.name, due, status, self.clock(), detail)
        return TickResult(job.name, due, status, detail)

    def start(self, interval_s: float = 30.0) -> threading.Thread:
        """Tick in a daemon thread until ``stop()``."""

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception as exc:  # noqa: BLE001 - e.g. the ops store briefly locked
                    log.warning("scheduler tick: %s", exc)
                self._stop.wait(interval_s)

        thread = threading.Thread(target=loop, name="scheduler", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


def default_runners(app: Any, *, db: str | None = None) -> dict[str, Runner]:
    """The built-in job kinds over the serving application ``app``."""

    def digest(job: Job, due: datetime) -> str:
        from assistant.digest.service import produce_digest

        result = produce_digest(
            app=app,
            period=job.period,
            lang=job.lang,
            fmt=job.format,
            role=job.role,
            user=job.user,
            region=job.region,
            to=list(job.to),
            today=due.date(),
            now=due,
        )
        if result["failed"]:
            raise RuntimeError("; ".join(result["failed"]))
        return f"sent {len(result['sent'])}: {result['subject']}"

    def command(args: Callable[[Job, datetime], list[str]]) -> Runner:
        """A CLI command in a child process (as ``serve`` runs evals): its output and any
        crash stay out of the server; a non-zero exit fails the run with the command's words."""

        def run(job: Job, due: datetime) -> str:
            import subprocess
            import sys

            cmd = [sys.executable, "-m", "assistant.cli", *args(job, due)]
            cmd += ["--db", db or app.warehouse_url]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, check=False)
            if proc.returncode != 0:
                said = (proc.stdout + proc.stderr).strip()[-500:]
                raise RuntimeError(said or f"exit {proc.returncode}")
            return proc.stdout.strip()[-2000:]

        return run

    alerts = command(
        lambda job, due: [
            "alerts",
            "notify",
            "--today",
            due.date().isoformat(),
            "--now",
            due.isoformat(),
            "--lookback",
            str(job.lookback_days),
            "--json",
        ]
    )
    tasks = command(
        lambda job, due: [
            "tasks",
            "run",
            "--now",
            due.isoformat(),
            "--days",
            str(min(job.lookback_days, 366)),
            "--json",
        ]
    )
    return {"digest": digest, "alerts": alerts, "tasks": tasks}
