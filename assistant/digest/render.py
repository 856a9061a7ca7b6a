"""The digest as a page: one column, readable on a phone (responsive CSS, images at most the
screen's width), the same HTML for the file, the e-mail body and the PDF (weasyprint). Every
KPI shows its definition (label, formula line, time attribution, certified badge); all wording
comes from the one message catalog (``assistant.messages``)."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from assistant.answer.narrate import format_change, format_value
from assistant.answer.why_text import why_text
from assistant.digest.build import INTERNAL_ERROR, Digest, Kpi, Movement
from assistant.messages import forecast_method, msg, owner_label
from tools.chart_image import LineChart, Series, render_png
from tools.pii import mask_pii

CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",
 -apple-system,"Segoe UI",sans-serif;margin:0;padding:0;color:#111827;background:#f3f4f6;
 line-height:1.5;font-size:15px}
.sp-digest{max-width:720px;margin:0 auto;background:#fff;padding:16px}
h1{font-size:1.35em;margin:0 0 4px}
h2{font-size:1.1em;margin:22px 0 8px;padding-bottom:4px;border-bottom:2px solid #e5e7eb}
h3{font-size:1em;margin:14px 0 6px}
.sp-sub{color:#6b7280;font-size:.9em}
.sp-kpi{border:1px solid #e5e7eb;border-left:6px solid #e5e7eb;border-radius:8px;
 padding:10px 12px;margin:8px 0;page-break-inside:avoid}
.sp-kpi.ok{border-left-color:#16a34a}.sp-kpi.warning{border-left-color:#d97706}
.sp-kpi.breach{border-left-color:#dc2626}
.sp-kpi .v{font-size:1.45em;font-weight:600}
.sp-good{color:#16a34a}.sp-bad{color:#dc2626}.sp-flat{color:#6b7280}
.sp-def{color:#6b7280;font-size:.82em;margin-top:4px}
.sp-card{border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px;margin:8px 0;
 page-break-inside:avoid}
.sp-chart{width:100%;max-width:100%;height:auto;display:block;margin:6px 0}
.sp-why{white-space:pre-wrap;font-size:.92em}
.sp-ex{color:#374151;font-size:.88em;margin:2px 0 0 0}
ul{padding-left:20px;margin:4px 0}
.sp-foot{color:#6b7280;font-size:.8em;margin-top:24px;border-top:1px solid #e5e7eb;
 padding-top:8px}
@media (max-width:480px){body{font-size:14px}.sp-digest{padding:10px}}
@page{size:A4;margin:14mm}
@media print{body{background:#fff}.sp-digest{max-width:none;padding:0}}
"""


@dataclass(frozen=True)
class Rendered:
    """The page and the charts it shows: ``images`` (content id, PNG). With ``inline`` the
    page carries them as data URIs (a file, the PDF); else as ``cid:`` references (e-mail)."""

    subject: str
    html: str
    text: str
    images: tuple[tuple[str, bytes], ...]


def render(digest: Digest, app: Any, *, inline: bool = True) -> Rendered:
    lang = digest.language
    m: Callable[..., str] = lambda key, **v: msg(lang, key, **v)  # noqa: E731
    scope_name = _scope_name(digest, app, lang)
    last = digest.end - timedelta(days=1)
    kind = m("digest_weekly" if digest.period == "last-week" else "digest_monthly")
    subject = m("digest_subject", kind=kind, scope=scope_name, start=digest.start, last=last)
    images: list[tuple[str, bytes]] = []

    def image(cid: str, png: bytes, alt: str) -> str:
        images.append((cid, png))
        src = f"data:image/png;base64,{base64.b64encode(png).decode()}" if inline else f"cid:{cid}"
        return f"<img class='sp-chart' src='{src}' alt='{_e(alt)}' width='640'>"

    parts = [
        f"<h1>{_e(kind)} · {_e(scope_name)}</h1>",
        f"<div class='sp-sub'>{_e(m('digest_period', start=digest.start, last=last))} · "
        f"{_e(m('digest_compared', start=digest.previous.start, last=digest.previous.end - timedelta(days=1)))}"  # noqa: E501
        "</div>",
        f"<h2>{_e(m('digest_kpis'))}</h2>",
        *(_kpi_html(k, lang) for k in digest.kpis),
        f"<h2>{_e(m('digest_movements'))}</h2>",
    ]
    if not digest.movements:
        parts.append(f"<p>{_e(m('digest_no_movements'))}</p>")
    for i, movement in enumerate(digest.movements):
        parts.append(_movement_html(movement, app, lang, i, image))
    parts += _alerts_html(digest, lang)
    parts += _themes_html(digest, app, lang)
    parts += _forecast_html(digest, app, lang)
    parts += _freshness_html(digest, lang)
    parts.append(
        f"<div class='sp-foot'>{_e(m('digest_footer', role=_role_label(digest, lang)))} · "
        f"{_e(m('digest_generated', at=digest.generated_at.strftime('%Y-%m-%d %H:%M')))}</div>"
    )
    page = (
        f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head>"
        "<meta charset='utf-8'><meta name='viewport' content='width=device-width,"
        f"initial-scale=1'><title>{_e(subject)}</title><style>{CSS}</style></head><body>"
        f"<div class='sp-digest'>{''.join(parts)}</div></body></html>"
    )
    return Rendered(subject, page, _text(digest, subject, lang), tuple(images))


def render_pdf(page: str) -> bytes:
    """The page as PDF (weasyprint; Noto CJK from the system fonts)."""
    try:
        from weasyprint import HTML
    except ImportError as exc:
        from assistant.errors import AssistantError

        raise AssistantError(
            "PDF output needs weasyprint: pip install 'servicepilot[pdf]' (or use --format html)."
        ) from exc
    return HTML(string=page).write_pdf()


def _e(value: object) -> str:
    """Every text of the page goes through here: personal data masked (the digest is read
    outside the product: files, e-mails, robots), then HTML-escaped."""
    return html.escape(mask_pii(str(value)))


def _label(meta: Any, lang: str) -> str:
    return meta.label_zh if lang == "zh" else meta.label_en


def _scope_name(digest: Digest, app: Any, lang: str) -> str:
    scope = digest.scope
    if not scope:
        return msg(lang, "digest_all_regions")
    names = []
    for field, value in scope.items():
        codes = app.catalog.code_lists.get(field)
        code = next((c for c in codes.codes if c.code == value), None) if codes else None
        names.append((code.label.zh if lang == "zh" else code.label.en) if code else value)
    return "、".join(names) if lang == "zh" else ", ".join(names)


def _role_label(digest: Digest, lang: str) -> str:
    label = digest.role.label
    return (label.zh if lang == "zh" else label.en) if label else digest.role.name


def _change(kpi: Kpi, lang: str) -> tuple[str, str]:
    """The change as shown ("▲ 2.1个百分点") and its tone class by the metric's direction."""
    if kpi.change is None:
        return msg(lang, "digest_no_change_base"), "sp-flat"
    amount = format_change(kpi.change, kpi.meta, lang)
    if not any(ch in "123456789" for ch in amount):
        return f"＝ {amount}", "sp-flat"
    arrow = "▲" if kpi.change > 0 else "▼"
    tone = "sp-flat"
    if kpi.meta.direction in ("up", "down"):
        tone = "sp-good" if (kpi.change > 0) == (kpi.meta.direction == "up") else "sp-bad"
    return f"{arrow} {amount}", tone


def definition(kpi: Kpi, lang: str) -> str:
    """The KPI's definition line: formula (the certified description), time attribution,
    certified badge, owner and version."""
    meta = kpi.meta
    badge = msg(lang, "certified" if meta.certified else "not_certified")
    formula = meta.description_zh if lang == "zh" else meta.description_en
    return msg(
        lang,
        "digest_definition",
        name=meta.name,
        formula=formula,
        time=meta.time_attribution or "-",
        badge=badge,
        owner=owner_label(meta.owner, lang),
        version=meta.version,
    )


def _kpi_html(kpi: Kpi, lang: str) -> str:
    change, tone = _change(kpi, lang)
    goal = ""
    if kpi.target is not None:
        goal = msg(
            lang,
            "digest_target",
            target=format_value(kpi.target, kpi.meta, lang),
            status=msg(lang, f"kpi_status_{kpi.status}"),
        )
    previous = format_value(kpi.previous, kpi.meta, lang) if kpi.previous is not None else "-"
    sample = f" · n={kpi.sample:,}" if kpi.sample is not None else ""
    return (
        f"<div class='sp-kpi {kpi.status}' data-metric='{kpi.name}'>"
        f"<div>{_e(_label(kpi.meta, lang))}</div>"
        f"<div class='v'>{_e(format_value(kpi.value, kpi.meta, lang))}</div>"
        f"<div><span class='{tone}'>{_e(change)}</span> "
        f"<span class='sp-sub'>{_e(msg(lang, 'digest_previous', value=previous))}{sample}</span>"
        f"</div>"
        + (f"<div>{_e(goal)}</div>" if goal else "")
        + f"<div class='sp-def'>{_e(definition(kpi, lang))}</div></div>"
    )


def _movement_html(
    movement: Movement, app: Any, lang: str, index: int, image: Callable[..., str]
) -> str:
    kpi = movement.kpi
    label = _label(kpi.meta, lang)
    change, tone = _change(kpi, lang)
    series = movement.series
    chart = LineChart(
        title=msg(lang, "digest_chart_title", metric=label),
        x_labels=tuple(d[5:] for d in series["labels"]),
        series=(
            Series(msg(lang, "digest_this_period"), tuple(series["current"])),
            Series(msg(lang, "digest_previous_period"), tuple(series["previous"]), "#9ca3af"),
        ),
        height=260,
    )
    if movement.why is not None:
        why = why_text(movement.why, app.services.lexicon, app.catalog, lang)
    else:
        why = msg(lang, "digest_why_failed", error=_error_text(movement.error, lang))
    return (
        f"<div class='sp-card'><h3>{_e(label)} <span class='{tone}'>{_e(change)}</span></h3>"
        f"{image(f'digest-move-{index}', render_png(chart), label)}"
        f"<div class='sp-why'>{_e(why)}</div></div>"
    )


def _alerts_html(digest: Digest, lang: str) -> list[str]:
    out = [f"<h2>{_e(msg(lang, 'digest_alerts'))}</h2>"]
    if not digest.alerts:
        return [*out, f"<p>{_e(msg(lang, 'digest_no_alerts'))}</p>"]
    items = []
    for a in digest.alerts:
        items.append(
            "<li>"
            + _e(
                msg(
                    lang,
                    "digest_alert_line",
                    headline=a["headline"],
                    owner=a["owner"] or "-",
                    state=msg(lang, f"digest_state_{a['state']}"),
                    since=a["opened_at"].strftime("%Y-%m-%d %H:%M"),
                    level=a["level"],
                )
            )
            + "</li>"
        )
    return [*out, f"<ul>{''.join(items)}</ul>"]


def _themes_html(digest: Digest, app: Any, lang: str) -> list[str]:
    out = [f"<h2>{_e(msg(lang, 'digest_themes'))}</h2>"]
    themes = digest.themes
    if themes.get("error"):
        return [*out, f"<p>{_e(msg(lang, 'digest_no_index'))}</p>"]
    if not themes["themes"]:
        return [*out, f"<p>{_e(msg(lang, 'digest_no_themes'))}</p>"]
    for t in themes["themes"]:
        growth = (
            msg(lang, "digest_theme_new")
            if t["growth"] is None
            else msg(lang, "digest_theme_growth", growth=t["growth"])
        )
        examples = "".join(
            f"<div class='sp-ex'>• {_e(i)}：{_e(themes['examples'].get(i, ''))}</div>"
            for i in t["example_ids"][:2]
        )
        out.append(
            f"<div class='sp-card'><b>{_e(t['label'])}</b> · "
            f"{_e(msg(lang, 'digest_theme_volume', volume=t['volume'], previous=t['previous_volume'] if t['previous_volume'] is not None else '-'))}"  # noqa: E501
            f" · {_e(growth)}{examples}</div>"
        )
    return out


def _error_text(error: str | None, lang: str) -> str:
    return msg(lang, "digest_internal_error") if error == INTERNAL_ERROR else str(error)


def _forecast_html(digest: Digest, app: Any, lang: str) -> list[str]:
    out = [f"<h2>{_e(msg(lang, 'digest_forecast'))}</h2>"]
    f = digest.forecast
    if f.get("error"):
        reason = _error_text(f["error"], lang)
        return [*out, f"<p>{_e(msg(lang, 'digest_no_forecast', error=reason))}</p>"]
    metric = app.catalog.metric(f["metric"]).label
    start, end = f["period"]
    line = msg(
        lang,
        "digest_forecast_line",
        metric=metric.zh if lang == "zh" else metric.en,
        start=start,
        last=end - timedelta(days=1),
        total=f"{f['total']:,.0f}",
        low=f"{f['total_low_95']:,.0f}",
        high=f"{f['total_high_95']:,.0f}",
        method=forecast_method(f["method"], lang),
    )
    return [*out, f"<p>{_e(line)}</p>"]


def _freshness_html(digest: Digest, lang: str) -> list[str]:
    out = [f"<h2>{_e(msg(lang, 'digest_data'))}</h2>"]
    as_of = digest.freshness.get("data_as_of")
    shown = as_of.strftime("%Y-%m-%d %H:%M") if as_of else "-"
    items = [msg(lang, "digest_data_as_of", at=shown)]
    for s in digest.freshness.get("sources", []):
        key = "digest_source_quiet" if s["quiet"] else "digest_source_ok"
        items.append(msg(lang, key, source=s["source"], last=s["last_event_time"] or "-"))
    quality = digest.quality
    if quality.get("error"):
        items.append(msg(lang, "digest_quality_failed", error=_error_text(quality["error"], lang)))
    for q in quality.get("sources", []):
        items.append(
            msg(
                lang,
                "digest_quality_line",
                source=q["source"],
                score=f"{q['score']:.1f}",
                duplicates=q["duplicates"],
                missing=q["missing_required"],
                invalid=q["invalid_codes"],
            )
        )
    return [*out, "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"]


def _text(digest: Digest, subject: str, lang: str) -> str:
    """The plain-text part (robots, webhooks, the e-mail's text alternative)."""
    lines = [mask_pii(subject), ""]
    for k in digest.kpis:
        change, _ = _change(k, lang)
        lines.append(f"- {_label(k.meta, lang)}: {format_value(k.value, k.meta, lang)} ({change})")
    if digest.alerts:
        lines += ["", msg(lang, "digest_alerts") + f": {len(digest.alerts)}"]
    return mask_pii("\n".join(lines))
