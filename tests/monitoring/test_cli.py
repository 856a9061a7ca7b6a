"""CLI: `alerts --json` and `forecast --json` (commands invoked directly; registration is
done in assistant/commands/__init__.py)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from assistant.commands.alerts import command as alerts_command
from assistant.commands.forecast import command as forecast_command


def test_alerts_json(shipped_warehouse_url: str) -> None:
    result = CliRunner().invoke(
        alerts_command,
        ["--db", shipped_warehouse_url, "--since", "2026-09-01", "--until", "2026-10-01", "--json"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["ok"] is True
    app = [a for a in payload["alerts"] if a["scope"] == {"channel": "app", "category": "billing"}]
    assert app and app[0]["why"]["metric"] == "complaint_volume"
    assert app[0]["contributors"] and {"dimension", "value"} <= app[0]["contributors"][0].keys()


def test_alerts_bad_rules_exit_2(tmp_path, demo_warehouse_url: str) -> None:
    rules = tmp_path / "r.yml"
    rules.write_text("rules:\n  - {name: a, metric: csta}\n", encoding="utf-8")
    result = CliRunner().invoke(
        alerts_command, ["--db", demo_warehouse_url, "--rules", str(rules), "--json"]
    )
    assert result.exit_code == 2
    assert "Did you mean 'csat'?" in json.loads(result.output)["message"]


def test_forecast_json(demo_warehouse_url: str) -> None:
    result = CliRunner().invoke(
        forecast_command,
        [
            "--db",
            demo_warehouse_url,
            "--weeks",
            "2",
            "--today",
            "2026-11-01",
            "--no-backtest",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    (forecast,) = json.loads(result.output)["forecasts"]
    assert forecast["metric"] == "complaint_volume" and len(forecast["weeks"]) == 2
