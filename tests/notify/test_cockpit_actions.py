"""Acknowledge / assign from the cockpit and the follow-up task list, on a real detected alert
and real rule tasks: the same episode store as the notifier (acknowledging stops escalation),
role-aware (agents and analysts may not act; a manager acts on their region only), audited."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import pytest

from assistant.app import build_app
from assistant.errors import AccessDenied
from assistant.messages import msg
from assistant.operations import (
    NotFound,
    act_on_alert,
    alerts_with_state,
    change_task,
    role_tasks,
)
from assistant.roles import scope_visible
from semantic_layer.catalog_loader import default_catalog
from tests.notify.test_routing import CONFIG, RULES  # the same rule and owners
from tools.audit import AuditLog, OpsStore
from tools.monitoring.alerts import Alert, detect_alerts
from tools.monitoring.rules import parse_rules
from tools.notify.channels import Message
from tools.notify.config import parse_notify_config
from tools.notify.routing import AlertNotifier, episode_key
from tools.notify.store import NotifyStore
from tools.rules.config import load_task_rules
from tools.rules.engine import load_events, run_rules
from tools.warehouse.engine import make_engine

T0 = datetime(2026, 11, 1, 9)


@dataclass
class Recorder:
    name: str = "recorder"
    sent: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.sent.append(message)


@pytest.fixture(scope="module")
def detected(demo_warehouse_url: str) -> Alert:
    engine = make_engine(demo_warehouse_url, read_only=True)
    try:
        catalog = default_catalog()
        [found] = detect_alerts(
            engine,
            date(2026, 10, 4),
            date(2026, 11, 1),
            catalog=catalog,
            rules=parse_rules(RULES, "rules.yml", catalog),
            explain=False,
        )
    finally:
        engine.dispose()
    return found


@pytest.fixture
def setup(tmp_path, demo_warehouse_url, detected):
    """The app over the demo warehouse with an operations store, whose alert source holds the
    detected alert and the same alert scoped to East and to North (as a regional rule would
    report), each role seeing the ones in its rows."""
    ops = OpsStore(f"duckdb:///{tmp_path / 'ops.duckdb'}")
    alerts = [
        detected,
        replace(detected, scope={"channel": "email", "region": "east"}),
        replace(detected, scope={"channel": "email", "region": "north"}),
    ]
    app = build_app(
        None,
        "test",
        warehouse=demo_warehouse_url,
        today=date(2026, 11, 1),
        alerts=lambda role, since, until: [a for a in alerts if scope_visible(role, a.scope)],
        cockpit_alert_days=28,
        audit=AuditLog(ops),
    )
    yield app, ops, alerts
    app.close()
    ops.close()


def _notifier(ops: OpsStore, channel: Recorder) -> AlertNotifier:
    return AlertNotifier(parse_notify_config(CONFIG), {"recorder": channel}, NotifyStore(ops), msg)


def test_acknowledging_in_the_cockpit_stops_escalation(setup):
    app, ops, alerts = setup
    channel = Recorder()
    notifier = _notifier(ops, channel)
    first = notifier.run(alerts, T0)
    assert len(first.opened) == 3 and len(channel.sent) == 3
    east_key = episode_key(alerts[1])
    row = act_on_alert(app.api, "east_manager", "lin", east_key, "acknowledge", now=T0)
    assert (row["state"], row["acknowledged_by"]) == ("acknowledged", "lin")
    later = notifier.run(alerts, T0 + timedelta(hours=2))
    # the two unacknowledged episodes escalate to the director; the acknowledged one does not
    assert sorted(later.escalated) == sorted(episode_key(a) for a in (alerts[0], alerts[2]))
    events = [(e["event"], e["actor"]) for e in NotifyStore(ops).events(east_key)]
    assert events == [("opened", None), ("acknowledged", "lin")]
    shown = {a["episode"]: a for a in alerts_with_state(app.api, "east_manager")}
    assert list(shown) == [east_key]  # the East manager sees East only
    assert shown[east_key]["state"] == "acknowledged"


def test_an_acknowledgement_before_any_notification_keeps_it_quiet(setup):
    app, ops, alerts = setup
    key = episode_key(alerts[0])
    act_on_alert(app.api, "executive", "wang", key, "acknowledge", now=T0)
    channel = Recorder()
    report = _notifier(ops, channel).run(alerts[:1], T0 + timedelta(hours=3))
    assert (report.opened, report.escalated, channel.sent) == ([], [], [])
    assert NotifyStore(ops).state(key)["state"] == "acknowledged"


def test_assign_sets_the_owner_and_is_audited(setup):
    app, ops, alerts = setup
    key = episode_key(alerts[1])
    row = act_on_alert(app.api, "east_manager", "lin", key, "assign", owner="team:east_a")
    assert (row["owner"], row["state"]) == ("team:east_a", "open")
    assert [e["event"] for e in NotifyStore(ops).events(key)] == ["opened", "assigned"]
    [audit] = AuditLog(ops).recent(1)
    assert audit["plan_kind"] == "alert_assign" and audit["username"] == "lin"
    with pytest.raises(Exception, match="Name an owner"):
        act_on_alert(app.api, "east_manager", "lin", key, "assign", owner="  ")


@pytest.mark.parametrize("role", ["agent", "analyst"])
def test_agents_and_analysts_may_not_act(setup, role):
    app, _, alerts = setup
    with pytest.raises(AccessDenied) as info:
        act_on_alert(app.api, role, "x", episode_key(alerts[0]), "acknowledge")
    assert "不能" in info.value.text("zh") and "may not" in info.value.text("en")


def test_a_manager_cannot_act_on_another_regions_alert(setup):
    app, _, alerts = setup
    with pytest.raises(NotFound):
        act_on_alert(app.api, "east_manager", "lin", episode_key(alerts[2]), "acknowledge")


def test_tasks_are_role_scoped_and_change_status_and_owner(setup, demo_warehouse_url):
    app, ops, _ = setup
    now = datetime(2026, 10, 31, 12)
    config = load_task_rules(None)
    windows = [r.when.contacts.days for r in config.rules if r.when.contacts]
    engine = make_engine(demo_warehouse_url, read_only=True)
    try:
        events = load_events(engine, now - timedelta(days=7), now, windows)
    finally:
        engine.dispose()
    opened = sum(run_rules(config, events, ops, now).fired.values())
    every = role_tasks(app.api, "executive")
    east = role_tasks(app.api, "east_manager")
    assert len(every) == opened > len(east) > 0
    assert {t["region"] for t in east} == {"east"}
    north_task = next(t for t in every if t["region"] == "north")
    with pytest.raises(NotFound):
        change_task(app.api, "east_manager", "lin", north_task["task_id"], status="done")
    task = east[0]["task_id"]
    with pytest.raises(AccessDenied):
        change_task(app.api, "agent", "zhao", task, owner="agent:A1")
    done = change_task(app.api, "agent", "zhao", task, status="done")
    assert done["status"] == "done"
    assert task not in {t["task_id"] for t in role_tasks(app.api, "east_manager")}
    assert task in {t["task_id"] for t in role_tasks(app.api, "east_manager", include_done=True)}
    moved = change_task(app.api, "east_manager", "lin", task, owner="team:east_b", status="open")
    assert (moved["owner"], moved["status"]) == ("team:east_b", "open")
    assert [r["plan_kind"] for r in AuditLog(ops).recent(2)] == ["task_update", "task_update"]


# -- the same actions as tools (agent, MCP, HTTP/Gradio are generated from one list) ---------


def _tool(app, name: str, role: str, user: str):
    """The tool as the HTTP/MCP surfaces run it (rate limit, size cap), for one caller."""
    from assistant.api import AppBackend, tool_endpoint, tools

    [found] = [t for t in tools() if t.name == name]
    return tool_endpoint(found, lambda: AppBackend(app.api, role, user))


def _open_tasks(ops: OpsStore, warehouse_url: str) -> int:
    now = datetime(2026, 10, 31, 12)
    config = load_task_rules(None)
    windows = [r.when.contacts.days for r in config.rules if r.when.contacts]
    engine = make_engine(warehouse_url, read_only=True)
    try:
        events = load_events(engine, now - timedelta(days=7), now, windows)
    finally:
        engine.dispose()
    return sum(run_rules(config, events, ops, now).fired.values())


def test_alert_tools_list_acknowledge_and_assign_by_role(setup):
    from assistant.toolset import ToolError

    app, ops, alerts = setup
    east, north = episode_key(alerts[1]), episode_key(alerts[2])
    listed = _tool(app, "alert_states", "east_manager", "lin")()
    assert [(a["episode"], a["state"]) for a in listed] == [(east, "open")]
    row = _tool(app, "acknowledge_alert", "east_manager", "lin")(episode=east)
    assert (row["state"], row["acknowledged_by"]) == ("acknowledged", "lin")
    assert _tool(app, "alert_states", "east_manager", "lin")(state="open") == []
    row = _tool(app, "assign_alert", "east_manager", "lin")(episode=east, owner="team:east_a")
    assert row["owner"] == "team:east_a"
    assert [r["plan_kind"] for r in AuditLog(ops).recent(2)] == [
        "alert_assign",
        "alert_acknowledge",
    ]
    every = _tool(app, "alert_states", "executive", "wang")(limit=2)
    assert len(every) == 2
    # an analyst or a support agent is refused, in both languages; the East manager cannot
    # touch North's alert (it is not among theirs)
    for role in ("analyst", "agent"):
        with pytest.raises(ToolError) as refused:
            _tool(app, "acknowledge_alert", role, "x")(episode=east)
        assert "may not acknowledge or assign alerts" in str(refused.value)
        assert "不能确认或指派预警" in str(refused.value)
    with pytest.raises(ToolError, match=f"No current alert '{north}' in your view.*你可见"):
        _tool(app, "assign_alert", "east_manager", "lin")(episode=north, owner="team:east_a")
    assert NotifyStore(ops).state(north) is None  # untouched


def test_task_tools_list_and_update_by_role(setup, demo_warehouse_url):
    from assistant.toolset import ToolError

    app, ops, _ = setup
    opened = _open_tasks(ops, demo_warehouse_url)
    every = _tool(app, "list_tasks", "executive", "wang")(limit=200)
    east = _tool(app, "list_tasks", "east_manager", "lin")(limit=200)
    assert len(every) == min(opened, 200) and 0 < len(east) < len(every)
    assert {t["region"] for t in east} == {"east"}
    assert len(_tool(app, "list_tasks", "executive", "wang")(limit=3)) == 3
    task = east[0]["task_id"]
    moved = _tool(app, "update_task", "east_manager", "lin")(task_id=task, owner="team:east_b")
    assert moved["owner"] == "team:east_b"
    done = _tool(app, "update_task", "east_manager", "lin")(task_id=task, status="done")
    assert done["status"] == "done"
    assert task not in {t["task_id"] for t in _tool(app, "list_tasks", "east_manager", "lin")()}
    done_ids = {
        t["task_id"] for t in _tool(app, "list_tasks", "east_manager", "lin")(status="done")
    }
    assert done_ids == {task}
    assert [r["plan_kind"] for r in AuditLog(ops).recent(2)] == ["task_update", "task_update"]
    # an agent may mark a task done but not reassign it; a manager of another region does not
    # see it at all; an update with nothing to change says what to give
    with pytest.raises(ToolError, match="may not reassign tasks.*不能改派任务"):
        _tool(app, "update_task", "agent", "zhao")(task_id=task, owner="agent:A1")
    north_task = next(t for t in every if t["region"] == "north")["task_id"]
    with pytest.raises(ToolError, match=f"No task '{north_task}'.*你可见的任务中没有"):
        _tool(app, "update_task", "east_manager", "lin")(task_id=north_task, status="done")
    with pytest.raises(ToolError, match="give status"):
        _tool(app, "update_task", "east_manager", "lin")(task_id=task)


def test_the_chat_agent_calls_the_operation_tools_as_its_user(setup):
    from assistant.api import AppBackend
    from assistant.llm.tools import AgentToolkit

    app, _, alerts = setup
    east = episode_key(alerts[1])

    def toolkit(role: str, user: str) -> AgentToolkit:
        backend = AppBackend(app.api, role, user)
        return AgentToolkit(engine=app.engine, today=app.api.today, operations=backend)

    refused = toolkit("analyst", "li").call("acknowledge_alert", {"episode": east})
    assert not refused.ok and "不能确认或指派预警" in refused.output
    done = toolkit("east_manager", "lin").call("acknowledge_alert", {"episode": east})
    assert done.ok and '"acknowledged"' in done.output
    # without the caller's operations the agent is not offered them
    bare = AgentToolkit(engine=app.engine, today=app.api.today)
    assert "acknowledge_alert" not in {t.name for t in bare.tools()}


def test_mcp_offers_the_operations_as_the_servers_role(setup):
    import asyncio

    from assistant.api import build_mcp_server

    app, ops, alerts = setup
    east = episode_key(alerts[1])

    async def call(role: str, name: str, args: dict):
        return await build_mcp_server(app.api, role, user=f"mcp-{role}").call_tool(name, args)

    with pytest.raises(Exception, match="不能确认或指派预警") as refused:
        asyncio.run(call("analyst", "acknowledge_alert", {"episode": east}))
    assert "may not acknowledge or assign alerts" in str(refused.value)
    asyncio.run(call("east_manager", "assign_alert", {"episode": east, "owner": "team:east_a"}))
    assert NotifyStore(ops).state(east)["owner"] == "team:east_a"
    assert AuditLog(ops).recent(1)[0]["username"] == "mcp-east_manager"
