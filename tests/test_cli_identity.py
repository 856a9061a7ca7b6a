"""CLI commands that read data run as --user/--role (default: the local analyst): the role's
row policy applies and the run is in the audit log, as on every other surface."""

from __future__ import annotations

import getpass
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from assistant.commands.query import command as query_command

OCTOBER = ["--from", "2026-10-01", "--to", "2026-11-01"]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path))
    return tmp_path


def _run(args, db):
    result = CliRunner().invoke(
        query_command,
        ["--metric", "ticket_volume", "--by", "region", *OCTOBER, "--db", db, "--json", *args],
    )
    return result


def _audit(data_dir) -> list[dict]:
    engine = sa.create_engine(f"duckdb:///{data_dir / 'ops.duckdb'}")
    try:
        with engine.connect() as conn:
            query = sa.text("SELECT * FROM sp_audit ORDER BY asked_at")
            rows = conn.execute(query).mappings().all()
    finally:
        engine.dispose()
    return [dict(r) for r in rows]


def test_a_regional_role_on_the_cli_sees_only_its_region(env, demo_warehouse_url) -> None:
    everyone = _run([], demo_warehouse_url)
    assert everyone.exit_code == 0, everyone.output
    all_regions = {r["region"]: r["ticket_volume"] for r in json.loads(everyone.output)["rows"]}
    assert len(all_regions) > 1

    east = _run(["--role", "east_manager", "--user", "wang"], demo_warehouse_url)
    assert east.exit_code == 0, east.output
    rows = json.loads(east.output)["rows"]
    assert [r["region"] for r in rows] == ["east"]
    assert rows[0]["ticket_volume"] == all_regions["east"]

    entries = _audit(env)
    assert [(e["username"], e["role"], e["plan_kind"], e["surface"]) for e in entries] == [
        (f"local:{getpass.getuser()}", "analyst", "query", "cli"),
        ("wang", "east_manager", "query", "cli"),
    ]
    assert entries[1]["result_rows"] == 1
    assert "east" in entries[1]["sql"]


def test_a_role_without_metric_access_is_refused(env, demo_warehouse_url) -> None:
    result = _run(["--role", "agent"], demo_warehouse_url)
    assert result.exit_code != 0
    assert json.loads(result.output)["ok"] is False


def test_an_unknown_role_names_the_valid_ones(env, demo_warehouse_url) -> None:
    result = _run(["--role", "east_manger"], demo_warehouse_url)
    assert result.exit_code == 2
    assert "east_manager" in json.loads(result.output)["message"]


def test_forecast_on_the_cli_stays_in_the_role_region(env, demo_warehouse_url) -> None:
    from assistant.commands.forecast import command as forecast_command

    args = ["--db", demo_warehouse_url, "--weeks", "2", "--today", "2026-11-01", "--no-backtest"]
    everyone = CliRunner().invoke(forecast_command, [*args, "--by", "region", "--json"])
    east = CliRunner().invoke(
        forecast_command, [*args, "--by", "region", "--role", "east_manager", "--json"]
    )
    assert everyone.exit_code == 0 and east.exit_code == 0, (everyone.output, east.output)
    assert len(json.loads(everyone.output)["forecasts"]) > 1
    (only,) = json.loads(east.output)["forecasts"]
    assert only["scope"] == {"region": "east"}
    plain = CliRunner().invoke(forecast_command, [*args, "--role", "east_manager", "--json"])
    (scoped,) = json.loads(plain.output)["forecasts"]
    assert scoped["scope"] == {"region": "east"}
    assert scoped["weeks"] == only["weeks"]
    kinds = [(e["role"], e["plan_kind"]) for e in _audit(env)]
    assert kinds == [("analyst", "forecast"), ("east_manager", "forecast")] + [
        ("east_manager", "forecast")
    ]


def test_alerts_on_the_cli_show_only_what_the_role_may_see(env, demo_warehouse_url) -> None:
    from assistant.commands.alerts import command as alerts_command

    args = ["--db", demo_warehouse_url, "--since", "2026-09-01", "--until", "2026-11-01"]
    everyone = CliRunner().invoke(alerts_command, [*args, "--no-explain", "--json"])
    south = CliRunner().invoke(
        alerts_command, [*args, "--no-explain", "--role", "south_manager", "--json"]
    )
    assert everyone.exit_code == 0 and south.exit_code == 0, (everyone.output, south.output)
    all_alerts = json.loads(everyone.output)["alerts"]
    south_alerts = json.loads(south.output)["alerts"]
    assert all(a["scope"].get("region") == "south" for a in south_alerts)
    assert south_alerts == [a for a in all_alerts if a["scope"].get("region") == "south"]
    # The demo data has a channel, a team and a south alert: the south manager sees one.
    assert [a["scope"] for a in south_alerts] == [{"region": "south"}]
    assert len(all_alerts) > 1
    assert [e["role"] for e in _audit(env)] == ["analyst", "south_manager"]
