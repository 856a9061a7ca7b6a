"""The tools are defined once (assistant.toolset): the agent, MCP and HTTP offer the same
tools with the same JSON schemas, accept the same argument shapes, and answer a bad argument
with a clear error naming it (never a raw validation dump)."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest

from assistant.app import build_app

TODAY = date(2026, 11, 5)


def _plain(schema, defs=None):
    """A JSON schema in one spelling: $refs inlined, no cosmetic titles, no top-level
    additionalProperties (LangChain's OpenAI form drops it; arguments are checked anyway)."""
    top = defs is None
    if top:
        defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _plain(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
        return {
            k: _plain(v, defs)
            for k, v in schema.items()
            if k not in ("title", "$defs") and not (top and k == "additionalProperties")
        }
    if isinstance(schema, list):
        return [_plain(v, defs) for v in schema]
    return schema


@pytest.fixture(scope="module")
def app(demo_warehouse_url):
    instance = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def surfaces(app):
    """{surface: {tool name: (parameter names in order, required names, JSON schema)}}."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    from assistant.api import AppBackend, build_mcp_server
    from assistant.llm.tools import AgentToolkit
    from assistant.ui.app import build_app as build_ui
    from assistant.ui.context import UIContext

    toolkit = AgentToolkit(
        engine=app.engine,
        today=TODAY,
        search=lambda *a: [],
        explain=lambda *a: {},
        operations=AppBackend(app.api, "executive", "wang"),
    )
    agent = {}
    for tool in toolkit.tools():
        schema = convert_to_openai_tool(tool)["function"]["parameters"]
        agent[tool.name] = (list(schema["properties"]), set(schema.get("required", ())), schema)
    mcp = {}
    for tool in asyncio.run(build_mcp_server(app.api, "executive").list_tools()):
        schema = tool.input_schema
        mcp[tool.name] = (list(schema["properties"]), set(schema.get("required", ())), schema)
    info = build_ui(UIContext(api=app.api, default_role="executive")).get_api_info()
    http = {}
    for name, endpoint in info["named_endpoints"].items():
        params = endpoint["parameters"]
        http[name.lstrip("/")] = (
            [p["parameter_name"] for p in params],
            {p["parameter_name"] for p in params if not p["parameter_has_default"]},
            None,
        )
    return {"agent": agent, "mcp": mcp, "http": http}


def test_the_three_surfaces_expose_the_same_tools_with_the_same_schemas(surfaces) -> None:
    from assistant.plugins import tools

    shared = {t.name: t for t in tools()}
    assert set(shared) == {
        "list_metrics",
        "describe_metric",
        "query_metrics",
        "ask",
        "search_similar_cases",
        "explain_change",
        "suggest_resolution",
        "customer_profile",
        "alert_states",
        "acknowledge_alert",
        "assign_alert",
        "list_tasks",
        "update_task",
    }
    assert set(surfaces["mcp"]) == set(surfaces["http"]) == set(shared)
    # the agent is the one asking; agent-assist tools serve support agents, not the chat
    assert set(surfaces["agent"]) == set(shared) - {"ask", "suggest_resolution", "customer_profile"}
    for name, tool in shared.items():
        expected = _plain(tool.schema())
        names, required = list(expected["properties"]), set(expected.get("required", ()))
        assert surfaces["mcp"][name][:2] == (names, required), name
        assert surfaces["http"][name][:2] == (names, required), name
        assert _plain(surfaces["mcp"][name][2]) == expected, name
        if name in surfaces["agent"]:
            assert surfaces["agent"][name][:2] == (names, required), name
            assert _plain(surfaces["agent"][name][2]) == expected, name
    # One argument shape: filters are [{dimension, values, exclude}] everywhere.
    filters = json.dumps(_plain(shared["query_metrics"].schema())["properties"]["filters"])
    assert '"dimension"' in filters and '"values"' in filters and '"exclude"' in filters
    assert surfaces["mcp"]["query_metrics"][0][:5] == [
        "metrics",
        "dimensions",
        "time_phrase",
        "start",
        "end",
    ]


def test_filters_take_the_same_shapes_everywhere_and_bad_ones_say_why(app) -> None:
    from assistant.api import AppBackend, tools
    from assistant.toolset import ToolError
    from assistant.ui.app import _gradio_endpoint

    query = next(t for t in tools() if t.name == "query_metrics")
    backend = AppBackend(app.api, "executive")
    base = {"metrics": ["csat"], "start": "2026-10-01", "end": "2026-11-01"}
    east = [{"dimension": "region", "values": ["east"]}]
    as_list = query.call(backend, {**base, "filters": east})
    as_dict = query.call(backend, {**base, "filters": {"region": ["east"]}})
    by_label = query.call(backend, {**base, "filters": {"region": "华东"}})
    values = {float(r[0].data.iloc[0]["csat"]) for r in (as_list, as_dict, by_label)}
    assert len(values) == 1
    # The HTTP endpoint (what Gradio calls, arguments by position) takes the dict form too.
    endpoint = _gradio_endpoint(query, lambda request=None: backend)
    got = endpoint(["csat"], None, None, "2026-10-01", "2026-11-01", {"region": ["east"]})
    assert got["value"] == pytest.approx(values.pop())
    with pytest.raises(ToolError) as bad:
        query.call(backend, {**base, "filters": [{"dimension": "region", "value": "east"}]})
    text = str(bad.value)
    assert text.startswith("Invalid arguments for query_metrics: filters.0.values: Field required")
    assert "pydantic" not in text and "errors.pydantic.dev" not in text
    with pytest.raises(ToolError, match="filters: unknown dimension 'regoin'. Valid dimensions"):
        query.call(backend, {**base, "filters": {"regoin": ["east"]}})
    with pytest.raises(ToolError, match=r"Unknown argument\(s\) \['role'\] for query_metrics"):
        query.call(backend, {**base, "role": "executive"})
    with pytest.raises(ToolError, match="Give both start and end"):
        query.call(backend, {"metrics": ["csat"], "start": "2026-10-01"})
