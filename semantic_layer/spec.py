"""The semantic spec as frozen pydantic models (what the YAML under ``definitions/`` holds).

Everything is declarative: columns are referenced by name (``customer.churned_at`` follows the
``customer`` relationship), filters are field/op/values, durations are built from two timestamp
columns. No raw SQL anywhere, so the compiler can render every dialect and the validator can
check every reference. Field descriptions here generate the reference in ``docs/metrics.md``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | int | float | bool


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Label(Frozen):
    """A bilingual text."""

    zh: str = Field(description="Chinese text.", min_length=1)
    en: str = Field(description="English text.", min_length=1)


class Code(Frozen):
    """One stable ASCII code of a code list with its labels and synonyms."""

    code: str = Field(description="The value stored in the warehouse, e.g. `east`.")
    label: Label = Field(description="Display labels, e.g. zh 华东 / en East China.")
    synonyms: tuple[str, ...] = Field((), description="Other words users say (zh and en).")


class CodeGroup(Frozen):
    """Several codes users name with one word ("未解决" = open or pending)."""

    name: str = Field(description="Group name, e.g. `unresolved`.")
    label: Label = Field(description="Display labels, e.g. zh 未解决 / en Unresolved.")
    codes: tuple[str, ...] = Field(min_length=2, description="The codes it stands for.")
    synonyms: tuple[str, ...] = Field((), description="Other words users say (zh and en).")


class CodeList(Frozen):
    """A named list of codes shared by dimensions (e.g. `region`, used by tickets and orders)."""

    name: str = Field(description="Code list name, referenced by a dimension's `codes`.")
    label: Label = Field(description="What the codes are.")
    codes: tuple[Code, ...] = Field(description="The codes, in display order.")
    groups: tuple[CodeGroup, ...] = Field(
        (), description="Words for several codes at once; a question using one filters by all."
    )
    pattern: str | None = Field(
        None,
        description="Documented shape for open-ended code lists (e.g. `<region>_a|b` for "
        "teams); values outside `codes` are then allowed in filters.",
    )
    labels_need_name: bool = Field(
        False,
        description="The labels are everyday words (High, Low, 高, 低): a question names a code "
        "by its label only next to the list's own name ('high priority', '优先级高'), or by a "
        "synonym; 'why is CSAT so low' filters nothing.",
    )


class Duration(Frozen):
    """Time between two timestamp columns (end - start), e.g. hours to first response."""

    start: str = Field(description="Column (or `relationship.column`) where the span starts.")
    end: str = Field(description="Column (or `relationship.column`) where the span ends.")
    unit: Literal["seconds", "minutes", "hours", "days"] = Field(
        "hours", description="Unit of the result."
    )


class DurationExpr(Frozen):
    """An expression that is a duration (NULL when either timestamp is NULL)."""

    duration: Duration = Field(description="The span to measure.")


Expr = Annotated[
    str | DurationExpr,
    Field(description="A column name (`relationship.column` allowed) or `{duration: ...}`."),
]

FilterOp = Literal[
    "=", "!=", "in", "not in", "<", "<=", ">", ">=", "between", "is null", "is not null"
]


class FilterSpec(Frozen):
    """A declarative condition inside a measure: `field op values` or `field op ref`."""

    field: Expr = Field(description="Column, `relationship.column` or a duration to test.")
    op: FilterOp = Field(description="Comparison operator.")
    values: tuple[Scalar, ...] = Field(
        (), description="Literal operands (one for comparisons, two for between, any for in)."
    )
    ref: str | None = Field(
        None, description="Compare with another column instead of literals (e.g. `sla_due_at`)."
    )

    @model_validator(mode="after")
    def _operands(self) -> FilterSpec:
        nullary = self.op in ("is null", "is not null")
        if self.ref is not None and (self.values or self.op in ("in", "not in", "between")):
            raise ValueError("use either `values` or `ref`, and `ref` only with =,!=,<,<=,>,>=")
        if self.ref is None and not nullary:
            need = {"between": 2}.get(self.op, 1)
            if self.op in ("in", "not in") and not self.values:
                raise ValueError(f"op '{self.op}' needs at least one value")
            if self.op not in ("in", "not in") and len(self.values) != need:
                raise ValueError(f"op '{self.op}' needs exactly {need} value(s)")
        if nullary and (self.values or self.ref):
            raise ValueError(f"op '{self.op}' takes no values")
        return self


class Dimension(Frozen):
    """A column users can group or filter by."""

    name: str = Field(description="Name used in queries, e.g. `region`.")
    column: str | None = Field(None, description="Table column; defaults to `name`.")
    type: Literal["categorical", "time", "boolean", "number"] = Field(
        "categorical", description="`time` dimensions can attribute metrics to periods."
    )
    label: Label = Field(description="Display labels.")
    synonyms: tuple[str, ...] = Field((), description="Other words users say (zh and en).")
    codes: str | None = Field(None, description="Name of the code list of its values.")
    sample_values: tuple[str, ...] = Field((), description="Example values for planners.")
    values_from_data: bool = Field(
        False,
        description="Planners recognise this dimension's values as the warehouse holds them "
        "(its distinct values, read at start and, in a server, again after new data; at most "
        "5,000), e.g. product or agent names. Categorical dimensions without a code list only.",
    )
    yes_no: tuple[Label, Label] | None = Field(
        None,
        description="Boolean dimensions: labels of the true and false values, e.g. "
        "[{zh: 已升级, en: Escalated}, {zh: 未升级, en: Not escalated}] (default 是/否, Yes/No).",
    )

    @model_validator(mode="after")
    def _yes_no_only_for_booleans(self) -> Dimension:
        if self.yes_no is not None and self.type != "boolean":
            raise ValueError(
                f"yes_no labels are for boolean dimensions; '{self.name}' is {self.type}."
            )
        return self

    @model_validator(mode="after")
    def _values_from_data_only_for_names(self) -> Dimension:
        if self.values_from_data and (self.type != "categorical" or self.codes):
            raise ValueError(
                f"values_from_data is for categorical dimensions without a code list; "
                f"'{self.name}' is {self.type}{' with codes ' + self.codes if self.codes else ''}."
            )
        return self

    @property
    def column_name(self) -> str:
        return self.column or self.name


class Relationship(Frozen):
    """A declared many-to-one join: `this.foreign_key = target.primary_key`.

    Only many-to-one joins exist, so following them can never multiply fact rows (no fan-out).
    """

    name: str = Field(description="Name used in paths, e.g. `customer` in `customer.segment`.")
    model: str = Field(description="Target model.")
    foreign_key: str = Field(description="Column of this model holding the target's key.")
    type: Literal["many_to_one"] = Field("many_to_one", description="Only many_to_one.")


class Measure(Frozen):
    """An aggregation over one model's rows (optionally of a filtered subset)."""

    name: str = Field(description="Unique within the model; metrics use `model.measure`.")
    agg: Literal["count", "count_distinct", "sum", "avg", "min", "max", "percentile"] = Field(
        description="`count` without `expr` counts rows; with `expr` counts non-NULL values."
    )
    expr: Expr | None = Field(None, description="What to aggregate (not needed for row counts).")
    percentile: float | None = Field(
        None, gt=0, lt=1, description="For `agg: percentile`: 0.5 (median), 0.9 (p90)."
    )
    filters: tuple[FilterSpec, ...] = Field(
        (), description="Only rows meeting all of these are aggregated (e.g. complaints only)."
    )
    description: str = Field("", description="What the measure counts or sums.")

    @model_validator(mode="after")
    def _shape(self) -> Measure:
        if (self.agg == "percentile") != (self.percentile is not None):
            raise ValueError("`percentile` is required for agg percentile and only for it")
        if self.agg not in ("count",) and self.expr is None:
            raise ValueError(f"agg '{self.agg}' needs an `expr`")
        return self


class ComputedAsOf(Frozen):
    """A table computed from other tables as of one date (customer segments): every answer
    that uses one of its dimensions states that date, read from ``column``."""

    column: str = Field(description="Column holding the date the rows were computed as of.")
    built_by: str = Field(description="The command that (re)builds the table, named in errors.")
    label: Label = Field(
        description="What the rows are, e.g. {zh: 客户分层, en: Customer segments}."
    )


class Model(Frozen):
    """A warehouse table with its grain, dimensions, joins and measures."""

    name: str = Field(description="Model name, e.g. `tickets`.")
    table: str = Field(description="Warehouse table.")
    label: Label = Field(description="Display labels.")
    primary_key: str = Field(description="Column identifying one row (the model's grain).")
    time_dimension: str | None = Field(
        None, description="Default time dimension (a `type: time` dimension)."
    )
    dimensions: tuple[Dimension, ...] = Field((), description="Groupable/filterable columns.")
    relationships: tuple[Relationship, ...] = Field((), description="Many-to-one joins.")
    measures: tuple[Measure, ...] = Field((), description="Aggregations metrics build on.")
    computed_as_of: ComputedAsOf | None = Field(
        None, description="Set for a table computed as of a date (see ComputedAsOf)."
    )


class MetricPart(Frozen):
    """One side of a ratio: a measure and the time dimension that attributes it."""

    measure: str = Field(description="`model.measure`.")
    time_dimension: str | None = Field(
        None, description="Overrides the metric's `time_dimension` for this part."
    )


class Snapshot(Frozen):
    """Count rows open at each period end (start < end_of_period and (end NULL or >= it))."""

    start: str = Field(description="Column when a row becomes open, e.g. `created_at`.")
    end: str = Field(description="Column when it stops being open (NULL = still open).")


class MetricRef(Frozen):
    """A formula operand: another metric."""

    metric: str = Field(description="Another metric's name.")


class Constant(Frozen):
    """A formula operand: a number."""

    constant: float = Field(description="A number.")


class Formula(Frozen):
    """Arithmetic over other metrics, computed per row of the result (never re-aggregated)."""

    op: Literal["add", "subtract", "multiply", "divide"] = Field(description="Operator.")
    args: tuple[MetricRef | Constant | Formula, ...] = Field(
        min_length=2, max_length=2, description="Two operands."
    )


class Metric(Frozen):
    """A KPI with its certified definition."""

    name: str = Field(description="Identifier used in queries, e.g. `csat`.")
    type: Literal["simple", "ratio", "derived", "percentile"] = Field(description="Metric kind.")
    label: Label = Field(description="Display name.")
    description: Label = Field(description="Exactly how it is computed, zh and en.")
    owner: str = Field(description="Team accountable for the definition.")
    unit: str = Field(description="e.g. `%`, `hours`, `minutes`, `tickets`, `CNY`, `score`.")
    format: str = Field(description="Python format spec for the value, e.g. `.1f`, `,.0f`.")
    direction: Literal["up", "down", "neutral"] = Field(
        description="Which way is good: `up` (higher is better) or `down`."
    )
    certified: bool = Field(False, description="Reviewed and approved for decisions.")
    version: int = Field(1, ge=1, description="Bump on any change to the computation.")
    synonyms: tuple[str, ...] = Field((), description="Words users say for it (zh and en).")
    time_dimension: str | None = Field(
        None, description="Which timestamp puts a fact in a period (default: model's)."
    )
    snapshot: Snapshot | None = Field(
        None, description="Attribute at period end instead of by an event time (backlog)."
    )
    measure: str | None = Field(None, description="`model.measure` (simple and percentile).")
    numerator: MetricPart | None = Field(None, description="Ratio numerator.")
    denominator: MetricPart | None = Field(None, description="Ratio denominator (its n).")
    multiplier: float = Field(1.0, description="Ratio scale: 100 for %, 1000 for per-1,000.")
    proportion: bool = Field(
        False, description="Ratio of a subset to its set: Wilson interval on small n."
    )
    cross_model: bool = Field(
        False, description="Ratio whose parts come from different models or time dimensions."
    )
    allowed_dimensions: tuple[str, ...] | None = Field(
        None, description="Required with `cross_model`: dimensions valid in both parts."
    )
    formula: Formula | None = Field(None, description="Derived metrics: arithmetic on metrics.")
    notes: str = Field("", description="Pitfalls and decisions (shown in `metrics show`).")

    @model_validator(mode="after")
    def _shape(self) -> Metric:
        need = {
            "simple": {"measure"},
            "percentile": {"measure"},
            "ratio": {"numerator", "denominator"},
            "derived": {"formula"},
        }[self.type]
        given = {f for f in ("measure", "numerator", "denominator", "formula") if getattr(self, f)}
        if missing := need - given:
            raise ValueError(f"a {self.type} metric needs {', '.join(sorted(missing))}")
        if extra := given - need:
            raise ValueError(f"a {self.type} metric does not take {', '.join(sorted(extra))}")
        if self.cross_model and self.allowed_dimensions is None:
            raise ValueError("a cross_model ratio must declare `allowed_dimensions`")
        if self.snapshot and self.type != "simple":
            raise ValueError("`snapshot` is only for simple metrics")
        return self


class AmbiguousTerm(Frozen):
    """Words users say that fit several certified metrics ("处理时长"): the planner asks."""

    name: str = Field(description="Identifier of the group, e.g. `handling_time`.")
    words: tuple[str, ...] = Field(min_length=1, description="The words (zh and en).")
    metrics: tuple[str, ...] = Field(
        min_length=2, max_length=3, description="Metrics offered, closest first (2-3)."
    )
    vague: bool = Field(
        False,
        description="A general word (表现, performance): in a follow-up it keeps the metric "
        "of the previous question instead of asking.",
    )


class SemanticSpec(Frozen):
    """Everything under `definitions/` merged: code lists, models, metrics, ambiguous terms."""

    code_lists: tuple[CodeList, ...] = Field((), description="Shared code lists.")
    models: tuple[Model, ...] = Field((), description="Models over warehouse tables.")
    metrics: tuple[Metric, ...] = Field((), description="KPIs.")
    ambiguous_terms: tuple[AmbiguousTerm, ...] = Field(
        (), description="Words that name several metrics; the planner asks which."
    )


# The models a YAML file may contain, per top-level key (the loader validates item by item so
# one run reports every problem).
SECTIONS: dict[str, type[Frozen]] = {
    "code_lists": CodeList,
    "models": Model,
    "metrics": Metric,
    "ambiguous_terms": AmbiguousTerm,
}
