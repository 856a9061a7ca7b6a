"""The demo company's population: customers, agents and products as numpy arrays.

Built once per run from the seed; the ticket simulation indexes into these arrays, and the
tables are written from them (customers last, because churn is decided by the simulation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from tools.demo_data.catalog import (
    GIVEN,
    PRODUCT_LINES,
    PRODUCTS,
    REGION_CITIES,
    SURNAMES,
    TEAM_LETTERS,
)
from tools.warehouse.codes import REGIONS, SEGMENTS

SEGMENT_SHARES = np.array([0.10, 0.15, 0.75])  # vip, business, standard
SEGMENT_ORDER_WEIGHT = np.array([3.0, 2.0, 1.0])
ENGLISH_SHARE = 0.12  # customers who write in English (expats, cross-border buyers)
BACKGROUND_CHURN = 0.06  # share of customers who churn for reasons unrelated to service


@dataclass
class World:
    start: date
    n_days: int
    # customers (sorted by signup day so the eligible customers of a day form a prefix)
    customer_region: np.ndarray
    customer_segment: np.ndarray
    customer_english: np.ndarray
    customer_city: np.ndarray
    customer_signup_day: np.ndarray  # days since start (negative = before the window)
    customer_weight: np.ndarray
    customer_churn_day: np.ndarray  # float days since start; inf = not churned
    # agents
    agent_region: np.ndarray
    agent_team: np.ndarray  # index into team_codes
    agent_skill: np.ndarray
    agents_by_region: list[np.ndarray]
    team_codes: list[str]
    agent_frame: pd.DataFrame
    # products
    product_line_idx: np.ndarray
    product_popularity: np.ndarray
    product_price: np.ndarray
    line_codes: list[str]

    @property
    def n_customers(self) -> int:
        return len(self.customer_region)

    def eligible_customers(self, day: int) -> int:
        """Number of customers (a prefix) who had signed up by ``day``."""
        return int(np.searchsorted(self.customer_signup_day, day, side="right"))

    def customers_frame(self, first: int = 0, stop: int | None = None) -> pd.DataFrame:
        """Customers ``first``..``stop`` (all by default); slices of it have the same rows."""
        rows = slice(first, self.n_customers if stop is None else min(stop, self.n_customers))
        start_ts = pd.Timestamp(self.start)
        signup = start_ts + pd.to_timedelta(self.customer_signup_day[rows], unit="D")
        churn_days = self.customer_churn_day[rows]
        churned = np.isfinite(churn_days) & (churn_days < self.n_days)
        churn_ts = start_ts + pd.to_timedelta(np.where(churned, churn_days, 0.0) * 86400, unit="s")
        return pd.DataFrame(
            {
                "customer_id": [f"C{i + 1:08d}" for i in range(rows.start, rows.stop)],
                "segment": np.array(SEGMENTS)[self.customer_segment[rows]],
                "region": np.array(REGIONS)[self.customer_region[rows]],
                "city": self.customer_city[rows],
                "signup_date": signup.normalize().date,
                "churned_at": pd.Series(churn_ts.floor("s")).where(churned, pd.NaT),
                "source": "demo",
            }
        )

    def products_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "product_id": [p.product_id for p in PRODUCTS],
                "product_name": [p.name_zh for p in PRODUCTS],
                "product_line": [p.product_line for p in PRODUCTS],
                "category": [p.category for p in PRODUCTS],
                "source": "demo",
            }
        )


def build_world(
    rng: np.random.Generator, *, n_customers: int, n_agents: int, start: date, n_days: int
) -> World:
    region_shares = np.array([REGION_CITIES[r][0] for r in REGIONS])
    region_shares = region_shares / region_shares.sum()

    # Customers: 65 % signed up before the window, the rest during it.
    before = rng.random(n_customers) < 0.65
    signup = np.where(
        before,
        -rng.integers(1, 6 * 365, n_customers),
        rng.integers(0, max(n_days - 30, 1), n_customers),
    )
    order = np.argsort(signup, kind="stable")
    signup = signup[order]
    region = rng.choice(len(REGIONS), n_customers, p=region_shares)
    segment = rng.choice(len(SEGMENTS), n_customers, p=SEGMENT_SHARES)
    english = rng.random(n_customers) < ENGLISH_SHARE
    city = np.empty(n_customers, dtype=object)
    for r, code in enumerate(REGIONS):
        mask = region == r
        cities = np.array(REGION_CITIES[code][1], dtype=object)
        # Bigger cities first in the list get more customers.
        weights = 1.0 / np.arange(1, len(cities) + 1)
        city[mask] = rng.choice(cities, mask.sum(), p=weights / weights.sum())
    weight = rng.lognormal(0.0, 0.9, n_customers) * SEGMENT_ORDER_WEIGHT[segment]
    churn = np.full(n_customers, np.inf)
    background = rng.random(n_customers) < BACKGROUND_CHURN
    churn[background] = rng.uniform(0, n_days, background.sum())
    churn = np.maximum(churn, signup + 30.0)  # nobody churns within a month of signing up

    # Agents: per region proportional to customers, two teams each.
    team_codes = [f"{r}_{t}" for r in REGIONS for t in TEAM_LETTERS]
    per_region = np.maximum(4, np.round(n_agents * region_shares).astype(int))
    agent_region = np.repeat(np.arange(len(REGIONS)), per_region)
    n_agents = len(agent_region)
    agent_team = agent_region * len(TEAM_LETTERS) + (np.arange(n_agents) % len(TEAM_LETTERS))
    team_effect = rng.normal(0.0, 0.06, len(team_codes))
    agent_skill = np.exp(rng.normal(0.0, 0.18, n_agents) + team_effect[agent_team])
    hired = [start - timedelta(days=int(d)) for d in rng.integers(60, 8 * 365, n_agents)]
    names = [
        SURNAMES[a] + GIVEN[b] + (GIVEN[c] if use_two else "")
        for a, b, c, use_two in zip(
            rng.integers(0, len(SURNAMES), n_agents),
            rng.integers(0, len(GIVEN), n_agents),
            rng.integers(0, len(GIVEN), n_agents),
            rng.random(n_agents) < 0.6,
            strict=True,
        )
    ]
    agent_frame = pd.DataFrame(
        {
            "agent_id": [f"A{i + 1:05d}" for i in range(n_agents)],
            "agent_name": names,
            "team": np.array(team_codes)[agent_team],
            "region": np.array(REGIONS)[agent_region],
            "hired_at": hired,
            "source": "demo",
        }
    )

    line_codes = list(PRODUCT_LINES)
    return World(
        start=start,
        n_days=n_days,
        customer_region=region,
        customer_segment=segment,
        customer_english=english,
        customer_city=city,
        customer_signup_day=signup,
        customer_weight=weight,
        customer_churn_day=churn,
        agent_region=agent_region,
        agent_team=agent_team,
        agent_skill=agent_skill,
        agents_by_region=[np.flatnonzero(agent_region == r) for r in range(len(REGIONS))],
        team_codes=team_codes,
        agent_frame=agent_frame,
        product_line_idx=np.array([line_codes.index(p.product_line) for p in PRODUCTS]),
        product_popularity=np.array([p.popularity for p in PRODUCTS]),
        product_price=np.array([p.base_price for p in PRODUCTS]),
        line_codes=line_codes,
    )
