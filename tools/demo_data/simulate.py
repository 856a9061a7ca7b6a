"""Simulation of one chunk of days: orders, tickets (with their life cycle) and surveys.

Everything is vectorised with numpy; one chunk holds at most a few hundred thousand tickets,
so memory stays flat however many tickets are asked for. The distributions follow what service
operations look like: skewed response times with long tails per channel, SLAs by priority,
reopenings and escalations, satisfaction driven by resolution time, reopenings and the agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from tools.demo_data import texts
from tools.demo_data.calendar import line_season_factor
from tools.demo_data.facts import PlantedFact
from tools.demo_data.world import World
from tools.warehouse.codes import CATEGORIES, CHANNELS, PRIORITIES, REGIONS, TICKET_TYPES

DAY = 86400.0
HOUR = 3600.0

# Hour-of-day profiles (relative): orders late in the evening, service contacts in office hours.
ORDER_HOURS = np.array([3, 2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 7, 7, 7, 7, 8, 10, 12, 12, 10, 6])
TICKET_HOURS = np.array(
    [1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 9, 12, 12, 11, 9, 10, 11, 11, 10, 9, 7, 6, 6, 5, 3, 2]
)

TYPE_SHARES = np.array([0.32, 0.30, 0.20, 0.12, 0.06])  # complaint inquiry repair return suggestion
# P(category | ticket type), categories in codes.CATEGORIES order.
CATEGORY_GIVEN_TYPE = np.array(
    [
        [0.30, 0.18, 0.10, 0.16, 0.12, 0.06, 0.08],  # complaint
        [0.05, 0.15, 0.08, 0.02, 0.20, 0.35, 0.15],  # inquiry
        [0.62, 0.00, 0.20, 0.00, 0.00, 0.08, 0.10],  # repair
        [0.45, 0.30, 0.05, 0.02, 0.08, 0.10, 0.00],  # return
        [0.15, 0.10, 0.08, 0.20, 0.07, 0.40, 0.00],  # suggestion
    ]
)
ORDER_LINK_SHARE = np.array([0.85, 0.40, 0.60, 0.90, 0.15])
# P(channel | segment) in codes.CHANNELS order: phone email wechat app web_chat store marketplace
CHANNEL_GIVEN_SEGMENT = np.array(
    [
        [0.40, 0.08, 0.22, 0.10, 0.10, 0.08, 0.02],  # vip
        [0.30, 0.25, 0.15, 0.05, 0.15, 0.08, 0.02],  # business
        [0.22, 0.06, 0.25, 0.16, 0.15, 0.06, 0.10],  # standard
    ]
)
ENGLISH_CHANNEL_FACTOR = np.array([0.8, 3.0, 0.3, 1.0, 1.5, 0.5, 1.2])
RESPONSE_MEDIAN_H = np.array([0.03, 5.0, 0.25, 1.2, 0.05, 0.15, 2.5])
HANDLE_MEDIAN_MIN = np.array([9.0, 18.0, 14.0, 10.0, 12.0, 25.0, 15.0])
COST_PER_MINUTE = np.array([2.5, 1.6, 1.8, 1.6, 1.8, 3.0, 2.0])
SURVEY_SENT = np.array([0.95, 0.90, 0.97, 0.97, 0.95, 0.60, 0.80])
SURVEY_RESPONSE = np.array([0.22, 0.15, 0.38, 0.35, 0.32, 0.25, 0.18])
RESOLUTION_MEDIAN_H = np.array([22.0, 1.5, 50.0, 40.0, 30.0])  # by ticket type
CATEGORY_RESOLUTION_FACTOR = np.array([1.2, 1.3, 1.5, 1.0, 0.9, 0.6, 1.1])
PRIORITY_SLA_H = np.array([120.0, 72.0, 48.0, 24.0])  # low normal high urgent
PRIORITY_SPEED = np.array([1.3, 1.0, 0.6, 0.35])
TYPE_SLA_FACTOR = np.array([1.0, 0.5, 1.5, 1.5, 2.0])

CHANNEL = {c: i for i, c in enumerate(CHANNELS)}
REGION = {r: i for i, r in enumerate(REGIONS)}
CATEGORY = {c: i for i, c in enumerate(CATEGORIES)}
TYPE = {t: i for i, t in enumerate(TICKET_TYPES)}


@dataclass
class OrderPool:
    """Recent orders that new tickets can refer to (sorted by time)."""

    seconds: np.ndarray
    customer: np.ndarray
    product: np.ndarray
    number: np.ndarray

    @classmethod
    def empty(cls) -> OrderPool:
        return cls(*(np.empty(0, dtype=t) for t in (np.float64, np.int64, np.int64, np.int64)))

    def extend(self, other: OrderPool, keep_after: float) -> OrderPool:
        keep = self.seconds >= keep_after
        return OrderPool(
            *(
                np.concatenate([a[keep], b])
                for a, b in zip(
                    (self.seconds, self.customer, self.product, self.number),
                    (other.seconds, other.customer, other.product, other.number),
                    strict=True,
                )
            )
        )


def _times_in_days(
    rng: np.random.Generator, counts: np.ndarray, first_day: int, hours: np.ndarray
) -> np.ndarray:
    """Seconds since the window start for ``counts[i]`` events on day ``first_day + i``."""
    day = np.repeat(np.arange(first_day, first_day + len(counts)), counts)
    hour = rng.choice(24, len(day), p=hours / hours.sum())
    return np.sort(day * DAY + hour * HOUR + rng.random(len(day)) * HOUR)


def _sample_customers(rng: np.random.Generator, world: World, day: int, n: int) -> np.ndarray:
    """Customers who have signed up and not churned by ``day``, weighted by purchasing power."""
    k = world.eligible_customers(day)
    weights = world.customer_weight[:k] * (world.customer_churn_day[:k] > day)
    cumulative = np.cumsum(weights)
    return np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right")


def _product_weights(world: World, month: int) -> np.ndarray:
    season = np.array(
        [line_season_factor(world.line_codes[i], month) for i in world.product_line_idx]
    )
    weights = world.product_popularity * season
    return weights / weights.sum()


def _choose_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows x options) probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    return (rng.random((len(probabilities), 1)) > cumulative).sum(axis=1)


def simulate_orders(
    rng: np.random.Generator,
    world: World,
    counts: np.ndarray,
    first_day: int,
    month: int,
    first_number: int,
) -> tuple[pd.DataFrame, OrderPool]:
    seconds = _times_in_days(rng, counts, first_day, ORDER_HOURS)
    n = len(seconds)
    customer = _sample_customers(rng, world, first_day, n)
    product = rng.choice(len(world.product_price), n, p=_product_weights(world, month))
    amount = np.round(world.product_price[product] * rng.lognormal(0.0, 0.12, n), 2)
    number = np.arange(first_number, first_number + n)
    start = pd.Timestamp(world.start)
    frame = pd.DataFrame(
        {
            "order_id": [f"O{i:09d}" for i in number],
            "customer_id": [f"C{i + 1:08d}" for i in customer],
            "product_id": [f"P{i + 1:03d}" for i in product],
            "ordered_at": (start + pd.to_timedelta(seconds, unit="s")).floor("s"),
            "amount": amount,
            "region": np.array(REGIONS)[world.customer_region[customer]],
            "source": "demo",
        }
    )
    return frame, OrderPool(seconds, customer, product, number)


@dataclass(frozen=True)
class ChunkContext:
    first_day: int
    month: int
    end_seconds: float  # end of data, exclusive, in seconds since the window start
    load_factor: np.ndarray  # per day of the chunk: volume relative to the average day
    facts: list[PlantedFact]
    start: date


def _fact_window(ctx: ChunkContext, fact: PlantedFact, seconds: np.ndarray) -> np.ndarray:
    lo = (fact.start - ctx.start).days * DAY
    hi = (fact.end - ctx.start).days * DAY
    return (seconds >= lo) & (seconds < hi)


def simulate_tickets(
    rng: np.random.Generator,
    world: World,
    ctx: ChunkContext,
    counts: np.ndarray,
    pool: OrderPool,
    first_number: int,
    first_survey_number: int,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    # Text composition draws a varying number of values: give it its own stream so the
    # numbers below do not shift whenever a phrase bank changes.
    text_rng = rng.spawn(1)[0]
    seconds = _times_in_days(rng, counts, ctx.first_day, TICKET_HOURS)
    n = len(seconds)
    ttype = rng.choice(len(TICKET_TYPES), n, p=TYPE_SHARES)

    # Link to a recent order of the customer where the ticket is about a purchase.
    linked = rng.random(n) < ORDER_LINK_SHARE[ttype]
    lo = np.searchsorted(pool.seconds, seconds - 45 * DAY)
    hi = np.searchsorted(pool.seconds, seconds - 6 * HOUR)
    linked &= hi > lo
    pick = np.minimum(lo + (rng.random(n) * (hi - lo)).astype(np.int64), len(pool.seconds) - 1)
    pick = np.where(linked, pick, 0)
    customer = _sample_customers(rng, world, ctx.first_day, n)
    product = rng.choice(len(world.product_price), n, p=_product_weights(world, ctx.month))
    if len(pool.seconds):
        customer = np.where(linked, pool.customer[pick], customer)
        product = np.where(linked, pool.product[pick], product)
    order_number = np.where(linked, pool.number[pick] if len(pool.seconds) else 0, -1)
    has_product = linked | (rng.random(n) < np.where(ttype == TYPE["inquiry"], 0.75, 0.95))

    region = world.customer_region[customer]
    segment = world.customer_segment[customer]
    english = world.customer_english[customer]
    category = _choose_rows(rng, CATEGORY_GIVEN_TYPE[ttype])
    channel_p = CHANNEL_GIVEN_SEGMENT[segment] * np.where(
        english[:, None], ENGLISH_CHANNEL_FACTOR, 1.0
    )
    channel = _choose_rows(rng, channel_p)
    root_cause = np.empty(n, dtype=object)
    for c, code in enumerate(CATEGORIES):
        mask = category == c
        causes = texts.ROOT_CAUSES_BY_CATEGORY[code]
        w = np.array([texts.ROOT_CAUSES[rc].weight for rc in causes])
        root_cause[mask] = np.array(causes, dtype=object)[
            rng.choice(len(causes), mask.sum(), p=w / w.sum())
        ]

    # Agents: someone from the customer's region.
    agent = np.empty(n, dtype=np.int64)
    for r in range(len(REGIONS)):
        mask = region == r
        pool_r = world.agents_by_region[r]
        agent[mask] = pool_r[rng.integers(0, len(pool_r), mask.sum())]
    team = world.agent_team[agent]

    # Planted events that rewrite what a ticket is about.
    satisfaction_shift = np.zeros(n)
    response_factor = np.ones(n)
    resolution_factor = np.ones(n)
    for fact in ctx.facts:
        window = _fact_window(ctx, fact, seconds)
        if not window.any():
            continue
        scope = window.copy()
        if "region" in fact.scope and "product_line" not in fact.scope:
            scope &= region == REGION[fact.scope["region"]]
        if "channel" in fact.scope:
            scope &= channel == CHANNEL[fact.scope["channel"]]
        if "product_line" in fact.scope:
            line = world.line_codes.index(fact.scope["product_line"])
            scope &= has_product & (world.product_line_idx[product] == line)
            if "region" in fact.scope:
                scope &= region == REGION[fact.scope["region"]]
        if "team" in fact.scope:
            scope &= team == world.team_codes.index(fact.scope["team"])
        if fact.override_share:
            rewrite = scope & (rng.random(n) < fact.override_share)
            category[rewrite] = CATEGORY[fact.scope.get("category", CATEGORIES[0])]
            root_cause[rewrite] = fact.extra["root_cause"]
            repair_like = rng.random(n) < (0.3 if fact.scope.get("category") == "quality" else 0.4)
            ttype[rewrite] = np.where(
                repair_like[rewrite] & (fact.scope.get("category") in ("quality", "installation")),
                TYPE["repair"],
                TYPE["complaint"],
            )
        if "satisfaction_shift" in fact.extra:
            satisfaction_shift[scope] += fact.extra["satisfaction_shift"]
        if "response_factor" in fact.extra:
            response_factor[scope] *= fact.extra["response_factor"]
        if "resolution_factor" in fact.extra:
            slow = scope
            if "category" in fact.scope:
                slow = scope & (category == CATEGORY[fact.scope["category"]])
            resolution_factor[slow] *= fact.extra["resolution_factor"]

    # Priority: complaints and VIPs skew higher.
    score = rng.normal(0, 1, n) + 0.5 * (ttype == TYPE["complaint"]) + 0.5 * (segment == 0)
    priority = np.searchsorted(np.array([-0.9, 0.75, 1.7]), score)

    # Life cycle. Busy days are slower (load factor), skilled agents faster.
    day_index = (seconds // DAY).astype(np.int64) - ctx.first_day
    load = ctx.load_factor[day_index] ** 0.7
    skill = world.agent_skill[agent]
    response_h = (
        rng.lognormal(np.log(RESPONSE_MEDIAN_H[channel]), 1.1)
        * (0.6 + 0.4 * PRIORITY_SPEED[priority])
        * load
        * response_factor
    )
    reopened = rng.poisson(0.06 * skill**-1.5 * np.where(category == CATEGORY["quality"], 1.5, 1.0))
    work_h = rng.lognormal(
        np.log(RESOLUTION_MEDIAN_H[ttype] * CATEGORY_RESOLUTION_FACTOR[category]), 1.0
    ) * PRIORITY_SPEED[priority] * load / skill * resolution_factor + reopened * rng.uniform(
        24, 96, n
    )
    first_response = seconds + response_h * HOUR
    resolved = first_response + work_h * HOUR
    sla_h = PRIORITY_SLA_H[priority] * TYPE_SLA_FACTOR[ttype]
    sla_due = seconds + sla_h * HOUR
    closed = resolved + rng.uniform(24, 168, n) * HOUR
    end = ctx.end_seconds
    has_response = first_response < end
    is_resolved = resolved < end
    is_closed = closed < end
    status = np.where(is_closed, 3, np.where(is_resolved, 2, np.where(rng.random(n) < 0.3, 1, 0)))
    breached = resolved > sla_due
    contacts = 1 + rng.poisson(0.2 + 0.6 * (reopened > 0) + 0.3 * (work_h > sla_h))
    replies = contacts + rng.poisson(1.5 + 0.5 * (ttype == TYPE["complaint"]))
    escalated = rng.random(n) < (
        0.03
        + 0.05 * (ttype == TYPE["complaint"])
        + 0.06 * (priority == 3)
        + 0.04 * (segment == 0)
        + 0.10 * (reopened > 0)
    )
    handle = np.round(
        rng.lognormal(np.log(HANDLE_MEDIAN_MIN[channel]), 0.5) * contacts / np.sqrt(skill), 1
    )
    parts = np.where(
        (ttype == TYPE["repair"]) | (category == CATEGORY["quality"]), rng.uniform(0, 400, n), 0.0
    )
    cost = np.round(handle * COST_PER_MINUTE[channel] + parts, 2)
    paid_repair = (root_cause == "out_of_warranty") & (ttype == TYPE["repair"])
    revenue = np.round(
        np.where(paid_repair, rng.uniform(150, 800, n), 0.0)
        + np.where(
            (category == CATEGORY["installation"]) & (rng.random(n) < 0.3),
            rng.uniform(50, 300, n),
            0.0,
        ),
        2,
    )

    # Satisfaction: resolution time against the SLA, reopenings, escalations, the agent.
    total_h = (resolved - seconds) / HOUR
    satisfaction = (
        1.0
        + 1.2 * np.log(skill)
        - 0.45 * np.log1p(total_h / 24.0)
        - 0.9 * np.minimum(reopened, 2)
        - 0.5 * escalated
        - 0.5 * breached
        - 0.3 * (ttype == TYPE["complaint"])
        + rng.normal(0, 0.9, n)
        + satisfaction_shift
    )

    # Churn: unhappy complainers often leave within weeks.
    unhappy = (ttype == TYPE["complaint"]) & (satisfaction < -0.8)
    leaves = unhappy & (rng.random(n) < 0.25)
    churn_day = seconds / DAY + rng.uniform(15, 85, n)
    np.minimum.at(world.customer_churn_day, customer[leaves], churn_day[leaves])

    language = np.where(english, "en", "zh")
    product_id = np.where(
        has_product,
        np.array([f"P{i + 1:03d}" for i in range(len(world.product_price))], dtype=object)[product],
        None,
    )
    subjects, descriptions, resolutions = texts.compose_ticket_texts(
        text_rng,
        root_causes=root_cause,
        ticket_types=np.array(TICKET_TYPES)[ttype],
        languages=language,
        product_ids=product_id,
        resolved=is_resolved,
    )

    start = pd.Timestamp(ctx.start)

    def stamp(values: np.ndarray, present: np.ndarray | None = None) -> pd.Series:
        ts = pd.Series((start + pd.to_timedelta(values, unit="s")).floor("s"))
        return ts if present is None else ts.where(present, pd.NaT)

    numbers = np.arange(first_number, first_number + n)
    ticket_ids = np.array([f"T{i:09d}" for i in numbers], dtype=object)
    tickets = pd.DataFrame(
        {
            "ticket_id": ticket_ids,
            "customer_id": [f"C{i + 1:08d}" for i in customer],
            "product_id": product_id,
            "agent_id": world.agent_frame["agent_id"].to_numpy()[agent],
            "order_id": np.where(
                order_number >= 0, np.array([f"O{i:09d}" for i in order_number], dtype=object), None
            ),
            "channel": np.array(CHANNELS)[channel],
            "ticket_type": np.array(TICKET_TYPES)[ttype],
            "category": np.array(CATEGORIES)[category],
            "priority": np.array(PRIORITIES)[priority],
            "status": np.array(["open", "pending", "resolved", "closed"])[status],
            "region": np.array(REGIONS)[region],
            "created_at": stamp(seconds),
            "first_response_at": stamp(first_response, has_response),
            "resolved_at": stamp(resolved, is_resolved),
            "closed_at": stamp(closed, is_closed),
            "sla_due_at": stamp(sla_due),
            "reopened_count": np.where(is_resolved, reopened, 0),
            "agent_replies": np.where(has_response, replies, 0),
            "contacts": contacts,
            "escalated": escalated,
            "handle_minutes": np.where(has_response, handle, np.nan),
            "cost": np.where(has_response, cost, np.nan),
            "service_revenue": np.where(is_resolved, revenue, 0.0),
            "subject": subjects,
            "description": descriptions,
            "resolution": resolutions,
            "root_cause": np.where(is_resolved, root_cause, None),
            "language": language,
            "source": "demo",
        }
    )

    surveys = _simulate_surveys(
        rng,
        ctx,
        tickets,
        resolved,
        is_resolved,
        channel,
        segment,
        satisfaction,
        contacts,
        customer,
        first_survey_number,
    )
    stats = {"breached": int((breached & is_resolved).sum())}
    return tickets, surveys, stats


def _simulate_surveys(
    rng: np.random.Generator,
    ctx: ChunkContext,
    tickets: pd.DataFrame,
    resolved: np.ndarray,
    is_resolved: np.ndarray,
    channel: np.ndarray,
    segment: np.ndarray,
    satisfaction: np.ndarray,
    contacts: np.ndarray,
    customer: np.ndarray,
    first_number: int,
) -> pd.DataFrame:
    n = len(tickets)
    sent = resolved + rng.uniform(0.2, 24, n) * HOUR
    is_sent = is_resolved & (sent < ctx.end_seconds) & (rng.random(n) < SURVEY_SENT[channel])
    response_p = SURVEY_RESPONSE[channel] * np.where(segment == 0, 1.2, 1.0)
    # Very unhappy and very happy customers answer more often (known response bias).
    response_p = np.clip(response_p * (1 + 0.15 * np.abs(satisfaction)), 0, 0.9)
    responded = sent + np.minimum(rng.lognormal(np.log(4.0), 1.2, n), 7 * 24) * HOUR
    did_respond = is_sent & (rng.random(n) < response_p) & (responded < ctx.end_seconds)
    idx = np.flatnonzero(is_sent)
    s = satisfaction[idx]
    answered = did_respond[idx]
    csat = 1 + np.searchsorted(np.array([-1.7, -1.0, -0.45, 0.45]), s)
    nps = np.clip(np.round(6.9 + 1.7 * s + rng.normal(0, 1.2, len(idx))), 0, 10)
    ces = np.clip(
        np.round(5.0 + 0.8 * s - 0.5 * (contacts[idx] - 1) + rng.normal(0, 0.8, len(idx))), 1, 7
    )
    has_nps = answered & (rng.random(len(idx)) < 0.8)
    has_ces = answered & (rng.random(len(idx)) < 0.7)
    has_comment = answered & (rng.random(len(idx)) < 0.25)
    languages = tickets["language"].to_numpy()[idx]
    comments = np.array(
        texts.compose_survey_comments(rng.spawn(1)[0], csat=csat, languages=languages),
        dtype=object,
    )
    start = pd.Timestamp(ctx.start)
    return pd.DataFrame(
        {
            "survey_id": [f"S{i:09d}" for i in range(first_number, first_number + len(idx))],
            "ticket_id": tickets["ticket_id"].to_numpy()[idx],
            "customer_id": [f"C{i + 1:08d}" for i in customer[idx]],
            "sent_at": (start + pd.to_timedelta(sent[idx], unit="s")).floor("s"),
            "responded_at": pd.Series(
                (start + pd.to_timedelta(responded[idx], unit="s")).floor("s")
            ).where(answered, pd.NaT),
            "csat": _nullable_int(csat, answered),
            "nps": _nullable_int(nps, has_nps),
            "ces": _nullable_int(ces, has_ces),
            "comment": np.where(has_comment, comments, None),
            "source": "demo",
        }
    )


def _nullable_int(values: np.ndarray, present: np.ndarray) -> pd.Series:
    return pd.Series(pd.array(values.astype(np.int16), dtype="Int16")).where(present)
