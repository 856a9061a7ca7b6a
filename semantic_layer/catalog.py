"""The loaded spec with lookups: metrics, measures, and dimension/column resolution.

Dimension names resolve on the model first, then along many-to-one relationships breadth-first
in declared order (so a survey's ``region`` is its ticket's region), and ``rel.dim`` names pick a
relationship explicitly (``customer.segment``). Every resolution is a chain of many-to-one joins,
which is what makes the compiler fan-out free.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from semantic_layer.errors import (
    UnknownDimensionError,
    UnknownItemError,
    UnknownMetricError,
    UnknownModelError,
    closest,
)
from semantic_layer.loader import LoadedSpec
from semantic_layer.spec import (
    CodeList,
    Dimension,
    Formula,
    Measure,
    Metric,
    MetricRef,
    Model,
    Relationship,
    SemanticSpec,
)

MAX_HOPS = 3


@dataclass(frozen=True)
class Hop:
    source: str  # model the join starts from
    relationship: Relationship


@dataclass(frozen=True)
class ResolvedColumn:
    """A column reachable from a fact model through zero or more many-to-one joins."""

    hops: tuple[Hop, ...]
    model: Model  # model owning the column
    column: str
    dimension: Dimension | None = None

    @property
    def path(self) -> str:
        """Canonical name: relationship names then the column (``customer.segment``)."""
        return ".".join([*(h.relationship.name for h in self.hops), self.column_name])

    @property
    def column_name(self) -> str:
        return self.dimension.name if self.dimension else self.column


@dataclass(frozen=True)
class Component:
    """One aggregated input of a metric: a measure on a model, attributed by a time column."""

    model: str
    measure: str
    time_dimension: str | None
    snapshot: tuple[str, str] | None = None

    @property
    def group(self) -> tuple[str, str | None, tuple[str, str] | None]:
        return (self.model, self.time_dimension, self.snapshot)


class Catalog:
    """Lookups over a validated spec. Build with :func:`load_catalog`."""

    def __init__(
        self,
        spec: SemanticSpec,
        loaded: LoadedSpec | None = None,
        data_values: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.spec = spec
        self.loaded = loaded
        self.models: dict[str, Model] = {m.name: m for m in spec.models}
        self.metrics: dict[str, Metric] = {m.name: m for m in spec.metrics}
        self.code_lists: dict[str, CodeList] = {c.name: c for c in spec.code_lists}
        # Per dimension marked values_from_data: its values as one warehouse holds them
        # (semantic_layer.data_values); empty until read.
        self.data_values: dict[str, tuple[str, ...]] = dict(data_values or {})

    def with_data_values(self, data_values: dict[str, tuple[str, ...]]) -> Catalog:
        """These definitions with the values a warehouse holds (a new catalog: planners and
        lexicons are built per catalog)."""
        return Catalog(self.spec, self.loaded, data_values)

    # -- metrics and measures -------------------------------------------------------------

    def metric(self, name: str) -> Metric:
        if name in self.metrics:
            return self.metrics[name]
        suggestion = self.metric_for_synonym(name) or closest(name, self.metrics)
        raise UnknownMetricError(name, self.metrics, suggestion=suggestion)

    def metric_for_synonym(self, text: str) -> str | None:
        wanted = text.strip().lower()
        for metric in self.spec.metrics:
            words = {metric.name, metric.label.zh, metric.label.en, *metric.synonyms}
            if wanted in {w.lower() for w in words}:
                return metric.name
        return None

    def model(self, name: str) -> Model:
        if name not in self.models:
            raise UnknownModelError(name, self.models)
        return self.models[name]

    def measure(self, ref: str) -> tuple[Model, Measure]:
        model_name, _, measure_name = ref.partition(".")
        model = self.model(model_name)
        for measure in model.measures:
            if measure.name == measure_name:
                return model, measure
        valid = [f"{model.name}.{m.name}" for m in model.measures]
        raise UnknownItemError(ref, valid, context=f"(measures of model {model.name})")

    def counts(self, metric: Metric) -> bool:
        """Whether ``metric`` counts things (a simple count of rows or distinct values): its
        relative change needs a base (stats.MIN_RELATIVE_BASE)."""
        if metric.type != "simple" or not metric.measure:
            return False
        return self.measure(metric.measure)[1].agg in ("count", "count_distinct")

    def counted_change(self, field: str) -> str | None:
        """The count metric whose relative change ``field`` is ("complaint_volume__change_pct"),
        else None: ranked by it, a group's base must be large enough (stats.MIN_RELATIVE_BASE)."""
        name, _, suffix = field.partition("__")
        if suffix != "change_pct" or name not in self.metrics:
            return None
        return name if self.counts(self.metrics[name]) else None

    def components(self, metric: Metric) -> list[Component]:
        """The measures a metric needs, each with the time column that attributes it."""
        if metric.type == "derived":
            assert metric.formula is not None
            return [
                c for ref in formula_refs(metric.formula) for c in self.components(self.metric(ref))
            ]
        parts = (
            [(metric.measure, None)]
            if metric.measure
            else [
                (metric.numerator.measure, metric.numerator.time_dimension),
                (metric.denominator.measure, metric.denominator.time_dimension),
            ]
        )
        out = []
        for ref, part_time in parts:
            model, measure = self.measure(ref)
            snapshot = (metric.snapshot.start, metric.snapshot.end) if metric.snapshot else None
            time = None if snapshot else part_time or metric.time_dimension or model.time_dimension
            out.append(Component(model.name, measure.name, time, snapshot))
        return out

    # -- dimensions and columns -----------------------------------------------------------

    def _walk(self, model_name: str) -> list[tuple[tuple[Hop, ...], Model]]:
        """Models reachable by many-to-one joins, breadth-first, in declared order."""
        start = self.model(model_name)
        seen = {start.name}
        out: list[tuple[tuple[Hop, ...], Model]] = [((), start)]
        queue: deque[tuple[tuple[Hop, ...], Model]] = deque(out)
        while queue:
            hops, model = queue.popleft()
            if len(hops) >= MAX_HOPS:
                continue
            for rel in model.relationships:
                target = self.models.get(rel.model)
                if target is None or target.name in seen:
                    continue
                seen.add(target.name)
                item = ((*hops, Hop(model.name, rel)), target)
                out.append(item)
                queue.append(item)
        return out

    def resolve_column(self, model_name: str, path: str) -> ResolvedColumn:
        """A column path written in the spec: ``col`` or ``rel.rel.col`` (explicit joins)."""
        *rels, column = path.split(".")
        model = self.model(model_name)
        hops: list[Hop] = []
        for rel_name in rels:
            rel = next((r for r in model.relationships if r.name == rel_name), None)
            if rel is None:
                raise UnknownItemError(
                    rel_name,
                    [r.name for r in model.relationships],
                    context=f"(relationships of model {model.name})",
                )
            hops.append(Hop(model.name, rel))
            model = self.model(rel.model)
        dim = next((d for d in model.dimensions if d.column_name == column), None)
        return ResolvedColumn(tuple(hops), model, column, dim)

    def resolve_dimension(self, model_name: str, name: str) -> ResolvedColumn:
        """A dimension name from a query, resolved from fact model ``model_name``."""
        head, _, rest = name.partition(".")
        for hops, model in self._walk(model_name):
            if rest:
                last = hops[-1].relationship if hops else None
                if last is None or head not in (last.name, last.model):
                    continue
                try:
                    inner = self.resolve_dimension(model.name, rest) if "." in rest else None
                except UnknownDimensionError:
                    continue
                if inner is not None:
                    return ResolvedColumn(
                        (*hops, *inner.hops), inner.model, inner.column, inner.dimension
                    )
                dim = next((d for d in model.dimensions if d.name == rest), None)
            else:
                dim = next((d for d in model.dimensions if d.name == name), None)
            if dim is not None:
                return ResolvedColumn(hops, model, dim.column_name, dim)
        raise UnknownDimensionError(
            name, self.dimension_names(model_name), context=f"for model {model_name}"
        )

    def dimension_names(self, model_name: str) -> list[str]:
        """Every name a query may use as a dimension of this model."""
        names: list[str] = []
        for hops, model in self._walk(model_name):
            for dim in model.dimensions:
                qualified = ".".join([*(h.relationship.name for h in hops), dim.name])
                names.append(qualified)
        # Unqualified names that resolve (first match wins), e.g. `segment` on tickets.
        names += [n.rsplit(".", 1)[-1] for n in names]
        return sorted(set(names))

    def code_list_for(self, dimension: Dimension | None) -> CodeList | None:
        if dimension is None or dimension.codes is None:
            return None
        return self.code_lists.get(dimension.codes)


def formula_refs(formula: Formula) -> list[str]:
    refs: list[str] = []
    for arg in formula.args:
        if isinstance(arg, MetricRef):
            refs.append(arg.metric)
        elif isinstance(arg, Formula):
            refs.extend(formula_refs(arg))
    return refs
