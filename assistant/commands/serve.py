"""``servicepilot serve``: the web UI (chat, similar cases, cockpit, metric catalog) + API."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from assistant.cli_support import db_option, handles_errors, role_option, today_option

STARTED = time.perf_counter()
log = logging.getLogger(__name__)


ALERT_LOOKBACK_DAYS = 60
WARMED = "warm-up done:"  # the line each background warm-up prints when it ends


def warm_alerts(app: Any) -> None:
    """Compute the cockpit's and chat's default alert windows in the background at startup
    (detection scans the warehouse for seconds); the shared cache keeps them 15 minutes."""
    from assistant.planning.offline import DEFAULT_ALERT_DAYS

    cache, today = app.services.alerts, app.today

    def warm() -> None:
        started = time.perf_counter()
        for days in (ALERT_LOOKBACK_DAYS, DEFAULT_ALERT_DAYS):  # the cockpit's, chat's default
            try:
                cache.all(today - timedelta(days=days), today)
            except Exception as exc:  # shown in the panel on the next call
                log.warning("alerts: %s", exc)
        warmed("alerts", started)

    if hasattr(cache, "all"):
        threading.Thread(target=warm, name="alerts-warmup", daemon=True).start()


def warmed(what: str, started: float) -> None:
    """A background warm-up finished (or gave up): one line on stderr, so an operator (and
    benchmarks/bench_load.py, which waits for them) sees when the server is at full speed."""
    print(f"{WARMED} {what} in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)


def warm_cases(app: Any) -> None:
    """Load the similar-case index and embedding model in the background at startup, so the
    first search after the server reports ready does not wait 10+ s for the model."""
    searcher = app.services.cases

    def warm() -> None:
        started = time.perf_counter()
        try:
            searcher.warm()
        except Exception as exc:  # e.g. no index yet: the tab says how to build it
            log.warning("similar cases not warmed: %s", exc)
        warmed("similar-case search", started)

    if searcher is not None and hasattr(searcher, "warm"):
        threading.Thread(target=warm, name="cases-warmup", daemon=True).start()


def eval_runner(warehouse_url: str, report_dir: Path) -> Callable[[], dict[str, Any]]:
    """Runs ``servicepilot eval --json`` in a subprocess (assistant never imports evals)."""

    def run() -> dict[str, Any]:
        cmd = [
            sys.executable,
            "-m",
            "assistant.cli",
            "eval",
            "--json",
            "--quiet",
            "--db",
            warehouse_url,
            "--report-dir",
            str(report_dir),
        ]
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
        seconds = time.perf_counter() - started
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            return {
                "ok": False,
                "exit_code": proc.returncode,
                "summary": f"❌ eval failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout)[-2000:]}",
            }
        dev = report.get("development") or {}
        acc = dev.get("accuracy") if isinstance(dev, dict) else None
        report["summary"] = (
            f"{'✅' if proc.returncode == 0 else '❌'} eval exit {proc.returncode} in "
            f"{seconds:.0f}s"
            + (f"; development accuracy {acc}" if acc is not None else "")
            + f"; report {report.get('report_md', '')}"
        )
        return report

    return run


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def exposure_check(host: str, *, no_auth: bool, demo_users: list[str], demo_data: bool) -> str:
    """Refuse (ConfigError) what would expose data to the network without a real login: no
    login, or the shipped demo passwords, on a non-loopback host. Returns a warning for demo
    passwords on a warehouse holding real data ("" when there is nothing to say)."""
    from tools.errors import ConfigError

    exposed = not is_loopback(host)
    if no_auth and exposed:
        raise ConfigError(
            f"--no-auth with --host {host}: anyone on the network would get full access. "
            "Use --host 127.0.0.1 for a local session, or drop --no-auth and sign in."
        )
    if demo_users and exposed:
        raise ConfigError(
            f"Users {', '.join(demo_users)} still have the shipped demo passwords, and --host "
            f"{host} is reachable from the network. Set new passwords (python -m "
            "assistant.ui.auth 'PASSWORD' prints a hash for the users file) or serve on "
            "127.0.0.1."
        )
    if demo_users and not demo_data:
        return (
            f"WARNING: users {', '.join(demo_users)} still have the shipped demo passwords "
            "(<name>-demo) on a warehouse with real data; change them in the users file "
            "(README, Security)."
        )
    return ""


def build_context(
    db: str | None,
    today: date,
    *,
    users_path: Path | None,
    no_auth: bool,
    role: str | None,
    lang: str,
    host: str = "127.0.0.1",
    workers: int = 0,
) -> Any:
    from assistant.app import build_app
    from assistant.roles import get_role
    from assistant.ui.auth import Gatekeeper, UserDirectory
    from assistant.ui.context import UIContext
    from tools.feedback import FeedbackStore
    from tools.health import WarehouseWatch
    from tools.settings import load_settings, warehouse_url_from

    settings = load_settings()
    get_role(role)
    users = None if no_auth else UserDirectory.load(users_path)
    demo_users = users.demo_users() if users is not None else []
    url = warehouse_url_from(db, settings)
    warning = exposure_check(
        host, no_auth=no_auth, demo_users=demo_users, demo_data=_only_demo_data(url)
    )
    if warning:
        click.echo(warning, err=True)
    # With an LLM configured, the chat reads what the offline planner cannot (offline first:
    # llm_planner_mode); without one, the offline planner alone.
    planner = "offline" if settings.llm_provider == "none" else "llm"
    app = build_app(
        settings,
        "ui",
        warehouse=db,
        today=today,
        cockpit_alert_days=ALERT_LOOKBACK_DAYS,
        planner=planner,
    )
    warm_alerts(app)
    api = app.api
    if workers > 0:  # the answers run in worker processes; sessions and limits stay here
        api = start_workers(app, planner, workers)
    else:
        warm_cases(app)
    assert app.audit is not None  # the ui surface is audited: feedback shares its store
    return UIContext(
        api=api,
        users=users,
        default_role=role,
        feedback=FeedbackStore(app.audit.store),
        eval_runner=eval_runner(app.warehouse_url, settings.data_dir / "eval_reports"),
        default_language=lang,
        login=Gatekeeper(users, on_event=app.audit.record_login) if users is not None else None,
        warehouse_watch=WarehouseWatch(app.warehouse_url),
    )


def load_jobs(schedules: Path | None) -> Any:
    """The schedules file's jobs (``--schedules``, else the settings' file when it exists);
    None without one. An invalid file raises ScheduleConfigError (file:line, exit 2)."""
    from tools.schedule.config import load_schedules
    from tools.settings import load_settings

    path = schedules or load_settings().resolved_schedules_file
    if schedules is None and not path.exists():
        return None
    return load_schedules(path)


def start_scheduler(app: Any, jobs: Any, db: str | None) -> Any:
    """Run ``jobs`` (a ScheduleConfig) in the scheduler's thread over the serving ``app``."""
    from assistant.scheduler import Scheduler, default_runners
    from tools.audit import open_ops_store
    from tools.schedule.claims import ScheduleClaims

    claims = ScheduleClaims(open_ops_store(app.settings))
    scheduler = Scheduler(jobs, claims, default_runners(app, db=db))
    scheduler.start()
    click.echo(f"Scheduler: {len(jobs.jobs)} job(s) from {jobs.source}", err=True)
    return scheduler


def start_workers(app: Any, planner: str, workers: int) -> Any:
    """A PooledAPI over ``workers`` started processes (each builds its own application)."""
    from assistant.workers import PooledAPI, WorkerPool, WorkerSpec

    spec = WorkerSpec(warehouse=app.warehouse_url, today=app.today, planner=planner)
    pool = WorkerPool(spec, workers)
    try:
        pool.start()
    except BaseException:
        pool.close()
        raise
    return PooledAPI(app, pool)


def _stop_on_sigterm() -> None:
    """SIGTERM ends the server like Ctrl-C, so the worker processes are stopped too."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _only_demo_data(url: str) -> bool:
    from tools.warehouse.engine import holds_only_demo_data, make_engine

    engine = make_engine(url, read_only=True)
    try:
        return holds_only_demo_data(engine)
    finally:
        engine.dispose()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=7860, show_default=True, type=int, help="Port.")
@today_option()
@click.option(
    "--users",
    "users_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Users file (default: SERVICEPILOT_USERS_FILE or assistant/users.yml).",
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="No login: a single local user with --role (for development only).",
)
@role_option("Role of the --no-auth user (default: executive).")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Initial UI language (users can switch).",
)
@click.option(
    "--schedules",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Jobs to run on cron schedules: digests, alerts notify, tasks run (default: "
    "SERVICEPILOT_SCHEDULES_FILE or <data_dir>/schedules.yml when it exists).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Processes that answer (planning, SQL, case search) behind the one web server; "
    "0 answers in the server process. Default: one per core (0 on a single core).",
)
@db_option
@handles_errors
def command(
    host: str,
    port: int,
    today: date,
    users_path: Path | None,
    no_auth: bool,
    role: str | None,
    lang: str,
    schedules: Path | None,
    workers: int | None,
    db: str | None,
) -> None:
    """Start the web UI and its API on http://HOST:PORT (chat, similar cases, cockpit,
    metric catalog), e.g.

        servicepilot serve --today 2026-11-22
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    jobs = load_jobs(schedules)  # an invalid schedules file stops here, before the app
    from assistant.roles import RoleError
    from assistant.ui.app import launch
    from assistant.ui.auth import AuthConfigError
    from assistant.workers import default_workers
    from tools.errors import ConfigError

    workers = default_workers() if workers is None else workers
    _stop_on_sigterm()
    try:
        ctx = build_context(
            db,
            today,
            users_path=users_path,
            no_auth=no_auth,
            role=role,
            lang=lang,
            host=host,
            workers=workers,
        )
    except (AuthConfigError, RoleError) as exc:
        raise ConfigError(str(exc)) from None
    if jobs is not None:
        start_scheduler(ctx.api.app, jobs, db)
    pool = getattr(ctx.api, "pool", None)
    answering = (
        f"{pool.size} worker processes (pids {', '.join(map(str, pool.pids()))})"
        if pool is not None
        else "answers in this process"
    )
    click.echo(
        f"ServicePilot ready in {time.perf_counter() - STARTED:.1f}s "
        f"(today {ctx.api.today}; pid {os.getpid()}, {answering}); "
        f"serving on http://{host}:{port}",
        err=True,
    )
    try:
        launch(ctx, host=host, port=port)
    finally:
        if pool is not None:
            pool.close()


if __name__ == "__main__":  # python -m assistant.commands.serve (before registration)
    command()
