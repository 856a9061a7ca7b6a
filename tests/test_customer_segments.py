"""Customer segments (RFM value tier, complaint-history tags) as certified dimensions: the
table ``customer_segments`` computed as of the data end by the one definition in
tools/customers/rfm.py, questions planned to it with numbers equal to hand-written SQL, the
as-of date in every answer, unknown tags asked back, a missing table named with its fix."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from assistant.app import build_app
from assistant.cli import main
from assistant.planning.plans import Clarification, ConversationState, MetricPlan
from semantic_layer.errors import ExecutionError
from semantic_layer.executor import execute
from semantic_layer.query import Filter, MetricQuery, TimeRange
from tools.customers.rfm import customer_tags
from tools.warehouse.engine import make_engine

TODAY = date(2026, 11, 10)  # the shared demo warehouse ends 2026-10-31
AS_OF = datetime(2026, 11, 1)

# The tiers by hand from orders (not through tools/customers/rfm.py).
HAND_TIERS = """
WITH agg AS (
    SELECT customer_id, max(ordered_at) AS last_order, count(*) AS frequency,
           sum(amount) AS monetary
    FROM orders WHERE ordered_at < TIMESTAMP '2026-11-01' GROUP BY customer_id
), scored AS (
    SELECT customer_id, frequency,
           ntile(5) OVER (ORDER BY last_order, customer_id) AS r,
           ntile(5) OVER (ORDER BY frequency, customer_id) AS f,
           ntile(5) OVER (ORDER BY monetary, customer_id) AS m
    FROM agg
)
SELECT c.customer_id,
       CASE WHEN f >= 4 AND m >= 4 AND r >= 3 THEN 'high_value'
            WHEN m >= 4 AND r <= 2 THEN 'high_value_at_risk'
            WHEN frequency = 1 AND r >= 4 THEN 'new_customer'
            ELSE 'other_tier' END AS value_tier
FROM customers c LEFT JOIN scored s ON s.customer_id = c.customer_id
"""

HIGH_VALUE_CSAT_OCTOBER = """
SELECT 100.0 * COUNT(*) FILTER (WHERE s.csat >= 4) / COUNT(s.csat)
FROM surveys s JOIN customer_segments g ON g.customer_id = s.customer_id
WHERE g.value_tier = 'high_value'
  AND s.responded_at >= TIMESTAMP '2026-10-01' AND s.responded_at < TIMESTAMP '2026-11-01'
"""


@pytest.fixture(scope="module")
def app(demo_warehouse_url):
    app = build_app(None, "test", warehouse=demo_warehouse_url)
    yield app
    app.close()


def _scalar(app, sql: str):
    with app.assistant.engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def test_the_table_holds_every_customer_as_of_the_data_end(app):
    with app.assistant.engine.connect() as conn:
        table = dict(
            conn.execute(sa.text("SELECT customer_id, value_tier FROM customer_segments")).all()
        )
        hand = dict(conn.execute(sa.text(HAND_TIERS)).all())
        as_of = conn.execute(sa.text("SELECT DISTINCT as_of FROM customer_segments")).scalars()
        assert list(as_of) == [AS_OF]  # midnight after the newest row
        assert table == hand and len(set(table.values())) == 4
        # the customer 360 view reads the same definition
        for customer_id in sorted(table)[:200:20]:
            tags = customer_tags(conn, customer_id, AS_OF)
            assert (table[customer_id] in tags) == (table[customer_id] != "other_tier")


@pytest.mark.parametrize(
    ("question", "language"),
    [("高价值客户的满意度", "zh"), ("CSAT of high-value customers last month", "en")],
)
def test_high_value_csat_is_planned_and_equals_hand_sql(app, question, language):
    answer = app.assistant.ask(question, state=ConversationState(today=TODAY))
    assert isinstance(answer.plan, MetricPlan), answer.text
    query = answer.plan.query
    assert query.metrics == ("csat",)
    assert [(f.field, f.values) for f in query.filters] == [("value_tier", ("high_value",))]
    value = float(answer.result.data["csat"].iloc[0])
    assert value == pytest.approx(float(_scalar(app, HIGH_VALUE_CSAT_OCTOBER)), rel=1e-9)
    # the segmentation date, in the answer and in its provenance
    assert "2026-11-01 00:00" in answer.text
    said = (
        "各时期都用这一天的分层" if language == "zh" else "the same segmentation for every period"
    )
    assert said in answer.text
    assert answer.to_dict()["provenance"]["as_of"] == {"customer_segments": "2026-11-01 00:00:00"}


def test_a_tag_breakdown_and_a_tag_filter(app):
    answer = app.assistant.ask("多次投诉客户上个月的满意度", state=ConversationState(today=TODAY))
    assert isinstance(answer.plan, MetricPlan)
    assert [(f.field, f.values) for f in answer.plan.query.filters] == [
        ("repeat_complainer", (True,))
    ]
    expected = _scalar(
        app,
        HIGH_VALUE_CSAT_OCTOBER.replace("g.value_tier = 'high_value'", "g.repeat_complainer"),
    )
    assert float(answer.result.data["csat"].iloc[0]) == pytest.approx(float(expected), rel=1e-9)
    by_tier = app.assistant.ask("满意度按客户价值分层", state=ConversationState(today=TODAY))
    assert by_tier.plan.query.dimensions == ("value_tier",)
    assert set(by_tier.result.data["value_tier"]) == {
        "high_value",
        "high_value_at_risk",
        "new_customer",
        "other_tier",
    }


@pytest.mark.parametrize("question", ["沉睡客户的满意度", "CSAT of dormant customers last month"])
def test_an_unknown_tag_is_asked_back(app, question):
    answer = app.assistant.ask(question, state=ConversationState(today=TODAY))
    assert isinstance(answer.plan, Clarification), answer.text
    assert answer.result is None


def test_vip_stays_the_recorded_segment(app):
    answer = app.assistant.ask("VIP客户上个月满意度", state=ConversationState(today=TODAY))
    assert [(f.field, f.values) for f in answer.plan.query.filters] == [("segment", ("vip",))]
    assert "2026-11-01 00:00" not in answer.text  # no computed table read, no date stated


def test_spark_refuses_segments_with_the_reason():
    query = MetricQuery(
        metrics=("csat",),
        time_range=TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1)),
        filters=(Filter(field="value_tier", op="=", values=("high_value",)),),
    )
    with pytest.raises(ExecutionError, match="not available on Spark"):
        execute(query, "spark+local:")


def test_without_the_table_the_answer_names_the_command(demo_warehouse_path, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse_path, copy)
    engine = make_engine(f"duckdb:///{copy}")
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE customer_segments"))
    engine.dispose()
    app = build_app(None, "test", warehouse=f"duckdb:///{copy}")
    try:
        for question, words in [
            ("高价值客户的满意度", "还没有计算客户价值分层和投诉标签"),
            ("CSAT of high-value customers last month", "have not been computed"),
        ]:
            answer = app.assistant.ask(question, state=ConversationState(today=TODAY))
            assert words in answer.text and "servicepilot customer segment" in answer.text
            assert answer.result is None
    finally:
        app.close()

    # the command builds it (as of a stated date), and the question is answered again
    runner = CliRunner()
    done = runner.invoke(
        main, ["customer", "segment", "--db", str(copy), "--as-of", "2026-10-01", "--json"]
    )
    assert done.exit_code == 0, done.output
    built = json.loads(done.output)
    assert built["as_of"] == "2026-10-01 00:00:00" and built["customers"] > 1000
    app = build_app(None, "test", warehouse=f"duckdb:///{copy}")
    try:
        answer = app.assistant.ask("高价值客户的满意度", state=ConversationState(today=TODAY))
        assert "2026-10-01 00:00" in answer.text and answer.result is not None
    finally:
        app.close()


def test_row_level_security_still_applies(app):
    """An East China manager asking by segment sees East China's surveys only."""
    answer = app.assistant.ask(
        "高价值客户的满意度", state=ConversationState(today=TODAY, role="east_manager")
    )
    expected = _scalar(
        app,
        HIGH_VALUE_CSAT_OCTOBER.replace(
            "FROM surveys s JOIN", "FROM surveys s JOIN tickets t ON t.ticket_id = s.ticket_id JOIN"
        ).replace("WHERE g.value_tier", "WHERE t.region = 'east' AND g.value_tier"),
    )
    assert float(answer.result.data["csat"].iloc[0]) == pytest.approx(float(expected), rel=1e-9)
    assert float(expected) != pytest.approx(float(_scalar(app, HIGH_VALUE_CSAT_OCTOBER)))


def test_the_web_ui_states_the_date_under_how_it_was_computed(app):
    from assistant.ui.render import provenance_markdown

    answer = app.assistant.ask(
        "CSAT of high-value customers last month", state=ConversationState(today=TODAY)
    )
    text = provenance_markdown(answer.result, "en", with_sql=False, catalog=app.catalog)
    assert "Customer value tiers and complaint tags as of 2026-11-01 00:00" in text
