"""One message format for every YAML config reader's validation errors (snapshots).

Alert rules, notification channels, task rules, cockpit targets and import mappings all turn
pydantic errors into ``file:line: where: what to fix`` through semantic_layer/model_errors.py:
the key's own line (its block's line when it is missing), the item by name or number, the
valid keys of that very place (through discriminated unions), in file order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from semantic_layer.catalog_loader import default_catalog
from tools.errors import MappingError
from tools.importers.mapping import load_mapping
from tools.monitoring.rules import RulesError, parse_rules
from tools.monitoring.targets import TargetsError, load_targets
from tools.notify.config import NotifyConfigError, parse_notify_config
from tools.rules.config import RulesConfigError, parse_task_rules


def _error_text(read, error: type[Exception], *args) -> str:
    with pytest.raises(error) as info:
        read(*args)
    return str(info.value)


def test_alert_rules() -> None:
    text = (
        "rules:\n  - name: drop\n    metrc: csat\n"
        "  - name: ok\n    metric: csat\n    grain: month\n"
    )
    assert _error_text(parse_rules, RulesError, text, "rules.yml", default_catalog()) == (
        "Invalid alert rules: 3 problem(s).\n"
        "  - rules.yml:2: rule 'drop': required key 'metric' is missing; add it.\n"
        "  - rules.yml:3: rule 'drop', field 'metrc': unknown key. Did you mean 'metric'? "
        "Valid keys: name, metric, dimensions, grain, windows, direction, thresholds, "
        "min_volume, baseline_periods, yearly, holidays, relative_to, owner.\n"
        "  - rules.yml:6: rule 'ok', field 'grain': Input should be 'day' or 'week'."
    )


def test_notification_channels() -> None:
    text = (
        "channels:\n  - name: ops\n    kind: webhook\n  - name: mail\n    kind: email\n"
        "    host: localhost\n    sender: a@b.cn\n    to: [x@y.cn]\n    pasword: x\n"
        "  - name: bot\n"
    )
    assert _error_text(parse_notify_config, NotifyConfigError, text, "notify.yml") == (
        "Invalid notification config: 3 problem(s).\n"
        "  - notify.yml:2: channel 'ops': required key 'url' is missing; add it.\n"
        "  - notify.yml:9: channel 'mail', field 'pasword': unknown key. Did you mean "
        "'password_env'? Valid keys: name, kind, host, port, sender, to, starttls, username, "
        "password_env, timeout_s.\n"
        "  - notify.yml:10: channel 'bot', field 'kind': missing 'kind:'. Add one of: webhook, "
        "wecom, dingtalk, feishu, email."
    )


def test_task_rules() -> None:
    text = (
        "rules:\n  - name: vip\n    event: survey\n    when: {csat_at_most: 2}\n"
        "    task: {kind: call_back, owner: team, reason: {zh: 回访, en: call back}}\n"
    )
    assert _error_text(parse_task_rules, RulesConfigError, text, "tasks.yml") == (
        "Invalid task rules: 1 problem(s).\n"
        "  - tasks.yml:5: rule 'vip', field 'task': required key 'due_in' is missing; add it."
    )


def test_cockpit_targets(tmp_path: Path) -> None:
    file = tmp_path / "targets.yml"
    file.write_text(
        "targets:\n  - metric: csat\n    target: 75\n"
        "  - metric: csat\n    target: high\n    warning: 70\n    ownr: x\n",
        encoding="utf-8",
    )
    text = _error_text(load_targets, TargetsError, file, default_catalog()).replace(
        f"{tmp_path}/", ""
    )
    assert text == (
        "Invalid cockpit targets: 3 problem(s).\n"
        "  - targets.yml:2: target #1: required key 'warning' is missing; add it.\n"
        "  - targets.yml:5: target #2, field 'target': Input should be a valid number, unable "
        "to parse string as a number.\n"
        "  - targets.yml:7: target #2, field 'ownr': unknown key. Did you mean 'owner'? Valid "
        "keys: metric, target, warning, region, channel, company_only, period, owner."
    )


def test_import_mapping(tmp_path: Path) -> None:
    file = tmp_path / "m.yml"
    file.write_text(
        "name: tiny\nsource: tiny\ntables:\n  tickets:\n    columns:\n"
        "      ticket_id: {id: {prefix: t-}}\n",
        encoding="utf-8",
    )
    text = _error_text(load_mapping, MappingError, file).replace(f"{tmp_path}/", "")
    assert text == (
        "Invalid mapping m.yml (1 problem(s)):\n"
        "  - m.yml:6: field 'tables.tickets.columns.ticket_id.id': required key 'from' is "
        "missing; add it."
    )
