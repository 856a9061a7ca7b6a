"""The assistant's one entry point: question (+ conversation state) -> Answer.

Plan with a planner (offline by default), run MetricPlans through the semantic layer with the
asker's access policy, and narrate the result. Every surface (CLI, UI, API, evals) calls this.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from assistant.alerts import AlertCache, AlertNarrator, AlertSource, in_scope, review_answer
from assistant.answer.narrate import narrate
from assistant.messages import cannot_compute, forecast_method
from assistant.messages import pick as _t
from assistant.planning.lexicon import has_cjk, lexicon_for, normalise
from assistant.planning.offline import OfflinePlanner
from assistant.planning.plans import (
    PLAN_ADAPTER,
    AlertReview,
    CaseSearch,
    Clarification,
    ConversationState,
    FollowUp,
    Forecast,
    MetricPlan,
    OutOfScope,
    Plan,
    RootCause,
)
from assistant.roles import Role, get_role, scope_statement, scope_visible
from semantic_layer.catalog import Catalog, default_catalog
from semantic_layer.errors import SemanticLayerError
from semantic_layer.executor import MetricResult, execute
from tools.audit import AuditEntry, AuditLog
from tools.warehouse.engine import open_warehouse


class Planner(Protocol):
    name: str

    def plan(self, question: str, state: ConversationState) -> Plan: ...


# Optional capabilities provided by tools (similar cases, root cause); each takes the plan and
# the asker's role and returns (text, payload).
CapabilityRunner = Callable[[Any, Role, str], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    plan: Plan
    result: MetricResult | None
    text: str
    state: ConversationState
    planner: str
    notices: tuple[str, ...] = ()
    elapsed_ms: float = 0.0
    payload: dict[str, Any] = field(default_factory=dict)  # case search / root cause details
    audit_id: str | None = None  # the sp_audit row of this answer (feedback refers to it)
    follow_ups: tuple[FollowUp, ...] = ()  # next steps offered (e.g. "why?" on an alert)

    def to_dict(self) -> dict[str, Any]:
        plan = PLAN_ADAPTER.dump_python(self.plan, mode="json", exclude_defaults=False)
        data: dict[str, Any] = {
            "question": self.question,
            "language": self.language,
            "kind": self.plan.kind,
            "plan": plan,
            "answer": self.text,
            "planner": self.planner,
            "notices": list(self.notices),
            "elapsed_ms": round(self.elapsed_ms, 1),
            "audit_id": self.audit_id,
        }
        if isinstance(self.plan, MetricPlan):
            data["query"] = self.plan.query.model_dump(mode="json", exclude_defaults=True)
            data["interpretation"] = self.plan.interpretation
            data["verified"] = self.plan.verified
        if self.result is not None:
            result = self.result.to_dict()
            data["rows"] = result["rows"]
            data["columns"] = result["columns"]
            data["provenance"] = {
                "sql": result["sql"],
                "dialect": result["dialect"],
                "metrics": result["metrics"],
                "sample_sizes": result["sample_sizes"],
                "warnings": result["warnings"],
                "data_freshness": result["data_freshness"],
                "elapsed_ms": result["elapsed_ms"],
            }
        if self.payload:
            data["details"] = self.payload
        if self.follow_ups:
            data["follow_ups"] = [f.model_dump(mode="json") for f in self.follow_ups]
        return data


def question_language(question: str) -> str:
    return "zh" if has_cjk(normalise(question)) else "en"


class Assistant:
    """Answers questions over one warehouse. Thread-safe for concurrent ``ask`` calls."""

    def __init__(
        self,
        warehouse: str | Engine,
        *,
        planner: Planner | str = "offline",
        catalog: Catalog | None = None,
        case_search: CapabilityRunner | None = None,
        root_cause: CapabilityRunner | None = None,
        alerts: AlertSource | None = None,
        audit: AuditLog | None = None,
        surface: str = "cli",
    ) -> None:
        self.catalog = catalog or default_catalog()
        self.engine = open_warehouse(warehouse) if isinstance(warehouse, str) else warehouse
        self.lexicon = lexicon_for(self.catalog)
        self.offline = OfflinePlanner(self.catalog)
        self.planner: Planner = self._planner(planner)
        self.case_search = case_search
        self.root_cause = root_cause
        # Monitoring alerts (role, since, until) -> list[Alert]; default: detected over this
        # warehouse and cached per window (the UI passes its own cache to share it).
        self.alerts: AlertSource = alerts or AlertCache(self.engine)
        self.audit = audit
        self.surface = surface
        self._monitoring: dict[str, Any] | None = None

    def _planner(self, planner: Planner | str) -> Planner:
        if not isinstance(planner, str):
            return planner
        if planner == "offline":
            return self.offline
        if planner == "llm":
            from assistant.llm.planner import LLMPlanner  # LangChain loads only when asked for
            from tools.errors import ConfigError
            from tools.settings import load_settings

            llm = LLMPlanner.from_settings(
                load_settings(), catalog=self.catalog, fallback=self.offline
            )
            if llm is None:
                raise ConfigError(
                    "No LLM is configured (llm_provider = none). Set SERVICEPILOT_LLM_PROVIDER "
                    "and its endpoint or GGUF file (docs/llm.md), or use the offline planner."
                )
            return llm
        raise ValueError(f"Unknown planner '{planner}'. Valid planners: offline, llm.")

    def close(self) -> None:
        self.engine.dispose()

    # -- asking --------------------------------------------------------------------------

    def ask(self, question: str, *, state: ConversationState) -> Answer:
        started = time.perf_counter()
        role = get_role(state.role)
        detailed = getattr(self.planner, "plan_detailed", None)
        if detailed is not None:  # the LLM planner says when it fell back, and why
            outcome = detailed(question, state)
            plan, notices = outcome.plan, tuple(outcome.notices)
            planner_name = "llm" if outcome.source == "llm" else "offline (LLM fallback)"
        else:
            plan, notices, planner_name = self.planner.plan(question, state), (), self.planner.name
        answer = self.run(
            plan,
            question=question,
            state=state,
            role=role,
            started=started,
            notices=notices,
            planner_name=planner_name,
        )
        return self._audited(answer, state)

    def _audited(self, answer: Answer, state: ConversationState) -> Answer:
        """Record the answer in the audit log; a failing log is reported, not hidden."""
        if self.audit is None:
            return answer
        result = answer.result
        entry = AuditEntry(
            question=answer.question,
            language=answer.language,
            plan_kind=answer.plan.kind,
            plan=PLAN_ADAPTER.dump_python(answer.plan, mode="json"),
            answer=answer.text,
            latency_ms=answer.elapsed_ms,
            planner=answer.planner,
            username=state.user,
            role=state.role,
            surface=self.surface,
            sql=result.sql if result is not None else None,
            result_rows=len(result.data) if result is not None else None,
            notices=answer.notices,
        )
        try:
            audit_id = self.audit.record(entry)
        except Exception as exc:  # noqa: BLE001 - the answer stands; the gap is made visible
            notice = _t(
                answer.language, f"审计日志写入失败：{exc}", f"Audit log unavailable: {exc}"
            )
            return replace(answer, notices=(*answer.notices, notice))
        return replace(answer, audit_id=audit_id)

    def choose(self, plan: Plan, *, question: str, state: ConversationState) -> Answer:
        """Carry out a plan the user picked (a clarification option), audited like ``ask``."""
        return self._audited(self.run(plan, question=question, state=state), state)

    def run(
        self,
        plan: Plan,
        *,
        question: str,
        state: ConversationState,
        role: Role | None = None,
        started: float | None = None,
        notices: tuple[str, ...] = (),
        planner_name: str = "offline",
    ) -> Answer:
        """Carry out a plan (also used when a user picks a clarification option)."""
        started = started if started is not None else time.perf_counter()
        role = role or get_role(state.role)
        language = question_language(question)
        result: MetricResult | None = None
        payload: dict[str, Any] = {}
        follow_ups: tuple[FollowUp, ...] = ()
        if isinstance(plan, MetricPlan):
            # Rows outside the role: "outside your access", never 0; narrowed rows: said.
            outside, scope_note = scope_statement(
                role, plan.query.filters, plan.query.dimensions, self.lexicon, language
            )
            if not role.can_query_metrics:
                text = _t(
                    language,
                    f"角色“{role.label.zh}”不能查询指标，只能搜索相似案例。",
                    f"The role '{role.label.en}' cannot query metrics, only search similar cases.",
                )
            elif outside is not None:
                text = outside
            else:
                try:
                    result = execute(
                        plan.query, self.engine, catalog=self.catalog, policy=role.policy
                    )
                    text = (scope_note or "") + narrate(result, self.lexicon, language)
                    if plan.verified:
                        text = _t(language, "✔ 已验证问题。", "✔ Verified question. ") + text
                except SemanticLayerError as exc:
                    text = cannot_compute(language, str(exc))
        elif isinstance(plan, Clarification):
            options = (
                "；".join(o.label for o in plan.options)
                if language == "zh"
                else "; ".join(o.label for o in plan.options)
            )
            text = plan.question + (
                f"（{options}）"
                if options and language == "zh"
                else f" ({options})"
                if options
                else ""
            )
        elif isinstance(plan, OutOfScope):
            tips = "；".join(plan.suggestions) if language == "zh" else "; ".join(plan.suggestions)
            text = plan.reason + (
                _t(language, f" 可以这样问：{tips}", f" Try: {tips}") if tips else ""
            )
        elif isinstance(plan, CaseSearch):
            text, payload = self._capability(
                self.case_search,
                plan,
                role,
                language,
                _t(
                    language,
                    "相似案例索引尚未建立：请先运行 `servicepilot cases index`。",
                    "The similar-case index is not available: run `servicepilot cases index`.",
                ),
            )
        elif isinstance(plan, RootCause):
            text, payload = self._capability(
                self.root_cause,
                plan,
                role,
                language,
                _t(language, "原因分析暂不可用。", "Root-cause analysis is not available."),
            )
        elif isinstance(plan, Forecast):
            text, payload = self._forecast(plan, state, role, language)
        elif isinstance(plan, AlertReview):
            text, payload, follow_ups = self._alerts(plan, state, role, language)
        else:  # pragma: no cover - the Plan union is closed
            raise TypeError(f"unknown plan {type(plan).__name__}")
        new_state = state.with_turn(question, plan)
        return Answer(
            question=question,
            language=language,
            plan=plan,
            result=result,
            text=text,
            state=new_state,
            planner=planner_name,
            notices=notices,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            payload=payload,
            follow_ups=follow_ups,
        )

    def _forecast(
        self, plan: Forecast, state: ConversationState, role: Role, language: str
    ) -> tuple[str, dict[str, Any]]:
        """Forecast within the asker's rows (a regional manager's forecast covers their region
        only); the forecast starts after the last complete week of data, not of the calendar."""
        from tools.monitoring import forecast_volume
        from tools.monitoring.forecast import ForecastError

        if not role.can_query_metrics:
            return _t(language, "该角色不能查询指标。", "This role cannot query metrics."), {}
        scope = {f.field: str(f.values[0]) for f in plan.scope}
        for field_name, allowed in role.row_filters.items():
            if field_name in scope and scope[field_name] not in allowed:
                return _t(
                    language, "超出您的数据权限范围。", "That is outside the data you may see."
                ), {}
            if len(allowed) == 1:
                scope[field_name] = allowed[0]
        try:
            result = forecast_volume(self.engine, plan.metric, plan.weeks, scope, state.today)
        except ForecastError as exc:
            return _t(language, f"无法预测：{exc}", f"No forecast: {exc}"), {}
        label = self.catalog.metric(plan.metric).label
        first = result.weeks[0].week_start
        backtest = result.backtest
        if language == "zh":
            text = (
                f"预测（非认证指标）：{first} 起{plan.weeks}周的{label.zh}合计约 "
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
                f"Forecast (not a certified metric): {label.en} for the {plan.weeks} weeks "
                f"from {first} totals about {result.total:,.0f} (95% interval "
                f"{result.total_low_95:,.0f}-{result.total_high_95:,.0f}). Method: "
                f"{forecast_method(result.method, 'en')}."
            )
            if backtest is not None:
                text += (
                    f" Backtest MASE {backtest.mase:.2f} (seasonal-naive "
                    f"{backtest.baseline_mase:.2f})."
                )
        return text, {"forecast": result.to_dict()}

    def _alerts(
        self, plan: AlertReview, state: ConversationState, role: Role, language: str
    ) -> tuple[str, dict[str, Any], tuple[FollowUp, ...]]:
        """Monitoring alerts of the plan's period within its scope, only those the asker's
        role may see; each listed alert offers its "why" (a RootCause plan)."""
        if not role.can_query_metrics:
            return _t(language, "该角色不能查询指标。", "This role cannot query metrics."), {}, ()
        for flt in plan.scope:
            allowed = role.row_filters.get(flt.field)
            if allowed is not None and not {str(v) for v in flt.values} <= set(allowed):
                text = _t(
                    language, "超出您的数据权限范围。", "That is outside the data you may see."
                )
                return text, {}, ()
        checked = self._monitored(language)
        if plan.metric is not None and plan.metric not in checked["metrics"]:
            label = self.catalog.metric(plan.metric).label
            watched = ("、" if language == "zh" else ", ").join(checked["metric_labels"].values())
            text = _t(
                language,
                f"{label.zh}没有配置监控规则，因此没有它的预警。受监控的指标：{watched}。",
                f"{label.en} has no monitoring rule, so it raises no alerts. Monitored "
                f"metrics: {watched}.",
            )
            return text, {"checked": {k: v for k, v in checked.items() if k != "metric_labels"}}, ()
        try:
            found = self.alerts(role, plan.period.start, plan.period.end)
        except Exception as exc:  # noqa: BLE001 - detection failed: say so, keep the chat usable
            return _t(language, f"无法获取预警：{exc}", f"Alerts are unavailable: {exc}"), {}, ()
        alerts = [
            a
            for a in found
            if scope_visible(role, a.scope)  # whatever the source did: fail closed here too
            and in_scope(a, plan.scope)
            and (plan.metric is None or a.metric == plan.metric)
        ]
        return review_answer(
            plan,
            alerts,
            AlertNarrator(self.lexicon),
            language,
            today=state.today,
            checked=checked,
        )

    def _monitored(self, language: str) -> dict[str, Any]:
        """What the monitoring rules watch (said with every alert answer)."""
        if self._monitoring is None:
            from tools.monitoring import load_rules

            config = load_rules(catalog=self.catalog)
            metrics = list(dict.fromkeys(r.metric for r in config.rules))
            dims = list(dict.fromkeys(d for r in config.rules for d in r.dimensions))
            self._monitoring = {"rules": len(config.rules), "metrics": metrics, "dimensions": dims}
        labels = {}
        for m in self._monitoring["metrics"]:
            label = self.catalog.metric(m).label
            labels[m] = label.zh if language == "zh" else label.en
        return {**self._monitoring, "metric_labels": labels}

    @staticmethod
    def _capability(
        runner: CapabilityRunner | None, plan: Any, role: Role, language: str, unavailable: str
    ) -> tuple[str, dict[str, Any]]:
        if runner is None:
            return unavailable, {}
        return runner(plan, role, language)
