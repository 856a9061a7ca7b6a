"""Today's live view: tickets in so far against the usual for this weekday and hour, the open
backlog by age, tickets whose SLA runs out soon, first response so far and agents' load.

"Now" is the data's clock, not the wall clock: the latest event the viewer may see (the
executor's freshness reading). On live data that is a few seconds ago; on the demo data it is
the evening of the data's last day, so the view still shows a whole "today". How old that
moment is against the wall clock is shown beside it ("数据更新于 2 分钟前").

Every number that is a certified metric comes from the semantic layer through ``run`` (the
caller's role-bound metric runner, access check included); the SLA queue is a list of rows,
read through ``semantic_layer.rows.ScopedRows`` with the same role's row filters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from semantic_layer.catalog import Catalog
from semantic_layer.executor import MetricResult
from semantic_layer.policy import RowPolicy
from semantic_layer.query import Filter, MetricQuery, TimeRange
from semantic_layer.rows import ScopedRows

MetricRunner = Callable[[MetricQuery], MetricResult]

# (key, youngest age, oldest age): open tickets by time since created_at
AGE_BUCKETS: tuple[tuple[str, timedelta, timedelta | None], ...] = (
    ("lt_4h", timedelta(0), timedelta(hours=4)),
    ("4h_24h", timedelta(hours=4), timedelta(hours=24)),
    ("1d_3d", timedelta(days=1), timedelta(days=3)),
    ("gt_3d", timedelta(days=3), None),
)
SLA_WINDOW = timedelta(hours=2)
USUAL_WEEKS = 8  # "usual" = the mean of the same weekday over up to this many past weeks
SLA_LIST_LIMIT = 50
AGENT_LOAD_LIMIT = 15


@dataclass(frozen=True)
class DueTicket:
    ticket_id: str
    region: str | None
    priority: str | None
    channel: str | None
    agent_name: str | None
    sla_due_at: datetime
    minutes_left: int


@dataclass(frozen=True)
class LiveView:
    now: datetime | None  # the data's clock; None: the viewer sees no tickets at all
    wall_clock: datetime
    tickets_today: int = 0
    usual_today: float | None = None  # mean of the same weekday, same time-of-day cut-off
    usual_days: int = 0  # how many past weekdays the usual is the mean of
    resolved_today: int = 0
    backlog: tuple[tuple[str, int], ...] = ()  # AGE_BUCKETS keys -> open tickets
    sla_due_count: int = 0
    sla_due: tuple[DueTicket, ...] = ()  # the first SLA_LIST_LIMIT by due time
    overdue_open: int = 0  # open tickets already past their SLA
    first_response_median_h: float | None = None
    first_response_n: int = 0
    agent_load: tuple[tuple[str, int], ...] = ()  # (agent name, open tickets), most first

    @property
    def age(self) -> timedelta | None:
        """How long ago the data's latest event was, against the wall clock (never < 0)."""
        return None if self.now is None else max(self.wall_clock - self.now, timedelta(0))

    @property
    def backlog_total(self) -> int:
        return sum(n for _, n in self.backlog)

    def to_dict(self) -> dict[str, Any]:
        age = self.age
        return {
            "now": self.now.isoformat() if self.now else None,
            "updated_seconds_ago": None if age is None else int(age.total_seconds()),
            "tickets_today": self.tickets_today,
            "usual_today": self.usual_today,
            "usual_days": self.usual_days,
            "resolved_today": self.resolved_today,
            "backlog": dict(self.backlog),
            "backlog_total": self.backlog_total,
            "sla_due_count": self.sla_due_count,
            "sla_due": [
                {**d.__dict__, "sla_due_at": d.sla_due_at.isoformat()} for d in self.sla_due
            ],
            "overdue_open": self.overdue_open,
            "first_response_median_h": self.first_response_median_h,
            "first_response_n": self.first_response_n,
            "agent_load": [{"agent": a, "open": n} for a, n in self.agent_load],
        }


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _day(start: date) -> TimeRange:
    return TimeRange(start=start, end=start + timedelta(days=1))


def _value(result: MetricResult, metric: str) -> float | None:
    if not len(result.data) or metric not in result.data:
        return None
    value = result.data.iloc[0][metric]
    return None if value is None or pd.isna(value) else float(value)


def _latest(result: MetricResult) -> datetime | None:
    return result.data_freshness


def data_clock(run: MetricRunner, around: date) -> datetime | None:
    """The latest ticket event (created, resolved) the viewer may see: freshness readings of
    two small certified queries (the range only keeps them cheap; freshness reads all rows)."""
    seen = [
        _latest(run(MetricQuery(metrics=(m,), time_range=_day(around))))
        for m in ("ticket_volume", "resolved_tickets")
    ]
    seen = [s for s in seen if s is not None]
    return max(seen) if seen else None


def usual_so_far(run: MetricRunner, now: datetime) -> tuple[float | None, int]:
    """Mean tickets created on the same weekday in past weeks up to the same time of day, over
    the weeks that have data (a weekday before the data starts is not a zero)."""
    today = now.date()
    cut = now - datetime.combine(today, time.min)
    first = today - timedelta(days=7 * USUAL_WEEKS)
    daily = run(
        MetricQuery(
            metrics=("ticket_volume",),
            time_grain="day",
            time_range=TimeRange(start=first, end=today),
        )
    ).data
    with_data = {
        pd.Timestamp(p).date()
        for p, v in zip(daily.get("period", []), daily.get("ticket_volume", []), strict=False)
        if v and not pd.isna(v)
    }
    counts = []
    for week in range(1, USUAL_WEEKS + 1):
        day = today - timedelta(days=7 * week)
        if day not in with_data:
            continue
        cutoff = datetime.combine(day, time.min) + cut
        query = MetricQuery(
            metrics=("ticket_volume",),
            time_range=_day(day),
            filters=(Filter(field="created_at", op="<", values=(_stamp(cutoff),)),),
        )
        counts.append(_value(run(query), "ticket_volume") or 0.0)
    return (sum(counts) / len(counts), len(counts)) if counts else (None, 0)


def backlog_by_age(run: MetricRunner, now: datetime) -> tuple[tuple[str, int], ...]:
    """The certified backlog (open at the end of today) split by time since created_at."""
    out = []
    for key, young, old in AGE_BUCKETS:
        filters = [Filter(field="created_at", op="<=", values=(_stamp(now - young),))]
        if old is not None:
            filters.append(Filter(field="created_at", op=">", values=(_stamp(now - old),)))
        query = MetricQuery(
            metrics=("backlog",), time_range=_day(now.date()), filters=tuple(filters)
        )
        out.append((key, int(_value(run(query), "backlog") or 0)))
    return tuple(out)


def agent_load(run: MetricRunner, now: datetime) -> tuple[tuple[str, int], ...]:
    """Open tickets per agent (the certified backlog by agent), most loaded first."""
    query = MetricQuery(
        metrics=("backlog",), dimensions=("agent_name",), time_range=_day(now.date())
    )
    frame = run(query).data
    pairs = [
        (str(name), int(n))
        for name, n in zip(frame.get("agent_name", []), frame.get("backlog", []), strict=False)
        if name is not None and not pd.isna(name) and n and not pd.isna(n)
    ]
    pairs.sort(key=lambda p: (-p[1], p[0]))
    return tuple(pairs[:AGENT_LOAD_LIMIT])


def sla_queue(
    engine: Engine, catalog: Catalog, policy: RowPolicy | None, now: datetime
) -> tuple[int, tuple[DueTicket, ...], int]:
    """(count, first tickets, overdue count): open tickets whose SLA runs out in the next
    SLA_WINDOW, and those already past it, as rows the viewer's policy lets them see."""
    rows = ScopedRows(
        catalog,
        "tickets",
        (
            "ticket_id",
            "region",
            "priority",
            "channel",
            "agent.agent_name",
            "sla_due_at",
            "resolved_at",
            "created_at",
        ),
        policy,
    )
    c = rows.c
    still_open = sa.and_(
        c["created_at"] <= now, sa.or_(c["resolved_at"].is_(None), c["resolved_at"] > now)
    )
    due_soon = sa.and_(still_open, c["sla_due_at"] > now, c["sla_due_at"] <= now + SLA_WINDOW)
    overdue = sa.and_(still_open, c["sla_due_at"] <= now)
    with engine.connect() as conn:
        count = int(conn.execute(rows.count(due_soon)).scalar_one())
        late = int(conn.execute(rows.count(overdue)).scalar_one())
        found = conn.execute(
            rows.select(due_soon, order_by=(c["sla_due_at"],), limit=SLA_LIST_LIMIT)
        ).mappings()
        listed = tuple(
            DueTicket(
                ticket_id=str(r["ticket_id"]),
                region=r["region"],
                priority=r["priority"],
                channel=r["channel"],
                agent_name=r["agent.agent_name"],
                sla_due_at=pd.Timestamp(r["sla_due_at"]).to_pydatetime(),
                minutes_left=int((pd.Timestamp(r["sla_due_at"]) - now).total_seconds() // 60),
            )
            for r in found
        )
    return count, listed, late


def live_view(
    run: MetricRunner,
    engine: Engine,
    catalog: Catalog,
    policy: RowPolicy | None,
    *,
    wall_clock: datetime,
    around: date | None = None,
) -> LiveView:
    """Today's live view as the viewer may see it. ``around``: any day inside the data (the
    app's today) for the cheap freshness queries; default the wall clock's date."""
    now = data_clock(run, around or wall_clock.date())
    if now is None:
        return LiveView(now=None, wall_clock=wall_clock)
    today = _day(now.date())
    volume = run(MetricQuery(metrics=("ticket_volume", "complaint_volume"), time_range=today))
    resolved = run(MetricQuery(metrics=("resolved_tickets",), time_range=today))
    frt = run(MetricQuery(metrics=("first_response_time_median",), time_range=today))
    usual, days = usual_so_far(run, now)
    due_count, due, late = sla_queue(engine, catalog, policy, now)
    frt_n = frt.sample_sizes.get("first_response_time_median")
    return LiveView(
        now=now,
        wall_clock=wall_clock,
        tickets_today=int(_value(volume, "ticket_volume") or 0),
        usual_today=usual,
        usual_days=days,
        resolved_today=int(_value(resolved, "resolved_tickets") or 0),
        backlog=backlog_by_age(run, now),
        sla_due_count=due_count,
        sla_due=due,
        overdue_open=late,
        first_response_median_h=_value(frt, "first_response_time_median"),
        first_response_n=frt_n.total_n if frt_n is not None else 0,
        agent_load=agent_load(run, now),
    )
