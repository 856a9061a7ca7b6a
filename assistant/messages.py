"""The one message catalog: every fixed text the assistant shows, in Chinese and English.

Answers, plans and the UI take their wording from here, so a Chinese answer never carries an
English phrase (and the reverse) except the agreed acronyms (SLA, NPS, CSAT, CES, App).
``pick(language, zh, en)`` is for text built with values inline; ``msg(language, key)`` for
fixed strings; labels for codes that are not in the semantic layer (metric owners, forecast
methods) are here too.
"""

from __future__ import annotations

ACRONYMS = frozenset({"SLA", "NPS", "CSAT", "CES", "App"})


def pick(language: str, zh: str, en: str) -> str:
    """The text in the question's language."""
    return zh if language == "zh" else en


def msg(language: str, key: str, **values: object) -> str:
    """A fixed message by key (a KeyError names a missing key at once)."""
    zh, en = MESSAGES[key]
    text = pick(language, zh, en)
    return text.format(**values) if values else text


def warning_text(warning: str, language: str) -> str:
    """A result's warning in ``language``: from its code when the semantic layer gave one (see
    ``semantic_layer.result_warning``), else its text as written."""
    code = getattr(warning, "code", None)
    key = f"result_warning_{code}"
    if code is None or key not in MESSAGES:
        return str(warning)
    params = dict(warning.params)  # type: ignore[attr-defined]
    if "metric_zh" in params:
        params["metric"] = params.pop("metric_zh") if language == "zh" else params["metric_en"]
        params.pop("metric_en", None)
    return msg(language, key, **params)


def computed_as_of_lines(result: object, catalog: object, language: str) -> list[str]:
    """One sentence per computed-as-of table the result read (customer segments): its date."""
    lines = []
    for model_name, when in getattr(result, "as_of", {}).items():
        spec = catalog.model(model_name).computed_as_of  # type: ignore[attr-defined]
        label = spec.label.zh if language == "zh" else spec.label.en
        lines.append(msg(language, "computed_as_of", label=label, when=f"{when:%Y-%m-%d %H:%M}"))
    return lines


def cannot_compute(language: str, detail: str) -> str:
    """A query the semantic layer refused. Its detail (metric and dimension names, the fix) is
    written in English for analysts; a Chinese reader gets the same advice in Chinese."""
    return pick(
        language,
        "无法按这个方式计算：所选的指标、维度、筛选或时间组合在认证口径下不成立"
        "（例如分子和分母来自不同的表，不能按该维度拆分）。请去掉拆分维度或筛选后再问。",
        f"Cannot compute it this way: {detail}",
    )


# Teams that own metric definitions (metric `owner` in the YAML specs).
OWNER_LABELS: dict[str, tuple[str, str]] = {
    "service-analytics": ("服务分析组", "Service analytics"),
    "service-operations": ("服务运营组", "Service operations"),
    "customer-experience": ("客户体验组", "Customer experience"),
    "customer-success": ("客户成功组", "Customer success"),
    "sales-operations": ("销售运营组", "Sales operations"),
    "service-finance": ("服务财务组", "Service finance"),
}


def owner_label(owner: str, language: str) -> str:
    zh, en = OWNER_LABELS.get(owner, (owner, owner))
    return pick(language, zh, en)


# Forecast methods by the name the forecaster reports, said for a reader.
FORECAST_METHODS: dict[str, tuple[str, str]] = {
    "ETS(A,Ad,N) on holiday-adjusted weekly totals (statsmodels ETSModel)": (
        "对节假日调整后的周合计做阻尼趋势指数平滑",
        "damped-trend exponential smoothing (ETS) of holiday-adjusted weekly totals",
    ),
}


def forecast_method(method: str, language: str) -> str:
    zh, en = FORECAST_METHODS.get(method, ("统计时间序列模型", method))
    return pick(language, zh, en)


MESSAGES: dict[str, tuple[str, str]] = {
    # notes of a why-analysis (tools.cases.why.WhyNote codes)
    "why_note_mix_weighted": (
        "比率类指标：每个细分的贡献 = 它自身比率的变化（按两期平均样本占比加权）+ 它的样本占比"
        "变化（乘以它的比率与整体比率之差）；各细分相加等于总变化。",
        "Rate metric: a segment's contribution is its own rate's change (weighted by its average "
        "share of the sample) plus the change of its share (times how far its rate lies from the "
        "overall rate); the segments add up to the total change.",
    ),
    "why_note_scaled": (
        "两期天数不同（{days_now} 天对 {days_before} 天），上期数值已按 {scale:.3f} 折算。",
        "Previous-period values scaled by {scale:.3f} ({days_now} days vs {days_before}).",
    ),
    "why_note_themes_ignore": (
        "投诉主题未按{fields}筛选：相似案例索引不含这些字段。",
        "Complaint themes ignore {fields}: the similar-case index does not carry them.",
    ),
    "why_note_no_index": (
        "暂无投诉主题：相似案例索引尚未建立，运行 `servicepilot cases index --from-warehouse`"
        " 后可用。",
        "No complaint themes: the similar-case index is not built; run "
        "`servicepilot cases index --from-warehouse`.",
    ),
    "why_note_themes_busy": (
        "投诉主题暂不可用：相似案例索引正在写入（索引任务运行中）。上面的变化分析是完整的；"
        "索引完成后再问一次即可看到主题。",
        "Complaint themes unavailable right now: the similar-case index is being written by an "
        "indexing run. The change analysis above is complete; ask again for themes once "
        "indexing has finished.",
    ),
    "why_note_no_cases": (
        "{scope}在 {start} 至 {end} 没有已索引的案例，无法给出投诉主题；运行 "
        "`servicepilot cases index --from-warehouse` 补充索引。",
        "No indexed cases in {scope} from {start} to {end}, so no complaint themes; run "
        "`servicepilot cases index --from-warehouse`.",
    ),
    "title": ("ServicePilot 服务分析助手", "ServicePilot service analytics"),
    "language": ("语言 / Language", "Language / 语言"),
    "signed_in": ("当前用户：{user}（角色：{role}）", "Signed in as {user} (role: {role})"),
    "tab_chat": ("问答", "Chat"),
    "tab_cases": ("相似案例", "Similar cases"),
    "tab_cockpit": ("驾驶舱", "Cockpit"),
    "tab_catalog": ("指标目录", "Metric catalog"),
    # chat
    "chat_label": ("对话", "Conversation"),
    "question": ("问题", "Question"),
    "question_ph": (
        "例如：上个月华东区的客户满意度是多少，和前一个月比呢？",
        "e.g. Which channels breached SLA most last quarter?",
    ),
    "send": ("发送", "Send"),
    "new_chat": ("新对话", "New chat"),
    "suggested": ("可以这样问：", "Try asking:"),
    "working": ("⏳ 正在计算…", "⏳ Working…"),
    "clarify_pick": ("请选择一个含义：", "Pick what you meant:"),
    "how_computed": ("🔎 计算方式", "🔎 How was this computed"),
    "result_warning_row_limit": (
        "只显示前 {rows:,} 行；请加筛选条件或限制行数。",
        "Only the first {rows:,} rows are shown; add filters or a limit.",
    ),
    "result_warning_data_ends": (
        "数据截至 {at}，之后的期间数据不完整。",
        "The data ends at {at}; periods after it are incomplete.",
    ),
    "result_warning_future_rows": (
        "有 {rows:,} 行的 {column} 晚于 {at}（在未来），数据截至时间不计入它们；请在源数据中更正。",
        "{rows:,} row(s) have {column} after {at}, in the future; data freshness ignores them. "
        "Correct them in the source data.",
    ),
    "result_warning_small_n": (
        "{metric}：有 {rows} 行的样本少于 {small} 个，请结合置信区间解读。",
        "{metric}: {rows} row(s) rest on fewer than {small} observations; read them with their "
        "interval.",
    ),
    "result_warning_snapshot_at": (
        "{metric}按 {at} 0点（时间范围结束时）的状态计算。",
        "{metric} is measured at {at} 00:00 (the end of the time range).",
    ),
    "details_in_json": (
        "（完整的分析明细：加 --json 输出）",
        "(The full details of this analysis: add --json.)",
    ),
    "interpretation": ("理解为", "Read as"),
    "certified": ("✅ 已认证", "✅ certified"),
    "not_certified": ("⚠️ 未认证", "⚠️ not certified"),
    "owner": ("负责人", "owner"),
    "version": ("版本", "version"),
    "time_attr": ("时间归属", "time attribution"),
    "sample_sizes": ("样本量", "Sample sizes"),
    "sample_size_line": (
        "{metric}：n={n:,}（最少 {least:,}{small}）",
        "{metric}: n={n:,} (min {least:,}{small})",
    ),
    "sample_size_small": ("，{rows} 行样本不足", ", {rows} small"),
    "attributed_period_end": ("期末状态", "state at the period's end"),
    "freshness": ("数据截至", "Data through"),
    # A table computed as of one date (customer segments): the date, and that it is the same
    # for every period of the answer.
    "computed_as_of": (
        "{label}按 {when} 的数据计算（各时期都用这一天的分层）。",
        "{label} as of {when} (the same segmentation for every period).",
    ),
    "computed_missing": (
        "无法回答：本数据仓库还没有计算{label}。请先运行 `{command}`，再问一次。",
        "Cannot answer yet: {label} have not been computed in this warehouse. Run `{command}`, "
        "then ask again.",
    ),
    "freshness_by_source": ("各数据源截至", "Data through, by source"),
    "source_quiet": (
        "⚠️ 已静默（{since} 后未再发送）",
        "⚠️ quiet (nothing sent since {since})",
    ),
    "warnings": ("提示", "Warnings"),
    "sql": ("执行的 SQL", "SQL that ran"),
    "feedback": ("这个回答有帮助吗？", "Was this answer helpful?"),
    "comment": ("意见（可选）", "Comment (optional)"),
    "thanks": ("谢谢，反馈已保存。", "Thanks, your feedback was saved."),
    "no_answer": ("还没有可评价的回答。", "There is no answer to rate yet."),
    "error": ("出错了：{msg}", "Something went wrong: {msg}"),
    # cases
    "complaint": ("投诉内容", "Complaint text"),
    "complaint_ph": ("粘贴客户投诉内容…", "Paste the customer's complaint…"),
    "product_line": ("产品线", "Product line"),
    "region": ("区域", "Region"),
    "resolved_only": ("只看已解决", "Resolved only"),
    "date_from": ("起始日期", "From date"),
    "date_to": ("截止日期（不含）", "To date (exclusive)"),
    "search": ("搜索相似案例", "Search similar cases"),
    "any": ("全部", "Any"),
    "no_cases": ("没有找到相似案例。", "No similar cases found."),
    "case_cols": (
        "排名|案例|匹配分（排序依据）|区域|产品线|状态|根因|解决方案|内容（已脱敏）",
        "rank|case|match score (ranks)|region|product line|status|root cause|resolution|"
        "text (PII masked)",
    ),
    "case": ("案例", "Case"),
    "case_rank_score": ("排名 · 匹配分", "Rank · match score"),
    "case_likely": (
        "可能的类别（由已解决案例学习，同类案例加分）",
        "Likely category (learned from resolved cases; cases of it score higher)",
    ),
    "case_duplicates": ("内容相同的案例", "Cases with identical text"),
    "case_text": ("投诉全文（已脱敏）", "Full complaint text (PII masked)"),
    "case_resolution": ("解决方案（可复制）", "Resolution (copy)"),
    "case_open_hint": ("点击一行查看完整案例", "click a row to open the whole case"),
    # cockpit
    "period": ("期间", "Period"),
    "period_month": ("上月", "Last month"),
    "period_quarter": ("上季度", "Last quarter"),
    "period_30d": ("近30天", "Last 30 days"),
    "all_regions": ("全部区域", "All regions"),
    "refresh": ("刷新", "Refresh"),
    "trend_metric": ("趋势指标", "Trend metric"),
    "alerts": ("预警", "Alerts"),
    "no_alert_source": ("未配置预警来源。", "No alert source configured."),
    "no_alerts": ("当前没有预警。", "No current alerts."),
    "alert_pick": ("选择一条预警查看原因", "Pick an alert to see why"),
    "alert_why": ("为什么？", "Why?"),
    "alert_pick_first": ("请先选择一条预警。", "Pick an alert first."),
    "alert_why_q": ("为什么出现预警：{title}", "Why this alert: {title}"),
    # cockpit data-quality panel (assistant/ui/quality_panel.py)
    "quality_panel": ("数据质量（按来源）", "Data quality by source"),
    "quality_source": ("来源", "Source"),
    "quality_score": ("质量分", "Score"),
    "quality_rows": ("记录数", "Rows"),
    "quality_problems": ("问题数", "Problems"),
    "quality_quarantined": ("隔离记录", "Quarantined"),
    "quality_trend": (
        "近{days}天接收 / 隔离（每日）",
        "Last {days} days received / quarantined (daily)",
    ),
    "quality_none": ("仓库中还没有数据。", "The warehouse has no data yet."),
    "quality_checking": ("正在检查各来源的数据质量……", "Checking each source's data quality…"),
    "quality_restricted": (
        "数据质量面板统计所有区域的记录，仅对可查看全部区域的角色显示。",
        "The data-quality panel counts rows of every region; it is shown to roles that see all "
        "regions.",
    ),
    "quality_failed": (
        "数据质量报告暂时无法生成：{error}",
        "The data-quality report failed: {error}",
    ),
    "vs_prev": ("较上期", "vs previous"),
    "kpi_period": ("{start} 至 {end}（不含）", "{start} to {end} (exclusive)"),
    "trend_title": ("近12个月趋势", "Last 12 months"),
    "by_region": ("按区域", "By region"),
    "by_channel": ("按渠道", "By channel"),
    "drill_all": ("全部", "All"),
    "drill_path": ("下钻路径", "Drill path"),
    "drill_back": ("← 返回上一级", "← Back"),
    "drill_by": ("拆分维度", "Break down by"),
    "drill_hint": ("点击{dimension}下钻", "Click a {dimension} to drill into it"),
    "drill_no_members": ("这一层没有数据。", "No data at this level."),
    "chart_by": ("{metric} · 按{dimension}", "{metric} by {dimension}"),
    "chart_trend": ("{metric} · 近12个月趋势", "{metric} · last 12 months"),
    "axis_month": ("月份", "Month"),
    "no_access": ("你的角色无权查看指标。", "Your role may not view metrics."),
    "kpi_target": ("目标 {target}", "target {target}"),
    "kpi_status_ok": ("达标", "on target"),
    "kpi_status_warning": ("预警", "warning"),
    "kpi_status_breach": ("未达标", "off target"),
    "target_of": ("{metric}", "{metric} "),  # before target_line when several numbers are shown
    "target_line": (
        "目标 {sign}{target}（预警线 {warning}）：",
        "Target {sign} {target} (warning line {warning}): ",
    ),
    "target_met": ("达标", "on target"),
    "target_warning": (
        "未达标，差 {gap}（仍在预警线内）",
        "off target by {gap} (within the warning line)",
    ),
    "target_breach": (
        "未达标，差 {gap}（超出预警线）",
        "off target by {gap} (beyond the warning line)",
    ),
    "target_none": (
        "{metric}在这个范围和期间没有设定目标（目标由分析师在 `targets.yml` 中维护）。",
        "{metric} has no target set for this slice and period (analysts keep targets in "
        "`targets.yml`).",
    ),
    # a breakdown against each group's own target ("哪些大区没达标")
    "target_groups": ("各{dimension}对照各自目标：", "Each {dimension} against its own target: "),
    "target_groups_off": ("未达标 {n} 个——{items}", "{n} off target — {items}"),
    "target_groups_all_on": ("全部达标", "all on target"),
    "target_groups_on": ("达标 {n} 个", "{n} on target"),
    "target_groups_small": ("{n} 个样本不足、无法判断", "{n} with too small a sample to judge"),
    "target_groups_none": ("{n} 个没有设定目标", "{n} without a target"),
    "target_group_breach": (
        "{group} {value}（目标 {sign}{target}，超出预警线）",
        "{group} {value} (target {sign} {target}, beyond the warning line)",
    ),
    "target_group_warning": (
        "{group} {value}（目标 {sign}{target}，仍在预警线内）",
        "{group} {value} (target {sign} {target}, within the warning line)",
    ),
    "target_single_only": (
        "（与目标对比只针对单个数值：请问全公司或某一个大区、渠道的数值。）",
        "(A target is compared with a single number: ask for the company, or for one region or "
        "channel.)",
    ),
    "kpi_small_n": (
        "样本仅{n}个，不足以判断是否达标",
        "only {n} in the sample: too few to judge against the target",
    ),
    # cockpit: today's live view, alert actions, follow-up tasks, export (assistant/ui/*_panel.py)
    "live_title": ("今日实时", "Today, live"),
    "live_updated": ("数据更新于 {ago}", "updated {ago}"),
    "ago_seconds": ("{n} 秒前", "{n} s ago"),
    "ago_minutes": ("{n} 分钟前", "{n} min ago"),
    "ago_hours": ("{n} 小时前", "{n} h ago"),
    "ago_days": ("{n} 天前", "{n} days ago"),
    "live_clock": ("数据时钟 {now}", "data clock {now}"),
    "live_tickets_today": ("今日进线", "Tickets today"),
    "live_usual": (
        "通常 {usual}（前{days}个{weekday}截至{time}的平均）",
        "usual {usual} (mean of the last {days} {weekday}s up to {time})",
    ),
    "live_usual_short": ("通常（同一星期几、同一时刻的平均）", "Usual (same weekday, same time)"),
    "live_no_usual": ("无历史同期可比", "no past weekday to compare"),
    "live_resolved_today": ("今日已解决", "Resolved today"),
    "live_frt": ("今日首次响应中位数", "Median first response today"),
    "live_frt_none": ("今日尚无响应", "no response yet today"),
    "live_backlog": ("未结工单（按已等待时长）", "Open tickets by age"),
    "age_lt_4h": ("4小时内", "< 4 h"),
    "age_4h_24h": ("4–24小时", "4–24 h"),
    "age_1d_3d": ("1–3天", "1–3 days"),
    "age_gt_3d": ("3天以上", "> 3 days"),
    "live_sla_due": ("2小时内SLA到期：{n} 张", "SLA runs out within 2 h: {n}"),
    "live_sla_tile": ("2小时内SLA到期", "SLA due within 2 h"),
    "live_overdue": ("另有 {n} 张未结工单已超SLA", "{n} more open tickets are past their SLA"),
    "live_sla_none": (
        "未来2小时内没有SLA到期的工单。",
        "No ticket's SLA runs out in the next 2 h.",
    ),
    "live_countdown_min": ("剩余 {m}分钟", "{m} min left"),
    "live_countdown": ("剩余 {h}小时{m}分", "{h} h {m} min left"),
    "live_agent_load": ("坐席负载（未结工单数）", "Agents' load (open tickets)"),
    "live_no_data": ("你可见的范围内还没有工单数据。", "No ticket data in your view yet."),
    "col_ticket": ("工单", "Ticket"),
    "col_region": ("区域", "Region"),
    "col_priority": ("优先级", "Priority"),
    "col_channel": ("渠道", "Channel"),
    "col_agent": ("坐席", "Agent"),
    "col_due": ("SLA截止", "SLA due"),
    "col_task_due": ("到期时间", "Due"),
    "col_left": ("倒计时", "Countdown"),
    "col_alert": ("预警", "Alert"),
    "col_state": ("状态", "State"),
    "col_owner": ("负责人", "Owner"),
    "col_ack_by": ("确认人", "Acknowledged by"),
    "col_kind": ("类型", "Kind"),
    "col_customer": ("客户", "Customer"),
    "col_reason": ("原因", "Reason"),
    "col_task": ("任务", "Task"),
    "weekday_0": ("周一", "Monday"),
    "weekday_1": ("周二", "Tuesday"),
    "weekday_2": ("周三", "Wednesday"),
    "weekday_3": ("周四", "Thursday"),
    "weekday_4": ("周五", "Friday"),
    "weekday_5": ("周六", "Saturday"),
    "weekday_6": ("周日", "Sunday"),
    "alert_actions": ("处理预警（确认 / 指派）", "Handle alerts (acknowledge / assign)"),
    "alert_target": ("预警", "Alert"),
    "alert_owner": ("指派给（人员 / 团队 / 角色）", "Assign to (person / team / role)"),
    "alert_ack": ("确认", "Acknowledge"),
    "alert_assign": ("指派", "Assign"),
    "alert_state_open": ("待处理", "open"),
    "alert_state_acknowledged": ("已确认", "acknowledged"),
    "alert_state_resolved": ("已解除", "resolved"),
    "alert_done_acknowledge": ("已确认：{title}", "Acknowledged: {title}"),
    "alert_done_assign": ("已指派给 {owner}：{title}", "Assigned to {owner}: {title}"),
    "tab_tasks": ("跟进任务", "Follow-up tasks"),
    "tasks_show_done": ("包含已完成", "Include done"),
    "task_pick": ("选择任务", "Pick a task"),
    "task_done": ("标记完成", "Mark done"),
    "task_reopen": ("重新打开", "Reopen"),
    "task_owner": ("新负责人", "New owner"),
    "task_reassign": ("改派", "Reassign"),
    "tasks_none": ("没有待跟进的任务。", "No open follow-up tasks."),
    "task_updated": (
        "任务 {task} 已更新：{status}，负责人 {owner}",
        "Task {task} updated: {status}, owner {owner}",
    ),
    "task_status_open": ("待处理", "open"),
    "task_status_done": ("已完成", "done"),
    "task_kind_call_back": ("回访", "Call back"),
    "task_kind_escalate": ("升级", "Escalate"),
    "task_kind_supervisor_review": ("主管复核", "Supervisor review"),
    "task_kind_recovery_call": ("挽回回访", "Recovery call"),
    "export_excel": ("导出 Excel", "Export Excel"),
    "export_file": ("导出的文件", "Exported file"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "export_hint": (
        "图片：导出整个驾驶舱（当前层级与范围）、趋势图或拆分图为 PNG；问答中的图表在图下方下载。",
        "Images: export the whole cockpit (this level and scope), the trend or the breakdown as "
        "PNG; a chat answer's chart downloads from the link under it.",
    ),
    "export_png_cockpit": ("导出图片", "Export PNG"),
    "export_png_trend": ("趋势图 PNG", "Trend PNG"),
    "export_png_breakdown": ("拆分图 PNG", "Breakdown PNG"),
    "export_png_file": ("导出的图片", "Exported image"),
    "png_cockpit_title": ("服务驾驶舱", "Service cockpit"),
    "png_scope": ("范围", "Scope"),
    "png_not_certified": ("（未认证）", " (not certified)"),
    "png_footer": ("ServicePilot · 导出于 {when}", "ServicePilot · exported {when}"),
    "png_cockpit_file": ("驾驶舱", "cockpit"),
    "png_trend_file": ("趋势图", "trend"),
    "png_breakdown_file": ("拆分图", "breakdown"),
    "png_chart_file": ("图表", "chart"),
    "png_no_chart": ("该图表暂无数据，无法导出。", "That chart has no data to export."),
    "sheet_kpis": ("指标", "KPIs"),
    "sheet_trend": ("趋势", "Trend"),
    "sheet_by_region": ("按区域", "By region"),
    "sheet_by_channel": ("按渠道", "By channel"),
    "sheet_live": ("今日实时", "Today live"),
    "sheet_alerts": ("预警", "Alerts"),
    "col_metric": ("指标", "Metric"),
    "col_period": ("期间", "Period"),
    "col_value": ("数值", "Value"),
    "col_previous": ("上期", "Previous"),
    "col_change": ("变化", "Change"),
    "col_unit": ("单位", "Unit"),
    "col_item": ("项目", "Item"),
    "col_table": ("表", "Table"),
    "col_dimension": ("维度", "Dimension"),
    "period_label_month": ("{year}年{month}月", "{month_name} {year}"),
    "period_label_quarter": ("{year}年第{quarter}季度", "Q{quarter} {year}"),
    "period_label_days": ("{start} 至 {last}", "{start} to {last}"),
    # catalog
    "metrics": ("指标", "Metrics"),
    "metric": ("指标", "Metric"),
    "reload": ("重新加载指标定义", "Reload definitions"),
    "reload_ok": (
        "已重新加载：{n} 个指标，校验通过。",
        "Reloaded: {n} metrics, validation passed.",
    ),
    "reload_bad": (
        "定义有 {n} 个问题，仍使用上一次有效的定义：",
        "The definitions have {n} problem(s); the last valid definitions stay in use:",
    ),
    "run_evals": ("运行评测集", "Run eval suite"),
    "evals_running": ("评测运行中…", "Running the eval suite…"),
    "evals_none": ("未配置评测运行器。", "No eval runner configured."),
    "analyst_only": ("只有分析师可以执行此操作。", "Only analysts can do this."),
    "catalog_cols": (
        "指标|名称|类型|单位|认证|负责人|同义词",
        "metric|name|type|unit|certified|owner|synonyms",
    ),
    # Alert notifications (tools/notify/routing.py): sent to an alert's owner.
    "notify_severity_critical": ("红色预警", "Critical alert"),
    "notify_severity_warning": ("黄色预警", "Warning"),
    "notify_alert_opened_subject": (
        "【{severity}】{metric}异常（{scope}）",
        "[{severity}] {metric} anomaly ({scope})",
    ),
    "notify_alert_escalated_subject": (
        "【升级·{severity}】{metric}异常未确认（{scope}）",
        "[Escalated · {severity}] {metric} anomaly not acknowledged ({scope})",
    ),
    "notify_alert_body": (
        "{metric}（{scope}）在 {start} 至 {end}：实际 {observed}，预期 {expected}"
        "（区间 {low} – {high}）。\n负责人：{owner}。\n确认处理：servicepilot alerts ack {episode}",
        "{metric} ({scope}) {start} to {end}: {observed} against an expected {expected} "
        "(range {low} – {high}).\nOwner: {owner}.\nAcknowledge: servicepilot alerts ack {episode}",
    ),
    "notify_alert_escalated_note": (
        "{previous} 在规定时间内未确认此预警，现升级给 {owner}。",
        "{previous} did not acknowledge this alert in time; it is escalated to {owner}.",
    ),
    "notify_alert_ended_subject": ("【已恢复】预警 {rule} 已结束", "[Resolved] alert {rule} ended"),
    "notify_alert_ended": (
        "预警已结束，指标回到正常范围：{headline}（编号 {episode}）",
        "The alert has ended; the metric is back in its normal range: {headline} (id {episode})",
    ),
    # charts of answers (assistant.ui.answer_charts) and the chat layout (issue 16)
    "chart_why_title": ("{metric}的变化：按{dimension}分解", "What moved {metric}: by {dimension}"),
    "chart_before": ("上期", "previous"),
    "chart_now": ("本期", "now"),
    "chart_other": ("其他", "others"),
    "chart_contribution": ("贡献", "contribution"),
    "chart_forecast_title": (
        "{metric}：实际与预测（每周）",
        "{metric}: actual and forecast (weekly)",
    ),
    "chart_actual": ("实际", "actual"),
    "chart_forecast": ("预测", "forecast"),
    "chart_band95": ("95% 区间", "95% interval"),
    "chart_band80": ("80% 区间", "80% interval"),
    "chart_period_asked": ("预测期", "period asked"),
    "chart_alert_title": ("{metric}：实际与预期区间", "{metric}: actual against the expected band"),
    "chart_expected_band": ("预期区间", "expected band"),
    "chart_anomaly": ("异常", "anomaly"),
    "chart_week_of": ("周（起始日）", "week starting"),
    "chart_date": ("日期", "date"),
    "show_sql": ("查看SQL", "Show SQL"),
    "feedback_up": ("👍 有用", "👍 Helpful"),
    "feedback_down": ("👎 没用", "👎 Not helpful"),
    # the executive digest (assistant/digest)
    "digest_weekly": ("服务周报", "Weekly service digest"),
    "digest_monthly": ("服务月报", "Monthly service digest"),
    "digest_subject": (
        "{kind} · {scope} · {start} 至 {last}",
        "{kind} · {scope} · {start} to {last}",
    ),
    "digest_all_regions": ("全部区域", "All regions"),
    "digest_period": ("统计期 {start} 至 {last}", "Period {start} to {last}"),
    "digest_compared": ("对比 {start} 至 {last}", "compared with {start} to {last}"),
    "digest_kpis": ("核心指标与目标", "KPIs against targets"),
    "digest_previous": ("上期 {value}", "previous {value}"),
    "digest_no_change_base": ("无上期数据", "no previous value"),
    "digest_target": ("目标 {target} · {status}", "target {target} · {status}"),
    "digest_definition": (
        "口径（{name}）：{formula} 时间归属：{time}。{badge} · 负责人 {owner} · 版本 {version}",
        "Definition ({name}): {formula} Attributed by: {time}. {badge} · owner {owner} · "
        "version {version}",
    ),
    "digest_movements": ("变化最大的指标及原因", "Biggest movements and why"),
    "digest_no_movements": (
        "本期各指标与上期相比没有超出正常波动的变化。",
        "No KPI moved beyond normal variation against the previous period.",
    ),
    "digest_chart_title": (
        "{metric}：本期与上期（按日）",
        "{metric}: this period and the previous, by day",
    ),
    "digest_this_period": ("本期", "this period"),
    "digest_previous_period": ("上期", "previous period"),
    "digest_why_failed": (
        "原因分析暂不可用：{error}",
        "The why-analysis is not available: {error}",
    ),
    "digest_alerts": ("未关闭的预警及负责人", "Open alerts and their owners"),
    "digest_no_alerts": ("没有未关闭的预警。", "No open alerts."),
    "digest_alert_line": (
        "{headline} — 负责人 {owner}，状态：{state}（自 {since}，升级 {level} 级）",
        "{headline} — owner {owner}, {state} (since {since}, escalation level {level})",
    ),
    "digest_state_open": ("待确认", "open"),
    "digest_state_acknowledged": ("已确认", "acknowledged"),
    "digest_themes": ("投诉热点主题", "Top complaint themes"),
    "digest_no_index": (
        "相似案例索引尚未建立，无法归纳投诉主题（运行 servicepilot cases index）。",
        "The similar-case index is not built, so no complaint themes (run servicepilot cases "
        "index).",
    ),
    "digest_no_themes": ("本期没有投诉。", "No complaints in this period."),
    "digest_theme_volume": (
        "本期 {volume} 件（上期 {previous} 件）",
        "{volume} cases (previous {previous})",
    ),
    "digest_theme_growth": ("为上期的 {growth:.1f} 倍", "{growth:.1f}× the previous period"),
    "digest_theme_new": ("新出现", "new"),
    "digest_forecast": ("下期预测", "Forecast for the next period"),
    "digest_forecast_line": (
        "预测（非认证指标）：{start} 至 {last} 的{metric}合计约 {total}（95%区间 {low}–{high}）。"
        "方法：{method}。",
        "Forecast (not a certified metric): {metric} for {start} to {last} totals about "
        "{total} (95% interval {low}-{high}). Method: {method}.",
    ),
    "digest_no_forecast": ("暂无预测：{error}", "No forecast: {error}"),
    "digest_internal_error": (
        "这一部分暂时无法计算（已记录在服务器日志中）",
        "this part could not be computed (the server log has the details)",
    ),
    "digest_data": ("数据新鲜度与质量", "Data freshness and quality"),
    "digest_data_as_of": ("数据截至 {at}", "Data as of {at}"),
    "digest_source_ok": (
        "数据源 {source}：最新事件 {last}",
        "Source {source}: newest event {last}",
    ),
    "digest_source_quiet": (
        "数据源 {source} 已停止发送（最新事件 {last}），相关数字可能偏低",
        "Source {source} has gone quiet (newest event {last}); its numbers may be low",
    ),
    "digest_quality_line": (
        "{source} 质量分 {score}：重复 {duplicates}，缺必填 {missing}，无效代码 {invalid}",
        "{source} quality {score}: {duplicates} duplicates, {missing} missing required, "
        "{invalid} invalid codes",
    ),
    "digest_quality_failed": ("未能检查数据质量：{error}", "Data quality not checked: {error}"),
    "digest_footer": (
        "所有数字来自语义层的认证指标口径，按「{role}」的数据权限计算",
        "Every number comes from the certified definitions of the semantic layer, within the "
        "rows of {role}",
    ),
    "digest_generated": ("生成于 {at}", "generated {at}"),
}

SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "zh": (
        "上个月华东区的客户满意度是多少，和前一个月比呢？",
        "上季度哪个渠道SLA超时最多？",
        "今年每月的投诉量趋势",
    ),
    "en": (
        "What was CSAT last month?",
        "Which channels breached SLA most last quarter?",
        "Complaint volume trend by month this year",
    ),
}
