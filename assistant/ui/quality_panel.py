"""The cockpit's data-quality panel: per source, the quality score and problem counts of
``servicepilot quality`` (tools.ingest.quality), quarantined records, and a 14-day trend of
records received and quarantined per day (the ingest journal and ``sp_quarantine``).

The report counts rows of every region, so it is shown only to roles without row filters that
may see metric values; other roles see a note instead.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import gradio as gr
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assistant import trace
from assistant.roles import get_role
from assistant.ui.context import UIContext
from assistant.ui.i18n import Translator, t
from assistant.workers import BackgroundLane
from semantic_layer.executor import data_version
from tools.ingest.quality import QualityReport, quality_report
from tools.warehouse.schema import sp_ingest_batches, sp_quarantine

log = logging.getLogger(__name__)
TREND_DAYS = 14


def daily_counts(engine: Engine, today: date, days: int = TREND_DAYS) -> dict[str, dict]:
    """``{source: {"received": [..], "quarantined": [..]}}`` per day, oldest first, over the
    ``days`` days ending ``today`` (both lists always ``days`` long)."""
    start = today - timedelta(days=days - 1)
    out: dict[str, dict[str, list[int]]] = {}

    def add(kind: str, rows: Any) -> None:
        for source, day, count in rows:
            series = out.setdefault(source, {"received": [0] * days, "quarantined": [0] * days})
            series[kind][(day - start).days] += int(count)

    inspector = sa.inspect(engine)
    with engine.connect() as conn:
        if inspector.has_table(sp_ingest_batches.name):
            day = sa.cast(sp_ingest_batches.c.received_at, sa.Date)
            add(
                "received",
                conn.execute(
                    sa.select(
                        sp_ingest_batches.c.source, day, sa.func.sum(sp_ingest_batches.c.new_events)
                    )
                    .where(day >= start, day <= today)
                    .group_by(sp_ingest_batches.c.source, day)
                ),
            )
        if inspector.has_table(sp_quarantine.name):
            day = sa.cast(sp_quarantine.c.imported_at, sa.Date)
            add(
                "quarantined",
                conn.execute(
                    sa.select(sp_quarantine.c.source, day, sa.func.count())
                    .where(day >= start, day <= today)
                    .group_by(sp_quarantine.c.source, day)
                ),
            )
    return out


class KeptQuality:
    """The panel's facts (``quality_report`` and ``daily_counts``) as of the warehouse's data
    version and the calendar day (the report's plausible-timestamp window ends tomorrow): the
    report scans every row of every contract table (seconds at 200k tickets), and the panel
    asked for it on every cockpit open, beside the viewer's first drill steps. Any committed
    write (an import, an ingest batch, a quarantined row) changes the data version, so the
    panel never shows facts older than the data; a warehouse without a version (PostgreSQL,
    Spark) is scanned every time. Callers arriving during a scan wait for it, not scan too."""

    def __init__(self, engine: Engine, lane: BackgroundLane | None = None) -> None:
        self.engine = engine
        # a DuckDB file is scanned in ``lane`` (low CPU priority, own read-only connection),
        # so a scan after new data does not slow the drill steps the viewer clicks meanwhile
        self.lane = lane if lane is not None and _file_url(engine) is not None else None
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._facts: tuple[QualityReport, dict[str, dict]] | None = None
        self.scans = 0

    def facts(self, today: date) -> tuple[QualityReport, dict[str, dict]]:
        version = data_version(self.engine)
        if version is None:
            return self._scan(today)
        key = (version, date.today(), today)
        with self._lock:
            if self._key == key and self._facts is not None:
                return self._facts
            facts = self._scan(today)
            if data_version(self.engine) == version:  # not when new data came during the scan
                self._key, self._facts = key, facts
            return facts

    def _scan(self, today: date) -> tuple[QualityReport, dict[str, dict]]:
        self.scans += 1
        if self.lane is not None:
            return self.lane.call(scan_file, _file_url(self.engine), today)
        return quality_report(self.engine), daily_counts(self.engine, today)


def _file_url(engine: Engine) -> str | None:
    """The URL of ``engine``'s DuckDB file (None for other warehouses and in-memory DuckDB)."""
    url = engine.url
    if url.get_backend_name() != "duckdb" or url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def scan_file(url: str, today: date) -> tuple[QualityReport, dict[str, dict]]:
    """``quality_report`` and ``daily_counts`` over the DuckDB file at ``url``, opened read-only
    for this scan alone (a writer may need the file to itself afterwards)."""
    from assistant import trace
    from tools.warehouse.engine import make_engine

    engine = make_engine(url, read_only=True, create_dir=False)
    try:
        with trace.span("quality.scan"):
            return quality_report(engine), daily_counts(engine, today)
    except Exception as exc:  # the server shows the message; the error's class may not pickle
        raise RuntimeError(str(exc)) from None
    finally:
        engine.dispose()


def quality_html(
    engine: Engine, role: str | None, lang: str, today: date, kept: KeptQuality | None = None
) -> str:
    """The panel for ``role`` in ``lang``: a table, one row per source (its facts from
    ``kept`` when given)."""
    from assistant.ui.cockpit_tab import sparkline

    access = get_role(role)
    if access.row_filters or not access.can_query_metrics:
        return f"<p class='sp-quality-note'>{html.escape(t(lang, 'quality_restricted'))}</p>"
    try:
        if kept is not None:
            report, trend = kept.facts(today)
        else:
            report, trend = quality_report(engine), daily_counts(engine, today)
    except Exception as exc:  # keep the cockpit usable; the message names the problem
        log.warning("quality panel: %s", exc)
        return f"<p>⚠️ {html.escape(t(lang, 'quality_failed', error=exc))}</p>"
    if not report.sources:
        return f"<p>{html.escape(t(lang, 'quality_none'))}</p>"
    heads = ("quality_source", "quality_score", "quality_rows", "quality_problems")
    head = "".join(f"<th>{html.escape(t(lang, k))}</th>" for k in heads)
    head += f"<th>{html.escape(t(lang, 'quality_quarantined'))}</th>"
    head += f"<th>{html.escape(t(lang, 'quality_trend', days=TREND_DAYS))}</th>"
    rows = []
    for s in report.sources:
        problems = s.duplicates + s.missing_required + s.invalid_codes + s.impossible_timestamps
        series = trend.get(s.source, {})
        spark = sparkline(series.get("received", []), "neutral") + sparkline(
            series.get("quarantined", []), "bad"
        )
        spark = spark or "—"  # loaded by file imports only: no arrival times recorded
        tone = "good" if s.score >= 99 else ("neutral" if s.score >= 95 else "bad")
        rows.append(
            f"<tr data-source='{html.escape(s.source)}'><td>{html.escape(s.source)}</td>"
            f"<td class='sp-quality-{tone}'>{s.score:.1f}</td><td>{s.rows:,}</td>"
            f"<td>{problems:,}</td><td>{s.quarantined_rows:,}</td><td>{spark}</td></tr>"
        )
    return (
        "<table class='sp-quality' id='sp-quality-table'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def build_quality_panel(
    ctx: UIContext, tr: Translator, lang_radio: gr.Radio, triggers: list[Callable[..., Any]]
) -> None:
    """Add the panel under the cockpit; ``triggers`` (tab select, refresh click) fill it."""
    tr.heading("quality_panel")
    # Until the first scan answers, the panel says it is checking. The scan takes seconds after
    # new data; Gradio's progress timer on the panel would redraw the page every frame all that
    # time, slowing the cockpit steps taken meanwhile (two cores), so the events show none.
    checking = f"<p class='sp-quality-note'>{html.escape(t(tr.lang, 'quality_checking'))}</p>"
    panel = gr.HTML(checking, elem_id="sp-cockpit-quality")
    engine = ctx.api.app.services.engine
    # one scan per data version for every session, at a low CPU priority
    kept = KeptQuality(engine, BackgroundLane())

    def on_refresh(lang_value: str, request: gr.Request) -> str:
        _, role = ctx.identity(request)
        with trace.span("handler.quality"):
            return quality_html(engine, role, lang_value, ctx.api.today, kept)

    for trigger in triggers:
        trigger(
            on_refresh, [lang_radio], panel, api_visibility="undocumented", show_progress="hidden"
        )
