"""``servicepilot serve``: the web UI (chat, similar cases, cockpit, metric catalog) + API."""

from __future__ import annotations

import json
import logging
import os
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


def warm_alerts(app: Any) -> None:
    """Compute the cockpit's and chat's default alert windows in the background at startup
    (detection scans the warehouse for seconds); the shared cache keeps them 15 minutes."""
    from assistant.planning.offline import DEFAULT_ALERT_DAYS

    cache, today = app.services.alerts, app.today

    def warm() -> None:
        for days in (ALERT_LOOKBACK_DAYS, DEFAULT_ALERT_DAYS):  # the cockpit's, chat's default
            try:
                cache.all(today - timedelta(days=days), today)
            except Exception as exc:  # shown in the panel on the next call
                log.warning("alerts: %s", exc)

    if hasattr(cache, "all"):
        threading.Thread(target=warm, name="alerts-warmup", daemon=True).start()


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


def build_context(
    db: str | None,
    today: date,
    *,
    users_path: Path | None,
    no_auth: bool,
    role: str | None,
    lang: str,
) -> Any:
    from assistant.app import build_app
    from assistant.roles import get_role
    from assistant.ui.auth import UserDirectory
    from assistant.ui.context import UIContext
    from tools.feedback import FeedbackStore
    from tools.settings import load_settings

    settings = load_settings()
    get_role(role)
    users = None if no_auth else UserDirectory.load(users_path)
    app = build_app(
        settings, "ui", warehouse=db, today=today, cockpit_alert_days=ALERT_LOOKBACK_DAYS
    )
    warm_alerts(app)
    assert app.audit is not None  # the ui surface is audited: feedback shares its store
    return UIContext(
        api=app.api,
        users=users,
        default_role=role,
        feedback=FeedbackStore(app.audit.store),
        eval_runner=eval_runner(app.warehouse_url, settings.data_dir / "eval_reports"),
        default_language=lang,
    )


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
    db: str | None,
) -> None:
    """Start the web UI and its API on http://HOST:PORT (chat, similar cases, cockpit,
    metric catalog), e.g.

        servicepilot serve --today 2026-11-22
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.roles import RoleError
    from assistant.ui.app import launch
    from assistant.ui.auth import AuthConfigError
    from tools.errors import ConfigError

    try:
        ctx = build_context(db, today, users_path=users_path, no_auth=no_auth, role=role, lang=lang)
    except (AuthConfigError, RoleError) as exc:
        raise ConfigError(str(exc)) from None
    click.echo(
        f"ServicePilot ready in {time.perf_counter() - STARTED:.1f}s "
        f"(today {ctx.api.today}); serving on http://{host}:{port}",
        err=True,
    )
    launch(ctx, host=host, port=port)


if __name__ == "__main__":  # python -m assistant.commands.serve (before registration)
    command()
