"""Run eval cases end to end through the assistant and score them.

Scoring (shared/DESIGN.md "Evals are data"):

- ``number`` cases: execution accuracy. The answer's result rows are matched to the rows of
  the case's independent ``check_sql`` by their key values (dimensions, ``period``),
  order-insensitively unless the case is ``ordered``; every expected value must be within the
  case's tolerance. A number given that does not match is a *wrong number* (the worst outcome).
  Where the case has an ``expected_query``, the plan is compared too and its differences name
  the failure (wrong metric, wrong time range, wrong filter, missing dimension, ...).
- ``clarification`` / ``out_of_scope`` cases: the plan must be a Clarification / OutOfScope and
  no number may be given.
- ``case_search`` / ``root_cause`` cases: the plan kind and the expected filters/metric/period.
- ``forecast`` / ``alerts`` cases: the plan kind and its metric, horizon or period, and scope.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import pandas as pd
import sqlalchemy as sa

from evals.cases import EvalCase, LoadedCase, NumberExpect
from semantic_layer.catalog import Catalog
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.query import Filter, MetricQuery

# --------------------------------------------------------------------------------------------
# The assistant interface the runner needs (assistant.service.Assistant implements it).


class AnswerLike(Protocol):
    plan: Any
    result: Any  # semantic_layer.executor.MetricResult | None
    text: str
    state: Any  # ConversationState after the turn


class AssistantLike(Protocol):
    def ask(self, question: str, *, state: Any) -> AnswerLike: ...


# Outcomes, best to worst for number cases. "wrong_number" is the one that must never grow.
CORRECT = "correct"
WRONG_NUMBER = "wrong_number"
NO_NUMBER = "no_number"  # expected a number, got none (clarified, refused, empty)
GAVE_NUMBER = "gave_number"  # expected clarification/refusal, got a number
WRONG_KIND = "wrong_kind"  # e.g. refused where a clarification was expected
WRONG_DETAILS = "wrong_details"  # right kind, wrong filters/metric/period (search, root cause)
ERROR = "error"  # the assistant raised


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    suite: str
    language: str
    tags: tuple[str, ...]
    held_out: bool
    expect: str
    question: str
    passed: bool
    outcome: str
    reasons: tuple[str, ...]
    plan_kind: str | None
    plan_match: bool | None  # None: no expected_query (or no MetricPlan to compare)
    number_given: bool
    latency_ms: float
    answer_text: str = ""
    plan: dict[str, Any] | None = None

    @property
    def categories(self) -> tuple[str, ...]:
        """Failure categories: the part of each reason before ':'."""
        return tuple(dict.fromkeys(r.split(":", 1)[0] for r in self.reasons))

    def to_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["tags"] = list(self.tags)
        out["reasons"] = list(self.reasons)
        out["categories"] = list(self.categories)
        return out


# --------------------------------------------------------------------------------------------
# Running check_sql


class CheckRunner:
    """Runs ``check_sql`` read-only on the warehouse (cached per SQL text)."""

    def __init__(self, warehouse_url: str) -> None:
        from tools.warehouse.engine import make_engine

        self._engine = make_engine(warehouse_url, read_only=True)
        self._cache: dict[str, pd.DataFrame] = {}

    def frame(self, sql: str) -> pd.DataFrame:
        if sql not in self._cache:
            with self._engine.connect() as conn:
                result = conn.exec_driver_sql(sql)
                self._cache[sql] = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        return self._cache[sql]

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> CheckRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Comparing result rows with check_sql rows


def _norm_key(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "<null>"
    if value is pd.NaT:
        return "<null>"
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if hasattr(value, "item"):  # numpy scalar
        return _norm_key(value.item())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _num(value: Any) -> float | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _is_metric_column(name: str, metric_names: Iterable[str]) -> bool:
    return any(name == m or name.startswith(f"{m}__") for m in metric_names)


def _result_metric_names(result: Any, catalog: Catalog) -> set[str]:
    names = set(getattr(result, "metrics", {}) or {})
    return names | set(catalog.metrics)


def _short(name: str) -> str:
    """``product.product_line`` -> ``product_line`` (result columns keep relationship paths)."""
    head, sep, _ = name.partition("__")
    return head.rsplit(".", 1)[-1] + (sep + name[len(head) + 2 :] if sep else "")


def compare_frames(
    got: pd.DataFrame, want: pd.DataFrame, expect: NumberExpect, metric_names: set[str]
) -> list[str]:
    """Differences between a result frame and the check_sql frame (empty list = match)."""
    want = want.rename(columns=expect.columns)
    value_cols = [c for c in want.columns if _is_metric_column(c, metric_names)]
    key_cols = [c for c in want.columns if c not in value_cols]
    if not value_cols:
        return [
            "bad case: check_sql has no column named like a metric "
            f"(columns: {', '.join(want.columns)}); rename it or map it with `columns`"
        ]
    # Map result columns by exact name, then by short name (customer.segment -> segment).
    by_name: dict[str, str] = {}
    for col in got.columns:
        by_name.setdefault(col, col)
    for col in got.columns:
        by_name.setdefault(_short(col), col)
    reasons: list[str] = []
    for col in value_cols:
        if col not in by_name:
            metric = col.split("__", 1)[0]
            if metric not in by_name:
                given = [c for c in got.columns if _is_metric_column(c, metric_names)]
                given = [c for c in given if "__" not in c]
                reasons.append(f"wrong metric: expected {metric}, got {', '.join(given) or 'none'}")
            else:
                reasons.append(f"missing comparison: result has no column {col}")
    for col in key_cols:
        if col not in by_name:
            reasons.append(f"missing dimension: {col}")
    if reasons:
        return reasons
    used = {by_name[c] for c in value_cols + key_cols}
    extra_keys = [
        c
        for c in got.columns
        if c not in used
        and not _is_metric_column(_short(c), metric_names)
        and not c.startswith("__")
    ]
    # An extra key column with one value does not split the answer (e.g. a period column
    # holding the single month asked about); one with several values does.
    splitting = [c for c in extra_keys if got[c].map(_norm_key).nunique() > 1]
    if splitting:
        return [f"extra dimension: {', '.join(splitting)} splits the answer into {len(got)} rows"]
    if len(want) == 0:
        return ["bad case: check_sql returned no rows"]

    def key_of(row: pd.Series, cols: Sequence[str], source: dict[str, str] | None) -> tuple:
        return tuple(_norm_key(row[source[c] if source else c]) for c in cols)

    got_rows: dict[tuple, pd.Series] = {}
    got_order: list[tuple] = []
    for _, row in got.iterrows():
        key = key_of(row, key_cols, by_name)
        if key in got_rows:
            return [
                f"extra dimension: several result rows for {dict(zip(key_cols, key, strict=True))}"
            ]
        got_rows[key] = row
        got_order.append(key)
    want_order: list[tuple] = []
    want_values: dict[tuple, tuple] = {}
    mismatches: list[str] = []
    for _, row in want.iterrows():
        key = key_of(row, key_cols, None)
        want_order.append(key)
        want_values[key] = tuple(_num(row[c]) for c in value_cols)
        label = ", ".join(f"{c}={v}" for c, v in zip(key_cols, key, strict=True)) or "(total)"
        if key not in got_rows:
            reasons.append(f"missing row: {label}")
            continue
        for col in value_cols:
            w, g = _num(row[col]), _num(got_rows[key][by_name[col]])
            if w is None and g is None:
                continue
            if w is None or g is None or not expect.tolerance.accepts(g, w):
                mismatches.append(f"{label}: {col} expected {w}, got {g}")
    if mismatches:
        shown = "; ".join(mismatches[:5]) + (
            f" (+{len(mismatches) - 5} more)" if len(mismatches) > 5 else ""
        )
        reasons.append(f"wrong value: {shown}")
    extra = [
        k
        for k in got_order
        if k not in set(want_order)
        and any(_num(got_rows[k][by_name[c]]) not in (None, 0.0) for c in value_cols)
    ]
    if extra:
        reasons.append(f"extra rows: {len(extra)} row(s) not expected, e.g. {extra[0]}")
    if expect.ordered and not reasons:
        got_seq = [k for k in got_order if k in set(want_order)]
        # Rows with equal values may come in either order: compare the values' sequence.
        if [want_values[k] for k in got_seq] != [want_values[k] for k in want_order]:
            reasons.append(
                f"wrong order: expected {[k[0] if len(k) == 1 else k for k in want_order][:6]}, "
                f"got {[k[0] if len(k) == 1 else k for k in got_seq][:6]}"
            )
    return reasons


# --------------------------------------------------------------------------------------------
# Comparing plans with expected_query


def _canonical_dimension(name: str, model: str | None, catalog: Catalog) -> str:
    if model is None:
        return name
    try:
        return catalog.resolve_dimension(model, name).path
    except Exception:  # unknown names compare by their text
        return name


def _canonical_values(
    name: str, model: str | None, values: Sequence[Any], catalog: Catalog
) -> tuple:
    codes = None
    if model is not None:
        try:
            codes = catalog.code_list_for(catalog.resolve_dimension(model, name).dimension)
        except Exception:
            codes = None
    out = []
    for value in values:
        text = _norm_key(value)
        if codes is not None:
            for code in codes.codes:
                words = {code.code, code.label.zh, code.label.en, *code.synonyms}
                if text.lower() in {w.lower() for w in words}:
                    text = code.code
                    break
        out.append(text)
    return tuple(sorted(out))


def _filter_set(filters: Sequence[Filter], model: str | None, catalog: Catalog) -> set[tuple]:
    out = set()
    for f in filters:
        op = {"=": "in", "!=": "not in"}.get(f.op, f.op)
        values = _canonical_values(f.field, model, f.values, catalog)
        if f.op == "between":
            values = tuple(_norm_key(v) for v in f.values)
        out.add((_canonical_dimension(f.field, model, catalog), op, values))
    return out


def _fmt_filter(item: tuple) -> str:
    field_, op, values = item
    return f"{field_} {op} [{', '.join(values)}]"


def _primary_model(query: MetricQuery, catalog: Catalog) -> str | None:
    try:
        return catalog.components(catalog.metric(query.metrics[0]))[0].model
    except Exception:
        return None


def compare_queries(expected: MetricQuery, got: MetricQuery, catalog: Catalog) -> list[str]:
    """Differences between the plan's query and the case's expected_query (empty = same)."""
    diffs: list[str] = []
    if set(expected.metrics) != set(got.metrics):
        missing = sorted(set(expected.metrics) - set(got.metrics))
        if missing:
            diffs.append(
                f"wrong metric: expected {', '.join(expected.metrics)}, "
                f"got {', '.join(got.metrics)}"
            )
        else:
            diffs.append(
                f"extra metric: {', '.join(sorted(set(got.metrics) - set(expected.metrics)))}"
            )
    model = _primary_model(expected, catalog)
    e_tr, g_tr = expected.time_range, got.time_range
    if (e_tr is None) != (g_tr is None) or (
        e_tr and g_tr and (e_tr.start, e_tr.end) != (g_tr.start, g_tr.end)
    ):
        show = lambda tr: f"{tr.start}..{tr.end}" if tr else "none"  # noqa: E731
        diffs.append(f"wrong time range: expected {show(e_tr)}, got {show(g_tr)}")
    if expected.time_grain != got.time_grain:
        diffs.append(f"wrong time grain: expected {expected.time_grain}, got {got.time_grain}")
    e_dims = {_canonical_dimension(d, model, catalog) for d in expected.dimensions}
    g_dims = {_canonical_dimension(d, model, catalog) for d in got.dimensions}
    if e_dims - g_dims:
        diffs.append(f"missing dimension: {', '.join(sorted(e_dims - g_dims))}")
    if g_dims - e_dims:
        diffs.append(f"extra dimension: {', '.join(sorted(g_dims - e_dims))}")
    e_f, g_f = (
        _filter_set(expected.filters, model, catalog),
        _filter_set(got.filters, model, catalog),
    )
    if e_f - g_f:
        diffs.append(f"missing filter: {'; '.join(_fmt_filter(f) for f in sorted(e_f - g_f))}")
    if g_f - e_f:
        diffs.append(f"wrong filter: {'; '.join(_fmt_filter(f) for f in sorted(g_f - e_f))}")
    if expected.compare_to != got.compare_to:
        diffs.append(f"wrong comparison: expected {expected.compare_to}, got {got.compare_to}")
    if expected.limit != got.limit:
        diffs.append(f"wrong limit: expected {expected.limit}, got {got.limit}")
    if expected.order_by:
        e_o = [
            (_canonical_dimension(o.field, model, catalog), o.descending) for o in expected.order_by
        ]
        g_o = [(_canonical_dimension(o.field, model, catalog), o.descending) for o in got.order_by]
        if e_o[:1] != g_o[:1]:
            diffs.append(f"wrong order: expected {e_o[:1]}, got {g_o[:1]}")
    if {(m.metric, m.op, m.values) for m in expected.metric_filters} != {
        (m.metric, m.op, m.values) for m in got.metric_filters
    }:
        diffs.append("wrong metric filter: HAVING conditions differ")
    return diffs


# --------------------------------------------------------------------------------------------
# Scoring one answer


def _plan_kind(plan: Any) -> str | None:
    return getattr(plan, "kind", None) if plan is not None else None


def number_given(answer: Any, catalog: Catalog) -> bool:
    """Whether the answer states a number: a result with a non-null metric value."""
    result = getattr(answer, "result", None)
    data = getattr(result, "data", None)
    if data is None or len(data) == 0:
        return False
    names = _result_metric_names(result, catalog)
    cols = [c for c in data.columns if _is_metric_column(_short(c), names)]
    cols = [c for c in cols if not c.endswith(("__small_n", "__ci_low", "__ci_high"))]
    return any(_num(v) is not None for c in cols for v in data[c].tolist())


def _filters_dict(filters: Sequence[Filter], model: str | None, catalog: Catalog) -> dict:
    out: dict[str, set[str]] = {}
    for f in filters:
        name = _canonical_dimension(f.field, model, catalog).rsplit(".", 1)[-1]
        out.setdefault(name, set()).update(_canonical_values(f.field, model, f.values, catalog))
    return out


def score_answer(
    case: EvalCase,
    answer: Any,
    *,
    check: pd.DataFrame | None,
    catalog: Catalog,
) -> tuple[bool, str, list[str], bool | None]:
    """-> (passed, outcome, reasons, plan_match)."""
    kind = _plan_kind(getattr(answer, "plan", None))
    gave = number_given(answer, catalog)
    expect = case.expect
    reasons: list[str] = []
    plan_match: bool | None = None
    if expect.number is not None:
        plan_diffs: list[str] = []
        if case.expected_query is not None and kind == "metric":
            plan_diffs = compare_queries(case.expected_query, answer.plan.query, catalog)
            plan_match = not plan_diffs
        if not gave:
            why = {
                "clarification": "asked for clarification where a number was expected",
                "out_of_scope": "refused where a number was expected",
            }.get(kind or "", f"no number given (plan {kind or 'none'})")
            return False, NO_NUMBER, [f"no number: {why}", *plan_diffs], plan_match
        assert check is not None
        metric_names = _result_metric_names(answer.result, catalog)
        diffs = compare_frames(answer.result.data, check, expect.number, metric_names)
        if not diffs:
            return True, CORRECT, plan_diffs, plan_match
        # Plan differences name the cause better than row differences; keep both, once.
        return False, WRONG_NUMBER, list(dict.fromkeys([*plan_diffs, *diffs])), plan_match
    if expect.clarification is not None or expect.out_of_scope is not None:
        wanted = "clarification" if expect.clarification is not None else "out_of_scope"
        accepted = {wanted}
        if expect.clarification is not None and expect.clarification.also_accept_out_of_scope:
            accepted.add("out_of_scope")
        if expect.out_of_scope is not None and expect.out_of_scope.also_accept_clarification:
            accepted.add("clarification")
        if gave:
            return False, GAVE_NUMBER, [f"gave a number: expected {wanted}, plan {kind}"], None
        if kind not in accepted:
            return False, WRONG_KIND, [f"wrong kind: expected {wanted}, got {kind}"], None
        if kind == "clarification" and expect.clarification and expect.clarification.options:
            offered: set[str] = set()
            for option in getattr(answer.plan, "options", ()):
                offered |= set(option.plan.query.metrics)
            missing = [m for m in expect.clarification.options if m not in offered]
            if missing:
                return (
                    False,
                    WRONG_DETAILS,
                    [
                        f"wrong options: clarification does not offer {', '.join(missing)} "
                        f"(offers {', '.join(sorted(offered)) or 'nothing'})"
                    ],
                    None,
                )
        return True, CORRECT, [], None
    if expect.case_search is not None or expect.root_cause is not None:
        wanted = "case_search" if expect.case_search is not None else "root_cause"
        if kind != wanted:
            outcome = GAVE_NUMBER if gave else WRONG_KIND
            return False, outcome, [f"wrong kind: expected {wanted}, got {kind}"], None
        plan = answer.plan
        if expect.case_search is not None:
            got = _filters_dict(plan.filters, "tickets", catalog)
            for name, values in expect.case_search.filters.items():
                want = set(_canonical_values(name, "tickets", values, catalog))
                if got.get(name.rsplit(".", 1)[-1], set()) != want:
                    reasons.append(
                        f"wrong filter: {name} expected {sorted(want)}, "
                        f"got {sorted(got.get(name, set()))}"
                    )
        else:
            rc = expect.root_cause
            assert rc is not None
            if rc.metric and plan.metric != rc.metric:
                reasons.append(f"wrong metric: expected {rc.metric}, got {plan.metric}")
            if rc.period and (plan.period.start, plan.period.end) != (
                rc.period.start,
                rc.period.end,
            ):
                reasons.append(
                    f"wrong time range: expected {rc.period.start}..{rc.period.end}, "
                    f"got {plan.period.start}..{plan.period.end}"
                )
            got = _filters_dict(plan.scope, "tickets", catalog)
            for name, values in rc.scope.items():
                want = set(_canonical_values(name, "tickets", values, catalog))
                if got.get(name.rsplit(".", 1)[-1], set()) != want:
                    reasons.append(
                        f"wrong filter: {name} expected {sorted(want)}, "
                        f"got {sorted(got.get(name, set()))}"
                    )
        return (not reasons), (CORRECT if not reasons else WRONG_DETAILS), reasons, None
    if expect.forecast is not None:
        if kind != "forecast":
            outcome = GAVE_NUMBER if gave else WRONG_KIND
            return False, outcome, [f"wrong kind: expected forecast, got {kind}"], None
        fc, plan = expect.forecast, answer.plan
        if fc.metric and plan.metric != fc.metric:
            reasons.append(f"wrong metric: expected {fc.metric}, got {plan.metric}")
        if fc.weeks and plan.weeks != fc.weeks:
            reasons.append(f"wrong horizon: expected {fc.weeks} weeks, got {plan.weeks}")
        if fc.period and (
            plan.period is None
            or (plan.period.start, plan.period.end) != (fc.period.start, fc.period.end)
        ):
            asked = "none" if plan.period is None else f"{plan.period.start}..{plan.period.end}"
            reasons.append(
                f"wrong period: expected {fc.period.start}..{fc.period.end}, got {asked}"
            )
        got = _filters_dict(plan.scope, "tickets", catalog)
        for name, values in fc.scope.items():
            want = set(_canonical_values(name, "tickets", values, catalog))
            if got.get(name.rsplit(".", 1)[-1], set()) != want:
                reasons.append(f"wrong filter: {name} expected {sorted(want)}")
        return (not reasons), (CORRECT if not reasons else WRONG_DETAILS), reasons, None
    if expect.alerts is not None:
        if kind != "alerts":
            outcome = GAVE_NUMBER if gave else WRONG_KIND
            return False, outcome, [f"wrong kind: expected alerts, got {kind}"], None
        al, plan = expect.alerts, answer.plan
        if al.period and (plan.period.start, plan.period.end) != (al.period.start, al.period.end):
            reasons.append(
                f"wrong time range: expected {al.period.start}..{al.period.end}, "
                f"got {plan.period.start}..{plan.period.end}"
            )
        if plan.metric != al.metric:
            reasons.append(f"wrong metric: expected {al.metric or 'any'}, got {plan.metric}")
        got = _filters_dict(plan.scope, "tickets", catalog)
        wanted = {name.rsplit(".", 1)[-1] for name in al.scope}
        for name, values in al.scope.items():
            want = set(_canonical_values(name, "tickets", values, catalog))
            if got.get(name.rsplit(".", 1)[-1], set()) != want:
                reasons.append(f"wrong filter: {name} expected {sorted(want)}")
        for extra in sorted(set(got) - wanted):
            reasons.append(f"extra filter: {extra} {sorted(got[extra])}")
        return (not reasons), (CORRECT if not reasons else WRONG_DETAILS), reasons, None
    raise AssertionError(f"unhandled expectation {expect.kind}")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Running cases


def _state_for(case: EvalCase) -> Any:
    from assistant.planning.plans import ConversationState

    return ConversationState(today=case.today, role=case.role)


@dataclass
class RunResult:
    results: list[CaseResult]
    planner: str
    started_at: str
    seconds: float
    warehouse: str
    meta: dict[str, Any] = field(default_factory=dict)


def run_case(
    item: LoadedCase,
    assistant: AssistantLike,
    checks: CheckRunner,
    *,
    catalog: Catalog | None = None,
) -> CaseResult:
    catalog = catalog or default_catalog()
    case = item.case
    state = _state_for(case)
    started = time.perf_counter()
    answer = None
    try:
        for earlier in case.conversation:
            state = assistant.ask(earlier, state=state).state
        started = time.perf_counter()
        answer = assistant.ask(case.question, state=state)
        latency = (time.perf_counter() - started) * 1000
        check = checks.frame(case.expect.number.check_sql) if case.expect.number else None
        passed, outcome, reasons, plan_match = score_answer(
            case, answer, check=check, catalog=catalog
        )
    except Exception as exc:  # an eval run reports every failure; it never stops at one
        latency = (time.perf_counter() - started) * 1000
        passed, outcome, plan_match = False, ERROR, None
        reasons = [f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"]
    plan = getattr(answer, "plan", None)
    return CaseResult(
        case_id=case.id,
        suite=item.suite,
        language=case.language,
        tags=case.tags,
        held_out=case.held_out,
        expect=case.expect.kind,
        question=case.question,
        passed=passed,
        outcome=outcome,
        reasons=tuple(reasons),
        plan_kind=_plan_kind(plan),
        plan_match=plan_match,
        number_given=bool(answer is not None and number_given(answer, catalog)),
        latency_ms=latency,
        answer_text=(getattr(answer, "text", "") or "")[:500],
        plan=plan.model_dump(mode="json", exclude_defaults=True)
        if hasattr(plan, "model_dump")
        else None,
    )


def run_cases(
    cases: Sequence[LoadedCase],
    assistant: AssistantLike,
    warehouse_url: str,
    *,
    planner: str = "offline",
    progress: Callable[[CaseResult], None] | None = None,
) -> RunResult:
    """Run every case (one failure never stops the run) and collect the scored results."""
    catalog = getattr(assistant, "catalog", None) or default_catalog()  # the assistant's own
    started_at = datetime.now().isoformat(timespec="seconds")
    t0 = time.perf_counter()
    results: list[CaseResult] = []
    with CheckRunner(warehouse_url) as checks:
        for item in cases:
            result = run_case(item, assistant, checks, catalog=catalog)
            results.append(result)
            if progress is not None:
                progress(result)
    return RunResult(results, planner, started_at, time.perf_counter() - t0, _redact(warehouse_url))


def _redact(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
