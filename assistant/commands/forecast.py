"""`servicepilot forecast`: ticket/complaint volume for the next weeks (tools/monitoring)."""

from __future__ import annotations

from datetime import date

import click

from assistant.cli_support import db_option, emit_json, handles_errors, json_option, today_option


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
@db_option
@json_option
@handles_errors
def command(
    metric: str,
    by: str | None,
    weeks: int,
    today: date,
    no_backtest: bool,
    db: str | None,
    as_json: bool,
) -> None:
    """Forecast weekly volume with 80/95 % intervals; backtested against seasonal-naive."""
    from semantic_layer.executor import execute
    from semantic_layer.query import MetricQuery
    from tools.monitoring.forecast import forecast_volume
    from tools.settings import warehouse_url_from
    from tools.warehouse.engine import make_engine

    day = today
    engine = make_engine(warehouse_url_from(db), read_only=True)
    try:
        scopes: list[dict[str, str]] = [{}]
        if by:
            values = execute(MetricQuery(metrics=(metric,), dimensions=(by,)), engine).data[by]
            scopes = [{by: str(v)} for v in values.dropna()]
        results = [
            forecast_volume(engine, metric, weeks, s, day, with_backtest=not no_backtest)
            for s in scopes
        ]
    finally:
        engine.dispose()
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
