"""The runner itself: a correct plan passes, wrong plans fail with the right reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from evals.cases import EvalCase, LoadedCase, NumberExpect
from evals.report import build_report, floor_violations, to_markdown
from evals.runner import (
    CORRECT,
    GAVE_NUMBER,
    NO_NUMBER,
    WRONG_NUMBER,
    compare_frames,
    run_cases,
)
from semantic_layer.query import MetricQuery, TimeRange
from tests.evals.conftest import PlanAssistant, clarification, metric_plan, out_of_scope

OCT = TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1))
SEP = TimeRange(start=date(2026, 9, 1), end=date(2026, 10, 1))
CSAT_SQL = (
    "SELECT 100.0 * COUNT(*) FILTER (WHERE s.csat >= 4) / COUNT(s.csat) AS csat FROM surveys s "
    "WHERE s.responded_at >= TIMESTAMP '2026-10-01' AND s.responded_at < TIMESTAMP '2026-11-01'"
)
RANK_SQL = (
    "SELECT region, COUNT(*) AS ticket_volume FROM tickets WHERE created_at >= TIMESTAMP "
    "'2026-10-01' AND created_at < TIMESTAMP '2026-11-01' GROUP BY region "
    "ORDER BY ticket_volume DESC LIMIT 3"
)


def _case(cid: str, question: str, expect: dict, **extra: object) -> LoadedCase:
    tags = {
        "number": ["single_value"],
        "clarification": ["clarification_expected"],
        "out_of_scope": ["out_of_scope"],
        "alerts": ["alerts"],
    }[next(iter(expect))]
    raw = {
        "id": cid,
        "question": question,
        "language": "en",
        "today": "2026-11-10",
        "tags": extra.pop("tags", tags),
        "expect": expect,
        **extra,
    }
    return LoadedCase(EvalCase.model_validate(raw), "synthetic", Path("synthetic.yml"), 1)


CSAT_CASE = _case(
    "csat",
    "csat last month",
    {"number": {"check_sql": CSAT_SQL}},
    expected_query={
        "metrics": ["csat"],
        "time_range": {"start": "2026-10-01", "end": "2026-11-01"},
    },
)
RANK_CASE = _case(
    "rank",
    "top 3 regions by tickets",
    {"number": {"check_sql": RANK_SQL, "ordered": True}},
    tags=["ranking"],
)
CLARIFY_CASE = _case("clarify", "handle time?", {"clarification": {}})
REFUSE_CASE = _case("refuse", "weather?", {"out_of_scope": {}})


def _run(plans: dict, url: str, engine, cases=None):
    assistant = PlanAssistant(engine, lambda q: plans[q])
    return {r.case_id: r for r in run_cases(cases or [CSAT_CASE], assistant, url).results}


def test_correct_plan_passes(demo_warehouse_url, eval_engine) -> None:
    result = _run(
        {"csat last month": metric_plan(MetricQuery(metrics=("csat",), time_range=OCT))},
        demo_warehouse_url,
        eval_engine,
    )["csat"]
    assert (result.passed, result.outcome, result.plan_match) == (True, CORRECT, True)


def test_wrong_time_range_is_a_wrong_number_naming_the_cause(demo_warehouse_url, eval_engine):
    result = _run(
        {"csat last month": metric_plan(MetricQuery(metrics=("csat",), time_range=SEP))},
        demo_warehouse_url,
        eval_engine,
    )["csat"]
    assert (result.passed, result.outcome, result.plan_match) == (False, WRONG_NUMBER, False)
    assert result.categories[:2] == ("wrong time range", "wrong value")


def test_wrong_metric_and_extra_dimension_fail(demo_warehouse_url, eval_engine) -> None:
    nps = _run(
        {"csat last month": metric_plan(MetricQuery(metrics=("nps",), time_range=OCT))},
        demo_warehouse_url,
        eval_engine,
    )["csat"]
    assert nps.outcome == WRONG_NUMBER and "wrong metric" in nps.categories
    split = _run(
        {
            "csat last month": metric_plan(
                MetricQuery(metrics=("csat",), dimensions=("region",), time_range=OCT)
            )
        },
        demo_warehouse_url,
        eval_engine,
    )["csat"]
    assert split.outcome == WRONG_NUMBER and "extra dimension" in split.categories


def test_a_constant_period_column_does_not_split_the_answer(demo_warehouse_url, eval_engine):
    monthly = MetricQuery(metrics=("csat",), time_grain="month", time_range=OCT)
    result = _run({"csat last month": metric_plan(monthly)}, demo_warehouse_url, eval_engine)
    assert result["csat"].passed and result["csat"].plan_match is False


def test_order_matters_only_for_ordered_cases(demo_warehouse_url, eval_engine) -> None:
    base = MetricQuery(metrics=("ticket_volume",), dimensions=("region",), time_range=OCT, limit=3)
    right = base.with_order_by("ticket_volume", descending=True)
    wrong = base.with_order_by("ticket_volume", descending=False).with_limit(None)
    ok = _run(
        {"top 3 regions by tickets": metric_plan(right)},
        demo_warehouse_url,
        eval_engine,
        [RANK_CASE],
    )["rank"]
    bad = _run(
        {"top 3 regions by tickets": metric_plan(wrong)},
        demo_warehouse_url,
        eval_engine,
        [RANK_CASE],
    )["rank"]
    assert ok.passed
    assert not bad.passed and bad.outcome == WRONG_NUMBER


def test_clarification_and_refusal_scoring(demo_warehouse_url, eval_engine) -> None:
    number = metric_plan(MetricQuery(metrics=("average_handle_time",), time_range=OCT))
    plans = {"handle time?": number, "weather?": out_of_scope(), "csat last month": clarification()}
    results = _run(plans, demo_warehouse_url, eval_engine, [CLARIFY_CASE, REFUSE_CASE, CSAT_CASE])
    assert results["clarify"].outcome == GAVE_NUMBER and not results["clarify"].passed
    assert results["refuse"].passed
    assert results["csat"].outcome == NO_NUMBER
    assert "asked for clarification" in results["csat"].reasons[0]


def test_assistant_errors_are_reported_not_raised(demo_warehouse_url, eval_engine) -> None:
    def boom(question: str):
        raise RuntimeError("planner crashed")

    run = run_cases([CSAT_CASE], PlanAssistant(eval_engine, boom), demo_warehouse_url)
    assert run.results[0].outcome == "error" and "planner crashed" in run.results[0].reasons[0]


def test_report_and_floors(demo_warehouse_url, eval_engine) -> None:
    plans = {
        "csat last month": metric_plan(MetricQuery(metrics=("csat",), time_range=SEP)),
        "handle time?": clarification(),
        "weather?": out_of_scope(),
    }
    run = run_cases(
        [CSAT_CASE, CLARIFY_CASE, REFUSE_CASE],
        PlanAssistant(eval_engine, lambda q: plans[q]),
        demo_warehouse_url,
    )
    report = build_report(run)
    overall = report["overall"]
    assert overall["accuracy"] == pytest.approx(66.7)
    assert overall["wrong_numbers"] == 1
    assert overall["clarification_correct"]["passed"] == 1
    assert overall["latency_ms"]["p50"] is not None
    markdown = to_markdown(report)
    assert "wrong time range" in markdown and "`csat`" in markdown
    floors = {"offline": {"development": {"en": 0.9}, "max_wrong_number_rate": {"development": 0}}}
    problems = floor_violations(run.results, floors, "offline", "development")
    assert len(problems) == 2


def test_held_out_failures_are_reported_without_details(demo_warehouse_url, eval_engine) -> None:
    raw = CSAT_CASE.case.model_dump(mode="json", exclude_defaults=True)
    held = LoadedCase(
        EvalCase.model_validate({**raw, "id": "secret", "held_out": True}),
        "held_out_x",
        Path("held_out_x.yml"),
        1,
    )
    plans = {"csat last month": metric_plan(MetricQuery(metrics=("csat",), time_range=SEP))}
    run = run_cases([held], PlanAssistant(eval_engine, lambda q: plans[q]), demo_warehouse_url)
    report = build_report(run)
    assert "csat last month" not in to_markdown(report)
    assert report["failures"] == [
        {
            "id": "secret",
            "held_out": True,
            "outcome": WRONG_NUMBER,
            "categories": ["wrong time range", "wrong value"],
        }
    ]


def test_cli_runs_a_suite_and_writes_reports(
    demo_warehouse_url, eval_engine, monkeypatch, tmp_path
) -> None:
    import evals.cli
    from evals.cases import load_cases

    cases = {c.case.question: c.case for c in load_cases(suites=["core_en"])}

    def plan_for(question: str):
        case = cases[question]
        if case.expected_query is not None:
            return metric_plan(case.expected_query)
        return clarification() if case.expect.clarification else out_of_scope()

    monkeypatch.setattr(
        evals.cli, "make_assistant", lambda url, planner: PlanAssistant(eval_engine, plan_for)
    )
    result = CliRunner().invoke(
        evals.cli.command,
        [
            "--suite",
            "core_en",
            "--case",
            "en_csat_last_month",
            "--case",
            "en_oos_weather",
            "--db",
            demo_warehouse_url,
            "--report-dir",
            str(tmp_path),
            "--json",
            "--check-floors",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "eval-offline.md").exists() and (tmp_path / "eval-offline.json").exists()
    assert '"accuracy": 100.0' in result.output


def test_alerts_scoring(demo_warehouse_url, eval_engine) -> None:
    from assistant.planning.plans import AlertReview
    from semantic_layer.query import Filter, TimeRange

    expect = {
        "alerts": {
            "period": {"start": "2026-10-11", "end": "2026-11-10"},
            "scope": {"channel": ["email"]},
        }
    }
    case = _case("alerts", "alerts for email", expect, tags=["alerts", "filter"])
    period = TimeRange(start="2026-10-11", end="2026-11-10")
    email = (Filter(field="channel", op="=", values=("email",)),)
    right = AlertReview(period=period, scope=email)
    assert _run({"alerts for email": right}, demo_warehouse_url, eval_engine, [case])[
        "alerts"
    ].passed
    wrong = AlertReview(period=period, scope=email, metric="csat")
    result = _run({"alerts for email": wrong}, demo_warehouse_url, eval_engine, [case])["alerts"]
    assert not result.passed and "wrong metric" in result.reasons[0]
    other = out_of_scope()
    result = _run({"alerts for email": other}, demo_warehouse_url, eval_engine, [case])["alerts"]
    assert not result.passed and "expected alerts" in result.reasons[0]


def test_tied_rows_may_come_in_either_order() -> None:
    want = pd.DataFrame({"product": ["a", "b", "c"], "complaint_volume": [9, 5, 5]})
    expect = NumberExpect(check_sql="SELECT product FROM x", ordered=True)
    tie_swapped = want.iloc[[0, 2, 1]]
    assert compare_frames(tie_swapped, want, expect, {"complaint_volume"}) == []
    wrong = want.iloc[[1, 0, 2]]
    (reason,) = compare_frames(wrong, want, expect, {"complaint_volume"})
    assert reason.startswith("wrong order")
