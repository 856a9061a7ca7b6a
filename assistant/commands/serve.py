"""``servicepilot serve``: the web UI (chat, similar cases, cockpit, metric catalog) + API."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from assistant.cli_support import db_option, handles_errors

STARTED = time.perf_counter()
log = logging.getLogger(__name__)


def parse_today(value: str | None) -> date:
    value = value or os.environ.get("SERVICEPILOT_TODAY")
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-22.") from None


ALERT_LOOKBACK_DAYS = 60
ALERT_CACHE_S = 900


def _alert_visible(role: Any, scope: dict[str, str]) -> bool:
    """Fail closed: a role with row filters sees only alerts scoped inside its rows."""
    return all(scope.get(field) in allowed for field, allowed in role.row_filters.items())


def _alert_dict(alert: Any) -> dict[str, Any]:
    where = ", ".join(f"{k}={v}" for k, v in alert.scope.items()) or "all"
    span = f"{alert.period_start}–{alert.period_end}"
    return {
        "severity": alert.severity,
        "metric": alert.metric,
        "scope": dict(alert.scope),
        "title_zh": f"{alert.metric_label_zh}（{where}）：实际 {alert.observed:,.1f}，"
        f"预期 {alert.expected:,.1f}（{span}，负责人 {alert.owner}）",
        "title_en": f"{alert.metric_label_en} ({where}): observed {alert.observed:,.1f}, "
        f"expected {alert.expected:,.1f} ({span}, owner {alert.owner})",
    }


def discover_alerts(warehouse_url: str, today: date) -> Callable[[Any], list[dict]] | None:
    """Alerts from ``tools.monitoring.current_alerts`` when monitoring is installed (computed
    in the background at startup, cached for 15 minutes), else None."""
    try:
        current_alerts = importlib.import_module("tools.monitoring").current_alerts
    except (ImportError, AttributeError):
        return None
    lock = threading.Lock()
    cache: dict[str, Any] = {}

    def alerts() -> list[Any]:
        with lock:
            if cache.get("at", -1e9) + ALERT_CACHE_S < time.monotonic():
                cache["alerts"] = current_alerts(
                    warehouse_url, today, lookback_days=ALERT_LOOKBACK_DAYS
                )
                cache["at"] = time.monotonic()
            return cache["alerts"]

    def source(role: Any) -> list[dict[str, Any]]:
        return [_alert_dict(a) for a in alerts() if _alert_visible(role, a.scope)]

    def warm() -> None:
        try:
            alerts()
        except Exception as exc:  # shown in the panel on the next call
            log.warning("alerts: %s", exc)

    threading.Thread(target=warm, name="alerts-warmup", daemon=True).start()
    return source


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
    from assistant.api import CaseSearcher, ServicePilotAPI
    from assistant.ratelimit import RateLimiter
    from assistant.roles import get_role
    from assistant.service import Assistant
    from assistant.ui.auth import UserDirectory
    from assistant.ui.context import UIContext
    from tools.audit import AuditLog, OpsStore
    from tools.feedback import FeedbackStore
    from tools.settings import load_settings, warehouse_url_from

    settings = load_settings()
    url = warehouse_url_from(db, settings)
    get_role(role)
    users = None if no_auth else UserDirectory.load(users_path)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ops = OpsStore(settings.resolved_ops_url)  # audit log + feedback (writable)
    assistant = Assistant(url, audit=AuditLog(ops), surface="ui")
    api = ServicePilotAPI(
        assistant,
        today=today,
        warehouse_url=url,
        cases=CaseSearcher(),
        alerts=discover_alerts(url, today),
        rate_limit=RateLimiter(settings.rate_limit_per_minute),
    )
    return UIContext(
        api=api,
        users=users,
        default_role=role,
        feedback=FeedbackStore(ops),
        eval_runner=eval_runner(url, settings.data_dir / "eval_reports"),
        default_language=lang,
    )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=7860, show_default=True, type=int, help="Port.")
@click.option(
    "--today",
    default=None,
    metavar="YYYY-MM-DD",
    help="Resolve relative times against this date (default: SERVICEPILOT_TODAY or the real date).",
)
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
@click.option("--role", default=None, help="Role of the --no-auth user (default: executive).")
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
    today: str | None,
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
        ctx = build_context(
            db, parse_today(today), users_path=users_path, no_auth=no_auth, role=role, lang=lang
        )
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
