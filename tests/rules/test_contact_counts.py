"""The set-based contact counts of the rules engine equal counting each customer's tickets one
by one: window [time - d days, time] inclusive at both ends, ties at the same second counted,
other customers never counted, a customer without history known as such."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pandas as pd

from tools.rules.engine import contact_counts

T0 = datetime(2026, 11, 1, 9, 0)


def by_hand(history: list[tuple[str, datetime]], customer: str, at: datetime, days: int) -> int:
    return sum(1 for c, t in history if c == customer and at - timedelta(days=days) <= t <= at)


def test_edges_ties_and_strangers() -> None:
    history = [
        ("A", T0),
        ("A", T0),  # a tie: two tickets the same second
        ("A", T0 + timedelta(days=7)),  # exactly 7 days after T0
        ("B", T0 + timedelta(days=1)),
    ]
    asked = [("A", T0 + timedelta(days=7)), ("B", T0), ("C", T0), ("A", T0 - timedelta(1))]
    counts, known = contact_counts(
        pd.Series([c for c, _ in history]),
        pd.Series([t for _, t in history]),
        pd.Series([c for c, _ in asked]),
        pd.Series([t for _, t in asked]),
        [1, 7],
    )
    assert counts[7].tolist() == [3, 0, 0, 0]
    assert counts[1].tolist() == [1, 0, 0, 0]
    assert known.tolist() == [True, True, False, True]


def test_random_histories_match_counting_by_hand() -> None:
    rng = random.Random(7)
    customers = [f"C{i}" for i in range(30)]
    history = [
        (rng.choice(customers), T0 + timedelta(hours=rng.randrange(0, 24 * 60)))
        for _ in range(2_000)
    ]
    asked = [(c, t) for c, t in rng.sample(history, 300)]
    asked += [(rng.choice(customers), T0 + timedelta(hours=rng.randrange(0, 24 * 60)))]
    windows = [1, 7, 30]
    counts, known = contact_counts(
        pd.Series([c for c, _ in history]),
        pd.Series([t for _, t in history]),
        pd.Series([c for c, _ in asked]),
        pd.Series([t for _, t in asked]),
        windows,
    )
    for d in windows:
        assert counts[d].tolist() == [by_hand(history, c, t, d) for c, t in asked]
    assert known.all()
