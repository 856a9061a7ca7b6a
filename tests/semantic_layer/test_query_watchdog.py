"""The query watchdog interrupts a DuckDB query that overran its deadline, also when it was
asleep until a later deadline (it is woken only by a sooner one), and never a cancelled one."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from semantic_layer.executor import _Watchdog

SLOW = "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3"


def _run_slow(con: duckdb.DuckDBPyConnection) -> float:
    """Seconds until the slow query was interrupted (a backstop stops it after 30 s, so a
    watchdog that never fires fails the test instead of hanging it)."""
    backstop = threading.Timer(30.0, con.interrupt)
    backstop.start()
    started = time.monotonic()
    try:
        with pytest.raises(duckdb.InterruptException):
            con.execute(SLOW).fetchall()
    finally:
        backstop.cancel()
    return time.monotonic() - started


def test_an_overrunning_query_is_interrupted_although_a_later_deadline_came_first():
    watchdog = _Watchdog()
    idle = duckdb.connect()
    later = watchdog.watch(idle, 600.0)  # the thread now sleeps for ten minutes
    con = duckdb.connect()
    watchdog.watch(con, 0.5)  # sooner: must wake it
    assert _run_slow(con) < 20
    watchdog.cancel(later)


def test_a_cancelled_deadline_interrupts_nothing():
    watchdog = _Watchdog()
    con = duckdb.connect()
    watchdog.cancel(watchdog.watch(con, 0.2))
    watchdog.watch(con, 2.0)
    assert _run_slow(con) >= 1.9  # stopped by the second deadline, not the cancelled first
