"""A "why did it change?" report (``tools.cases.why``) in words, in the question's language,
with the catalog's labels for metrics, dimensions, values and root causes."""

from __future__ import annotations

from datetime import date
from typing import Any

from assistant.answer.narrate import format_change, format_value
from assistant.messages import msg
from assistant.planning.lexicon import Lexicon
from assistant.planning.period_text import period_label
from semantic_layer.catalog import Catalog
from semantic_layer.executor import MetricMeta
from semantic_layer.stats import CHANGE_Z

MAX_CONTRIBUTORS = 5
MAX_THEMES = 5


def why_text(report: dict[str, Any], lexicon: Lexicon, catalog: Catalog, language: str) -> str:
    """``report``: ``WhyReport.to_dict()``. Numbers are the report's, never recomputed."""
    zh = language == "zh"
    metric = catalog.metric(report["metric"])
    meta = MetricMeta.of(metric, catalog)
    label = metric.label.zh if zh else metric.label.en
    unit = "%" if metric.unit == "%" else ""

    def value(x: float | None) -> str:
        # The metric's own format and unit: counts as whole numbers (a previous count scaled
        # for a longer month reads 596, the note says it was scaled), 25.4小时, 70.5%.
        return "-" if x is None else format_value(x, meta, language)

    def where(scope: dict[str, str]) -> str:
        return lexicon.scope_label(scope, language)

    def part(c: dict[str, Any]) -> str:
        return lexicon.condition_label(c["dimension"], (c["value"],), language)

    (start, end), (p_start, p_end) = report["period"], report["previous"]
    if report["value_now"] is None or report["value_before"] is None:
        # No data in one of the periods (e.g. a week after the data ends): nothing to explain,
        # and contributions against a missing value would be numbers of nothing.
        missing = (start, end) if report["value_now"] is None else (p_start, p_end)
        when = period_label(
            date.fromisoformat(missing[0]), date.fromisoformat(missing[1]), language
        )
        return (
            f"{label}在{when}没有数据，无法分析变化原因。"
            if zh
            else f"{label} has no data in {when}, so there is no change to explain."
        )
    scope = f"（{where(report['scope'])}）" if zh else f" ({where(report['scope'])})"
    scope = scope if report["scope"] else ""
    before, now, change = report["value_before"], report["value_now"], report["change"]
    direction, moved = "", value(change)
    if change is not None and change != 0:
        direction = (
            ("上升 " if change > 0 else "下降 ") if zh else ("up " if change > 0 else "down ")
        )
        # A rate moves by points, not by per cent of itself.
        moved = format_change(change, meta, language)  # a rate moves by points
    now_when = period_label(date.fromisoformat(start), date.fromisoformat(end), language)
    then_when = period_label(date.fromisoformat(p_start), date.fromisoformat(p_end), language)
    # A change within sampling noise is not explained by segments: say so first, and give
    # the segments' movements without "x % of the change" (a share of noise means nothing).
    noise = report.get("beyond_noise") is False
    if zh:
        lines = [
            f"{label}{scope}：{now_when}为 {value(now)}，对比{then_when}的 {value(before)}，"
            f"{direction}{moved}。",
        ]
        if noise:
            lines.append(
                f"这个变化在正常波动范围内（变化幅度只有抽样误差的 {report['change_z']:.1f} 倍，"
                f"未达到 {CHANGE_Z} 倍）：按这样的样本量，整体上不能说明有真实的变化。"
                "下面是各细分的变动，自身超出正常波动的已标出。"
            )
        lines.append("变动最大的细分：" if noise else "贡献最大的细分：")
    else:
        lines = [
            f"{label}{scope}: {value(now)} in {now_when} against {value(before)} in "
            f"{then_when}, {direction}{moved}.",
        ]
        if noise:
            lines.append(
                f"This change is within normal variation (it is {report['change_z']:.1f} "
                f"standard errors, below {CHANGE_Z}): with these sample sizes the total does not "
                "show a real change. The segments' movements follow; those beyond normal "
                "variation on their own are marked."
            )
        lines.append("Largest movements by segment:" if noise else "Biggest contributors:")

    def signed(x: float) -> str:
        if unit:
            return f"{x:+,.1f} 个百分点" if zh else f"{x:+,.1f} points"
        return f"{x:+,.0f}" if abs(x) >= 10 else f"{x:+,.2f}".rstrip("0").rstrip(".")

    for c in report["top_contributors"][:MAX_CONTRIBUTORS]:
        moved = f"{value(c['before'])} → {value(c['now'])}"
        contribution = c["contribution"]
        if contribution is None:  # a segment without a rate in one period: nothing to add up
            lines.append(f"- {part(c)}：{moved}" if zh else f"- {part(c)}: {moved}")
            continue
        share = "" if noise else _share_words(c["share_of_change"], zh)
        if noise and c.get("beyond_noise") and c.get("change_z") is not None:
            share = "（自身变化超出正常波动）" if zh else " (beyond normal variation on its own)"
        mix = _mix_words(c, signed, zh)
        if zh:
            lines.append(
                f"- {part(c)}：{moved}{mix[0]}，贡献 {signed(contribution)}{mix[1]}" + share
            )
        else:
            lines.append(
                f"- {part(c)}: {moved}{mix[0]}, contributes {signed(contribution)}{mix[1]}" + share
            )
    if report["top_contributors"]:
        lines.append("")  # a blank line ends the Markdown list
        lines.append(
            "（同一维度各细分的贡献相加等于总变化；正数推高、负数拉低。）"
            if zh
            else "(The contributions within one dimension add up to the total change; positive "
            "ones push it up, negative ones pull it down.)"
        )
    steps = [c for c in report["drilldown"] if c["share_of_change"] is not None]
    if steps:
        shares = [f"{c['share_of_change']:.0%}" for c in steps]
        if zh:
            path = " > ".join(f"{part(c)}（{s}）" for c, s in zip(steps, shares, strict=True))
            lines.append(f"逐层下钻：{path}")
        else:
            path = " > ".join(f"{part(c)} ({s})" for c, s in zip(steps, shares, strict=True))
            lines.append(f"Drill-down: {path}")
    themes = report["grown_themes"][:MAX_THEMES]
    if themes:
        focus = where(report["theme_scope"]) or ("全部" if zh else "all")
        lines.append(
            f"{focus} 中增长的投诉主题：" if zh else f"Complaint themes that grew in {focus}:"
        )
        for theme in themes:
            causes = ("、" if zh else ", ").join(
                lexicon.value_label("root_cause", r["root_cause"], language)
                for r in theme["top_root_causes"]
            )
            growth = theme["growth"]
            grew = (
                ("新出现" if zh else "new")
                if growth is None
                else (f"增长 {growth:.1f} 倍" if zh else f"x{growth:.1f}")
            )
            examples = ", ".join(theme["example_ids"][:3])
            lines.append(
                f"- {theme['label']}：{theme['volume']} 件（{grew}）；根因 {causes or '-'}；"
                f"案例 {examples}"
                if zh
                else f"- {theme['label']}: {theme['volume']} cases ({grew}); root causes "
                f"{causes or '-'}; e.g. {examples}"
            )
    lines.extend(
        ("注：" if zh else "Note: ") + _note(note, lexicon, language)
        for note in report["note_codes"]
    )
    return "\n".join(lines)


def _mix_words(c: dict[str, Any], signed: Any, zh: bool) -> tuple[str, str]:
    """For a rate: the segment's share of the sample in both periods, and its contribution
    split into its own rate's change and its share's change when the share matters, so that
    "79.2% → 95.9%, contributes -2.3 points" reads as what it is (a shrinking share)."""
    if c.get("mix_effect") is None or c.get("weight_before") is None:
        return "", ""
    shares = f"{c['weight_before']:.0%} → {c['weight_now']:.0%}"
    weights = f"（样本占比 {shares}）" if zh else f" (share of the sample {shares})"
    if abs(c["mix_effect"]) < 0.05:  # rounds to 0.0 points: the rate's change is all of it
        return weights, ""
    rate, mix = signed(c["rate_effect"]), signed(c["mix_effect"])
    split = f"（其中比率变化 {rate}，占比变化 {mix}）" if zh else f" (rate {rate}, share {mix})"
    return weights, split


def _share_words(share: float | None, zh: bool) -> str:
    """A contribution's share of the total change in words: a share above 100 % or below 0
    means other parts moved the other way, so say that instead of "-206%"."""
    if share is None:
        return ""
    if share < 0:
        return (
            f"，与总变化方向相反（抵消了相当于总变化 {abs(share):.0%} 的量）"
            if zh
            else f", against the total change (offsetting {abs(share):.0%} of it)"
        )
    if share > 1:
        return (
            f"，超过总变化（{share:.0%}），其他细分反向抵消了一部分"
            if zh
            else f", more than the total change ({share:.0%}): other parts moved the other way"
        )
    return f"，占总变化的 {share:.0%}" if zh else f", {share:.0%} of the total change"


def _note(note: dict[str, Any], lexicon: Lexicon, language: str) -> str:
    """A why-analysis note (code + values) in the reader's language, with catalog labels."""
    values = {k: v for k, v in note.items() if k != "code"}
    if "fields" in values:
        sep = "、" if language == "zh" else ", "
        values["fields"] = sep.join(lexicon.dimension_label(f, language) for f in values["fields"])
    if "scope" in values:
        everything = "全部数据" if language == "zh" else "all data"
        values["scope"] = lexicon.scope_label(values["scope"], language) or everything
    return msg(language, f"why_note_{note['code']}", **values)
