"""Cockpit targets from YAML (``targets.yml``): each metric's target and warning line, company
wide or for one region / channel, and the status (ok / warning / breach) of a value.

Read through the one YAML loader and validated against the catalog, so every problem names
``file:line`` and the fix, like the alert rules.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from semantic_layer.catalog import Catalog
from semantic_layer.errors import closest
from semantic_layer.model_errors import problem, validation_problems
from semantic_layer.periods import add_months, month_start, quarter_start, week_start
from semantic_layer.yaml_load import YamlFileError, read_yaml
from tools.errors import ConfigFileError

DEFAULT_TARGETS_FILE = Path(__file__).with_name("targets.yml")
Status = Literal["ok", "warning", "breach"]
TargetPeriod = Literal["day", "week", "month", "quarter", "year"]


def span_kind(start: date, end: date) -> TargetPeriod | None:
    """Which calendar period ``[start, end)`` is — a whole day, week (Monday first), month,
    quarter or year — or None (e.g. "the last 30 days")."""
    if (end - start).days == 1:
        return "day"
    if start == week_start(start) and (end - start).days == 7:
        return "week"
    if start == month_start(start):
        if end == add_months(start, 1):
            return "month"
        if start == quarter_start(start) and end == add_months(start, 3):
            return "quarter"
        if start.month == 1 and end == add_months(start, 12):
            return "year"
    return None


class TargetsError(ConfigFileError):
    """A targets file is invalid; ``problems`` lists every issue as 'file:line: ...'."""

    what = "cockpit targets"


class Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str
    target: float = Field(description="Green at or beyond this (in the good direction).")
    warning: float = Field(description="Red beyond this; amber between it and the target.")
    region: str | None = None
    channel: str | None = None
    company_only: bool = Field(False, description="Not applied to a region or channel slice.")
    period: TargetPeriod | None = Field(
        None,
        description="The period a count's target is for (a count grows with the period: 500 "
        "complaints a month says nothing about a week). Required for counts and sums.",
    )
    owner: str = ""

    def applies_to(self, span: tuple[date, date] | None) -> bool:
        """A period-bound target judges only a value over a whole period of its kind."""
        return self.period is None or (span is not None and span_kind(*span) == self.period)

    def status(self, value: float, direction: str) -> Status:
        """Where ``value`` stands; ``direction`` is the metric's good direction (up / down)."""
        sign = 1 if direction == "up" else -1
        if sign * (value - self.target) >= 0:
            return "ok"
        return "warning" if sign * (value - self.warning) >= 0 else "breach"


class Targets(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    targets: tuple[Target, ...] = ()

    def find(
        self,
        metric: str,
        region: str | None = None,
        channel: str | None = None,
        span: tuple[date, date] | None = None,
    ):
        """The most specific target for ``metric`` in the slice over ``span`` ([start, end) of
        the value), or None. A count's target (``period: month``) is never applied to a week,
        a quarter or "the last 30 days" — nor when the caller does not say the span."""
        candidates = [t for t in self.targets if t.metric == metric and t.applies_to(span)]
        for want in ((region, channel), (region, None), (None, channel)):
            for t in candidates:
                if (t.region, t.channel) == want and any(want):
                    return t
        for t in candidates:
            if t.region is None and t.channel is None:
                return t if not (region or channel) or not t.company_only else None
        return None

    def for_slice(
        self, metric: str, fixed: dict[str, str], span: tuple[date, date] | None
    ) -> Target | None:
        """The target of ``metric`` for the slice where ``fixed`` dimensions hold one value
        each (region, channel, product line, ...): targets are set per region and channel;
        inside a narrower slice only a target that is not ``company_only`` (a rate's) still
        applies — a count's grows with its slice."""
        narrower = any(d not in ("region", "channel") for d in fixed)
        if narrower and any(t.metric == metric and t.company_only for t in self.targets):
            return None
        return self.find(metric, fixed.get("region"), fixed.get("channel"), span=span)


def _grows_with_period(catalog: Catalog, spec) -> bool:
    """A count or sum of events in the period (not a snapshot, a rate or an average)."""
    if spec.type != "simple" or spec.snapshot is not None:
        return False
    return catalog.measure(spec.measure)[1].agg in ("count", "count_distinct", "sum")


def _semantic_issues(targets: Targets, catalog: Catalog) -> list[tuple[tuple, str]]:
    issues: list[tuple[tuple, str]] = []
    seen: dict[tuple, int] = {}
    for i, t in enumerate(targets.targets):
        if t.metric not in catalog.metrics:
            hint = catalog.metric_for_synonym(t.metric) or closest(t.metric, catalog.metrics)
            did = f" Did you mean '{hint}'?" if hint else ""
            issues.append((("targets", i, "metric"), f"unknown metric '{t.metric}'.{did}"))
            continue
        spec = catalog.metric(t.metric)
        if t.period is None and _grows_with_period(catalog, spec):
            issues.append(
                (
                    ("targets", i, "metric"),
                    f"'{t.metric}' is a count over the period, so its target depends on the "
                    "period's length. Add `period: month` (or day, week, quarter, year): the "
                    "target is then applied only to values over such a period.",
                )
            )
        direction = spec.direction
        if direction not in ("up", "down"):
            issues.append(
                (
                    ("targets", i, "metric"),
                    f"metric '{t.metric}' has no good direction (direction: {direction}), so "
                    "a target cannot say good or bad. Remove this entry.",
                )
            )
        elif (direction == "up" and t.warning > t.target) or (
            direction == "down" and t.warning < t.target
        ):
            side = "at or below" if direction == "up" else "at or above"
            issues.append(
                (
                    ("targets", i, "warning"),
                    f"'{t.metric}' is better when {direction}, so warning ({t.warning:g}) must "
                    f"be {side} target ({t.target:g}). Swap or correct the two values.",
                )
            )
        for field in ("region", "channel"):
            code = getattr(t, field)
            codes = [c.code for c in catalog.code_lists[field].codes]
            if code is not None and code not in codes:
                hint = closest(code, codes)
                did = f" Did you mean '{hint}'?" if hint else ""
                issues.append(
                    (("targets", i, field), f"unknown {field} '{code}'.{did} Valid: {codes}.")
                )
        key = (t.metric, t.region, t.channel)
        if key in seen:
            issues.append(
                (
                    ("targets", i),
                    f"a second target for {t.metric} (region={t.region}, channel={t.channel}); "
                    f"entry #{seen[key] + 1} already sets it. Keep one.",
                )
            )
        seen.setdefault(key, i)
    return issues


def load_targets(path: str | Path | None, catalog: Catalog) -> Targets:
    """Read and validate a targets file (default: the packaged ``targets.yml``); raise
    :class:`TargetsError` listing every problem."""
    file = Path(path) if path else DEFAULT_TARGETS_FILE
    try:
        doc = read_yaml(file, cached=True)  # read on every metric answer: parsed once
    except YamlFileError as exc:
        raise TargetsError([str(exc)]) from exc
    if not isinstance(doc.data, dict):
        raise TargetsError([f"{file}:1: expected a mapping with a 'targets:' list"])
    try:
        targets = Targets.model_validate(doc.data)
    except ValidationError as exc:
        raise TargetsError(validation_problems(exc, doc, Targets)) from None
    issues = _semantic_issues(targets, catalog)
    if issues:
        raise TargetsError([problem(doc, loc, msg) for loc, msg in issues])
    return targets
