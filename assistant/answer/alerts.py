"""AlertReview -> the monitoring alerts of the plan's period within its scope, only those the
asker's role may see; each listed alert offers its "why" (a RootCause plan). The wording is
``assistant.alerts.review_answer``."""

from __future__ import annotations

from typing import Any

from assistant.alerts import AlertNarrator, in_scope, review_answer
from assistant.answer.base import AnswerContext, Reply, Services, t
from assistant.planning.plans import AlertReview
from assistant.roles import scope_visible

PLAN = AlertReview


def handle(plan: AlertReview, ctx: AnswerContext) -> Reply:
    services, language, role = ctx.services, ctx.language, ctx.role
    checked = monitored(services, language)
    if plan.metric is not None and plan.metric not in checked["metrics"]:
        label = services.catalog.metric(plan.metric).label
        watched = ("、" if language == "zh" else ", ").join(checked["metric_labels"].values())
        text = t(
            language,
            f"{label.zh}没有配置监控规则，因此没有它的预警。受监控的指标：{watched}。",
            f"{label.en} has no monitoring rule, so it raises no alerts. Monitored "
            f"metrics: {watched}.",
        )
        return Reply(
            text, payload={"checked": {k: v for k, v in checked.items() if k != "metric_labels"}}
        )
    if services.alerts is None:
        return Reply(t(language, "预警暂不可用。", "Alerts are not available."))
    try:
        found = services.alerts(role, plan.period.start, plan.period.end)
    except Exception as exc:  # noqa: BLE001 - detection failed: say so, keep the chat usable
        return Reply(t(language, f"无法获取预警：{exc}", f"Alerts are unavailable: {exc}"))
    alerts = [
        a
        for a in found
        if scope_visible(role, a.scope)  # whatever the source did: fail closed here too
        and in_scope(a, plan.scope)
        and (plan.metric is None or a.metric == plan.metric)
    ]
    text, payload, follow_ups = review_answer(
        plan,
        alerts,
        AlertNarrator(services.lexicon),
        language,
        today=ctx.state.today,
        checked=checked,
    )
    if alerts:
        series = _series(alerts[0], ctx)
        if series is not None:
            payload["series"] = series
    return Reply(text, payload=payload, follow_ups=follow_ups)


SERIES_PERIODS = 12  # periods of the metric shown before an alert's window in its chart


def _series(alert: Any, ctx: AnswerContext) -> dict[str, Any] | None:
    """The most severe alert's metric over the periods before and through its window, at its
    grain and in its scope, from the semantic layer under the asker's role, with the expected
    band and the observed value per period of the series (a count over a 7-day window is
    divided by 7 to sit on a daily series; a rate is the window's rate) — for the chart of the
    series with the band and the anomaly marked. None when it cannot be run."""
    from datetime import timedelta

    from semantic_layer.executor import execute
    from semantic_layer.periods import add_months
    from semantic_layer.query import MetricQuery, TimeRange

    grain = alert.grain if alert.grain in ("day", "week", "month") else "day"
    if grain == "month":
        start = add_months(alert.peak_start, -SERIES_PERIODS)
    else:
        start = alert.peak_start - timedelta(days=SERIES_PERIODS * (7 if grain == "week" else 1))
    query = MetricQuery(
        metrics=(alert.metric,),
        time_grain=grain,
        time_range=TimeRange(start=start, end=max(alert.period_end, alert.peak_end)),
    )
    for key, value in alert.scope.items():
        query = query.with_filter(key, "=", value)
    try:
        result = execute(
            query,
            ctx.services.engine,
            catalog=ctx.services.catalog,
            policy=ctx.role.policy,
            timeout_s=ctx.services.timeout_s,
        )
    except Exception:  # noqa: BLE001 - the chart is optional; the answer stands without it
        return None
    frame = result.data.sort_values("period")
    additive = ctx.services.catalog.metric(alert.metric).type == "simple"
    days = max((alert.peak_end - alert.peak_start).days, 1)
    per = {"day": days, "week": days / 7, "month": days / 30}[grain] if additive else 1
    per = max(per, 1)
    return {
        "metric": alert.metric,
        "grain": grain,
        "points": [
            [str(p)[:10], None if v != v else float(v)]  # NaN -> None (JSON)
            for p, v in zip(frame["period"], frame[alert.metric], strict=True)
        ],
        "window": [alert.peak_start.isoformat(), alert.peak_end.isoformat()],
        "observed": alert.observed / per,
        "expected": alert.expected / per,
        "band": [alert.interval_low / per, alert.interval_high / per],
    }


def monitored(services: Services, language: str) -> dict[str, Any]:
    """What the monitoring rules watch (said with every alert answer); read once."""
    if services.monitoring is None:
        from tools.monitoring import load_rules

        config = load_rules(None, services.catalog)
        metrics = list(dict.fromkeys(r.metric for r in config.rules))
        dims = list(dict.fromkeys(d for r in config.rules for d in r.dimensions))
        services.monitoring = {"rules": len(config.rules), "metrics": metrics, "dimensions": dims}
    labels = {}
    for m in services.monitoring["metrics"]:
        label = services.catalog.metric(m).label
        labels[m] = label.zh if language == "zh" else label.en
    return {**services.monitoring, "metric_labels": labels}
