"""`servicepilot query`: run certified metrics through the semantic layer compiler."""

from __future__ import annotations

from datetime import date

import click

from assistant.cli_support import (
    db_option,
    emit_json,
    handles_errors,
    identity_options,
    json_option,
)
from semantic_layer.query import Filter, MetricQuery, OrderBy, TimeRange
from tools.errors import ConfigError

_OPS = ("!=", ">=", "<=", "=", ">", "<")


def parse_filter(text: str) -> Filter:
    """`channel=wechat`, `region=east,north` (in), `priority!=low`, `contacts>=2`."""
    for op in _OPS:
        field, sep, value = text.partition(op)
        if sep and field.strip():
            values = tuple(v.strip() for v in value.split(",") if v.strip())
            if op in ("=", "!=") and len(values) > 1:
                return Filter(
                    field=field.strip(), op="in" if op == "=" else "not in", values=values
                )
            return Filter(field=field.strip(), op=op, values=values)  # type: ignore[arg-type]
    raise ConfigError(
        f"Cannot read filter '{text}'. Write FIELD=VALUE[,VALUE...] or use "
        f"one of {', '.join(_OPS)} (e.g. channel=wechat, region=east,north)."
    )


@click.command(name="query")
@click.option("--metric", "metrics", multiple=True, required=True, help="Metric (repeatable).")
@click.option("--by", "dimensions", multiple=True, help="Dimension to group by (repeatable).")
@click.option("--grain", type=click.Choice(["day", "week", "month", "quarter", "year"]))
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="Start date (incl.).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="End date (exclusive).")
@click.option("--filter", "filters", multiple=True, help="FIELD=VALUE[,VALUE] (repeatable).")
@click.option("--compare", type=click.Choice(["previous_period", "same_period_last_year"]))
@click.option("--order-by", "order_by", multiple=True, help="Field; prefix '-' for descending.")
@click.option("--limit", type=int, help="Maximum rows.")
@click.option("--sql", "show_sql", is_flag=True, help="Also print the SQL that ran.")
@identity_options
@db_option
@json_option
@handles_errors
def command(
    metrics: tuple[str, ...],
    dimensions: tuple[str, ...],
    grain: str | None,
    start,
    end,
    filters: tuple[str, ...],
    compare: str | None,
    order_by: tuple[str, ...],
    limit: int | None,
    show_sql: bool,
    user: str,
    role: str,
    db: str | None,
    as_json: bool,
) -> None:
    """Compute certified metrics, e.g. `--metric csat --by region --grain month`. Runs as
    --user/--role (default: the local analyst): the role's row access applies, and the run
    is written to the audit log."""
    import time

    from assistant.app import build_app
    from assistant.audit_ops import record_operation
    from assistant.roles import get_role
    from tools.settings import load_settings

    if (start is None) != (end is None):
        raise ConfigError("Give both --from and --to (end exclusive), or neither.")
    try:
        query = MetricQuery(
            metrics=metrics,
            dimensions=dimensions,
            time_grain=grain,
            time_range=TimeRange(start=start.date(), end=end.date()) if start else None,
            filters=tuple(parse_filter(f) for f in filters),
            compare_to=compare,
            order_by=tuple(
                OrderBy(field=o.lstrip("-"), descending=o.startswith("-")) for o in order_by
            ),
            limit=limit,
        )
    except ValueError as exc:
        raise ConfigError(f"Invalid query: {exc}") from exc
    get_role(role)  # an unknown role fails before the warehouse is opened
    app = build_app(load_settings(), "cli", warehouse=db)
    try:
        started = time.perf_counter()
        # The application, not its API: the API's tool layer imports pandas (alert tools).
        result = app.query_metrics(query, role)
        arguments = query.model_dump(mode="json", exclude_defaults=True)
        trouble = record_operation(
            app.audit,
            app.surface,
            "query",
            arguments,
            user=user,
            role=role,
            started=started,
            result=result,
        )
    finally:
        app.close()
    if trouble:
        click.echo(f"warning: {trouble}", err=True)
    if as_json:
        emit_json({"ok": True, **result.to_dict()})
        return
    # The text table is pandas' rendering (its number formatting); --json needs no DataFrame.
    frame = result.data[
        [c for c in result.data.columns if not c.endswith(("__small_n", "__ci_low", "__ci_high"))]
    ]
    click.echo(frame.to_string(index=False) if len(frame) else "(no rows)")
    for name, meta in result.metrics.items():
        size = result.sample_sizes.get(name)
        n = f", n ≥ {size.min_n}" if size else ""
        click.echo(
            f"{name}: {meta.label_en} / {meta.label_zh} ({meta.unit}, by "
            f"{meta.time_attribution}{', certified' if meta.certified else ''}"
            f", v{meta.version}{n})"
        )
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    fresh = result.data_freshness
    click.echo(f"data through {fresh:%Y-%m-%d %H:%M}" if fresh else "no data", err=True)
    if show_sql:
        click.echo(result.sql)
    _ = date  # dates are parsed by click
