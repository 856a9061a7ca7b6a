"""``tools/rules/rules.yml``: customer-level rules, validated with file:line errors.

A rule watches one kind of ``event`` (``ticket``: a ticket as it stands now; ``survey``: a survey
answer) and fires when every condition under ``when`` holds; its ``task`` says who follows up,
by when, and why.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from semantic_layer.model_errors import parse_config, problem
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


def parse_task_rules(text: str, source: str = "<memory>") -> RulesConfig:
    """Parse and validate task rules; raise :class:`RulesConfigError` listing every problem."""
    doc, config = parse_config(text, source, RulesConfig, RulesConfigError, "a 'rules:' list")
    if not config.rules:
        raise RulesConfigError([problem(doc, ("rules",), "list at least one rule.")])
    names = [r.name for r in config.rules]
    repeated = [i for i, n in enumerate(names) if names.index(n) != i]
    if repeated:
        raise RulesConfigError(
            [
                problem(
                    doc,
                    ("rules", i, "name"),
                    "the name is used twice (a rule's name keeps its tasks from repeating; "
                    "make it unique).",
                )
                for i in repeated
            ]
        )
    return config


def load_task_rules(path: str | Path | None = None) -> RulesConfig:
    file = Path(path) if path else DEFAULT_RULES_FILE
    if not file.exists():
        raise RulesConfigError([f"{file}: file not found (pass --rules PATH to an existing file)"])
    return parse_task_rules(file.read_text(encoding="utf-8"), str(file))
