"""`servicepilot forecast`: ticket/complaint volume for the next weeks (tools/monitoring)."""

from __future__ import annotations

from datetime import date

import click

from assistant.cli_support import (
    db_option,
    emit_json,
    handles_errors,
    identity_options,
    json_option,
    today_option,
)


@click.command(name="forecast")
@click.option(
    "--metric",
    type=click.Choice(["complaint_volume", "ticket_volume"]),
    default="complaint_volume",
    show_default=True,
    help="Volume to forecast.",
)
@click.option(
    "--by",
    type=click.Choice(["channel", "region"]),
    default=None,
    help="One forecast per channel or region.",
)
@click.option("--weeks", type=click.IntRange(2, 8), default=4, show_default=True)
@today_option("Forecast from the last complete week before this day.")
@click.option("--no-backtest", is_flag=True, help="Skip the rolling-origin backtest.")
@identity_options
@db_option
@json_option
@handles_errors
def command(
    metric: str,
    by: str | None,
    weeks: int,
    today: date,
    no_backtest: bool,
    user: str,
    role: str,
    db: str | None,
    as_json: bool,
) -> None:
    """Forecast weekly volume with 80/95 % intervals; backtested against seasonal-naive. Runs
    within the rows --role may see (default: the local analyst); the run is audited."""
    import time

    from assistant.app import build_app
    from assistant.roles import get_role
    from semantic_layer.executor import execute
    from semantic_layer.query import MetricQuery
    from tools.errors import ConfigError
    from tools.monitoring.forecast import forecast_volume
    from tools.settings import load_settings

    viewer = get_role(role)
    # A forecast's scope is one value per dimension: a role's row filter becomes part of it.
    fixed: dict[str, str] = {}
    for field, allowed in viewer.row_filters.items():
        if len(allowed) != 1:
            raise ConfigError(
                f"Role '{role}' sees several {field} values ({', '.join(map(str, allowed))}); "
                f"a forecast covers one. Use a role with one {field}."
            )
        fixed[field] = str(allowed[0])
    app = build_app(load_settings(), "cli", warehouse=db, today=today)
    try:
        started = time.perf_counter()
        scopes: list[dict[str, str]] = [dict(fixed)]
        if by:
            listing = MetricQuery(metrics=(metric,), dimensions=(by,))
            values = execute(listing, app.engine, catalog=app.catalog, policy=viewer.policy)
            scopes = [{**fixed, by: str(v)} for v in values.data[by].dropna()]
        results = [
            forecast_volume(
                app.engine,
                metric,
                weeks,
                s,
                today,
                catalog=app.catalog,
                with_backtest=not no_backtest,
            )
            for s in scopes
        ]
        arguments = {"metric": metric, "by": by, "weeks": weeks, "today": today}
        trouble = app.api.record_operation(
            "forecast",
            arguments,
            user=user,
            role=role,
            started=started,
            summary=f"{len(results)} forecast(s)",
        )
    finally:
        app.close()
    if trouble:
        click.echo(f"warning: {trouble}", err=True)
    if as_json:
        emit_json({"ok": True, "forecasts": [r.to_dict() for r in results]})
        return
    for r in results:
        scope = ", ".join(f"{k}={v}" for k, v in r.scope.items()) or "all"
        click.echo(f"{r.metric} ({scope}) — {r.method}")
        for w in r.weeks:
            extra = f"  [{', '.join(w.holidays)}]" if w.holidays else ""
            click.echo(
                f"  week of {w.week_start}: {w.forecast:,.0f} "
                f"(80% {w.low_80:,.0f}-{w.high_80:,.0f}, 95% {w.low_95:,.0f}-{w.high_95:,.0f})"
                f"{extra}"
            )
        if r.backtest:
            b = r.backtest
            click.echo(
                f"  backtest ({b.origins} origins): MASE {b.mase:.2f} vs seasonal-naive "
                f"{b.baseline_mase:.2f}; sMAPE {b.smape:.1f}% vs {b.baseline_smape:.1f}%; "
                f"80% coverage {b.coverage_80:.0%}"
            )
