"""One access check for every plan, whichever surface it comes from (chat, API, MCP, cockpit).

Row-level access itself is enforced lower down (the compiler injects the role's row filters,
case search its ``AccessScope``); this says early and in words what a role may not ask for:
metric answers for a role without metric access, case search for a role without it, and a
scope (region=north) outside the role's rows.
"""

from __future__ import annotations

from assistant.errors import AccessDenied
from assistant.planning.plans import (
    AlertReview,
    CaseSearch,
    Forecast,
    MetricPlan,
    Plan,
    RootCause,
)
from assistant.roles import Role
from semantic_layer.query import Filter

# Plans whose answer is made of metric numbers.
METRIC_PLANS = (MetricPlan, RootCause, Forecast, AlertReview)
# Plans whose scope names the rows they are about (refused when outside the role's rows).
SCOPED_PLANS = (RootCause, Forecast, AlertReview)


def require_metrics(role: Role) -> None:
    """Raise ``AccessDenied`` unless ``role`` may see metric values (answers, cockpit cards,
    alerts: an alert carries the observed value)."""
    if not role.can_query_metrics:
        only = (
            ("，只能搜索相似案例", ", only search similar cases")
            if role.can_search_cases
            else ("", "")
        )
        raise AccessDenied(
            f"The role '{role.label.en}' cannot query metrics{only[1]}.",
            f"角色“{role.label.zh}”不能查询指标{only[0]}。",
        )


def authorize(role: Role, plan: Plan) -> None:
    """Raise ``AccessDenied`` (zh and en text) when ``role`` may not have ``plan`` answered."""
    if isinstance(plan, METRIC_PLANS):
        require_metrics(role)
    if isinstance(plan, CaseSearch) and not role.can_search_cases:
        raise AccessDenied(
            f"The role '{role.label.en}' may not search cases.",
            f"角色“{role.label.zh}”不能搜索相似案例。",
        )
    if isinstance(plan, SCOPED_PLANS) and not within_rows(role, plan.scope):
        raise AccessDenied("That is outside the data you may see.", "超出您的数据权限范围。")


def within_rows(role: Role, scope: tuple[Filter, ...]) -> bool:
    """Every value a scope names on a restricted field is one the role may see."""
    return not outside_rows(role, scope)


def outside_rows(role: Role, filters: tuple[Filter, ...]) -> dict[str, list[str]]:
    """The values ``filters`` keep on a restricted field that the role may not see, by field."""
    outside: dict[str, list[str]] = {}
    for flt in filters:
        if flt.op not in ("=", "in"):  # an exclusion only narrows what the role sees
            continue
        allowed = role.row_filters.get(flt.field)
        if allowed is None:
            continue
        named = [str(v) for v in flt.values if str(v) not in allowed]
        if named:
            outside.setdefault(flt.field, []).extend(named)
    return outside


def require_query_within_rows(role: Role, filters: tuple[Filter, ...]) -> None:
    """Refuse a metric query that keeps only rows outside the role's: its answer would be an
    empty table or a 0, read as a fact (the chat's metric answer words the same refusal with
    labels; this guards the tool, HTTP, MCP and CLI surfaces that take codes)."""
    outside = outside_rows(role, filters)
    if not outside:
        return
    named = "; ".join(f"{field} {', '.join(values)}" for field, values in outside.items())
    allowed = "; ".join(f"{f} {', '.join(v)}" for f, v in role.row_filters.items())
    raise AccessDenied(
        f"{named} is outside your access ({role.label.en}: {allowed} only), so no number is "
        "shown. Remove that filter or ask for the rows you may see.",
        f"{named} 不在您的权限范围内（{role.label.zh}只能查看 {allowed} 的数据），因此不显示"
        "数字。请去掉该筛选，或查询您有权限的数据。",
    )
