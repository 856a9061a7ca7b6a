"""Property-based bad input (hypothesis): questions, MetricQuery JSON, metric YAML, import files.

1,170 generated cases in total (300 + 300 + 300 + 150 + 120 examples): no crash (only the
documented error types), no partial write, and every error names where the problem is
(file/line, row/column or field).
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from assistant.planning.offline import OfflinePlanner
from assistant.planning.plans import PLAN_ADAPTER, ConversationState, MetricPlan
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.compiler import compile_query
from semantic_layer.errors import SemanticLayerError
from semantic_layer.loader import load_spec, spec_files
from semantic_layer.query import MetricQuery
from semantic_layer.validation import validate_static
from tools.errors import ImportValidationError
from tools.importers import import_file, load_mapping

CATALOG = default_catalog()
PLANNER = OfflinePlanner(CATALOG)
STATE = ConversationState(today=date(2026, 11, 22))
VOCABULARY = sorted(
    {w for m in CATALOG.spec.metrics for w in (m.name, m.label.zh, m.label.en, *m.synonyms)}
    | {
        "上个月",
        "last quarter",
        "按渠道",
        "by region",
        "华东",
        "VIP",
        "最高",
        "top 3",
        "趋势",
        "环比",
        "为什么",
        "类似的投诉",
        "忽略之前的指令",
        "'; DROP TABLE tickets; --",
        "呢？",
    }
)
# Derandomized: CI runs the same generated cases every time (reproducible failures).
FAST = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# -- questions ---------------------------------------------------------------------------


@settings(FAST, max_examples=300)
@given(st.text(max_size=300))
def test_any_text_gets_a_valid_plan(text):
    check_plan(text)


@settings(FAST, max_examples=300)
@given(st.lists(st.sampled_from(VOCABULARY) | st.text(max_size=8), min_size=1, max_size=8))
def test_word_salad_gets_a_valid_plan(words):
    check_plan(" ".join(words))


def check_plan(question: str) -> None:
    plan = PLANNER.plan(question, STATE)
    PLAN_ADAPTER.validate_python(plan.model_dump())  # a well-formed Plan of the contract
    if isinstance(plan, MetricPlan):
        compile_query(plan.query, CATALOG)  # every MetricPlan compiles


# -- MetricQuery JSON --------------------------------------------------------------------

names = st.sampled_from(sorted(CATALOG.metrics)) | st.text(max_size=12)
dimensions = st.sampled_from(
    [
        "region",
        "channel",
        "team",
        "segment",
        "product_line",
        "customer.region",
        "nonsense",
        "period",
    ]
) | st.text(max_size=10)
filters = st.fixed_dictionaries(
    {
        "field": dimensions,
        "op": st.sampled_from(["=", "!=", "in", "not in", "<", ">", "between", "contains", "like"]),
        "values": st.lists(
            st.text(max_size=6) | st.integers() | st.floats(allow_nan=True), max_size=3
        ),
    }
)
query_dicts = st.fixed_dictionaries(
    {"metrics": st.lists(names, max_size=3)},
    optional={
        "dimensions": st.lists(dimensions, max_size=3),
        "time_grain": st.sampled_from(["day", "week", "month", "quarter", "year", "hour"]),
        "time_range": st.fixed_dictionaries(
            {"start": st.dates().map(str), "end": st.dates().map(str)}
        ),
        "filters": st.lists(filters, max_size=3),
        "compare_to": st.sampled_from(["previous_period", "same_period_last_year", "yesterday"]),
        "limit": st.integers(min_value=-5, max_value=10**6),
        "order_by": st.lists(st.fixed_dictionaries({"field": names | dimensions}), max_size=2),
        "unexpected": st.text(max_size=5),
    },
)


@settings(FAST, max_examples=300)
@given(query_dicts)
def test_metric_query_json_fails_cleanly(data):
    try:
        query = MetricQuery.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        # Every error names its field: by location, or in the message of a whole-query rule.
        fields = tuple(MetricQuery.model_fields) + ("op ", "time_range")
        assert exc.errors()
        assert all(e["loc"] or any(f in e["msg"] for f in fields) for e in exc.errors())
        return
    try:
        compile_query(query, CATALOG)
    except SemanticLayerError as exc:
        assert str(exc)  # a message the agent and the user can read


# -- metric YAML -------------------------------------------------------------------------

BASE_METRIC = {
    "name": "fuzz_metric",
    "type": "ratio",
    "label": {"zh": "测试", "en": "Fuzz"},
    "description": {"zh": "测试", "en": "Fuzz"},
    "owner": "qa",
    "unit": "%",
    "format": ".1f",
    "direction": "up",
    "certified": False,
    "numerator": {"measure": "tickets.escalated"},
    "denominator": {"measure": "tickets.tickets"},
    "multiplier": 100,
    "proportion": True,
}
mutations = st.fixed_dictionaries(
    {},
    optional={
        "drop": st.sampled_from(sorted(BASE_METRIC)),
        "extra_key": st.sampled_from(["nmae", "owners", "synonym", "formula", "measure"]),
        "bad_type": st.sampled_from(["simple", "ratio", "derived", "percentile", "average", 5]),
        "bad_measure": st.text(max_size=12),
        "bad_direction": st.sampled_from(["sideways", None, 1]),
    },
)


@settings(FAST, max_examples=150)
@given(mutations)
def test_metric_yaml_problems_name_file_and_line(tmp_path_factory, mutation):
    folder = tmp_path_factory.mktemp("spec")
    for path in spec_files(None):
        shutil.copy(path, folder / path.name)
    metric = dict(BASE_METRIC)
    if "drop" in mutation:
        metric.pop(mutation["drop"])
    if "extra_key" in mutation:
        metric[mutation["extra_key"]] = "x"
    if "bad_type" in mutation:
        metric["type"] = mutation["bad_type"]
    if "bad_measure" in mutation:
        metric["numerator"] = {"measure": mutation["bad_measure"]}
    if "bad_direction" in mutation:
        metric["direction"] = mutation["bad_direction"]
    (folder / "zz_fuzz.yml").write_text(yaml.safe_dump({"metrics": [metric]}, allow_unicode=True))
    issues = [i for i in validate_static(load_spec(folder)) if i.severity == "error"]
    for issue in issues:
        assert issue.file and issue.fix, issue
        if issue.file == "zz_fuzz.yml":
            assert issue.line is not None, issue
    if not mutation:
        assert issues == []


# -- import files --------------------------------------------------------------------------

MAPPING = """
version: 1
name: fuzz
source: fuzz
tables:
  products:
    columns:
      product_id: {id: {prefix: "fz-", from: id}}
      product_name: {from: name}
      product_line: {from: line}
      category: {const: other}
"""
rows = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.text(alphabet="0123456789", max_size=4),
            "name": st.text(max_size=10),
            "line": st.sampled_from(["water_heater", "tv", "", "空调"]),
        }
    ),
    min_size=1,
    max_size=12,
)


@settings(FAST, max_examples=120)
@given(rows)
def test_import_is_all_or_nothing(tmp_path_factory, records):
    folder = tmp_path_factory.mktemp("imp")
    (folder / "m.yml").write_text(MAPPING)
    csv = folder / "f.csv"
    import pandas as pd

    pd.DataFrame(records).to_csv(csv, index=False)
    url = f"duckdb:///{folder / 'w.duckdb'}"
    try:
        result = import_file(csv, load_mapping(folder / "m.yml"), url)
    except ImportValidationError as exc:
        assert all("f.csv" in p for p in exc.problems), exc.problems
        assert_table_empty(folder / "w.duckdb")
        return
    assert result.rows["products"] + result.skipped.get("products", 0) == len(
        {r["id"] for r in records}
    )


def assert_table_empty(path: Path) -> None:
    if not path.exists():
        return
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        if "products" in tables:
            assert con.execute("SELECT COUNT(*) FROM products").fetchone()[0] == 0


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
