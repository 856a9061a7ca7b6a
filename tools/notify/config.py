"""``notify.yml``: channels, owners and delivery policy, validated with file:line errors.

Secrets (robot signing keys, SMTP passwords) are never written in the file: it names the
environment variable that holds them (``secret_env``, ``password_env``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from semantic_layer.errors import closest
from semantic_layer.model_errors import parse_config, problem
from tools.errors import ConfigFileError

ROBOT_KINDS = ("wecom", "dingtalk", "feishu")
CHANNEL_KINDS = ("webhook", *ROBOT_KINDS, "email")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class NotifyConfigError(ConfigFileError):
    """The notification config is invalid; ``problems`` lists every issue as 'file:line: ...'."""

    what = "notification config"


def parse_duration(value: object) -> timedelta:
    """'90s', '30m', '2h', '1d' (or a number of minutes) as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(minutes=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"'{value}' is not a duration; write e.g. 30m, 2h or 1d")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WebhookSpec(_Frozen):
    name: str
    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    headers: dict[str, str] = {}
    timeout_s: float = Field(10.0, gt=0)


class RobotSpec(_Frozen):
    """A 企业微信 / 钉钉 / 飞书 group robot (its webhook address and optional signing key)."""

    name: str
    kind: Literal["wecom", "dingtalk", "feishu"]
    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = Field(None, description="Env variable with the signing secret.")
    timeout_s: float = Field(10.0, gt=0)


class EmailSpec(_Frozen):
    name: str
    kind: Literal["email"]
    host: str
    port: int = Field(25, gt=0, lt=65536)
    sender: str
    to: tuple[str, ...] = Field((), description="Default recipients; an owner's email wins.")
    starttls: bool = False
    username: str | None = None
    password_env: str | None = Field(None, description="Env variable with the SMTP password.")
    timeout_s: float = Field(10.0, gt=0)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _to(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_address(v) for v in value)


def _address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError(f"'{value}' is not an e-mail address like alerts@example.com")
    return value


ChannelSpec = Annotated[WebhookSpec | RobotSpec | EmailSpec, Field(discriminator="kind")]


class OwnerSpec(_Frozen):
    """Who owns an alert: a person, a team or a role, optionally only for a scope (region...)."""

    name: str
    kind: Literal["person", "team", "role"] = "team"
    scope: dict[str, str] = Field({}, description="e.g. {region: east}; most specific wins.")
    channels: tuple[str, ...] = Field(min_length=1)
    email: tuple[str, ...] = ()
    language: Literal["zh", "en"] = "zh"
    escalate_after: timedelta | None = None
    escalate_to: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_address(v) for v in value)

    @field_validator("escalate_after", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta | None:
        return None if value is None else parse_duration(value)

    def matches(self, scope: dict[str, str]) -> bool:
        return all(scope.get(k) == v for k, v in self.scope.items())


class Delivery(_Frozen):
    retries: int = Field(3, ge=0, le=10, description="Extra attempts after a failed send.")
    backoff_s: float = Field(2.0, ge=0, description="First wait; doubled after each failure.")
    cooldown: timedelta = Field(
        timedelta(hours=6),
        description="A new episode of the same rule and scope within this is not announced.",
    )

    @field_validator("cooldown", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_duration(value)


class NotifyConfig(_Frozen):
    channels: tuple[ChannelSpec, ...]
    owners: tuple[OwnerSpec, ...] = ()
    delivery: Delivery = Delivery()
    source: str = "<memory>"

    def owner(self, name: str, scope: dict[str, str]) -> OwnerSpec | None:
        """The entry named ``name`` that matches ``scope``, the most specific first."""
        found = [o for o in self.owners if o.name == name and o.matches(scope)]
        return max(found, key=lambda o: len(o.scope), default=None)

    def channel(self, name: str) -> WebhookSpec | RobotSpec | EmailSpec:
        return next(c for c in self.channels if c.name == name)


def _semantic(config: NotifyConfig) -> list[tuple[tuple[Any, ...], str]]:
    issues: list[tuple[tuple[Any, ...], str]] = []
    names = [c.name for c in config.channels]
    if not names:
        issues.append((("channels",), "list at least one channel (see docs/proactive.md)"))
    for i, name in enumerate(names):
        if names.index(name) != i:
            issues.append((("channels", i, "name"), f"channel name '{name}' is used twice"))
    owners = sorted({o.name for o in config.owners})
    for i, owner in enumerate(config.owners):
        for j, channel in enumerate(owner.channels):
            if channel not in names:
                hint = closest(channel, names)
                did = f" Did you mean '{hint}'?" if hint else ""
                issues.append(
                    (
                        ("owners", i, "channels", j),
                        f"unknown channel '{channel}'.{did} Channels: {', '.join(names)}.",
                    )
                )
        if owner.escalate_to is not None and owner.escalate_to not in owners:
            hint = closest(owner.escalate_to, owners)
            did = f" Did you mean '{hint}'?" if hint else ""
            issues.append(
                (("owners", i, "escalate_to"), f"unknown owner '{owner.escalate_to}'.{did}")
            )
        if (owner.escalate_to is None) != (owner.escalate_after is None):
            issues.append(
                (("owners", i), "escalate_to and escalate_after go together; give both or none")
            )
    return issues


def parse_notify_config(text: str, source: str = "<memory>") -> NotifyConfig:
    """Parse and validate a notification config; raise :class:`NotifyConfigError` listing
    every problem with file and line."""
    doc, config = parse_config(text, source, NotifyConfig, NotifyConfigError, "a 'channels:' list")
    issues = _semantic(config)
    if issues:
        raise NotifyConfigError([problem(doc, loc, msg) for loc, msg in issues])
    return config


def load_notify_config(path: str | Path) -> NotifyConfig:
    file = Path(path)
    if not file.exists():
        raise NotifyConfigError(
            [f"{file}: file not found (write one as in docs/proactive.md, or pass --config PATH)"]
        )
    return parse_notify_config(file.read_text(encoding="utf-8"), str(file))
