"""What the LLM is shown: the catalog, earlier turns and result summaries, never whole tables.

Everything here is text built from the semantic layer (names, labels, synonyms, descriptions,
codes) or from MetricResults reduced to a few formatted rows. Free text that came from users or
customers goes through ``mask`` (PII masking) and is fenced in ``<data>`` tags: it is data,
never instructions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Literal

from assistant.planning.plans import CaseSearch, ConversationState, MetricPlan, RootCause
from semantic_layer.catalog import Catalog
from semantic_layer.errors import SemanticLayerError
from semantic_layer.executor import MetricResult
from semantic_layer.spec import Dimension

Mask = Callable[[str], str]

# Dimensions worth grouping or filtering by (time columns are chosen with time_grain instead).
GROUPABLE_TYPES = ("categorical", "boolean")
MAX_SYNONYMS = 4
MAX_DESCRIPTION_CHARS = 140
SUMMARY_ROWS = 12


def default_mask() -> Mask:
    """The project's PII masker (tools.pii), used when the caller passes none."""
    from tools.pii import mask_pii

    return mask_pii


def fenced(text: str, mask: Mask) -> str:
    """User- or customer-written text, masked and fenced as data."""
    body = mask(text).replace("<", "‹").replace(">", "›")  # cannot close the fence
    return f"<data>{body}</data>"


def language_of(text: str) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def fact_models(catalog: Catalog) -> list[str]:
    """Models that metrics aggregate, most used first (where dimension names resolve from)."""
    counts: dict[str, int] = {}
    for metric in catalog.spec.metrics:
        try:
            for model in {comp.model for comp in catalog.components(metric)}:
                counts[model] = counts.get(model, 0) + 1
        except SemanticLayerError:
            continue
    return sorted(counts, key=lambda m: -counts[m])


def _dimension(catalog: Catalog, name: str) -> tuple[str, str, Dimension] | None:
    """(model, column, dimension) that ``name`` resolves to from the first fact model that
    knows it."""
    for model in fact_models(catalog):
        try:
            resolved = catalog.resolve_dimension(model, name)
        except SemanticLayerError:
            continue
        if resolved.dimension is not None:
            return resolved.model.name, resolved.column, resolved.dimension
    return None


@lru_cache(maxsize=8)
def groupable_dimensions(catalog: Catalog) -> tuple[str, ...]:
    """Categorical/boolean dimension names a query may use, over all fact models. A qualified
    name (``customer.region``) is kept only when its short name means something else."""
    names: set[str] = set()
    for model in fact_models(catalog):
        names.update(catalog.dimension_names(model))
    out = []
    for name in sorted(names):
        found = _dimension(catalog, name)
        if found is None or found[2].type not in GROUPABLE_TYPES:
            continue
        if "." in name:
            short = _dimension(catalog, name.rsplit(".", 1)[-1])
            if short is not None and short[:2] == found[:2]:
                continue
        out.append(name)
    # ``ticket.agent.region`` (a survey's path) is ``agent.region`` seen from tickets.
    return tuple(n for n in out if not (n.count(".") > 1 and n.split(".", 1)[1] in out))


def dimension_of(catalog: Catalog, name: str) -> Dimension | None:
    found = _dimension(catalog, name)
    return found[2] if found else None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=8)
def _catalog_text(catalog: Catalog) -> str:
    lines = ["Metrics (name: English label / 中文 label; synonyms; definition):"]
    for m in catalog.spec.metrics:
        syn = ", ".join(m.synonyms[:MAX_SYNONYMS])
        desc = _clip(m.description.en, MAX_DESCRIPTION_CHARS)
        lines.append(f"- {m.name}: {m.label.en} / {m.label.zh}; {syn}; {desc}")
    lines.append("")
    lines.append("Dimensions (name: labels; codes as code=English/中文):")
    for name in groupable_dimensions(catalog):
        dim = dimension_of(catalog, name)
        if dim is None:
            continue
        line = f"- {name}: {dim.label.en} / {dim.label.zh}"
        codes = catalog.code_list_for(dim)
        if codes is not None:
            line += "; " + ", ".join(f"{c.code}={c.label.en}/{c.label.zh}" for c in codes.codes)
        elif dim.sample_values:
            line += "; e.g. " + ", ".join(dim.sample_values[:3])
        lines.append(line)
    return "\n".join(lines)


@lru_cache(maxsize=8)
def _compact_catalog_text(catalog: Catalog) -> str:
    lines = ["Metrics (name: English / 中文):"]
    for m in catalog.spec.metrics:
        lines.append(f"- {m.name}: {m.label.en} / {m.label.zh}")
    lines.append("Dimensions (name (中文): codes):")
    for name in groupable_dimensions(catalog):
        dim = dimension_of(catalog, name)
        if dim is None:
            continue
        codes = catalog.code_list_for(dim)
        line = f"- {name} ({dim.label.zh})"
        if codes is not None:  # labels (华东) are accepted as values and mapped to codes
            line += ": " + ", ".join(c.code for c in codes.codes[:8])
        lines.append(line)
    return "\n".join(lines)


CatalogDetail = Literal["full", "compact"]


def catalog_text(catalog: Catalog, detail: CatalogDetail = "full") -> str:
    """The catalog as the model sees it. ``full``: metric names, labels, synonyms, definitions;
    dimension names with their codes and labels (about 3,000 tokens). ``compact``: names,
    labels and codes only (about 1,000), for small models and slow CPUs."""
    return _compact_catalog_text(catalog) if detail == "compact" else _catalog_text(catalog)


def history_text(state: ConversationState, mask: Mask, *, turns: int = 3) -> str:
    """The last few turns: the (masked) question and the structured plan, never results."""
    if not state.turns:
        return "(none)"
    lines = []
    for turn in state.turns[-turns:]:
        plan = turn.plan
        if isinstance(plan, MetricPlan):
            what = f"query {plan.query.to_json()}"
        elif isinstance(plan, RootCause):
            what = f"root cause of {plan.metric} in {plan.period.start}..{plan.period.end}"
        elif isinstance(plan, CaseSearch):
            what = "similar-case search"
        else:
            what = plan.kind
        lines.append(f"- user: {fenced(turn.question, mask)} -> {what}")
    return "\n".join(lines)


def _fmt(value: object, spec: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        if value != value:  # NaN
            return "null"
        try:
            return format(value, spec or ".4g")
        except (TypeError, ValueError):
            return f"{value:.4g}"
    return str(value)


def result_summary(result: MetricResult, result_id: str, *, rows: int = SUMMARY_ROWS) -> str:
    """A MetricResult as a few formatted rows plus metadata: what the model may quote."""
    frame = result.data
    keep = [c for c in frame.columns if not c.endswith(("__small_n", "__ci_low", "__ci_high"))]
    keep = [c for c in keep if not c.endswith("__n")]
    formats = {name: meta.format for name, meta in result.metrics.items()}
    head = [
        f"[{result_id}] query {result.query.to_json()}",
        f"rows: {len(frame)}" + (f" (first {rows} shown)" if len(frame) > rows else ""),
        "columns: " + ", ".join(keep),
    ]
    for _, row in frame.head(rows).iterrows():
        cells = []
        for col in keep:
            base = col.split("__", 1)[0]
            cells.append(f"{col}={_fmt(row[col], formats.get(base, ''))}")
        head.append("  " + "; ".join(cells))
    for name, meta in result.metrics.items():
        size = result.sample_sizes.get(name)
        n = f", n>={size.min_n}" if size else ""
        head.append(f"{name}: {meta.label_en} / {meta.label_zh}, unit {meta.unit}{n}")
    head += [f"warning: {w}" for w in result.warnings]
    return "\n".join(head)


def numbers_in(results: Iterable[MetricResult]) -> set[str]:
    """Every number a result summary can show, as text (for tracing numbers in an answer)."""
    out: set[str] = set()
    for result in results:
        formats = {name: meta.format for name, meta in result.metrics.items()}
        for col in result.data.columns:
            base = col.split("__", 1)[0]
            for value in result.data[col].tolist():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    if value != value:
                        continue
                    out.add(_fmt(float(value), formats.get(base, "")))
                    out.add(_fmt(float(value), ".4g"))
                    out.add(str(value))
    return out
