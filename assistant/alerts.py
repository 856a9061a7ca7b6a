"""Monitoring alerts in the assistant: a cached, role-scoped source, the chat answer to
"最近有什么异常？" and the "why?" follow-up (a RootCause plan) each alert opens.

Detection (``tools.monitoring``) scans the whole warehouse and takes seconds, so results are
cached per window; a role only ever sees alerts scoped inside its rows (fail closed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from assistant.messages import owner_label
from assistant.planning.plans import AlertReview, FollowUp, RootCause
from assistant.roles import Role, scope_visible
from semantic_layer.query import Filter, TimeRange

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from assistant.planning.lexicon import Lexicon
    from semantic_layer.catalog import Catalog
    from tools.monitoring import Alert

# (role, since, until) -> alerts whose strongest window ends in [since, until), most severe first.
AlertSource = Callable[[Role, date, date], list["Alert"]]
CACHE_SECONDS = 900
MAX_LISTED = 5


class AlertCache:
    """Alerts per window ``[since, until)``, computed once per ``ttl`` seconds (thread-safe);
    what chat and the cockpit share. Calling it returns the alerts ``role`` may see."""

    def __init__(
        self,
        warehouse: Engine | str,
        *,
        catalog: Callable[[], Catalog],
        ttl: float = CACHE_SECONDS,
    ) -> None:
        self.warehouse = warehouse
        self.ttl = ttl
        # The application's current catalog (asked at each computation, so a reload reaches
        # the alerts).
        self.catalog = catalog
        self._lock = threading.Lock()
        self._locks: dict[tuple[date, date], threading.Lock] = {}
        self._cache: dict[tuple[date, date], tuple[float, list[Alert]]] = {}

    def all(self, since: date, until: date) -> list[Alert]:
        from tools.monitoring import current_alerts

        key = (since, until)
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one computation per window; other windows are not blocked
            hit = self._cache.get(key)
            if hit is not None and hit[0] + self.ttl >= time.monotonic():
                return hit[1]
            alerts = current_alerts(
                self.warehouse, until, catalog=self.catalog(), lookback_days=(until - since).days
            )
            self._cache[key] = (time.monotonic(), alerts)
            return alerts

    def clear(self) -> None:
        """Forget computed alerts (after a catalog reload)."""
        with self._lock:
            self._cache.clear()

    def __call__(self, role: Role, since: date, until: date) -> list[Alert]:
        return [a for a in self.all(since, until) if scope_visible(role, a.scope)]


def in_scope(alert: Alert, scope: tuple[Filter, ...]) -> bool:
    """The alert is about (a part of) the scope the question names: every named dimension is
    one of the alert's own, with an allowed value."""
    for flt in scope:
        value = alert.scope.get(flt.field)
        if value is None:
            return False
        if flt.op in ("=", "in") and value not in {str(v) for v in flt.values}:
            return False
    return True


def why_plan(why: Mapping[str, Any], label: str, language: str) -> RootCause:
    """The RootCause plan an alert's ``why_link()`` opens: its metric within its scope, the
    alert's strongest window against the comparison period the baseline came from."""
    period = TimeRange.model_validate(why["period"])
    compare = TimeRange.model_validate(why["comparison_period"])
    scope = tuple(
        Filter(field=f["field"], op=f.get("op", "="), values=tuple(f["values"]))
        for f in why.get("filters", ())
    )
    last, compare_last = period.end - timedelta(days=1), compare.end - timedelta(days=1)
    interpretation = (
        f"分析预警“{label}”：{period.start}至{last} 相比 {compare.start}至{compare_last} 的变化原因"
        if language == "zh"
        else f"Explain the alert “{label}”: {period.start} to {last} vs {compare.start} to "
        f"{compare_last}"
    )
    return RootCause(
        metric=why["metric"],
        period=period,
        compare_period=compare,
        scope=scope,
        interpretation=interpretation,
    )


class AlertNarrator:
    """Alerts in words, in the question's language, with human labels for scopes."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def scope_label(self, scope: Mapping[str, str], language: str) -> str:
        if not scope:
            return "全部" if language == "zh" else "all"
        return self.lexicon.scope_label(scope, language)

    def title(self, alert: Alert, language: str) -> str:
        metric = alert.metric_label_zh if language == "zh" else alert.metric_label_en
        where = self.scope_label(alert.scope, language)
        return f"{metric}（{where}）" if language == "zh" else f"{metric} ({where})"

    def line(self, alert: Alert, language: str) -> str:
        zh = language == "zh"
        severity = {"critical": ("严重", "Critical"), "warning": ("警告", "Warning")}.get(
            alert.severity, (alert.severity, alert.severity)
        )
        level = f"{alert.interval_level * 100:.0f}%"
        last = alert.peak_end - timedelta(days=1)
        obs, exp = _value(alert.observed, alert.unit), _value(alert.expected, alert.unit)
        low, high = _value(alert.interval_low, alert.unit), _value(alert.interval_high, alert.unit)
        higher = alert.observed > alert.expected
        if zh:
            text = (
                f"【{severity[0]}】{self.title(alert, 'zh')}，{alert.peak_start}至{last}："
                f"实际 {obs}，预期 {exp}（{level}区间 {low}–{high}），"
                f"{'偏高' if higher else '偏低'}；负责人 {owner_label(alert.owner, 'zh')}"
            )
        else:
            text = (
                f"[{severity[1]}] {self.title(alert, 'en')}, {alert.peak_start} to {last}: "
                f"observed {obs} vs expected {exp} ({level} interval {low}-{high}), "
                f"{'above' if higher else 'below'} expected; owner {owner_label(alert.owner, 'en')}"
            )
        episode_last = alert.period_end - timedelta(days=1)
        if alert.ongoing:
            now = _value(alert.latest, alert.unit) if alert.latest is not None else None
            text += (
                f"；自 {alert.period_start} 起仍在持续" + (f"（最近一期 {now}）" if now else "")
                if zh
                else f"; open since {alert.period_start} and still ongoing"
                + (f" (latest {now})" if now else "")
            )
        elif (alert.period_start, alert.period_end) != (alert.peak_start, alert.peak_end):
            text += (
                f"；异常期 {alert.period_start}至{episode_last}"
                if zh
                else f"; episode {alert.period_start} to {episode_last}"
            )
        if alert.relative_to:
            dims = ("、" if zh else ", ").join(
                self.lexicon.dimension_label(d, language) for d in alert.relative_to
            )
            peers = f"（与{dims}相同的其他范围对比）" if zh else f" (vs peers of the same {dims})"
            text += peers
        if alert.contributors:
            top = alert.contributors[0]
            where = self.scope_label({top.dimension: top.value}, language)
            share = f"{top.share_of_change * 100:.0f}%"
            text += (
                f"；主要来源：{where}（{_value(top.observed, alert.unit)}，占变化 {share}）"
                if zh
                else f"; top contributor: {where} ({_value(top.observed, alert.unit)}, "
                f"{share} of the change)"
            )
        if alert.holidays:
            text += (
                f"；已考虑节假日：{'、'.join(alert.holidays)}"
                if zh
                else f"; holidays allowed for: {', '.join(alert.holidays)}"
            )
        return text + ("。" if zh else ".")

    def to_dict(self, alert: Alert) -> dict[str, Any]:
        """JSON-safe: every field of the alert, its why link and labels in both languages."""
        data = alert.to_dict()
        data["why"] = alert.why_link()
        data["title_zh"], data["title_en"] = self.title(alert, "zh"), self.title(alert, "en")
        data["text_zh"], data["text_en"] = self.line(alert, "zh"), self.line(alert, "en")
        return data


def review_answer(
    plan: AlertReview,
    alerts: list[Alert],
    narrator: AlertNarrator,
    language: str,
    *,
    today: date,
    checked: Mapping[str, Any],
) -> tuple[str, dict[str, Any], tuple[FollowUp, ...]]:
    """(text, payload, follow-ups) of an AlertReview answer; ``alerts`` are already scoped."""
    zh = language == "zh"
    period = plan.period
    days = (period.end - period.start).days
    last = period.end - timedelta(days=1)
    if period.end == today and days <= 31:  # "最近30天"; longer windows by their dates
        when = f"最近{days}天" if zh else f"the last {days} days"
    else:
        when = f"{period.start}至{last}" if zh else f"{period.start} to {last}"
    where = ("，" if zh else ", ").join(
        narrator.lexicon.condition_label(f.field, f.values, language) for f in plan.scope
    )
    metric_labels = checked.get("metric_labels", {})
    what = (
        ("、" if zh else ", ").join(metric_labels.values())
        if plan.metric is None
        else metric_labels.get(plan.metric, plan.metric)
    )
    dims = ("、" if zh else ", ").join(
        narrator.lexicon.dimension_label(d, language) for d in checked.get("dimensions", ())
    )
    check_note = (
        f"检查范围：{checked.get('rules', 0)}条监控规则（{what}；按{dims}细分）"
        + (f"，限定{where}" if plan.scope else "")
        + "。"
        if zh
        else f"Checked: {checked.get('rules', 0)} monitoring rules ({what}; by {dims})"
        + (f", limited to {where}" if plan.scope else "")
        + "."
    )
    payload: dict[str, Any] = {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "scope": [f.model_dump(mode="json") for f in plan.scope],
        "metric": plan.metric,
        "total": len(alerts),
        "checked": {k: v for k, v in checked.items() if k != "metric_labels"},
        "alerts": [narrator.to_dict(a) for a in alerts],
    }
    if not alerts:
        text = f"{when}没有异常预警。{check_note}" if zh else f"No alerts in {when}. {check_note}"
        return text, payload, ()
    critical = sum(a.severity == "critical" for a in alerts)
    shown = alerts[:MAX_LISTED]
    if zh:
        warn = len(alerts) - critical
        head = f"{when}共有 {len(alerts)} 条预警（严重 {critical} 条，警告 {warn} 条）"
        head += f"，最严重的 {len(shown)} 条：" if len(alerts) > len(shown) else "："
    else:
        head = (
            f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''} in {when} ({critical} "
            f"critical, {len(alerts) - critical} warning)"
        )
        head += f"; the {len(shown)} most severe:" if len(alerts) > len(shown) else ":"
    lines = [head, *(f"{i}. {narrator.line(a, language)}" for i, a in enumerate(shown, 1))]
    lines += ["", check_note]  # a blank line ends the numbered list (Markdown)
    lines.append(
        "点击“为什么？”查看某条预警的原因分析。"
        if zh
        else "Click “Why?” on an alert to open its root-cause analysis."
    )
    follow_ups = tuple(
        FollowUp(
            label=(
                f"为什么？#{i} {narrator.title(a, 'zh')}"
                if zh
                else f"Why? #{i} {narrator.title(a, 'en')}"
            ),
            plan=why_plan(a.why_link(), narrator.title(a, language), language),
        )
        for i, a in enumerate(shown, 1)
    )
    return "\n".join(lines), payload, follow_ups


def _value(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}%"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}"
