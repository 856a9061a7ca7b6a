"""``tools/rules/rules.yml``: customer-level rules, validated with file:line errors.

A rule watches one kind of ``event`` (``ticket``: a ticket as it stands now; ``survey``: a survey
answer) and fires when every condition under ``when`` holds; its ``task`` says who follows up,
by when, and why.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from semantic_layer.errors import unknown_key
from semantic_layer.yaml_load import YamlFileError, line_of, parse_yaml
from tools.errors import ConfigFileError
from tools.notify.config import parse_duration

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.yml")
Codes = tuple[str, ...]


class RulesConfigError(ConfigFileError):
    """A task-rules file is invalid; ``problems`` lists every issue as 'file:line: ...'."""

    what = "task rules"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ContactWindow(_Frozen):
    count: int = Field(ge=2, description="This many tickets of the customer ...")
    days: int = Field(ge=1, le=90, description="... within this many days (this one included).")


class When(_Frozen):
    """Conditions, all of which must hold (a list means any of its codes)."""

    segment: Codes | None = None
    ticket_type: Codes | None = None
    channel: Codes | None = None
    region: Codes | None = None
    priority: Codes | None = None
    status: Codes | None = None
    csat_at_most: int | None = Field(None, ge=1, le=5)
    nps_at_most: int | None = Field(None, ge=0, le=10)
    contacts: ContactWindow | None = None
    sla_left_at_most: timedelta | None = Field(
        None, description="Open ticket whose SLA is due within this (not yet breached)."
    )
    resolved: bool | None = Field(None, description="The ticket has been resolved.")
    churned: bool | None = None

    @field_validator("sla_left_at_most", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta | None:
        return None if value is None else parse_duration(value)


class Text(_Frozen):
    zh: str
    en: str


class TaskSpec(_Frozen):
    kind: Literal["call_back", "escalate", "supervisor_review", "recovery_call"]
    owner: str = Field(description="'agent' (the ticket's agent), 'team:<ticket team>' or a name.")
    due_in: timedelta
    reason: Text
    tag: str | None = Field(None, description="Tag put on the customer (e.g. at_risk).")
    priority: Literal["normal", "high", "urgent"] = "normal"

    @field_validator("due_in", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_duration(value)


class TaskRule(_Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    event: Literal["ticket", "survey"]
    when: When
    task: TaskSpec
    enabled: bool = True


class RulesConfig(_Frozen):
    rules: tuple[TaskRule, ...]
    source: str = "<memory>"


_MODELS: dict[str, type[BaseModel]] = {
    "": RulesConfig,
    "rule": TaskRule,
    "when": When,
    "task": TaskSpec,
    "contacts": ContactWindow,
    "reason": Text,
}


def _valid_keys(loc: tuple[Any, ...]) -> list[str]:
    if len(loc) == 1:
        return ["rules"]
    if len(loc) == 3:
        return list(TaskRule.model_fields)
    model = _MODELS.get(str(loc[-2]))
    return list(model.model_fields) if model else []


def _line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    return line_of(lines, loc) or 1


def _where(raw: dict[str, Any], loc: tuple[Any, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        items = raw.get("rules")
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = item.get("name") if isinstance(item, dict) else None
        label = f"rule '{name}'" if name else f"rule #{loc[1] + 1}"
        field = ".".join(str(p) for p in loc[2:])
        return f"{label}, field '{field}'" if field else label
    return "field '" + ".".join(str(p) for p in loc) + "'"


def parse_task_rules(text: str, source: str = "<memory>") -> RulesConfig:
    """Parse and validate task rules; raise :class:`RulesConfigError` listing every problem."""
    try:
        doc = parse_yaml(text, source)  # the one loader: file:line, alias and size caps
    except YamlFileError as exc:
        raise RulesConfigError([str(exc)]) from exc
    lines, raw = doc.lines, doc.data
    if not isinstance(raw, dict):
        raise RulesConfigError([f"{source}:1: expected a mapping with a 'rules:' list"])
    try:
        config = RulesConfig.model_validate({**raw, "source": source})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = unknown_key(loc[-1], [f for f in _valid_keys(loc) if f != "source"])
            problems.append((_line(lines, loc), f"{_where(raw, loc)}: {msg}"))
        # In file order (pydantic lists unknown keys after the other errors of an item).
        problems.sort(key=lambda p: p[0])
        raise RulesConfigError([f"{source}:{line}: {text}" for line, text in problems]) from None
    if not config.rules:
        raise RulesConfigError([f"{source}:{_line(lines, ('rules',))}: list at least one rule"])
    names = [r.name for r in config.rules]
    repeated = [i for i, n in enumerate(names) if names.index(n) != i]
    if repeated:
        raise RulesConfigError(
            [
                f"{source}:{_line(lines, ('rules', i, 'name'))}: rule '{names[i]}': the name is "
                "used twice (a rule's name keeps its tasks from repeating; make it unique)"
                for i in repeated
            ]
        )
    return config


def load_task_rules(path: str | Path | None = None) -> RulesConfig:
    file = Path(path) if path else DEFAULT_RULES_FILE
    if not file.exists():
        raise RulesConfigError([f"{file}: file not found (pass --rules PATH to an existing file)"])
    return parse_task_rules(file.read_text(encoding="utf-8"), str(file))
