"""Cron expressions and the schedules file: what fires when, and file:line errors."""

from __future__ import annotations

from datetime import datetime

import pytest

from tools.schedule.config import ScheduleConfigError, parse_schedules
from tools.schedule.cron import Cron, CronError


@pytest.mark.parametrize(
    ("expr", "now", "latest"),
    [
        ("0 8 * * mon", "2026-11-04T09:00", "2026-11-02T08:00"),
        ("0 8 * * mon", "2026-11-02T08:00", "2026-11-02T08:00"),  # the minute itself
        ("0 8 * * mon", "2026-11-02T07:59", "2026-10-26T08:00"),
        ("*/15 * * * *", "2026-11-04T09:07:45", "2026-11-04T09:00"),
        ("0 9 1 * *", "2026-11-04T09:07", "2026-11-01T09:00"),
        ("30 7 * * 1-5", "2026-11-08T12:00", "2026-11-06T07:30"),  # Sunday -> Friday
        ("0 0 * * 7", "2026-11-04T00:00", "2026-11-01T00:00"),  # 7 is Sunday too
        ("0 6 1 jan,jul *", "2026-11-04T00:00", "2026-07-01T06:00"),
        ("0 0 29 feb *", "2026-11-04T00:00", "2024-02-29T00:00"),
        # both day fields restricted: either matches (the 13th, or a Friday)
        ("0 12 13 * fri", "2026-11-12T13:00", "2026-11-06T12:00"),
        ("0 12 13 * fri", "2026-11-13T13:00", "2026-11-13T12:00"),
    ],
)
def test_latest_fire_time(expr: str, now: str, latest: str) -> None:
    assert Cron.parse(expr).latest(datetime.fromisoformat(now)) == datetime.fromisoformat(latest)


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("0 8 * *", "has 4 field(s); write 5"),
        ("60 8 * * *", "minute: 60 is outside 0-59"),
        ("0 8 * * funday", "day of week: 'funday' is not a number or a name"),
        ("*/0 * * * *", "minute: step '0' must be a positive number"),
        ("0 10-8 * * *", "hour: range '10-8' runs backwards"),
    ],
)
def test_bad_cron_says_which_field(expr: str, says: str) -> None:
    with pytest.raises(CronError, match=says.replace("(", r"\(").replace(")", r"\)")):
        Cron.parse(expr)


def test_schedules_file_errors_name_file_and_line() -> None:
    text = """\
jobs:
  - name: weekly
    cron: "0 8 * * mon"
    kind: digest
    role: east_manager
    to: [mail]
  - name: alerts
    cron: "0 25 * * *"
    kind: alerts
  - name: tasks
    cron: "0 * * * *"
    kind: tasks
    lookback: 7
  - name: weekly
    cron: "0 9 * * mon"
    kind: digest
"""
    with pytest.raises(ScheduleConfigError) as caught:
        parse_schedules(text, "schedules.yml")
    problems = caught.value.problems
    assert problems[0] == "schedules.yml:8: job 'alerts', field 'cron': hour: 25 is outside 0-23"
    assert problems[1].startswith("schedules.yml:13: job 'tasks', field 'lookback': unknown key")
    assert "Did you mean 'lookback_days'?" in problems[1]
    assert len(problems) == 2  # the repeated name and missing 'to' come once the fields pass
    fixed = text.replace('"0 25 * * *"', '"0 * * * *"').replace("lookback: 7", "lookback_days: 7")
    with pytest.raises(ScheduleConfigError) as caught:
        parse_schedules(fixed, "schedules.yml")
    assert caught.value.problems == [
        "schedules.yml:14: job 'weekly': the name is used twice (make it unique)",
        "schedules.yml:14: job 'weekly': a digest job needs 'to' (channels or e-mail addresses)",
    ]


def test_serve_refuses_an_invalid_schedules_file_before_starting(tmp_path) -> None:
    from click.testing import CliRunner

    from assistant.commands.serve import command as serve_command

    bad = tmp_path / "schedules.yml"
    bad.write_text('jobs:\n  - name: x\n    cron: "0 8 * *"\n    kind: alerts\n', "utf-8")
    result = CliRunner().invoke(serve_command, ["--schedules", str(bad), "--no-auth"])
    assert result.exit_code == 2, result.output
    assert f"{bad}:3: job 'x', field 'cron': '0 8 * *' has 4 field(s)" in result.output
    assert "Traceback" not in result.output
