"""Match customer-level rules to events and open follow-up tasks, once per (rule, event).

An event is a ticket as it stands at ``now`` or a survey answer, with the customer's segment
and churn, the agent's team and the customer's contact counts over the windows the rules use.
A task's id is a hash of rule and event, so replaying the same events (a re-run, an ingest
batch seen twice) finds the task already there and opens nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tools.audit import OpsStore, ops_metadata
from tools.rules.config import RulesConfig, TaskRule
from tools.warehouse.schema import agents, customers, surveys, tickets

TASKS = sa.Table(
    "sp_task",
    ops_metadata,
    sa.Column("task_id", sa.String(32), primary_key=True),  # hash of rule and event
    sa.Column("rule", sa.String(100), nullable=False),
    sa.Column("event_id", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("ticket_id", sa.String(64)),
    sa.Column("customer_id", sa.String(64)),
    sa.Column("region", sa.String(32)),
    sa.Column("owner", sa.String(100), nullable=False),
    sa.Column("priority", sa.String(16)),
    sa.Column("due_at", sa.DateTime, nullable=False),
    sa.Column("reason_zh", sa.Text),
    sa.Column("reason_en", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),  # open | done
    sa.Column("created_at", sa.DateTime, nullable=False),
)

CUSTOMER_TAGS = sa.Table(
    "sp_customer_tag",
    ops_metadata,
    sa.Column("customer_id", sa.String(64), primary_key=True),
    sa.Column("tag", sa.String(64), primary_key=True),
    sa.Column("rule", sa.String(100)),
    sa.Column("tagged_at", sa.DateTime, nullable=False),
)


@dataclass(frozen=True)
class Event:
    event_id: str  # "ticket:<id>" or "survey:<id>"
    kind: str  # ticket | survey
    at: datetime  # when it happened (ticket created, survey answered)
    ticket_id: str
    customer_id: str
    agent_id: str | None = None
    team: str | None = None
    segment: str | None = None
    ticket_type: str | None = None
    channel: str | None = None
    region: str | None = None
    priority: str | None = None
    status: str | None = None
    csat: int | None = None
    nps: int | None = None
    sla_due_at: datetime | None = None
    resolved_at: datetime | None = None
    churned: bool = False
    contacts: dict[int, int] = field(default_factory=dict)  # days -> tickets in that window


def _in(codes: tuple[str, ...] | None, value: str | None) -> bool:
    return codes is None or value in codes


def matches(rule: TaskRule, event: Event, now: datetime) -> bool:
    """Every condition of ``rule`` holds for ``event`` as of ``now``."""
    w = rule.when
    if rule.event != event.kind:
        return False
    codes = (
        (w.segment, event.segment),
        (w.ticket_type, event.ticket_type),
        (w.channel, event.channel),
        (w.region, event.region),
        (w.priority, event.priority),
        (w.status, event.status),
    )
    if not all(_in(c, v) for c, v in codes):
        return False
    if w.csat_at_most is not None and (event.csat is None or event.csat > w.csat_at_most):
        return False
    if w.nps_at_most is not None and (event.nps is None or event.nps > w.nps_at_most):
        return False
    if w.contacts is not None and event.contacts.get(w.contacts.days, 0) < w.contacts.count:
        return False
    resolved = event.resolved_at is not None and event.resolved_at <= now
    if w.resolved is not None and resolved != w.resolved:
        return False
    if w.churned is not None and event.churned != w.churned:
        return False
    if w.sla_left_at_most is not None:
        due = event.sla_due_at
        if resolved or due is None or not now < due <= now + w.sla_left_at_most:
            return False
    return True


def task_id(rule: str, event_id: str) -> str:
    return hashlib.sha1(f"{rule}|{event_id}".encode()).hexdigest()[:16]


def _owner(spec_owner: str, event: Event) -> str:
    if spec_owner == "agent" and event.agent_id:
        return f"agent:{event.agent_id}"
    if spec_owner == "team" and event.team:
        return f"team:{event.team}"
    return spec_owner


def _none(value: Any) -> Any:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _ts(value: Any) -> datetime | None:
    value = _none(value)
    return pd.Timestamp(value).to_pydatetime() if value is not None else None


def contact_counts(
    history_customers: pd.Series,
    history_times: pd.Series,
    customers_at: pd.Series,
    times_at: pd.Series,
    windows: list[int],
) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """For each (customer, time) asked: per window of ``d`` days, how many of the customer's
    ``history`` tickets were created in [time - d days, time]; and whether the customer has any
    history at all. One sort and two binary searches per window for all rows at once: times
    are replaced by their rank among every time involved, so (customer, rank) is one integer
    key that keeps both order and ties."""
    asked = len(customers_at)
    codes, _ = pd.factorize(
        pd.concat([history_customers, customers_at], ignore_index=True), sort=False
    )
    hist_codes, ask_codes = codes[: len(history_customers)], codes[len(history_customers) :]
    known = np.isin(ask_codes, hist_codes)
    if not asked or not len(history_customers):
        return {d: np.zeros(asked, dtype=np.int64) for d in windows}, known
    hist_t = history_times.to_numpy(dtype="datetime64[ns]")
    ask_t = times_at.to_numpy(dtype="datetime64[ns]")
    starts = {d: ask_t - np.timedelta64(d, "D") for d in windows}
    every = np.concatenate([hist_t, ask_t, *starts.values()])
    ranks = np.unique(every, return_inverse=True)[1].reshape(-1)
    span = int(ranks.max()) + 1
    hist_keys = np.sort(hist_codes.astype(np.int64) * span + ranks[: len(hist_t)])
    base = ask_codes.astype(np.int64) * span
    offset = len(hist_t)
    end = np.searchsorted(hist_keys, base + ranks[offset : offset + asked], side="right")
    counts = {}
    for n, d in enumerate(windows):
        lo = offset + asked * (n + 1)
        start = np.searchsorted(hist_keys, base + ranks[lo : lo + asked], side="left")
        counts[d] = (end - start).astype(np.int64)
    return counts, known


def _frame(conn: sa.Connection, query: sa.Select, names: list[str]) -> pd.DataFrame:
    """The rows of ``query`` as a frame; on DuckDB fetched column-wise (``df()``), which is
    several times cheaper than building a Python row per ticket of an ingest batch."""
    if conn.dialect.name != "duckdb":
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=names)
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    values = [params[name] for name in compiled.positiontup or ()]
    frame = conn.connection.driver_connection.execute(str(compiled), values).df()
    frame.columns = names
    return frame


def _python_values(series: pd.Series) -> list[Any]:
    """A column as Python values: None for missing, datetime for timestamps."""
    values = series.astype(object).where(series.notna(), None).tolist()
    return [v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in values]


def load_events(
    warehouse: Engine,
    since: datetime,
    now: datetime,
    windows: Iterable[int] = (),
    *,
    ticket_ids: Iterable[str] | None = None,
    survey_ids: Iterable[str] | None = None,
) -> list[Event]:
    """Ticket events (created in [since, now), or still open at ``now``) and survey events
    (answered in [since, now)), with contact counts for each window in days.

    ``ticket_ids`` / ``survey_ids`` (an ingest batch's records) keep only those tickets and
    survey answers as events; contacts still count each customer's whole history."""
    windows = sorted(set(windows))
    only = ticket_ids is not None or survey_ids is not None
    ticket_ids, survey_ids = set(ticket_ids or ()), set(survey_ids or ())
    history_from = since - timedelta(days=max(windows, default=0))
    ticket_cols = [
        tickets.c.ticket_id,
        tickets.c.customer_id,
        tickets.c.agent_id,
        tickets.c.ticket_type,
        tickets.c.channel,
        tickets.c.region,
        tickets.c.priority,
        tickets.c.status,
        tickets.c.created_at,
        tickets.c.sla_due_at,
        tickets.c.resolved_at,
        agents.c.team,
        customers.c.segment,
        customers.c.churned_at,
    ]
    joined = tickets.outerjoin(agents, agents.c.agent_id == tickets.c.agent_id).outerjoin(
        customers, customers.c.customer_id == tickets.c.customer_id
    )
    open_now = sa.or_(tickets.c.resolved_at.is_(None), tickets.c.resolved_at > now)
    answered = sa.and_(surveys.c.responded_at >= since, surveys.c.responded_at < now)
    if only:
        answered = sa.and_(answered, surveys.c.survey_id.in_(sorted(survey_ids)))
    surveyed = sa.select(surveys.c.ticket_id).where(answered)
    wanted = sa.or_(
        tickets.c.created_at >= history_from, open_now, tickets.c.ticket_id.in_(surveyed)
    )
    if only:  # the batch's tickets and surveyed tickets, and their customers' recent history
        mine = sa.or_(
            tickets.c.ticket_id.in_(sorted(ticket_ids)), tickets.c.ticket_id.in_(surveyed)
        )
        customers_of = sa.select(tickets.c.customer_id).where(mine)
        recent = sa.and_(
            tickets.c.created_at >= history_from, tickets.c.customer_id.in_(customers_of)
        )
        wanted = sa.and_(wanted, sa.or_(mine, recent))
    query = sa.select(*ticket_cols).select_from(joined).where(tickets.c.created_at < now)
    query = query.where(wanted)
    answers = sa.select(
        surveys.c.survey_id,
        surveys.c.ticket_id,
        surveys.c.csat,
        surveys.c.nps,
        surveys.c.responded_at,
    ).where(answered)
    with warehouse.connect() as conn:
        frame = _frame(conn, query, [c.name for c in ticket_cols])
        survey_rows = conn.execute(answers).mappings().all()
    history = frame[frame["created_at"] >= pd.Timestamp(history_from)]
    # Set-based (an ingest batch touches thousands of tickets): every row's contact counts in
    # one pass, and the rows as plain Python values column by column, not row by row.
    counts, counts_known = contact_counts(
        history["customer_id"],
        history["created_at"],
        frame["customer_id"],
        frame["created_at"],
        windows,
    )
    columns = {name: _python_values(frame[name]) for name in frame.columns}
    by_ticket: dict[str, dict[str, Any]] = {}
    for i, ticket_id in enumerate(columns["ticket_id"]):
        row = {name: values[i] for name, values in columns.items()}
        row["contacts"] = {d: int(n[i]) for d, n in counts.items()} if counts_known[i] else {}
        by_ticket[ticket_id] = row

    def event(row: dict[str, Any], kind: str, event_id: str, at: datetime, **extra: Any) -> Event:
        churned = row["churned_at"]
        return Event(
            event_id=event_id,
            kind=kind,
            at=at,
            ticket_id=row["ticket_id"],
            customer_id=row["customer_id"],
            agent_id=row["agent_id"],
            team=row["team"],
            segment=row["segment"],
            ticket_type=row["ticket_type"],
            channel=row["channel"],
            region=row["region"],
            priority=row["priority"],
            status=row["status"],
            sla_due_at=row["sla_due_at"],
            resolved_at=row["resolved_at"],
            churned=churned is not None and churned <= now,
            contacts=row["contacts"],
            **extra,
        )

    out: list[Event] = []
    for row in by_ticket.values():
        if only and row["ticket_id"] not in ticket_ids:
            continue  # loaded for its customer's contact counts only
        created, resolved = row["created_at"], row["resolved_at"]
        if created >= since or resolved is None or resolved > now:
            out.append(event(row, "ticket", f"ticket:{row['ticket_id']}", created))
    for answer in survey_rows:
        row = by_ticket.get(answer["ticket_id"])
        if row is None:  # a survey of a ticket older than the history window
            continue
        out.append(
            event(
                row,
                "survey",
                f"survey:{answer['survey_id']}",
                _ts(answer["responded_at"]),
                csat=_none(answer["csat"]),
                nps=_none(answer["nps"]),
            )
        )
    return out


@dataclass
class RunResult:
    events: int
    fired: dict[str, int]  # rule -> tasks opened in this run
    already: int  # matches whose task existed (replayed events)


def run_rules(
    config: RulesConfig, events: Iterable[Event], store: OpsStore, now: datetime
) -> RunResult:
    """Open a task for every (rule, event) match not seen before; tag customers."""
    events = list(events)
    rules = [r for r in config.rules if r.enabled]
    matched = [(r, e) for e in events for r in rules if matches(r, e, now)]
    store.run(lambda: ops_metadata.create_all(store.engine, checkfirst=True))
    ids = [task_id(r.name, e.event_id) for r, e in matched]

    def write() -> RunResult:
        with store.engine.begin() as conn:
            known: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                known |= set(
                    conn.execute(sa.select(TASKS.c.task_id).where(TASKS.c.task_id.in_(chunk)))
                    .scalars()
                    .all()
                )
            fired: dict[str, int] = {r.name: 0 for r in rules}
            new_tasks: list[dict[str, Any]] = []
            new_tags: dict[tuple[str, str], str] = {}  # (customer, tag) -> rule
            for (rule, ev), tid in zip(matched, ids, strict=True):
                if tid in known:
                    continue
                known.add(tid)
                spec = rule.task
                new_tasks.append(
                    {
                        "task_id": tid,
                        "rule": rule.name,
                        "event_id": ev.event_id,
                        "kind": spec.kind,
                        "ticket_id": ev.ticket_id,
                        "customer_id": ev.customer_id,
                        "region": ev.region,
                        "owner": _owner(spec.owner, ev),
                        "priority": spec.priority,
                        "due_at": now + spec.due_in,
                        "reason_zh": spec.reason.zh,
                        "reason_en": spec.reason.en,
                        "status": "open",
                        "created_at": now,
                    }
                )
                if spec.tag:
                    new_tags.setdefault((ev.customer_id, spec.tag), rule.name)
                fired[rule.name] += 1
            if new_tasks:  # one statement for all (an ingest batch can open thousands)
                conn.execute(TASKS.insert(), new_tasks)
            tagged = (
                {
                    (c, t)
                    for c, t in conn.execute(
                        sa.select(CUSTOMER_TAGS.c.customer_id, CUSTOMER_TAGS.c.tag).where(
                            CUSTOMER_TAGS.c.tag.in_(sorted({t for _, t in new_tags}))
                        )
                    )
                }
                if new_tags
                else set()
            )
            fresh_tags = [
                {"customer_id": c, "tag": t, "rule": r, "tagged_at": now}
                for (c, t), r in new_tags.items()
                if (c, t) not in tagged
            ]
            if fresh_tags:
                conn.execute(CUSTOMER_TAGS.insert(), fresh_tags)
            return RunResult(len(events), fired, len(matched) - sum(fired.values()))

    with store.lock:
        return store.run(write)


def list_tasks(
    store: OpsStore,
    *,
    status: str | None = "open",
    regions: Iterable[str] | None = None,
    owner: str | None = None,
) -> list[dict[str, Any]]:
    """Tasks by due time; ``regions`` limits them to a role's regions."""
    query = sa.select(TASKS).order_by(TASKS.c.due_at, TASKS.c.task_id)
    if status:
        query = query.where(TASKS.c.status == status)
    if regions is not None:
        query = query.where(TASKS.c.region.in_(list(regions)))
    if owner:
        query = query.where(TASKS.c.owner == owner)
    store.run(lambda: ops_metadata.create_all(store.engine, checkfirst=True))

    def read() -> list[dict[str, Any]]:
        with store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    with store.lock:
        return store.run(read)
