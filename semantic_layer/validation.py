"""Spec validation as a list of rules; each returns issues with file, line and a fix.

Static rules need only the YAML; :func:`smoke_test` also runs every metric against a warehouse.
One run reports every problem (MetricFlow's manifest validator is the model).
"""

from __future__ import annotations

from collections.abc import Callable

from semantic_layer.catalog import Catalog, formula_refs
from semantic_layer.errors import SemanticLayerError, closest
from semantic_layer.issues import Issue
from semantic_layer.loader import LoadedSpec
from semantic_layer.spec import DurationExpr, FilterSpec, Measure, Metric, Model

Rule = Callable[[LoadedSpec], list[Issue]]


def _issue(
    loaded: LoadedSpec,
    rule: str,
    section: str,
    name: str,
    path: tuple,
    message: str,
    fix: str,
    severity: str = "error",
) -> Issue:
    file, line = loaded.where(section, name, *path)
    return Issue(rule, message, fix, file, line, name, severity)  # type: ignore[arg-type]


def _did_you_mean(name: str, options: list[str]) -> str:
    guess = closest(name, options)
    head = f"Did you mean '{guess}'? " if guess else ""
    return f"{head}Valid: {', '.join(sorted(options)) or '(none)'}."


def rule_schema(loaded: LoadedSpec) -> list[Issue]:
    """YAML syntax, unknown keys (with did-you-mean), missing keys, bad values, duplicates."""
    return list(loaded.issues)


def _expr_columns(expr: object) -> list[str]:
    if isinstance(expr, str):
        return [expr]
    if isinstance(expr, DurationExpr):
        return [expr.duration.start, expr.duration.end]
    return []


def _measure_columns(measure: Measure) -> list[tuple[tuple, str]]:
    cols = [(("expr",), c) for c in _expr_columns(measure.expr)]
    for i, f in enumerate(measure.filters):
        cols += [(("filters", i, "field"), c) for c in _expr_columns(f.field)]
        if f.ref:
            cols.append((("filters", i, "ref"), f.ref))
    return cols


def rule_model_references(loaded: LoadedSpec) -> list[Issue]:
    """Relationship targets, time dimensions, code lists and column paths in measures exist."""
    cat = Catalog(loaded.spec, loaded)
    issues: list[Issue] = []
    for model in loaded.spec.models:
        for i, rel in enumerate(model.relationships):
            if rel.model not in cat.models:
                issues.append(
                    _issue(
                        loaded,
                        "unknown-reference",
                        "models",
                        model.name,
                        ("relationships", i, "model"),
                        f"Relationship '{rel.name}' targets unknown model '{rel.model}'.",
                        _did_you_mean(rel.model, list(cat.models)),
                    )
                )
        time_dims = [d.name for d in model.dimensions if d.type == "time"]
        if model.time_dimension and model.time_dimension not in time_dims:
            issues.append(
                _issue(
                    loaded,
                    "unknown-reference",
                    "models",
                    model.name,
                    ("time_dimension",),
                    f"time_dimension '{model.time_dimension}' is not a `type: time` "
                    "dimension of the model.",
                    _did_you_mean(model.time_dimension, time_dims),
                )
            )
        for i, dim in enumerate(model.dimensions):
            if dim.codes and dim.codes not in cat.code_lists:
                issues.append(
                    _issue(
                        loaded,
                        "unknown-reference",
                        "models",
                        model.name,
                        ("dimensions", i, "codes"),
                        f"Dimension '{dim.name}' uses unknown code list '{dim.codes}'.",
                        _did_you_mean(dim.codes, list(cat.code_lists)),
                    )
                )
        for j, measure in enumerate(model.measures):
            for path, col in _measure_columns(measure):
                try:
                    cat.resolve_column(model.name, col)
                except SemanticLayerError as exc:
                    issues.append(
                        _issue(
                            loaded,
                            "unknown-reference",
                            "models",
                            model.name,
                            ("measures", j, *path),
                            f"Measure '{measure.name}': {exc}",
                            "Use a column of the model or `relationship.column`.",
                        )
                    )
            issues += _code_value_issues(loaded, cat, model, j, measure)
    return issues


def _code_value_issues(
    loaded: LoadedSpec, cat: Catalog, model: Model, j: int, measure: Measure
) -> list[Issue]:
    """Filter values on coded dimensions must be codes (catches `complaints` for `complaint`)."""
    issues = []
    for i, f in enumerate(measure.filters):
        if not isinstance(f.field, str) or f.op in ("is null", "is not null") or f.ref:
            continue
        try:
            col = cat.resolve_column(model.name, f.field)
        except SemanticLayerError:
            continue
        codes = cat.code_list_for(col.dimension)
        if codes is None or codes.pattern:
            continue
        valid = [c.code for c in codes.codes]
        for value in f.values:
            if value not in valid:
                issues.append(
                    _issue(
                        loaded,
                        "unknown-code",
                        "models",
                        model.name,
                        ("measures", j, "filters", i, "values"),
                        f"Measure '{measure.name}' filters {f.field} on unknown code '{value}'.",
                        _did_you_mean(str(value), valid),
                    )
                )
    return issues


def rule_metric_references(loaded: LoadedSpec) -> list[Issue]:
    """Measures, time dimensions, formula metrics and allowed dimensions exist and fit."""
    cat = Catalog(loaded.spec, loaded)
    issues: list[Issue] = []
    all_measures = [f"{m.name}.{x.name}" for m in loaded.spec.models for x in m.measures]
    for metric in loaded.spec.metrics:

        def add(path: tuple, message: str, fix: str, metric: Metric = metric) -> None:
            issues.append(
                _issue(loaded, "unknown-reference", "metrics", metric.name, path, message, fix)
            )

        parts = [(("measure",), metric.measure, metric.time_dimension)] if metric.measure else []
        for side in ("numerator", "denominator"):
            part = getattr(metric, side)
            if part:
                parts.append(
                    ((side, "measure"), part.measure, part.time_dimension or metric.time_dimension)
                )
        for path, ref, time in parts:
            try:
                model, measure = cat.measure(ref)
            except SemanticLayerError:
                add(path, f"Unknown measure '{ref}'.", _did_you_mean(ref, all_measures))
                continue
            if (metric.type == "percentile") != (measure.agg == "percentile"):
                add(
                    path,
                    f"A {metric.type} metric cannot use measure '{ref}' (agg {measure.agg}).",
                    "Percentile metrics take percentile measures and only they do.",
                )
            time_dims = [d.name for d in model.dimensions if d.type == "time"]
            if metric.snapshot:
                for key in ("start", "end"):
                    col = getattr(metric.snapshot, key)
                    if col not in time_dims:
                        add(
                            ("snapshot", key),
                            f"Snapshot {key} '{col}' is not a time dimension of {model.name}.",
                            _did_you_mean(col, time_dims),
                        )
            elif (time or model.time_dimension) not in time_dims:
                add(
                    ("time_dimension",),
                    f"Time dimension '{time or '(none)'}' is not a "
                    f"`type: time` dimension of model {model.name}.",
                    _did_you_mean(str(time), time_dims),
                )
        if metric.formula:
            for ref in formula_refs(metric.formula):
                if ref not in cat.metrics:
                    add(
                        ("formula",),
                        f"Formula uses unknown metric '{ref}'.",
                        _did_you_mean(ref, list(cat.metrics)),
                    )
                elif metric.certified and not cat.metrics[ref].certified:
                    add(
                        ("certified",),
                        f"Certified metric uses uncertified metric '{ref}'.",
                        f"Certify '{ref}' or set `certified: false`.",
                    )
        if metric.allowed_dimensions and not issues:
            for dim in metric.allowed_dimensions:
                for path, ref, _ in parts:
                    try:
                        cat.resolve_dimension(cat.measure(ref)[0].name, dim)
                    except SemanticLayerError:
                        add(
                            ("allowed_dimensions",),
                            f"Allowed dimension '{dim}' does not exist for {ref} ({path[0]}).",
                            "Allow only dimensions both parts can be grouped by.",
                        )
    return issues


def rule_derived_cycles(loaded: LoadedSpec) -> list[Issue]:
    """Derived metrics must not refer to themselves, directly or through others."""
    graph = {m.name: formula_refs(m.formula) if m.formula else [] for m in loaded.spec.metrics}
    issues: list[Issue] = []
    reported: set[frozenset[str]] = set()

    def visit(name: str, stack: list[str]) -> None:
        for ref in graph.get(name, []):
            if ref in stack:
                cycle = [*stack[stack.index(ref) :], ref]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    issues.append(
                        _issue(
                            loaded,
                            "derived-cycle",
                            "metrics",
                            cycle[0],
                            ("formula",),
                            f"Derived metrics form a cycle: {' -> '.join(cycle)}.",
                            "Make one of them a simple or ratio metric over measures.",
                        )
                    )
            else:
                visit(ref, [*stack, ref])

    for name in graph:
        visit(name, [name])
    return issues


def rule_ratio_parts(loaded: LoadedSpec) -> list[Issue]:
    """A ratio's parts must share model and time dimension, unless declared cross_model."""
    cat = Catalog(loaded.spec, loaded)
    issues: list[Issue] = []
    for metric in loaded.spec.metrics:
        if metric.type != "ratio":
            continue
        try:
            num, den = cat.components(metric)
        except SemanticLayerError:
            continue  # reported by rule_metric_references
        if num.group != den.group and not metric.cross_model:
            issues.append(
                _issue(
                    loaded,
                    "ratio-grain",
                    "metrics",
                    metric.name,
                    ("denominator",),
                    f"Ratio parts differ: numerator {num.model} by {num.time_dimension}, "
                    f"denominator {den.model} by {den.time_dimension}.",
                    "Use measures of one model and one time dimension, or declare "
                    "`cross_model: true` with `allowed_dimensions` after checking both parts "
                    "mean the same scope.",
                )
            )
        if num.group == den.group and metric.cross_model:
            issues.append(
                _issue(
                    loaded,
                    "ratio-grain",
                    "metrics",
                    metric.name,
                    ("cross_model",),
                    "cross_model is set but both parts share model and time dimension.",
                    "Remove `cross_model`.",
                    "warning",
                )
            )
    return issues


def rule_synonyms(loaded: LoadedSpec) -> list[Issue]:
    """A synonym must point at one metric only (else the planner would guess)."""
    owner: dict[str, str] = {m.name.lower(): m.name for m in loaded.spec.metrics}
    issues: list[Issue] = []
    for metric in loaded.spec.metrics:
        words = [metric.label.zh, metric.label.en, *metric.synonyms]
        for i, word in enumerate(words):
            key = word.lower()
            if owner.get(key, metric.name) != metric.name:
                path = ("synonyms", i - 2) if i >= 2 else ("label",)
                issues.append(
                    _issue(
                        loaded,
                        "duplicate-synonym",
                        "metrics",
                        metric.name,
                        path,
                        f"'{word}' also names metric '{owner[key]}'.",
                        "Keep the word on one metric only, or make it more specific.",
                    )
                )
            owner.setdefault(key, metric.name)
    for code_list in loaded.spec.code_lists:
        seen: dict[str, str] = {}
        named = [
            (("codes", i), code.code, (code.code, code.label.zh, code.label.en, *code.synonyms))
            for i, code in enumerate(code_list.codes)
        ] + [
            (("groups", i), f"group {g.name}", (g.label.zh, g.label.en, *g.synonyms))
            for i, g in enumerate(code_list.groups)
        ]
        for path, owner_name, words in named:
            for word in words:
                if seen.setdefault(word.lower(), owner_name) != owner_name:
                    issues.append(
                        _issue(
                            loaded,
                            "duplicate-synonym",
                            "code_lists",
                            code_list.name,
                            path,
                            f"'{word}' names '{seen[word.lower()]}' and '{owner_name}'.",
                            "Keep the word on one code (or one group) only.",
                        )
                    )
        known = {code.code for code in code_list.codes}
        for i, group in enumerate(code_list.groups):
            for j, code in enumerate(group.codes):
                if code not in known:
                    issues.append(
                        _issue(
                            loaded,
                            "unknown-code",
                            "code_lists",
                            code_list.name,
                            ("groups", i, "codes", j),
                            f"Group '{group.name}' lists '{code}', not a code of "
                            f"'{code_list.name}'.",
                            _did_you_mean(code, sorted(known)),
                        )
                    )
    return issues


def rule_vocabulary(loaded: LoadedSpec) -> list[Issue]:
    """Each word the planner matches names one thing: a metric, a dimension, one code of a
    code list, or one ambiguous-term group. A word claimed twice is reported at the later claim
    (codes, then dimensions, then metrics, then ambiguous terms) with its file:line, so adding
    a synonym can never make the planner guess."""
    spec = loaded.spec
    owner: dict[str, str] = {}
    issues: list[Issue] = []

    def claim(word: str, who: str, section: str, name: str, path: tuple) -> None:
        first = owner.setdefault(word.lower(), who)
        if first != who:
            issues.append(
                _issue(
                    loaded,
                    "duplicate-synonym",
                    section,
                    name,
                    path,
                    f"'{word}' names both {first} and {who}.",
                    "Keep the word on one of them only, or make it more specific.",
                )
            )

    for model in spec.models:
        for i, dim in enumerate(model.dimensions):
            if dim.type == "time":
                continue  # time dimensions are not planner words
            for j, word in enumerate(dim.synonyms):
                who = f"dimension '{dim.name}'"
                claim(word, who, "models", model.name, ("dimensions", i, "synonyms", j))
    for code_list in spec.code_lists:
        for i, code in enumerate(code_list.codes):
            for word in code.synonyms:
                who = f"code '{code_list.name}.{code.code}'"
                claim(word, who, "code_lists", code_list.name, ("codes", i))
    for metric in spec.metrics:
        for i, word in enumerate(metric.synonyms):
            claim(word, f"metric '{metric.name}'", "metrics", metric.name, ("synonyms", i))
    metric_names = {m.name for m in spec.metrics}
    for term in spec.ambiguous_terms:
        for i, word in enumerate(term.words):
            claim(word, f"ambiguous term '{term.name}'", "ambiguous_terms", term.name, ("words", i))
        for i, metric in enumerate(term.metrics):
            if metric not in metric_names:
                issues.append(
                    _issue(
                        loaded,
                        "unknown-metric",
                        "ambiguous_terms",
                        term.name,
                        ("metrics", i),
                        f"Ambiguous term '{term.name}' offers unknown metric '{metric}'.",
                        f"Use one of: {', '.join(sorted(metric_names))}.",
                    )
                )
    return issues


def rule_certified(loaded: LoadedSpec) -> list[Issue]:
    """Certified metrics need an owner and descriptions that say how they are computed."""
    issues = []
    for metric in loaded.spec.metrics:
        if not metric.certified:
            continue
        for lang in ("zh", "en"):
            if len(getattr(metric.description, lang)) < 15:
                issues.append(
                    _issue(
                        loaded,
                        "certified",
                        "metrics",
                        metric.name,
                        ("description", lang),
                        f"Certified metric description ({lang}) is too short to "
                        "say how it is computed.",
                        "Describe the formula, the population and the time attribution.",
                    )
                )
    return issues


STATIC_RULES: tuple[Rule, ...] = (
    rule_schema,
    rule_model_references,
    rule_metric_references,
    rule_derived_cycles,
    rule_ratio_parts,
    rule_synonyms,
    rule_vocabulary,
    rule_certified,
)


def validate_static(loaded: LoadedSpec) -> list[Issue]:
    issues: list[Issue] = []
    for rule in STATIC_RULES:
        issues.extend(rule(loaded))
    return issues


def _filter_columns(f: FilterSpec) -> list[str]:
    return _expr_columns(f.field) + ([f.ref] if f.ref else [])
