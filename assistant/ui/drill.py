"""The cockpit's drill-down scope: which members the viewer has drilled into (region → product
line → team → agent, channel and issue category on the side), the breadcrumb that leads back up,
and the clickable member list under the breakdown chart. A role limited to one value of a
path dimension (a regional manager) starts inside it and cannot drill out of it."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from assistant.planning.drill import DRILL_PATH, SIDE_PATHS, breakdowns
from assistant.roles import get_role
from assistant.ui.i18n import t
from semantic_layer.query import Filter

# Clicks inside the breadcrumb and the member list (event delegation: the HTML is re-rendered
# on every step, the listener on the component stays). A click on a bar of the breakdown chart
# beside the list is passed on with the bar's label.
CRUMB_JS = """
if (!window.__spDrillBusy) {
  // a drill step (a member, a bar, a crumb, back, another breakdown) dims the panels until its
  // answer is drawn
  window.__spDrillBusy = true;
  const busy = () => document.body.classList.add('sp-drilling');
  document.addEventListener('click', (e) => {
    if (e.target.closest('.sp-member, .sp-crumb:not(:disabled), #sp-drill-back:not(:disabled)'))
      busy();
  }, true);
  document.addEventListener('input', (e) => {
    if (e.target.closest('#sp-drill-by')) busy();
  }, true);
}
element.addEventListener('click', (e) => {
  const item = e.target.closest('[data-depth]');
  if (item && !item.disabled) trigger('click', {depth: Number(item.dataset.depth)});
});
"""
MEMBERS_JS = """
element.addEventListener('click', (e) => {
  const item = e.target.closest('[data-code]');
  if (item) trigger('click', {code: item.dataset.code});
});
setInterval(() => {
  document.querySelectorAll('#sp-drill-plot .js-plotly-plot').forEach((plot) => {
    if (plot.dataset.spDrill || typeof plot.on !== 'function') return;
    plot.dataset.spDrill = '1';
    plot.on('plotly_click', (data) => {
      const point = data && data.points && data.points[0];
      if (!point) return;
      document.body.classList.add('sp-drilling');
      trigger('click', {label: String(point.y)});
    });
  });
}, 400);
"""


@dataclass(frozen=True)
class DrillScope:
    """The members drilled into, in order, as (dimension, code); the first ``floor`` steps
    are the role's own and stay."""

    steps: tuple[tuple[str, str], ...] = ()
    floor: int = 0

    @property
    def fixed(self) -> tuple[str, ...]:
        return tuple(d for d, _ in self.steps)

    def filters(self) -> tuple[Filter, ...]:
        return tuple(Filter(field=d, op="=", values=(c,)) for d, c in self.steps)

    def value(self, dimension: str) -> str | None:
        return next((c for d, c in self.steps if d == dimension), None)

    def breakdowns(self) -> tuple[str, ...]:
        return breakdowns(self.fixed)

    def down(self, dimension: str, code: str) -> DrillScope:
        if dimension in self.fixed:
            raise ValueError(f"{dimension} is already fixed in this scope")
        return DrillScope(steps=(*self.steps, (dimension, code)), floor=self.floor)

    def up_to(self, depth: int) -> DrillScope:
        """The scope with its first ``depth`` steps (never above the role's floor)."""
        return DrillScope(steps=self.steps[: max(depth, self.floor)], floor=self.floor)

    def back(self) -> DrillScope:
        return self.up_to(len(self.steps) - 1)

    @property
    def can_go_back(self) -> bool:
        return len(self.steps) > self.floor

    def admits(self, alert_scope: dict[str, Any]) -> bool:
        """True when an alert's scope does not contradict this one (an alert for 华东 shows
        inside 华东 › 空调; one for 华北 does not)."""
        return all(alert_scope.get(d, c) == c for d, c in self.steps)


def scope_target(targets: Any, name: str, scope: DrillScope | None, span: tuple) -> Any:
    """The target of ``name`` for the scope's slice over ``span`` (``Targets.for_slice``)."""
    if targets is None:
        return None
    return targets.for_slice(name, dict(scope.steps) if scope is not None else {}, span)


def start_scope(role: str | None) -> DrillScope:
    """Where a role's drill starts: inside every path dimension its row filters fix to one
    value (a regional manager: their region), which it cannot leave."""
    limits = get_role(role).row_filters
    steps = tuple(
        (d, limits[d][0]) for d in (*DRILL_PATH, *SIDE_PATHS) if len(limits.get(d, ())) == 1
    )
    return DrillScope(steps=steps, floor=len(steps))


def _crumbs(scope: DrillScope, lexicon: Any, lang: str) -> list[tuple[int, str]]:
    """(depth, label) of each breadcrumb item the role may see."""
    items = []
    if scope.floor == 0:
        items.append((0, t(lang, "drill_all")))
    for depth, (dimension, code) in enumerate(scope.steps, 1):
        if depth >= scope.floor:
            items.append((depth, lexicon.value_label(dimension, code, lang)))
    return items


def breadcrumb_text(scope: DrillScope, lexicon: Any, lang: str) -> str:
    """ "全部 › 华东 › 空调", as the breadcrumb reads (for the cockpit's image)."""
    return " › ".join(text for _, text in _crumbs(scope, lexicon, lang))


def breadcrumb_html(scope: DrillScope, lexicon: Any, lang: str) -> str:
    """ "全部 › 华东 › 空调 › 华东一组": every item above the current one goes back to it; the
    role's own steps are shown but lead nowhere above them."""
    items = _crumbs(scope, lexicon, lang)
    parts = []
    for i, (depth, text) in enumerate(items):
        current = i == len(items) - 1
        parts.append(
            f"<button class='sp-crumb' data-depth='{depth}' {'disabled' if current else ''} "
            f"aria-current='{'page' if current else 'false'}'>{html.escape(text)}</button>"
        )
    sep = "<span class='sp-crumb-sep'> › </span>"
    return (
        f"<nav class='sp-breadcrumb' aria-label='{t(lang, 'drill_path')}'>{sep.join(parts)}</nav>"
    )


def members_html(
    members: list[tuple[str, str, str]], dimension: str, lexicon: Any, lang: str
) -> str:
    """The breakdown's members as buttons (label, shown value), largest first as charted;
    a click drills into the member."""
    if not members:
        return f"<div class='sp-members-empty'>{html.escape(t(lang, 'drill_no_members'))}</div>"
    title = t(lang, "drill_hint", dimension=lexicon.dimension_label(dimension, lang))
    buttons = "".join(
        f"<button class='sp-member' data-code='{html.escape(code, quote=True)}'>"
        f"<span>{html.escape(label)}</span> <b>{html.escape(shown)}</b></button>"
        for label, code, shown in members
    )
    return (
        f"<div class='sp-members-title'>{html.escape(title)}</div>"
        f"<div class='sp-members'>{buttons}</div>"
    )


DRILL_CSS = """
.sp-breadcrumb {display:flex; flex-wrap:wrap; align-items:center; gap:2px; font-size:1.05em;}
.sp-crumb {background:none; border:none; color:#2563eb; cursor:pointer; padding:2px 4px;}
.sp-crumb:disabled {color:inherit; font-weight:600; cursor:default;}
.sp-crumb-sep {color:#9ca3af;}
.sp-members {display:flex; flex-direction:column; gap:4px;}
.sp-members-title {color:#6b7280; font-size:0.85em; margin-bottom:4px;}
.sp-member {display:flex; justify-content:space-between; gap:12px; padding:6px 10px;
  border:1px solid #e5e7eb; border-radius:8px; background:#fff; cursor:pointer; text-align:left;}
.sp-member:hover {border-color:#2563eb; background:#eff6ff;}
body.sp-drilling {cursor:progress;}
body.sp-drilling :is(#sp-cockpit-cards, #sp-cockpit-trend, #sp-drill-plot, #sp-drill-members,
  #sp-cockpit-alerts) {opacity:0.45; transition-property:opacity; transition-duration:0.01s;
  transition-delay:0.2s;}
"""
# Ends the dimming of a drill click (CRUMB_JS), after the step's answer or its error. The cockpit
# shows no Gradio progress on a drill step: its per-panel trackers redraw every frame while
# they wait, which on two cores slowed the step they stood for.
DRILL_DONE_JS = "() => { document.body.classList.remove('sp-drilling'); }"
