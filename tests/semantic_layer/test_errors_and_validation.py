"""Error texts (the agent reads them to correct itself) and spec validation rules."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from semantic_layer.catalog_loader import default_catalog, load_catalog
from semantic_layer.compiler import compile_query
from semantic_layer.errors import QueryError, SemanticLayerError, SpecError, UnknownCodeError
from semantic_layer.loader import DEFINITIONS_DIR, load_spec
from semantic_layer.query import Filter, MetricQuery
from semantic_layer.validation import validate_static

ALL = (
    "average_handle_time, backlog, ces, churn_rate_90d_after_complaint, closure_rate, "
    "complaint_rate_per_1000_orders, complaint_timeliness, complaint_volume, cost_per_ticket, "
    "csat, escalation_rate, first_contact_resolution, first_response_time_median, "
    "first_response_time_p90, nps, nps_detractor_share, nps_promoter_share, order_count, "
    "reopen_rate, repeat_complaint_rate, repeat_contact_rate, resolution_rate, "
    "resolution_time_median, resolution_time_p90, resolved_tickets, service_revenue, "
    "sla_breach_rate, sla_compliance, survey_response_rate, survey_responses, ticket_volume"
)


def error_text(query: MetricQuery) -> str:
    with pytest.raises(SemanticLayerError) as info:
        compile_query(query)
    return str(info.value)


def test_unknown_metric_message_snapshot():
    assert error_text(MetricQuery(metrics=("csta",))) == (
        f"Unknown metric 'csta'. Did you mean 'csat'? Valid metrics: {ALL}."
    )


def test_unknown_metric_suggests_by_synonym():
    assert "Did you mean 'csat'?" in error_text(MetricQuery(metrics=("客户满意度",)))


def test_unknown_dimension_message_snapshot():
    text = error_text(MetricQuery(metrics=("ticket_volume",), dimensions=("chanel",)))
    assert text.startswith(
        "Unknown dimension 'chanel'. Did you mean 'channel'? Valid "
        "dimensions: agent.agent_name, agent.hired_at, agent.region, "
        "agent.team, agent_name, category, "
    )


def test_dimension_missing_for_one_metric_says_which():
    text = error_text(
        MetricQuery(metrics=("ticket_volume", "order_count"), dimensions=("channel",))
    )
    assert text.startswith(
        "Dimension 'channel' is not available for metric order_count "
        "(orders), so it cannot be grouped by in this query."
    )


def test_cross_model_ratio_refuses_dimensions_and_filters_outside_allowed():
    with pytest.raises(QueryError, match="only these dimensions mean the same on both"):
        compile_query(
            MetricQuery(
                metrics=("complaint_rate_per_1000_orders",),
                filters=(Filter(field="channel", values=("wechat",)),),
            )
        )


def test_unknown_code_message_and_label_translation():
    with pytest.raises(UnknownCodeError) as info:
        compile_query(
            MetricQuery(metrics=("csat",), filters=(Filter(field="region", values=("eats",)),))
        )
    assert str(info.value) == (
        "Unknown code 'eats' for region. Did you mean 'east'? Valid codes: central, east, "
        "north, northeast, northwest, south, southwest."
    )
    sql = compile_query(
        MetricQuery(metrics=("csat",), filters=(Filter(field="region", values=("华东",)),))
    ).sql
    assert "j_ticket.region = 'east'" in sql


def test_backlog_needs_a_time_range():
    with pytest.raises(QueryError, match="needs a time_range"):
        compile_query(MetricQuery(metrics=("backlog",)))


def test_query_is_frozen_and_round_trips_json():
    query = (
        MetricQuery(metrics=("csat",))
        .with_dimensions("region")
        .with_time_range(date(2026, 1, 1), date(2026, 2, 1))
        .with_compare_to("previous_period")
    )
    assert MetricQuery.from_json(query.to_json()) == query
    with pytest.raises(ValueError):
        query.with_time_range(date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(ValueError):
        MetricQuery(metrics=("csat",), unknown=1)


def write_spec(tmp_path: Path, extra_metrics: str) -> Path:
    for f in DEFINITIONS_DIR.glob("*.yml"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "zz_bad.yml").write_text(textwrap.dedent(extra_metrics), encoding="utf-8")
    return tmp_path


BAD = """\
metrics:
  - name: bad_unknown_key
    type: simple
    measure: tickets.tickets
    label: {zh: 坏, en: Bad}
    description: {zh: 一个有问题的指标定义示例, en: A metric with problems in it}
    owner: qa
    unit: tickets
    format: ",.0f"
    direction: up
    certifed: true
  - name: bad_ref
    type: ratio
    numerator: {measure: tickets.complaintz}
    denominator: {measure: surveys.csat_rated}
    label: {zh: 坏2, en: Bad 2}
    description: {zh: 一个有问题的指标定义示例, en: A metric with problems in it}
    owner: qa
    unit: "%"
    format: ".1f"
    direction: up
  - name: bad_mixed
    type: ratio
    numerator: {measure: tickets.complaints}
    denominator: {measure: surveys.csat_rated}
    label: {zh: 坏3, en: Bad 3}
    description: {zh: 一个有问题的指标定义示例, en: A metric with problems in it}
    owner: qa
    unit: "%"
    format: ".1f"
    direction: up
    synonyms: [满意度]
  - name: loop_a
    type: derived
    formula: {op: add, args: [{metric: loop_b}, {constant: 1}]}
    label: {zh: 环A, en: Loop A}
    description: {zh: 一个有问题的指标定义示例, en: A metric with problems in it}
    owner: qa
    unit: x
    format: ".1f"
    direction: up
  - name: loop_b
    type: derived
    formula: {op: add, args: [{metric: loop_a}, {constant: 1}]}
    label: {zh: 环B, en: Loop B}
    description: {zh: 一个有问题的指标定义示例, en: A metric with problems in it}
    owner: qa
    unit: x
    format: ".1f"
    direction: up
"""


def test_validation_reports_every_problem_with_file_line_and_fix(tmp_path):
    issues = validate_static(load_spec(write_spec(tmp_path, BAD)))
    found = {(i.rule, i.item, i.file, i.line) for i in issues}
    assert ("schema", "bad_unknown_key", "zz_bad.yml", 11) in found
    unknown = next(i for i in issues if i.item == "bad_unknown_key")
    assert "did you mean 'certified'?" in unknown.fix
    ref = next(i for i in issues if i.item == "bad_ref")
    assert ref.line == 14 and "Did you mean 'tickets.complaints'?" in ref.fix
    assert ("ratio-grain", "bad_mixed", "zz_bad.yml", 25) in found
    assert ("duplicate-synonym", "bad_mixed", "zz_bad.yml", 32) in found
    assert any(
        i.rule == "derived-cycle"
        and "loop_a -> loop_b -> loop_a" in i.message
        or "loop_b -> loop_a -> loop_b" in i.message
        for i in issues
    )
    with pytest.raises(SpecError, match=r"zz_bad.yml:11"):
        load_catalog(tmp_path)


def test_packaged_spec_is_clean_and_smoke_runs(demo_engine):
    from semantic_layer.smoke import smoke_test

    loaded = load_spec()
    assert validate_static(loaded) == []
    assert smoke_test(loaded, demo_engine, today=date(2026, 10, 31)) == []
    assert len([m for m in default_catalog().spec.metrics if m.certified]) >= 20


def test_metrics_cli(demo_warehouse_url):
    from assistant.commands.metrics import command

    runner = CliRunner()
    out = runner.invoke(command, ["validate", "--db", demo_warehouse_url.split("///", 1)[1]])
    assert out.exit_code == 0, out.output
    assert "0 error(s)" in out.output
    out = runner.invoke(command, ["show", "csta"])
    assert out.exit_code == 1 and "Did you mean 'csat'?" in out.output
    out = runner.invoke(command, ["list", "--json"])
    assert out.exit_code == 0 and '"name": "csat"' in out.output


def test_query_cli(demo_warehouse_url):
    import json

    from assistant.commands.query import command

    path = demo_warehouse_url.split("///", 1)[1]
    out = CliRunner().invoke(
        command,
        [
            "--metric",
            "csat",
            "--by",
            "region",
            "--grain",
            "month",
            "--from",
            "2026-01-01",
            "--to",
            "2026-04-01",
            "--filter",
            "channel=wechat",
            "--compare",
            "previous_period",
            "--json",
            "--db",
            path,
        ],
    )
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert payload["ok"] and payload["metrics"]["csat"]["certified"]
    assert {"csat", "csat__n", "csat__previous", "csat__change_pct"} <= set(payload["columns"])
    assert payload["data_freshness"].startswith("2026-10-31")
    bad = CliRunner().invoke(command, ["--metric", "csta", "--db", path])
    assert bad.exit_code == 1 and "Did you mean 'csat'?" in bad.output


def test_semantic_layer_imports_nothing_above_it():
    import ast

    root = Path(__file__).parents[2] / "semantic_layer"
    for file in root.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert name.split(".")[0] not in ("tools", "assistant", "evals"), (file, name)


def test_a_word_claimed_twice_is_an_error_at_its_line(tmp_path):
    bad = """\
    metrics:
      - name: bad_region_word
        type: simple
        measure: tickets.tickets
        label: {zh: 区域工单, en: Area tickets}
        description: {zh: 一个有问题的指标定义示例, en: A metric with problems in it}
        owner: qa
        unit: tickets
        format: ",.0f"
        direction: up
        synonyms: [片区, 区域]
    ambiguous_terms:
      - name: bad_group
        words: [区域工单量, 华东区]
        metrics: [csat, no_such_metric]
    """
    issues = validate_static(load_spec(write_spec(tmp_path, bad)))
    found = {(i.rule, i.item, i.file, i.line): i for i in issues}
    # 区域 is already the region dimension's synonym (models.yml): reported at the metric.
    dup = found[("duplicate-synonym", "bad_region_word", "zz_bad.yml", 11)]
    assert "'区域' names both dimension 'region' and metric 'bad_region_word'" in dup.message
    # 华东区 is a code synonym of region.east; the ambiguous group may not claim it too.
    group = [i for i in issues if i.item == "bad_group"]
    assert {i.rule for i in group} == {"duplicate-synonym", "unknown-metric"}
    unknown = next(i for i in group if i.rule == "unknown-metric")
    assert unknown.line == 15 and "no_such_metric" in unknown.message
