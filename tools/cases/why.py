""" "Why did it rise?": decompose a metric's change by dimension and attach the complaint themes
that grew in the same scope.

Numbers come only from the semantic layer (principle 1): the metric is run through
``semantic_layer.executor.execute`` for the period and the previous period, overall and by each
dimension. Contributions:

- additive metrics (``simple``: counts and sums): value now - value before x (days now / days
  before); they sum to the overall change;
- rates and other non-additive metrics with an ``n`` per row: the mix-weighted change
  ``n_now/N_now x rate_now - n_before/N_before x rate_before``, which sums to the overall change
  for ratios of sums.

The biggest contributors (overall and per dimension) are ranked by absolute contribution; the
share of the change each explains is given. Themes come from the case index
(:mod:`tools.cases.themes`) for the scope narrowed to every dimension value that explains at
least half of the change, each theme with example ticket ids to cite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from semantic_layer.catalog import Catalog
from semantic_layer.executor import execute
from semantic_layer.query import Filter, MetricQuery, TimeRange
from semantic_layer.stats import CHANGE_Z, change_z
from tools.errors import CaseSearchError

__all__ = ["Contribution", "WhyReport", "explain_change"]

DEFAULT_DIMENSIONS = ("region", "channel", "product_line", "category")
THEME_FIELDS = ("region", "channel", "product_line", "category", "product", "ticket_type")


@dataclass(frozen=True)
class Contribution:
    dimension: str
    value: str
    before: float | None
    now: float | None
    contribution: float
    share_of_change: float | None
    # Rates only: the segment's share of the sample in each period, and its contribution split
    # into its own rate's change and the change of its share (rate_effect + mix_effect).
    weight_before: float | None = None
    weight_now: float | None = None
    rate_effect: float | None = None
    mix_effect: float | None = None
    change_z: float | None = None  # the segment's own change against its sampling noise

    @property
    def beyond_noise(self) -> bool:
        return self.change_z is None or self.change_z >= CHANGE_Z

    def to_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(float(x), 4)

        return {
            "dimension": self.dimension,
            "value": self.value,
            "before": r(self.before),
            "now": r(self.now),
            "contribution": r(self.contribution),
            "share_of_change": r(self.share_of_change),
            "weight_before": r(self.weight_before),
            "weight_now": r(self.weight_now),
            "rate_effect": r(self.rate_effect),
            "mix_effect": r(self.mix_effect),
            "change_z": r(self.change_z),
            "beyond_noise": self.beyond_noise,
        }


# What a why-analysis could not do or had to adjust, as a code and its values, so each surface
# words it in the reader's language (assistant.messages); ``text()`` is the English wording
# for logs, the CLI and JSON.
NOTE_TEXT = {
    "mix_weighted": "Rate metric: a segment's contribution is its rate's change weighted by its "
    "average share of the sample, plus the change of its share times how far its rate lies from "
    "the overall rate; they add up to the total change.",
    "scaled": "Previous-period values scaled by {scale:.3f} (days {days_now} vs {days_before}).",
    "themes_ignore": "Themes ignore scope fields the case index does not carry: {fields}.",
    "no_index": "No complaint themes: {reason}",
    "themes_busy": "Complaint themes unavailable right now: the similar-case index is being "
    "written by an indexing run. The change analysis above is complete; ask again for themes "
    "once indexing has finished.",
    "no_cases": "No indexed cases in {scope} for {start}..{end}; index them with "
    "`servicepilot cases index --from-warehouse`.",
}


@dataclass(frozen=True)
class WhyNote:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return NOTE_TEXT[self.code].format(**self.params)


@dataclass(frozen=True)
class WhyReport:
    metric: str
    label: str
    additive: bool
    period: tuple[date, date]
    previous: tuple[date, date]
    scope: dict[str, str]
    value_now: float | None
    value_before: float | None  # scaled to the period length for additive metrics
    change: float | None
    top: tuple[Contribution, ...]  # all dimensions, by |contribution|
    by_dimension: dict[str, tuple[Contribution, ...]]
    drilldown: tuple[Contribution, ...]  # each step's share is of the change in its own scope
    focus: dict[str, str]  # scope used for themes
    themes: tuple[dict[str, Any], ...]
    sql: tuple[str, ...]
    notes: tuple[WhyNote, ...] = field(default=())
    # How far the overall change lies beyond sampling noise (None: not judgeable for the metric).
    change_z: float | None = None

    @property
    def beyond_noise(self) -> bool:
        return self.change_z is None or self.change_z >= CHANGE_Z

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "label": self.label,
            "additive": self.additive,
            "period": [d.isoformat() for d in self.period],
            "previous": [d.isoformat() for d in self.previous],
            "scope": self.scope,
            "value_now": self.value_now,
            "value_before": self.value_before,
            "change": self.change,
            "top_contributors": [c.to_dict() for c in self.top],
            "by_dimension": {d: [c.to_dict() for c in cs] for d, cs in self.by_dimension.items()},
            "drilldown": [c.to_dict() for c in self.drilldown],
            "theme_scope": self.focus,
            "grown_themes": list(self.themes),
            "sql": list(self.sql),
            "notes": [note.text() for note in self.notes],
            "note_codes": [{"code": note.code, **note.params} for note in self.notes],
            "change_z": None if self.change_z is None else round(self.change_z, 2),
            "beyond_noise": self.beyond_noise,
        }

    def summary(self) -> str:
        lines = [
            f"{self.label} ({self.metric}) {self.period[0]}..{self.period[1]} vs "
            f"{self.previous[0]}..{self.previous[1]}"
            + (f" in {self.scope}" if self.scope else "")
            + f": {_fmt(self.value_before)} -> {_fmt(self.value_now)} (change {_fmt(self.change)})",
            "Biggest contributors:",
        ]
        for c in self.top[:5]:
            share = "" if c.share_of_change is None else f", {c.share_of_change:.0%} of the change"
            lines.append(
                f"  - {c.dimension}={c.value}: {_fmt(c.before)} -> {_fmt(c.now)} "
                f"({c.contribution:+.2f}{share})"
            )
        if self.drilldown:
            lines.append(
                "Drill-down: "
                + " > ".join(
                    f"{c.dimension}={c.value} ({c.share_of_change:.0%})"
                    for c in self.drilldown
                    if c.share_of_change is not None
                )
            )
        if self.themes:
            lines.append(f"Complaint themes that grew in {self.focus}:")
            for t in self.themes[:5]:
                growth = "new" if t["growth"] is None else f"x{t['growth']:.1f}"
                causes = ", ".join(r["root_cause"] for r in t["top_root_causes"]) or "-"
                lines.append(
                    f"  - {t['label']}: {t['volume']} cases ({growth}); root causes "
                    f"{causes}; e.g. {', '.join(t['example_ids'][:3])}"
                )
        lines.extend(f"Note: {n.text()}" for n in self.notes)
        return "\n".join(lines)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def _run(
    query: MetricQuery, warehouse: Engine, policy: Any, catalog: Catalog
) -> tuple[pd.DataFrame, str]:
    result = execute(query, warehouse, catalog=catalog, policy=policy)
    return result.data, result.sql


def explain_change(
    metric: str,
    period: tuple[date, date],
    previous: tuple[date, date],
    *,
    warehouse: Engine | str,
    catalog: Catalog,
    scope: dict[str, str] | None = None,
    dimensions: list[str] | tuple[str, ...] = DEFAULT_DIMENSIONS,
    policy: Any = None,
    store: Any = None,
    collection: str | None = None,
    settings: Any = None,
    access: Any = None,
    top_n: int = 10,
    min_theme_growth: float = 1.5,
) -> WhyReport:
    """Decompose the change of ``metric`` between ``previous`` and ``period`` (end exclusive)
    within ``scope`` by each of ``dimensions``, and attach grown complaint themes.

    ``policy`` (a semantic-layer RowPolicy) and ``access`` (a tools.cases AccessScope) carry
    the caller's row-level access into the metric queries and the theme search.

    ``warehouse`` is the caller's engine (or a URL, opened read-only for this call) and
    ``catalog`` the caller's catalog: the application passes its own, so a reloaded catalog
    answers "why" with the same definitions as every other answer."""
    from tools.warehouse.engine import make_engine

    scope = dict(scope or {})
    spec = catalog.metric(metric)  # raises the semantic layer's "Unknown metric ... did you mean"
    additive = spec.type == "simple"
    days_now = (period[1] - period[0]).days
    days_before = (previous[1] - previous[0]).days
    if days_now <= 0 or days_before <= 0:
        raise CaseSearchError(
            f"Empty period {period} or previous period {previous}: the end "
            "date is exclusive and must be after the start."
        )
    scale = days_now / days_before if additive else 1.0
    owned = isinstance(warehouse, str)
    engine = make_engine(warehouse, read_only=True) if isinstance(warehouse, str) else warehouse
    sqls: list[str] = []
    notes: list[WhyNote] = []
    sizes: list[tuple[float | None, float | None]] = []  # (n now, n before) per decomposition

    def decompose(
        within: dict[str, str], dims: list[str]
    ) -> tuple[float | None, float | None, float | None, dict[str, tuple[Contribution, ...]]]:
        filters = tuple(Filter(field=k, op="=", values=(v,)) for k, v in within.items())

        def query(group: tuple[str, ...], rng: tuple[date, date]) -> MetricQuery:
            return MetricQuery(
                metrics=(metric,),
                dimensions=group,
                time_range=TimeRange(start=rng[0], end=rng[1]),
                filters=filters,
            )

        now_total, sql = _run(query((), period), engine, policy, catalog)
        sqls.append(sql)
        before_total, sql = _run(query((), previous), engine, policy, catalog)
        sqls.append(sql)
        v_now = _scalar(now_total, metric)
        raw_before = _scalar(before_total, metric)
        sizes.append((_scalar(now_total, f"{metric}__n"), _scalar(before_total, f"{metric}__n")))
        v_before = None if raw_before is None else raw_before * scale
        delta = None if v_now is None or v_before is None else v_now - v_before
        parts: dict[str, tuple[Contribution, ...]] = {}
        for dim in dims:
            now_df, sql_now = _run(query((dim,), period), engine, policy, catalog)
            before_df, _ = _run(query((dim,), previous), engine, policy, catalog)
            sqls.append(sql_now)
            parts[dim] = _contributions(
                dim, metric, now_df, before_df, scale, additive, delta, (spec.unit, spec.type)
            )
        return v_now, v_before, delta, parts

    try:
        value_now, value_before, change, by_dim = decompose(scope, list(dimensions))
        n_now, n_before = sizes[0]
        z = change_z(value_now, value_before, spec.unit, spec.type, n_now, n_before, scale)
        # Drill down: pin the value that carries most of the change in the current scope, and
        # decompose again inside it (at most 3 levels), e.g. category=quality > product_line=...
        drill: list[Contribution] = []
        current, parts, delta = dict(scope), by_dim, change
        for _level in range(3):
            leads = [cs[0] for d, cs in parts.items() if d not in current and cs]
            leads = [
                c
                for c in leads
                if c.share_of_change is not None
                and c.share_of_change >= 0.5
                and delta is not None
                and c.contribution * delta > 0
                and c.beyond_noise  # never drill into a segment whose own move is noise
            ]
            if not leads:
                break
            lead = max(leads, key=lambda c: (c.share_of_change, abs(c.contribution)))
            drill.append(lead)
            current[lead.dimension] = lead.value
            left = [d for d in dimensions if d not in current]
            if not left:
                break
            _, _, delta, parts = decompose(current, left)
    finally:
        if owned:
            engine.dispose()
    if not additive and change is not None:
        notes.append(WhyNote("mix_weighted"))
    if additive and days_now != days_before:
        notes.append(
            WhyNote("scaled", {"scale": scale, "days_now": days_now, "days_before": days_before})
        )
    # A dimension pinned by the scope (region=east) trivially "explains" all of the change.
    pinned = set(scope)
    everything = sorted(
        (c for d, cs in by_dim.items() if d not in pinned for c in cs),
        key=lambda c: (-abs(c.contribution), c.dimension, c.value),
    )
    top = tuple(everything[:top_n])

    focus = {k: v for k, v in scope.items() if k in THEME_FIELDS}
    dropped = sorted(set(scope) - set(focus))
    if dropped:
        notes.append(WhyNote("themes_ignore", {"fields": dropped}))
    for step in drill:  # narrow themes to where the change is
        if step.dimension in THEME_FIELDS:
            focus.setdefault(step.dimension, step.value)
    themes = _grown_themes(
        focus, period, previous, store, collection, settings, access, min_theme_growth, notes
    )
    return WhyReport(
        metric=metric,
        label=spec.label.en if hasattr(spec.label, "en") else metric,
        additive=additive,
        period=period,
        previous=previous,
        scope=scope,
        value_now=value_now,
        value_before=value_before,
        change=change,
        top=top,
        by_dimension=by_dim,
        drilldown=tuple(drill),
        focus=focus,
        themes=themes,
        sql=tuple(sqls),
        notes=tuple(notes),
        change_z=z,
    )


def _scalar(frame: pd.DataFrame, metric: str) -> float | None:
    if frame.empty or metric not in frame.columns:
        return None
    value = frame[metric].iloc[0]
    return None if pd.isna(value) else float(value)


def _contributions(
    dim: str,
    metric: str,
    now: pd.DataFrame,
    before: pd.DataFrame,
    scale: float,
    additive: bool,
    change: float | None,
    kind: tuple[str, str] = ("", ""),
) -> tuple[Contribution, ...]:
    """Each segment's contribution to ``change``; ``kind`` (the metric's unit and type) judges
    each segment's own change against its sampling noise."""
    unit, metric_type = kind
    n_col = f"{metric}__n"
    key = dim
    now = now.assign(**{key: now[key].astype(object).where(now[key].notna(), "(none)")})
    before = before.assign(**{key: before[key].astype(object).where(before[key].notna(), "(none)")})
    merged = now.merge(before, on=key, how="outer", suffixes=("_now", "_before"))
    out = []
    n_now_total = merged.get(f"{n_col}_now", pd.Series(dtype=float)).fillna(0).sum()
    n_before_total = merged.get(f"{n_col}_before", pd.Series(dtype=float)).fillna(0).sum()
    rows = merged.to_dict("records")
    middle = _middle_rate(rows, metric, n_col, n_now_total, n_before_total)
    for row in rows:
        v_now = row.get(f"{metric}_now")
        v_before = row.get(f"{metric}_before")
        v_now = None if v_now is None or pd.isna(v_now) else float(v_now)
        v_before = None if v_before is None or pd.isna(v_before) else float(v_before)
        if additive:
            b = (v_before or 0.0) * scale
            contribution = (v_now or 0.0) - b
            before_shown = None if v_before is None else b
            z = change_z(v_now or 0.0, b, unit, metric_type, previous_scale=scale)
        else:
            n_now = _count(row.get(f"{n_col}_now"))
            n_before = _count(row.get(f"{n_col}_before"))
            z = change_z(v_now, v_before, unit, metric_type, n_now, n_before)
            if not n_now_total or not n_before_total or middle is None:
                contribution = (v_now or 0.0) - (v_before or 0.0)
                share = contribution / change if change else None
                out.append(
                    Contribution(
                        dim, str(row[key]), v_before, v_now, contribution, share, change_z=z
                    )
                )
                continue
            w_now, w_before = n_now / n_now_total, n_before / n_before_total
            # A segment present in one period only: its rate did not "change", its share did.
            r_now = v_now if v_now is not None else v_before
            r_before = v_before if v_before is not None else v_now
            if r_now is None or r_before is None:
                rate_effect = mix_effect = 0.0
            else:
                # Shift-share: own rate's change at the average share, plus the share's change
                # times the segment's distance from the overall rate. A segment that only
                # shrank and sits at the overall rate moves nothing; the parts add up to the
                # total change of a ratio of sums exactly.
                rate_effect = (w_now + w_before) / 2 * (r_now - r_before)
                mix_effect = (w_now - w_before) * ((r_now + r_before) / 2 - middle)
            contribution = rate_effect + mix_effect
            share = contribution / change if change else None
            out.append(
                Contribution(
                    dim,
                    str(row[key]),
                    v_before,
                    v_now,
                    contribution,
                    share,
                    weight_before=w_before,
                    weight_now=w_now,
                    rate_effect=rate_effect,
                    mix_effect=mix_effect,
                    change_z=z,
                )
            )
            continue
        share = contribution / change if change else None
        out.append(
            Contribution(dim, str(row[key]), before_shown, v_now, contribution, share, change_z=z)
        )
    out.sort(key=lambda c: (-abs(c.contribution), c.value))
    return tuple(out)


def _count(value: Any) -> float:
    """A sample size from an outer join: missing (None or NaN) is 0."""
    return 0.0 if value is None or pd.isna(value) else float(value)


def _middle_rate(
    rows: list[dict[str, Any]], metric: str, n_col: str, n_now: float, n_before: float
) -> float | None:
    """The mean of the overall rate now and before, from the segments themselves (a ratio of
    sums is the share-weighted mean of its segments' rates)."""
    if not n_now or not n_before:
        return None

    def overall(suffix: str, total: float) -> float:
        return sum(
            _count(r.get(f"{n_col}_{suffix}")) / total * float(r[f"{metric}_{suffix}"])
            for r in rows
            if r.get(f"{metric}_{suffix}") is not None and not pd.isna(r[f"{metric}_{suffix}"])
        )

    return (overall("now", n_now) + overall("before", n_before)) / 2


def _grown_themes(
    focus: dict[str, str],
    period: tuple[date, date],
    previous: tuple[date, date],
    store: Any,
    collection: str | None,
    settings: Any,
    access: Any,
    min_growth: float,
    notes: list[WhyNote],
) -> tuple[dict[str, Any], ...]:
    from tools.cases.search import CaseFilters
    from tools.cases.themes import compute_themes
    from tools.errors import CaseIndexBusy, CaseIndexError

    if store is None:
        from tools.cases.store import open_store

        try:
            store = open_store(collection, settings=settings)
        except CaseIndexError as exc:
            notes.append(WhyNote("no_index", {"reason": str(exc)}))
            return ()
    try:
        report = compute_themes(
            store,
            period[0],
            period[1],
            filters=CaseFilters.build(focus),
            access=access,
            previous=previous,
        )
    except CaseIndexBusy:
        notes.append(WhyNote("themes_busy"))  # the numbers stand; only the themes wait
        return ()
    if report.cases == 0:
        notes.append(
            WhyNote(
                "no_cases",
                {"scope": focus, "start": period[0].isoformat(), "end": period[1].isoformat()},
            )
        )
        return ()
    grown = report.grown(min_growth=min_growth, min_volume=3)
    return tuple(t.to_dict() for t in grown)
