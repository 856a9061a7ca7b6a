"""Alert rules from YAML (``rules.yml``), validated strictly with file:line and did-you-mean.

Every problem in a file is reported in one run, each naming the file, line, rule and field, so
an analyst (or the agent) can fix them all at once.
"""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from semantic_layer.catalog import Catalog
from semantic_layer.errors import closest
from semantic_layer.model_errors import parse_config, problem
from tools.errors import ConfigFileError
from tools.monitoring.calendar import HolidayCalendar, HolidayEvent, demo_calendar

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.yml")
# Dimensions alerts may be scoped by and contributors are drilled into.
SCOPE_DIMENSIONS = ("region", "channel", "product_line", "category", "team")


class RulesError(ConfigFileError):
    """A rules file is invalid; ``problems`` lists every issue as 'file:line: ...'."""

    what = "alert rules"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Thresholds(_Frozen):
    warning: float = Field(4.0, gt=0, description="|score| that raises a warning.")
    critical: float = Field(7.0, gt=0, description="|score| that raises a critical alert.")
    min_ratio: float = Field(1.5, ge=1, description="Observed/expected at least this (or 1/x).")
    interval: float = Field(0.95, gt=0.5, lt=1, description="Prediction interval coverage.")
    false_alerts_per_year: float = Field(
        1.0,
        gt=0,
        description=(
            "Noise budget: a rule with many scopes raises its warning score until noise alone "
            "would fire about this often a year (scopes x windows x periods tested)."
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.critical < self.warning:
            raise ValueError("critical must be >= warning")
        return self


def effective_thresholds(rule: Rule, scopes: int) -> Thresholds:
    """The rule's thresholds with ``warning`` (and ``critical``, to stay above it) raised to the
    score that noise alone reaches ``false_alerts_per_year`` times a year over ``scopes``
    scopes, counting each window length and period as one test (they overlap, so the real
    noise rate is lower). Scores are normal-equivalent tail probabilities, so this is exact for
    independent tests."""
    th = rule.thresholds
    tests = max(scopes, 1) * len(rule.windows) * (52 if rule.grain == "week" else 365)
    tail = th.false_alerts_per_year / tests / (2 if rule.direction == "both" else 1)
    budget_z = NormalDist().inv_cdf(1 - tail) if tail < 0.5 else 0.0
    warning = max(th.warning, round(budget_z, 2))
    return th.model_copy(update={"warning": warning, "critical": max(th.critical, warning)})


class Rule(_Frozen):
    name: str
    metric: str
    dimensions: tuple[str, ...] = ()
    grain: Literal["day", "week"] = "week"
    windows: tuple[int, ...] = Field((1,), description="Consecutive periods summed per test.")
    direction: Literal["up", "down", "both"] = "both"
    thresholds: Thresholds = Thresholds()
    min_volume: int = Field(20, ge=1, description="Count (or ratio denominator) in the window.")
    baseline_periods: int = Field(8, ge=3, le=52, description="Trailing windows in the baseline.")
    yearly: bool = Field(
        True, description="Scale counts by last year's seasonal ratio (needs a year of data)."
    )
    holidays: bool = Field(True, description="Apply the holiday calendar (count metrics).")
    relative_to: tuple[str, ...] | None = Field(
        None,
        description=(
            "Score a count scope as its share of the total over the other dimensions' values "
            "(e.g. [product_line, category]: one region against all regions for the same "
            "product line and category), so seasons and holidays common to all cancel."
        ),
    )
    owner: str | None = Field(None, description="Who is notified; default the metric owner.")

    @model_validator(mode="after")
    def _windows(self) -> Rule:
        if not self.windows or min(self.windows) < 1:
            raise ValueError("windows must list positive period counts, e.g. [1, 3]")
        if len(set(self.dimensions)) != len(self.dimensions):
            raise ValueError("dimensions must not repeat")
        return self

    @field_validator("relative_to")
    @classmethod
    def _relative_to(
        cls, value: tuple[str, ...] | None, info: ValidationInfo
    ) -> tuple[str, ...] | None:
        dimensions = tuple(info.data.get("dimensions", ()))
        if value is None:
            return value
        outside = [d for d in value if d not in dimensions]
        if outside or len(set(value)) >= len(set(dimensions)):
            raise ValueError(
                f"must list some, not all, of the rule's dimensions {list(dimensions)}: a "
                "scope is compared with the others that share these values"
                + (f" ({', '.join(outside)} is not one of them)" if outside else "")
            )
        return value

    @property
    def uses_last_year(self) -> bool:
        """Shares need no yearly scaling: the season moves the whole total, not the share."""
        return self.yearly and self.relative_to is None


class MonitoringConfig(_Frozen):
    calendar: tuple[HolidayEvent, ...] | None = None
    rules: tuple[Rule, ...] = Field(min_length=1)
    source: str = "<memory>"

    @model_validator(mode="after")
    def _unique(self) -> MonitoringConfig:
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(dupes)}")
        return self

    def holiday_calendar(self) -> HolidayCalendar:
        return HolidayCalendar(events=self.calendar) if self.calendar else demo_calendar()

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)


def metric_kind(catalog: Catalog, metric_name: str) -> str | None:
    """'count' (simple count/count_distinct), 'proportion' (ratio of counts) or None."""
    metric = catalog.metric(metric_name)
    if metric.type == "simple" and metric.measure and not metric.snapshot:
        _, measure = catalog.measure(metric.measure)
        return "count" if measure.agg in ("count", "count_distinct") else None
    if metric.type == "ratio" and metric.proportion and not getattr(metric, "cross_model", False):
        return "proportion"
    return None


def _semantic_issues(
    config: MonitoringConfig, catalog: Catalog
) -> list[tuple[tuple[Any, ...], str]]:
    """(YAML path, message) for metrics and dimensions the catalog does not allow."""
    issues: list[tuple[tuple[Any, ...], str]] = []
    for i, rule in enumerate(config.rules):
        if rule.metric not in catalog.metrics:
            hint = catalog.metric_for_synonym(rule.metric) or closest(rule.metric, catalog.metrics)
            did = f" Did you mean '{hint}'?" if hint else ""
            issues.append((("rules", i, "metric"), f"unknown metric '{rule.metric}'.{did}"))
        elif metric_kind(catalog, rule.metric) is None:
            supported = sorted(m for m in catalog.metrics if metric_kind(catalog, m))
            issues.append(
                (
                    ("rules", i, "metric"),
                    f"metric '{rule.metric}' cannot be monitored (only counts and proportion "
                    f"ratios can). Monitorable: {', '.join(supported)}.",
                )
            )
        if rule.relative_to is not None and metric_kind(catalog, rule.metric) == "proportion":
            issues.append(
                (
                    ("rules", i, "relative_to"),
                    f"relative_to needs a count metric; '{rule.metric}' is already a rate. "
                    "Remove relative_to or monitor a count such as complaint_volume.",
                )
            )
        for j, dim in enumerate(rule.dimensions):
            if dim not in SCOPE_DIMENSIONS:
                hint = closest(dim, SCOPE_DIMENSIONS)
                did = f" Did you mean '{hint}'?" if hint else ""
                issues.append(
                    (
                        ("rules", i, "dimensions", j),
                        f"unknown dimension '{dim}'.{did} "
                        f"Valid dimensions: {', '.join(SCOPE_DIMENSIONS)}.",
                    )
                )
    return issues


def parse_rules(text: str, source: str, catalog: Catalog) -> MonitoringConfig:
    """Parse and validate rules YAML; raise :class:`RulesError` listing every problem."""
    doc, config = parse_config(text, source, MonitoringConfig, RulesError, "a 'rules:' list")
    issues = _semantic_issues(config, catalog)
    if issues:
        raise RulesError([problem(doc, loc, msg) for loc, msg in issues])
    return config


def load_rules(path: str | Path | None, catalog: Catalog) -> MonitoringConfig:
    """Load a rules file (default: the packaged ``tools/monitoring/rules.yml``)."""
    file = Path(path) if path else DEFAULT_RULES_FILE
    if not file.exists():
        raise RulesError([f"{file}: file not found (pass --rules PATH to an existing file)"])
    return parse_rules(file.read_text(encoding="utf-8"), str(file), catalog)
