"""Freshness per ingest source and the quiet-source alert, from the event journal.

Per source: the newest event time, the last arrival, the lag (now - newest event time), and
its usual gap between batches (the 90th percentile of the last ``GAP_SAMPLE`` gaps). A source
is *quiet* when nothing arrived for longer than ``QUIET_FACTOR`` x its usual gap (and at least
``MIN_QUIET``): a ticket system that stopped sending is noticed before the numbers drift.

A *late arrival* is an event received after the end of the day it happened on: it lands in its
own (already reported) period, which changes that period's numbers after the fact.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from semantic_layer.inline_sql import has_column, run
from tools.warehouse.schema import sp_events, sp_ingest_batches

if TYPE_CHECKING:  # imported when used: monitoring pulls in the semantic layer
    from tools.monitoring.alerts import Alert

GAP_SAMPLE = 200
QUIET_FACTOR = 3.0
MIN_QUIET = timedelta(minutes=5)
QUIET_RULE = "source_quiet"
# Who hears of a quiet source unless `alerts notify --quiet-owner` says otherwise; notify.yml
# routes it like any owner (an entry with `scope: {source: crm}` takes one source).
QUIET_OWNER = "data-engineering"


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    events: int
    last_event_time: datetime | None
    last_received_at: datetime | None
    lag_s: float | None  # now - newest event time
    usual_gap_s: float | None  # p90 gap between batches; None with fewer than 3 batches
    quiet: bool
    late_arrivals: int

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("last_event_time", "last_received_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out

    def alert(self, now: datetime) -> str | None:
        if not self.quiet or self.last_received_at is None:
            return None
        silent = now - self.last_received_at
        return (
            f"Source {self.source!r} has sent nothing for {_human(silent)} (usually every "
            f"{_human(timedelta(seconds=self.usual_gap_s or 0))}); its numbers stop at "
            f"{self.last_event_time:%Y-%m-%d %H:%M}. Check the sending system or its API key."
        )

    def quiet_alert(self, now: datetime, owner: str = QUIET_OWNER) -> Alert | None:
        """This quiet source as an alert episode for ``tools.notify`` routing: observed is the
        silence in minutes, expected the usual gap, the interval ends at the quiet threshold.
        One episode per silence (keyed by the day of the last arrival); it ends when the
        source sends again."""
        from tools.monitoring.alerts import Alert

        if not self.quiet or self.last_received_at is None:
            return None
        silent = (now - self.last_received_at).total_seconds() / 60
        usual = (self.usual_gap_s or 0) / 60
        threshold = _quiet_after(self.usual_gap_s or 0).total_seconds() / 60
        last_day: date = self.last_received_at.date()
        return Alert(
            rule=QUIET_RULE,
            metric="source_silence_minutes",
            metric_label_zh="数据源未发送时长（分钟）",
            metric_label_en="Minutes since the source last sent",
            unit="min",
            scope={"source": self.source},
            grain="day",
            period_start=last_day,
            period_end=now.date() + timedelta(days=1),
            peak_start=last_day,
            peak_end=now.date() + timedelta(days=1),
            observed=round(silent, 1),
            expected=round(usual, 1),
            interval_low=0.0,
            interval_high=round(threshold, 1),
            interval_level=0.9,  # the usual gap is the 90th percentile of recent gaps
            score=round(silent / threshold, 2),
            direction="up",
            severity="critical" if silent >= 4 * threshold else "warning",
            threshold=QUIET_FACTOR,
            volume=float(self.events),
            owner=owner,
            holidays=(),
            comparison_start=last_day,
            comparison_end=last_day,
            ongoing=True,
            latest=round(silent, 1),
        )


def _quiet_after(usual_gap_s: float) -> timedelta:
    return max(MIN_QUIET, timedelta(seconds=QUIET_FACTOR * usual_gap_s))


def quiet_source_alerts(
    conn: Connection, now: datetime | None = None, owner: str = QUIET_OWNER
) -> list[Alert]:
    """An alert per source that has gone quiet (``alerts notify`` routes them)."""
    now = now or datetime.now()
    found = (f.quiet_alert(now, owner) for f in source_freshness(conn, now))
    return [alert for alert in found if alert is not None]


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


def late_arrival_condition() -> sa.ColumnElement[bool]:
    """Received after the end of the event's own day (a DATE cast works on every engine)."""
    return sa.cast(sp_events.c.received_at, sa.Date) > sa.cast(sp_events.c.event_time, sa.Date)


def late_arrivals(conn: Connection) -> dict[str, int]:
    """Late events of every source that has sent events (rows that existed before live ingest
    are not events, so other sources are absent)."""
    if not sa.inspect(conn).has_table(sp_events.name):
        return {}
    late = sa.case((late_arrival_condition(), 1), else_=0)
    query = (
        sa.select(sp_events.c.source, sa.func.sum(late))
        .where(sp_events.c.batch_id != "base")
        .group_by(sp_events.c.source)
    )
    return {source: int(n) for source, n in conn.execute(query)}


def source_freshness(conn: Connection, now: datetime | None = None) -> list[SourceFreshness]:
    """Freshness of every source that has sent events, by source name."""
    now = now or datetime.now()
    if not sa.inspect(conn).has_table(sp_events.name):
        return []
    late = late_arrivals(conn)
    summary = conn.execute(
        sa.select(
            sp_events.c.source,
            sa.func.count(),
            sa.func.max(sp_events.c.event_time),
            sa.func.max(sp_events.c.received_at),
        )
        .where(sp_events.c.batch_id != "base", sp_events.c.event_time <= now + timedelta(days=1))
        .group_by(sp_events.c.source)
        .order_by(sp_events.c.source)
    ).all()
    out = []
    for source, count, last_event, last_received in summary:
        gap = _usual_gap(conn, source)
        quiet = bool(
            last_received is not None
            and gap is not None
            and now - last_received > _quiet_after(gap)
        )
        out.append(
            SourceFreshness(
                source=source,
                events=int(count),
                last_event_time=last_event,
                last_received_at=last_received,
                lag_s=round((now - last_event).total_seconds(), 1) if last_event else None,
                usual_gap_s=gap,
                quiet=quiet,
                late_arrivals=late.get(source, 0),
            )
        )
    return out


def quiet_sources(
    conn: Connection, sources: list[str], now: datetime | None = None
) -> dict[str, datetime]:
    """Of ``sources``, those that have gone quiet, with when each last sent a batch (cheap:
    one query for the last arrivals, one per source that has sent; an answer asks it)."""
    now = now or datetime.now()
    # Values inlined on DuckDB (semantic_layer.inline_sql): an answer asks this, and a bound
    # parameter makes DuckDB's client import pandas.
    if not sources or not has_column(conn, sp_ingest_batches.name):
        return {}
    last = run(
        conn,
        sa.select(sp_ingest_batches.c.source, sa.func.max(sp_ingest_batches.c.received_at))
        .where(sp_ingest_batches.c.source.in_(sources))
        .group_by(sp_ingest_batches.c.source),
    ).all()
    quiet = {}
    for source, received in last:
        gap = _usual_gap(conn, source)
        if received is not None and gap is not None and now - received > _quiet_after(gap):
            quiet[source] = received
    return quiet


def _usual_gap(conn: Connection, source: str) -> float | None:
    times = (
        run(
            conn,
            sa.select(sp_ingest_batches.c.received_at)
            .where(sp_ingest_batches.c.source == source)
            .order_by(sp_ingest_batches.c.received_at.desc())
            .limit(GAP_SAMPLE + 1),
        )
        .scalars()
        .all()
    )
    if len(times) < 3:
        return None
    import pandas as pd

    gaps = pd.Series(sorted(times)).diff().dropna().dt.total_seconds()
    return round(float(gaps.quantile(0.9)), 1)
