"""A ranking by change ("上个月满意度下降最多的大区"): groups without a previous value sort last on
every engine and are never ranked; when no group moved the asked way, the answer says so
instead of calling the smallest rise a fall."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from assistant.answer.narrate import narrate
from assistant.planning.lexicon import lexicon_for
from assistant.planning.offline import OfflinePlanner
from assistant.planning.plans import ConversationState, MetricPlan
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.compiler import compile_query
from semantic_layer.executor import execute
from semantic_layer.query import MetricQuery, OrderBy, TimeRange
from semantic_layer.transpile import transpile
from tests.soundness.conftest import BASE, survey, ticket

FEB, MAR = datetime(2026, 2, 10, 9, 0), datetime(2026, 3, 10, 9, 0)
TODAY = date(2026, 4, 10)  # 上个月 = March 2026, against February
MARCH = TimeRange(start=date(2026, 3, 1), end=date(2026, 4, 1))


def _scores(region: str, when: datetime, scores: list[int]) -> tuple[list[dict], list[dict]]:
    tag = f"{region}{when:%m}"
    tickets = [ticket(f"T{tag}{i}", region=region, created_at=when) for i in range(len(scores))]
    surveys = [
        survey(f"S{tag}{i}", f"T{tag}{i}", responded_at=when, csat=s) for i, s in enumerate(scores)
    ]
    return tickets, surveys


def _every_region_rose() -> dict[str, list[dict]]:
    """CSAT (share of 4-5 scores): 华东 50% -> 100% (+50), 华北 25% -> 50% (+25), and 华南
    only in March (no previous value: not comparable)."""
    tickets: list[dict] = []
    surveys: list[dict] = []
    for region, when, scores in (
        ("east", FEB, [5, 1]),
        ("east", MAR, [5, 5]),
        ("north", FEB, [5, 1, 1, 1]),
        ("north", MAR, [5, 5, 1, 1]),
        ("south", MAR, [5]),
    ):
        t, s = _scores(region, when, scores)
        tickets += t
        surveys += s
    return {"tickets": tickets, "surveys": surveys}


def _by_change(descending: bool) -> MetricQuery:
    return MetricQuery(
        metrics=("csat",),
        dimensions=("region",),
        time_range=MARCH,
        compare_to="previous_period",
        order_by=(OrderBy(field="csat__change", descending=descending),),
    )


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    return OfflinePlanner()


def _answer(planner, engine, question: str, language: str) -> tuple[MetricPlan, str]:
    plan = planner.plan(question, ConversationState(today=TODAY))
    assert isinstance(plan, MetricPlan), plan
    result = execute(plan.query, engine)
    return plan, narrate(result, lexicon_for(planner.catalog), language)


def test_nothing_fell_is_said_not_called_a_fall(warehouse, planner):
    engine = warehouse(**_every_region_rose())
    plan, text = _answer(planner, engine, "上个月满意度下降最多的大区是哪个", "zh")
    assert plan.query.order_by == (OrderBy(field="csat__change", descending=False),)
    assert text.startswith("没有大区的客户满意度下降：可比较的2组全部上升或持平")
    assert "变化最小的是华北，从25.0%升到50.0%（+25.0个百分点）" in text
    assert "下降最多" not in text
    assert "华南在对比期或本期没有数据，无法比较，未参与排名" in text

    _, en = _answer(planner, engine, "Which region's CSAT fell the most last month?", "en")
    assert en.startswith("No region saw CSAT fall: all 2 comparable groups rose or stayed flat")
    assert "Not comparable (no value in one of the two periods), not ranked: South China." in en


def test_the_leader_of_a_rise_is_named_with_both_values(warehouse, planner):
    engine = warehouse(**_every_region_rose())
    _, text = _answer(planner, engine, "上个月满意度提升最多的大区", "zh")
    assert text.startswith("华东的客户满意度上升最多：从50.0%升到100.0%（+50.0个百分点）")
    assert "可比较的2组中2组上升" in text
    _, en = _answer(planner, engine, "which region's CSAT rose the most last month", "en")
    assert en.startswith("CSAT rose the most in East China: 50.0% → 100.0% (+50.0 points)")


@pytest.mark.parametrize("descending", [False, True])
def test_no_previous_value_sorts_last_on_duckdb(warehouse, descending):
    engine = warehouse(**_every_region_rose())
    data = execute(_by_change(descending), engine).data
    assert data["region"].tolist() == (
        ["east", "north", "south"] if descending else ["north", "east", "south"]
    )
    assert pd.isna(data["csat__change"].iloc[-1])


def test_every_order_is_explicit_about_nulls_for_spark():
    # DuckDB's order (NULLs last) is kept when the SQL is written for Spark, whose ASC puts
    # NULLs first by default.
    for descending in (False, True):
        spark = transpile(compile_query(_by_change(descending)), "spark", pretty=False)
        order = spark[spark.rindex("ORDER BY") :]
        assert order.startswith("ORDER BY result.csat__change")
        assert "NULLS FIRST" not in order
        if not descending:
            assert order.startswith("ORDER BY result.csat__change ASC NULLS LAST")


def _on_postgres(postgres_url: str, rows: dict[str, list[dict]], query: MetricQuery):
    """``query``'s rows on a real PostgreSQL holding ``rows`` (and the base tables)."""
    from tools.warehouse.engine import create_schema, make_engine, write_frame
    from tools.warehouse.schema import metadata

    engine = make_engine(postgres_url)
    metadata.drop_all(engine)  # the session's server is shared: start empty
    create_schema(engine)
    with engine.begin() as conn:
        for name, table in {**BASE, **rows}.items():
            frame = pd.DataFrame(table)
            ints = [c for c in ("csat", "nps", "ces") if c in frame.columns]
            write_frame(conn, name, frame.astype({c: "Int64" for c in ints}))
    try:
        return execute(query, engine, catalog=default_catalog()).data
    finally:
        metadata.drop_all(engine)
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("descending", [False, True])
def test_no_previous_value_sorts_last_on_postgres(postgres_url, descending):
    # PostgreSQL puts NULLs first in a DESC order unless told otherwise.
    assert "NULLS LAST" in compile_query(_by_change(descending), dialect="postgresql").sql
    data = _on_postgres(postgres_url, _every_region_rose(), _by_change(descending))
    assert data["region"].tolist() == (
        ["east", "north", "south"] if descending else ["north", "east", "south"]
    )


@pytest.mark.postgres
def test_a_count_from_too_small_a_base_sorts_after_on_postgres(postgres_url):
    query = _by_relative_change("complaint_volume", True)
    data = _on_postgres(postgres_url, _complaints(), query)
    assert data["region"].tolist() == ["east", "north", "south"]


@pytest.mark.spark
def test_no_previous_value_sorts_last_on_spark(warehouse, spark_connect_remote, tmp_path):
    # Spark puts NULLs first in an ASC order unless told otherwise.
    from tools.warehouse.export import export_parquet

    export_parquet(warehouse(**_every_region_rose()), tmp_path / "parquet")
    url = f"spark+connect://{spark_connect_remote}?path={tmp_path / 'parquet'}"
    for descending in (False, True):
        data = execute(_by_change(descending), url, timeout_s=600.0).data
        assert data["region"].tolist() == (
            ["east", "north", "south"] if descending else ["north", "east", "south"]
        )


# Complaints, February -> March: 华东 30 -> 45 (+50 %), 华北 40 -> 44 (+10 %) and 华南 2 -> 6
# (+200 %, from a base too small to rank by its relative change).
COMPLAINTS = {("east", FEB): 30, ("east", MAR): 45, ("north", FEB): 40, ("north", MAR): 44}
COMPLAINTS |= {("south", FEB): 2, ("south", MAR): 6}


def _complaints(counts: dict[tuple[str, datetime], int] = COMPLAINTS) -> dict[str, list[dict]]:
    """``counts`` complaint tickets per (region, time)."""
    return {
        "tickets": [
            ticket(
                f"C{region}{when:%m}{i}", region=region, created_at=when, ticket_type="complaint"
            )
            for (region, when), n in counts.items()
            for i in range(n)
        ]
    }


def _by_relative_change(metric: str, descending: bool) -> MetricQuery:
    return MetricQuery(
        metrics=(metric,),
        dimensions=("region",),
        time_range=MARCH,
        compare_to="previous_period",
        order_by=(OrderBy(field=f"{metric}__change_pct", descending=descending),),
    )


@pytest.mark.parametrize("descending", [True, False])
def test_a_count_from_too_small_a_base_sorts_after_the_others(warehouse, descending):
    engine = warehouse(**_complaints())
    data = execute(_by_relative_change("complaint_volume", descending), engine).data
    # 华南's +200 % is the largest change, yet it is ranked after the groups with a base
    assert data["region"].tolist() == (
        ["east", "north", "south"] if descending else ["north", "east", "south"]
    )
    assert data["complaint_volume__change_pct"].tolist() == pytest.approx(
        [50.0, 10.0, 200.0] if descending else [10.0, 50.0, 200.0]
    )
    assert data["complaint_volume__small_base"].tolist() == [False, False, True]


def test_a_rate_is_not_held_to_a_count_base(warehouse):
    # CSAT's relative change is a share's, read with its sample size: no base rule, no flag
    engine = warehouse(**_every_region_rose())
    data = execute(_by_relative_change("csat", True), engine).data
    assert data["region"].tolist() == ["east", "north", "south"]
    assert "csat__small_base" not in data


def test_the_answer_names_a_group_too_small_to_rank(warehouse, planner):
    engine = warehouse(**_complaints())
    plan, text = _answer(planner, engine, "上个月投诉量增长最快的大区", "zh")
    assert plan.query.order_by == (OrderBy(field="complaint_volume__change_pct", descending=True),)
    assert text.startswith("华东的投诉量增长最快：从30件升到45件（+50.0%，+15件）")
    assert "上期不足30件的组基数太小，不按变化率排名：华南从2件升到6件（+200.0%，+4件）" in text
    _, en = _answer(planner, engine, "Which region's complaints grew the fastest last month?", "en")
    assert en.startswith("Complaint volume rose fastest in East China")
    assert "Not ranked by relative change (fewer than 30 complaints the period before): " in en
    assert "South China 2 complaints → 6 complaints (+200.0%" in en


def test_every_base_too_small_is_ranked_and_said(warehouse, planner):
    small = {("east", FEB): 2, ("east", MAR): 6, ("north", FEB): 3, ("north", MAR): 4}
    engine = warehouse(**_complaints(small))
    _, text = _answer(planner, engine, "上个月投诉量增长最快的大区", "zh")
    assert text.startswith("华东的投诉量增长最快：从2件升到6件")
    assert "各组上期都不足30件，变化率的基数都很小，请谨慎解读。" in text


def test_the_base_rule_reaches_spark_and_postgresql_sql():
    query = _by_relative_change("complaint_volume", True)
    for sql in (
        transpile(compile_query(query), "spark", pretty=False),
        compile_query(query, dialect="postgresql").sql,
    ):
        order = sql[sql.rindex("ORDER BY") :]
        assert "CASE WHEN" in order and "complaint_volume__previous" in order and ">= 30" in order


@pytest.mark.spark
def test_a_count_from_too_small_a_base_sorts_after_on_spark(
    warehouse, spark_connect_remote, tmp_path
):
    from tools.warehouse.export import export_parquet

    export_parquet(warehouse(**_complaints()), tmp_path / "parquet")
    url = f"spark+connect://{spark_connect_remote}?path={tmp_path / 'parquet'}"
    data = execute(_by_relative_change("complaint_volume", True), url, timeout_s=600.0).data
    assert data["region"].tolist() == ["east", "north", "south"]
    assert data["complaint_volume__small_base"].tolist() == [False, False, True]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_chart_hatches_a_group_too_small_to_rank(warehouse, language):
    from assistant.ui.charts import LEADER_COLOR, choose_chart, render

    engine = warehouse(**_complaints())
    result = execute(_by_relative_change("complaint_volume", True), engine)
    spec = choose_chart(result, language)
    assert spec.metric == "complaint_volume__change_pct"
    bars = render(spec, result, lexicon_for(default_catalog()), language).data[0]
    by_change = {
        x: (c, p, t)
        for x, c, p, t in zip(
            bars.x, bars.marker.color, bars.marker.pattern.shape, bars.text, strict=True
        )
    }
    note = "基数太小" if language == "zh" else "base too small"
    colour, pattern, text = by_change[200.0]  # 华南, 2 -> 6: drawn, hatched, not the leader
    assert pattern == "/" and text.endswith(note) and colour != LEADER_COLOR
    colour, pattern, text = by_change[50.0]  # 华东 leads
    assert pattern == "" and note not in text and colour == LEADER_COLOR
