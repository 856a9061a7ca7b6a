"""``schedules.yml``: what ``servicepilot serve`` runs on its own, each job a cron expression
and a kind — ``digest`` (to recipients, as a role), ``alerts`` (``alerts notify``) or
``tasks`` (``tasks run``). Read with the one YAML loader, validated with file:line errors,
every problem in one run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from semantic_layer.errors import unknown_key
from semantic_layer.yaml_load import YamlFileError, line_of, parse_yaml
from tools.errors import ConfigFileError
from tools.schedule.cron import Cron, CronError


class ScheduleConfigError(ConfigFileError):
    """A schedules file is invalid; ``problems`` lists every issue as 'file:line: ...'."""

    what = "schedules"


class Job(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=60, description="Unique; its runs are claimed.")
    cron: str = Field(description="minute hour day-of-month month day-of-week")
    kind: Literal["digest", "alerts", "tasks"]
    # digest
    period: Literal["last-week", "last-month"] = "last-week"
    lang: Literal["zh", "en"] = "zh"
    format: Literal["html", "pdf"] = "pdf"
    role: str | None = None
    user: str | None = None
    region: str | None = None
    to: tuple[str, ...] = ()
    # alerts / tasks
    lookback_days: int = Field(28, ge=1, le=366)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            Cron.parse(value)
        except CronError as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def schedule(self) -> Cron:
        return Cron.parse(self.cron)


class ScheduleConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    jobs: tuple[Job, ...] = ()
    source: str = "<memory>"


def _where(raw: dict[str, Any], loc: tuple[Any, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "jobs" and isinstance(loc[1], int):
        items = raw.get("jobs")
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = item.get("name") if isinstance(item, dict) else None
        label = f"job '{name}'" if name else f"job #{loc[1] + 1}"
        field = ".".join(str(p) for p in loc[2:])
        return f"{label}, field '{field}'" if field else label
    return "field '" + ".".join(str(p) for p in loc) + "'"


def parse_schedules(text: str, source: str = "<memory>") -> ScheduleConfig:
    """Parse and validate a schedules file; raise ScheduleConfigError listing every problem."""
    try:
        doc = parse_yaml(text, source)
    except YamlFileError as exc:
        raise ScheduleConfigError([str(exc)]) from exc
    lines, raw = doc.lines, doc.data
    if not isinstance(raw, dict):
        raise ScheduleConfigError([f"{source}:1: expected a mapping with a 'jobs:' list"])
    problems: list[tuple[int, str]] = []
    try:
        config = ScheduleConfig.model_validate({**raw, "source": source})
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                model = Job if len(loc) > 2 else ScheduleConfig
                msg = unknown_key(loc[-1], [f for f in model.model_fields if f != "source"])
            problems.append((line_of(lines, loc) or 1, f"{_where(raw, loc)}: {msg}"))
        problems.sort(key=lambda p: p[0])
        raise ScheduleConfigError([f"{source}:{line}: {text}" for line, text in problems]) from None
    names = [j.name for j in config.jobs]
    for i, name in enumerate(names):
        if names.index(name) != i:
            line = line_of(lines, ("jobs", i, "name")) or 1
            problems.append((line, f"job '{name}': the name is used twice (make it unique)"))
    for i, job in enumerate(config.jobs):
        if job.kind == "digest" and not job.to:
            line = line_of(lines, ("jobs", i)) or 1
            problems.append(
                (line, f"job '{job.name}': a digest job needs 'to' (channels or e-mail addresses)")
            )
    if problems:
        raise ScheduleConfigError([f"{source}:{line}: {text}" for line, text in problems])
    return config


def load_schedules(path: str | Path) -> ScheduleConfig:
    file = Path(path)
    if not file.exists():
        raise ScheduleConfigError(
            [f"{file}: file not found (write one as in docs/proactive.md, or pass --schedules)"]
        )
    return parse_schedules(file.read_text(encoding="utf-8"), str(file))
