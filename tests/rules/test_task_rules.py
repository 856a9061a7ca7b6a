"""Customer-level rules: each shipped rule fires on a constructed event and not on its
near-misses; replays open no duplicate tasks; an invalid rule file is refused with file:line;
on the demo warehouse every shipped rule opens tasks, once."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from assistant.commands.tasks import command as tasks_command
from tools.audit import OpsStore
from tools.rules.config import RulesConfigError, load_task_rules, parse_task_rules
from tools.rules.engine import Event, list_tasks, matches, run_rules

NOW = datetime(2026, 10, 31, 12, 0)
RULES = {r.name: r for r in load_task_rules().rules}

BASE = Event(
    event_id="survey:S1",
    kind="survey",
    at=NOW - timedelta(hours=1),
    ticket_id="T1",
    customer_id="C1",
    agent_id="A1",
    team="east_a",
    segment="vip",
    ticket_type="complaint",
    region="east",
    status="resolved",
    csat=2,
    nps=3,
    sla_due_at=NOW - timedelta(days=1),
    resolved_at=NOW - timedelta(days=2),
    contacts={7: 1},
)
OPEN_TICKET = replace(
    BASE,
    event_id="ticket:T1",
    kind="ticket",
    csat=None,
    nps=None,
    status="open",
    resolved_at=None,
    sla_due_at=NOW + timedelta(hours=3),
)

CASES = {
    "vip_complaint_low_csat_callback": (
        BASE,
        [
            replace(BASE, segment="business"),
            replace(BASE, ticket_type="inquiry"),
            replace(BASE, csat=3),
            replace(BASE, csat=None),
            replace(BASE, kind="ticket"),
        ],
    ),
    "sla_at_risk_escalate": (
        OPEN_TICKET,
        [
            replace(OPEN_TICKET, sla_due_at=NOW + timedelta(hours=4, minutes=1)),
            replace(OPEN_TICKET, sla_due_at=NOW - timedelta(minutes=1)),  # already breached
            replace(OPEN_TICKET, resolved_at=NOW - timedelta(minutes=5)),
            replace(OPEN_TICKET, sla_due_at=None),
        ],
    ),
    "repeated_contacts_supervisor": (
        replace(OPEN_TICKET, contacts={7: 3}),
        [replace(OPEN_TICKET, contacts={7: 2}), replace(BASE, contacts={7: 3})],
    ),
    "detractor_after_resolution_recovery": (
        replace(BASE, nps=6),
        [
            replace(BASE, nps=7),
            replace(BASE, nps=None),
            replace(BASE, resolved_at=None),
            replace(BASE, resolved_at=NOW + timedelta(hours=1)),  # resolved later than now
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_shipped_rule_fires_and_not_on_near_misses(name: str) -> None:
    fires, misses = CASES[name]
    assert matches(RULES[name], fires, NOW)
    assert [matches(RULES[name], m, NOW) for m in misses] == [False] * len(misses)


def test_every_shipped_rule_is_tested() -> None:
    assert sorted(CASES) == sorted(RULES)


def test_replaying_events_opens_no_duplicate_tasks(tmp_path) -> None:
    store = OpsStore(f"duckdb:///{tmp_path / 'ops.duckdb'}")
    config = load_task_rules()
    events = [BASE, replace(OPEN_TICKET, contacts={7: 3})]
    first = run_rules(config, events, store, NOW)
    assert first.fired == {
        "vip_complaint_low_csat_callback": 1,
        "sla_at_risk_escalate": 1,
        "repeated_contacts_supervisor": 1,
        "detractor_after_resolution_recovery": 1,
    }
    again = run_rules(config, events, store, NOW + timedelta(hours=1))
    assert sum(again.fired.values()) == 0 and again.already == 4
    tasks = list_tasks(store)
    assert len(tasks) == 4
    callback = next(t for t in tasks if t["rule"] == "vip_complaint_low_csat_callback")
    assert (callback["owner"], callback["due_at"], callback["ticket_id"]) == (
        "team:east_a",
        NOW + timedelta(hours=24),
        "T1",
    )
    recovery = next(t for t in tasks if t["rule"] == "detractor_after_resolution_recovery")
    assert recovery["owner"] == "agent:A1"
    store.close()


def test_invalid_rule_file_is_refused_with_file_and_line() -> None:
    text = """\
rules:
  - name: vip_callback
    event: survey
    when:
      segmnet: [vip]
      csat_at_most: 9
    task:
      kind: call_back
      owner: team
      due_in: tomorrow
      reason: {zh: 回访, en: call back}
  - name: vip_callback
    event: ticket
    when: {}
    task: {kind: escalate, owner: team, due_in: 1h, reason: {zh: a, en: b}}
"""
    with pytest.raises(RulesConfigError) as err:
        parse_task_rules(text, "rules.yml")
    assert err.value.problems == [
        "rules.yml:5: rule 'vip_callback', field 'when.segmnet': unknown key. Did you mean "
        "'segment'? Valid keys: segment, ticket_type, channel, region, priority, status, "
        "csat_at_most, nps_at_most, contacts, sla_left_at_most, resolved, churned.",
        "rules.yml:6: rule 'vip_callback', field 'when.csat_at_most': Input should be less "
        "than or equal to 5.",
        "rules.yml:10: rule 'vip_callback', field 'task.due_in': 'tomorrow' is "
        "not a duration; write e.g. 30m, 2h or 1d.",
    ]
    fixed = text.replace("segmnet", "segment").replace("9", "2").replace("tomorrow", "1d")
    with pytest.raises(RulesConfigError) as err:
        parse_task_rules(fixed, "rules.yml")
    assert err.value.problems == [
        "rules.yml:12: rule 'vip_callback', field 'name': the name is used twice (a rule's "
        "name keeps its tasks from repeating; make it unique)."
    ]


def test_demo_warehouse_run_opens_each_rules_tasks_once(
    tmp_path, monkeypatch, demo_warehouse_url: str
) -> None:
    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SERVICEPILOT_OPS_URL", raising=False)
    args = ["run", "--db", demo_warehouse_url, "--now", "2026-10-31T12:00", "--json"]
    first = CliRunner().invoke(tasks_command, args)
    assert first.exit_code == 0, first.output
    opened = json.loads(first.output)["opened"]
    assert all(n > 0 for n in opened.values()), opened
    again = json.loads(CliRunner().invoke(tasks_command, args).output)
    assert sum(again["opened"].values()) == 0
    assert again["already_open"] == sum(opened.values())
    # An East manager sees East's tasks only.
    east = CliRunner().invoke(tasks_command, ["list", "--role", "east_manager", "--json"])
    assert east.exit_code == 0, east.output
    rows = json.loads(east.output)["tasks"]
    everyone = json.loads(CliRunner().invoke(tasks_command, ["list", "--json"]).output)["tasks"]
    assert rows and {r["region"] for r in rows} == {"east"}
    assert len(everyone) == sum(opened.values()) > len(rows)
