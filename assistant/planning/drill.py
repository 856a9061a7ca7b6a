"""The drill-down hierarchy shared by the cockpit and the chat ("点进华东看看"): the whole company
→ region → product line → team → agent, with channel and issue category as side paths that
filter without leaving the path. Every level is a dimension the semantic layer certifies
(models.yml), so a drill step is only a filter plus a breakdown of a certified metric."""

from __future__ import annotations

from collections.abc import Iterable

DRILL_PATH = ("region", "product_line", "team", "agent_name")
SIDE_PATHS = ("channel", "category")


def next_level(scoped: Iterable[str]) -> str | None:
    """The level below the deepest one fixed by a filter (a team's agents, not its product
    lines); the top level when none is fixed, None below the agent."""
    fixed = set(scoped)
    deepest = max((DRILL_PATH.index(d) for d in fixed if d in DRILL_PATH), default=-1)
    return DRILL_PATH[deepest + 1] if deepest + 1 < len(DRILL_PATH) else None


def breakdowns(scoped: Iterable[str]) -> tuple[str, ...]:
    """What a scope can be broken down by: its next level first, then the side paths it has
    not fixed yet."""
    fixed = set(scoped)
    main = next_level(fixed)
    return (*((main,) if main else ()), *(d for d in SIDE_PATHS if d not in fixed))
