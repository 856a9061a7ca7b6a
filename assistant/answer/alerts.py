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


def _series(alert: Any, ctx: AnswerContext) -> dict[str, Any] | None:
    """The most severe alert's series with its band (tools.monitoring.series), under the
    asker's role; None when it cannot be run."""
    from tools.monitoring.series import alert_series

    return alert_series(
        alert,
        ctx.services.engine,
        ctx.services.catalog,
        policy=ctx.role.policy,
        timeout_s=ctx.services.timeout_s,
    )


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
