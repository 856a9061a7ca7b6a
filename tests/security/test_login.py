"""Login hardening (issue 21): throttling with exponential delay and lockout per user and per
address, equal work for unknown and known usernames, audited failures, and refusal to expose
demo passwords or --no-auth to the network."""

from __future__ import annotations

import asyncio
import inspect
import statistics
import time
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from assistant.commands.audit import command as audit_command
from assistant.commands.serve import exposure_check, is_loopback
from assistant.ui.auth import (
    CLIENT_ADDRESS,
    ClientAddressMiddleware,
    Gatekeeper,
    LoginThrottle,
    User,
    UserDirectory,
    hash_password,
)
from tools.audit import AuditLog, OpsStore
from tools.errors import ConfigError
from tools.warehouse.engine import create_schema, holds_only_demo_data, make_engine
from tools.warehouse.schema import sp_imports


def _directory(iterations: int = 1_000) -> UserDirectory:
    return UserDirectory(
        {
            "lin": User("lin", "analyst", hash_password("right", iterations=iterations)),
            "wang": User("wang", "executive", hash_password("other", iterations=iterations)),
        }
    )


def test_throttle_doubles_the_delay_then_locks_out_and_forgets_on_success():
    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    keys = ["user:lin"]
    waits = [throttle.failure(keys) for _ in range(10)]
    assert waits == [0, 0, 0, 1, 2, 4, 8, 16, 32, 900]
    assert throttle.wait_s(keys) == 900
    now[0] = 899.0
    assert throttle.wait_s(keys) == pytest.approx(1.0)
    now[0] = 901.0
    assert throttle.wait_s(keys) == 0
    throttle.success(keys)
    assert throttle.failure(keys) == 0  # the count starts again


def _attempt(gate: Gatekeeper, user: str, password: str, address: str) -> bool:
    async def run() -> bool:
        CLIENT_ADDRESS.set(address)
        return await gate.authenticate(user, password)

    return asyncio.run(run())


def test_thirty_wrong_passwords_end_in_a_lockout_that_even_the_right_one_cannot_pass():
    events: list[tuple[str, str | None, str]] = []
    now = [0.0]
    gate = Gatekeeper(
        _directory(),
        LoginThrottle(base_delay_s=0.001, max_delay_s=0.001, clock=lambda: now[0]),
        on_event=lambda *e: events.append(e),
    )
    results = []
    for _ in range(30):
        results.append(_attempt(gate, "lin", "wrong", "10.0.0.9"))
        now[0] += 0.01  # attempts 10 ms apart: past each short delay, never past the lockout
    assert not any(results)
    outcomes = [e[2] for e in events]
    assert outcomes.count("failed") == 10 and outcomes.count("throttled") == 20
    assert all(e[:2] == ("lin", "10.0.0.9") for e in events)
    assert not _attempt(gate, "lin", "right", "10.0.0.9")  # locked, even with the password
    assert not _attempt(gate, "lin", "right", "10.0.0.7")  # the user is locked everywhere
    assert _attempt(gate, "wang", "other", "10.0.0.7")  # others are not


def test_one_address_trying_many_usernames_is_throttled():
    now = [0.0]
    gate = Gatekeeper(_directory(), LoginThrottle(lockout_after=5, clock=lambda: now[0]))
    for i in range(5):
        assert not _attempt(gate, f"guess{i}", "x", "10.0.0.9")
    assert not _attempt(gate, "wang", "other", "10.0.0.9")  # the address is locked out
    assert _attempt(gate, "wang", "other", "10.0.0.8")


def test_failed_logins_are_audited(tmp_path, monkeypatch):
    ops_url = f"duckdb:///{tmp_path / 'ops.duckdb'}"
    store = OpsStore(ops_url)
    log = AuditLog(store)
    gate = Gatekeeper(_directory(), on_event=log.record_login)
    assert not _attempt(gate, "lin", "wrong", "10.0.0.9")
    assert _attempt(gate, "lin", "right", "10.0.0.9")
    rows = log.logins(10)
    store.close()
    assert [(r["username"], r["address"], r["outcome"]) for r in rows[::-1]] == [
        ("lin", "10.0.0.9", "failed"),
        ("lin", "10.0.0.9", "ok"),
    ]
    assert isinstance(rows[0]["at"], datetime)
    monkeypatch.setenv("SERVICEPILOT_OPS_URL", ops_url)
    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path))
    shown = CliRunner().invoke(audit_command, ["--logins"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert "ok        lin from 10.0.0.9" in lines[0] and "failed    lin" in lines[1]


def test_unknown_and_known_usernames_take_the_same_time():
    users = UserDirectory.load()  # the shipped file: real iteration count
    name = next(iter(users.users))

    def once(username: str) -> float:
        started = time.perf_counter()
        assert not users.authenticate(username, "not-the-password")
        return time.perf_counter() - started

    once(name)  # warm up
    # Interleaved, so load from other processes hits both alike; the old shortcut for unknown
    # names was about 10x faster (14 ms vs 130 ms), far outside these bounds.
    pairs = [(once(name), once("no-such-user")) for _ in range(9)]
    known = statistics.median(k for k, _ in pairs)
    unknown = statistics.median(u for _, u in pairs)
    assert known > 0.01  # a real key derivation ran
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_shipped_demo_passwords_are_recognised():
    assert set(UserDirectory.load().demo_users()) >= {"exec", "east", "analyst", "agent"}
    assert _directory().demo_users() == []


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool):
    assert is_loopback(host) is loopback


def test_exposure_is_refused_and_demo_passwords_on_real_data_warned():
    with pytest.raises(ConfigError, match="--no-auth with --host 0.0.0.0"):
        exposure_check("0.0.0.0", no_auth=True, demo_users=[], demo_data=True)
    with pytest.raises(ConfigError, match="exec still have the shipped demo passwords"):
        exposure_check("10.1.2.3", no_auth=False, demo_users=["exec"], demo_data=True)
    warning = exposure_check("127.0.0.1", no_auth=False, demo_users=["exec"], demo_data=False)
    assert "WARNING" in warning and "exec" in warning
    assert exposure_check("127.0.0.1", no_auth=False, demo_users=["exec"], demo_data=True) == ""
    assert exposure_check("127.0.0.1", no_auth=True, demo_users=[], demo_data=False) == ""
    assert exposure_check("0.0.0.0", no_auth=False, demo_users=[], demo_data=False) == ""


def test_demo_and_real_warehouses_are_told_apart(demo_warehouse_url, tmp_path):
    demo = make_engine(demo_warehouse_url, read_only=True)
    try:
        assert holds_only_demo_data(demo)
    finally:
        demo.dispose()
    real = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        create_schema(real)
        assert holds_only_demo_data(real)  # empty
        with real.begin() as conn:
            conn.execute(
                sa.insert(sp_imports).values(
                    import_id="i1",
                    source="csv",
                    file_name="t.csv",
                    file_sha256="0" * 64,
                    mapping_sha256="0" * 64,
                    rows_by_table="{}",
                    imported_at=datetime(2026, 1, 1),
                )
            )
        assert not holds_only_demo_data(real)
    finally:
        real.dispose()


def test_the_middleware_hands_the_peer_address_to_the_login_check():
    seen = []

    async def app(scope, receive, send):
        seen.append(CLIENT_ADDRESS.get())

    wrapped = ClientAddressMiddleware(app)
    asyncio.run(wrapped({"type": "http", "client": ("10.0.0.9", 5555)}, None, None))
    asyncio.run(wrapped({"type": "http", "client": None}, None, None))
    assert seen == ["10.0.0.9", None] and CLIENT_ADDRESS.get() is None


def test_the_server_gets_a_check_it_awaits(demo_warehouse_url):
    """Gradio awaits the auth callable only when it is a coroutine function; anything else
    returning a coroutine would let every password in (a coroutine object is truthy)."""
    from assistant.app import build_app
    from assistant.ui.app import login_check
    from assistant.ui.context import UIContext

    app = build_app(None, "test", warehouse=demo_warehouse_url, today=date(2026, 11, 22))
    try:
        users = _directory()
        check = login_check(UIContext(api=app.api, users=users, login=Gatekeeper(users)))
        assert inspect.iscoroutinefunction(check)
        assert asyncio.run(check("lin", "wrong")) is False
        assert asyncio.run(check("lin", "right")) is True
        assert login_check(UIContext(api=app.api)) is None
    finally:
        app.close()


def test_made_up_usernames_cannot_fill_memory():
    class Small(LoginThrottle):
        MAX_KEYS = 5

    now = [0.0]
    throttle = Small(clock=lambda: now[0])
    for i in range(5):
        throttle.failure([f"user:guess{i}"])
    now[0] = 1_000.0  # past the window: those records are stale
    throttle.failure(["user:new"])
    assert set(throttle._records) == {"user:new"}
