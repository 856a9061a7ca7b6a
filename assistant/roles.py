"""Roles from one config file: who may query metrics or search cases, and which rows they see."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import AssistantError
from semantic_layer.errors import closest
from semantic_layer.model_errors import validation_problems
from semantic_layer.policy import AccessPolicy
from semantic_layer.query import Filter
from semantic_layer.yaml_load import YamlFileError, read_yaml

if TYPE_CHECKING:  # the catalog's lexicon only annotates: `cases search` never loads it
    from assistant.planning.lexicon import Lexicon

ROLES_FILE = Path(__file__).with_name("roles.yml")
DEFAULT_ROLE = "executive"


class RoleError(AssistantError, ValueError):
    """Unknown role or an invalid roles file."""

    exit_code = 2


class RoleLabel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    zh: str
    en: str


class Role(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    label: RoleLabel
    description: str = ""
    row_filters: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    can_query_metrics: bool = True
    can_search_cases: bool = True
    # Web UI tabs this role sees (UI_TABS); empty: chat + cockpit + follow-up tasks, or similar
    # cases + tasks for a role that may not query metrics. Access itself is enforced by the
    # role, not by the tabs.
    ui_tabs: tuple[Literal["chat", "cases", "cockpit", "catalog", "tasks"], ...] = ()
    # Acknowledge/assign alerts and reassign follow-up tasks (managers, executives); unset:
    # every role that may see metric values.
    can_manage: bool | None = None

    def manages(self) -> bool:
        return self.can_query_metrics if self.can_manage is None else self.can_manage

    def tabs(self) -> tuple[str, ...]:
        if self.ui_tabs:
            return self.ui_tabs
        return ("chat", "cockpit", "tasks") if self.can_query_metrics else ("cases", "tasks")

    @property
    def policy(self) -> AccessPolicy:
        return AccessPolicy(row_filters=dict(self.row_filters), name=self.name)


@lru_cache(maxsize=4)
def load_roles(path: Path = ROLES_FILE) -> dict[str, Role]:
    try:
        doc = read_yaml(path, cached=True)  # read on every CLI call: parsed once
    except YamlFileError as exc:
        raise RoleError(str(exc)) from exc
    data = doc.data or {}
    if not isinstance(data, dict) or set(data) != {"roles"}:
        raise RoleError(f"{path}: the file must have exactly one top-level key, 'roles'.")
    roles = {}
    for name, body in (data["roles"] or {}).items():
        try:
            roles[name] = Role.model_validate({"name": name, **(body or {})})
        except ValidationError as exc:
            problems = validation_problems(exc, doc, Role, base=("roles", name), hidden=("name",))
            raise RoleError("\n".join(problems)) from exc
    return roles


def scope_visible(role: Role, scope: dict[str, str]) -> bool:
    """May ``role`` see a finding about ``scope`` (an alert's dimension -> value)? Fail closed:
    a role with row filters sees only scopes inside its rows, never all-region numbers."""
    return all(scope.get(field) in allowed for field, allowed in role.row_filters.items())


def get_role(name: str | None, path: Path = ROLES_FILE) -> Role:
    roles = load_roles(path)
    name = name or DEFAULT_ROLE
    if name not in roles:
        hint = closest(name, roles)
        raise RoleError(
            f"Unknown role '{name}'.{f' Did you mean {hint!r}?' if hint else ''} "
            f"Valid roles: {', '.join(sorted(roles))} (defined in {path})."
        )
    return roles[name]


def scope_statement(
    role: Role,
    filters: Sequence[Filter],
    dimensions: Sequence[str],
    lexicon: Lexicon,
    language: str,
) -> tuple[str | None, str | None]:
    """What a restricted role's answer must say about its rows: ``(refusal, note)``.

    A question about rows outside the role ("华北" for the East manager) is refused as outside
    the user's access, never answered with 0 or "no data"; a question the rows narrow without
    the user naming them (a national figure, a breakdown by region) carries a note saying so.
    """
    zh = language == "zh"
    refusal: str | None = None
    notes: list[str] = []
    for field, allowed in role.row_filters.items():
        allowed_labels = "、".join(lexicon.value_label(field, v, language) for v in allowed)
        if not zh:
            allowed_labels = ", ".join(lexicon.value_label(field, v, language) for v in allowed)
        named = [f for f in filters if f.field == field and f.op in ("=", "in")]
        outside = [str(v) for f in named for v in f.values if str(v) not in allowed]
        if outside:
            shown = [lexicon.value_label(field, v, language) for v in outside]
            refusal = (
                f"「{'、'.join(shown)}」不在您的权限范围内（{role.label.zh}只能查看"
                f"{allowed_labels}的数据），因此不显示这个数字。"
                if zh
                else f"{', '.join(shown)} is outside your access ({role.label.en}: "
                f"{allowed_labels} only), so no number is shown."
            )
            break
        if not named or field in dimensions:
            notes.append(
                f"仅含{allowed_labels}（您的权限范围）"
                if zh
                else f"{allowed_labels} only (your access)"
            )
    note = (
        ("；".join(notes) + "。") if zh and notes else ("; ".join(notes) + ". ") if notes else None
    )
    return refusal, note
