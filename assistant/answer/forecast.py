"""Forecast -> a volume forecast with its interval, method and backtest (not a certified
metric, and said so). A regional manager's forecast covers their region only; the forecast
starts after the last complete week of data, not of the calendar."""

from __future__ import annotations

from datetime import timedelta

from assistant.answer.base import AnswerContext, Reply, t
from assistant.messages import forecast_method
from assistant.planning.plans import Forecast

PLAN = Forecast


def handle(plan: Forecast, ctx: AnswerContext) -> Reply:
    from tools.monitoring.forecast import ForecastError

    services, language, role = ctx.services, ctx.language, ctx.role
    if services.forecast is None:
        return Reply(t(language, "预测暂不可用。", "Forecasts are not available."))
    scope = {f.field: str(f.values[0]) for f in plan.scope}
    for field_name, allowed in role.row_filters.items():
        if len(allowed) == 1:  # authorize() refused any other value: pin the role's own
            scope[field_name] = allowed[0]
    # A calendar period asked for ("下个月") is forecast as that period, not as N weeks.
    period = {} if plan.period is None else {"period": (plan.period.start, plan.period.end)}
    try:
        result = services.forecast(
            services.engine,
            plan.metric,
            plan.weeks,
            scope,
            ctx.state.today,
            catalog=services.catalog,  # the app's: a reloaded catalog reaches the forecast
            **period,
        )
    except ForecastError as exc:
        return Reply(t(language, f"无法预测：{exc}", f"No forecast: {exc}"))
    label = services.catalog.metric(plan.metric).label
    first = result.weeks[0].week_start
    backtest = result.backtest
    if plan.period is not None:
        last = plan.period.end - timedelta(days=1)
        span_zh = f"{plan.period.start} 至 {last}"
        span_en = f"{plan.period.start} to {last}"
    else:
        span_zh = f"{first} 起{plan.weeks}周"
        span_en = f"the {plan.weeks} weeks from {first}"
    if language == "zh":
        text = (
            f"预测（非认证指标）：{span_zh} 的{label.zh}合计约 "
            f"{result.total:,.0f}（95%区间 {result.total_low_95:,.0f}–"
            f"{result.total_high_95:,.0f}）。方法：{forecast_method(result.method, 'zh')}。"
        )
        if backtest is not None:
            text += (
                f"回测平均绝对标度误差 {backtest.mase:.2f}（季节性朴素基线 "
                f"{backtest.baseline_mase:.2f}）。"
            )
    else:
        text = (
            f"Forecast (not a certified metric): {label.en} for {span_en} "
            f"totals about {result.total:,.0f} (95% interval "
            f"{result.total_low_95:,.0f}-{result.total_high_95:,.0f}). Method: "
            f"{forecast_method(result.method, 'en')}."
        )
        if backtest is not None:
            text += (
                f" Backtest MASE {backtest.mase:.2f} (seasonal-naive {backtest.baseline_mase:.2f})."
            )
    return Reply(text, payload={"forecast": result.to_dict()})
