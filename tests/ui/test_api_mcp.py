"""The Gradio API (gradio_client) and the MCP tools (a real MCP client over stdio) return the
same number as the chat, and honour roles."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from gradio_client import Client

from tests.paths import ROOT
from tests.ui.conftest import TODAY

pytestmark = pytest.mark.slow

QUESTION_ZH = "上个月华东区的客户满意度是多少，和前一个月比呢？"


def _client(server, user: str) -> Client:
    return Client(server.url, auth=(user, f"{user}-demo"), verbose=False)


def test_api_ask_returns_the_chat_number(ui_server, demo_warehouse_url):
    from datetime import date

    from assistant.app import build_app
    from assistant.planning.plans import ConversationState

    got = _client(ui_server, "exec").predict(QUESTION_ZH, "", api_name="/ask")
    app = build_app(None, "test", warehouse=demo_warehouse_url)
    try:
        chat = app.assistant.ask(
            QUESTION_ZH, state=ConversationState(today=date.fromisoformat(TODAY), role="executive")
        )
    finally:
        app.close()
    assert got["kind"] == "metric"
    assert got["role"] == "executive"
    assert got["value"] == pytest.approx(float(chat.result.data.iloc[0]["csat"]))
    assert got["provenance"]["metrics"]["csat"]["certified"] is True
    assert "SELECT" in got["provenance"]["sql"].upper()


def test_regional_manager_gets_only_own_region_through_the_api(ui_server):
    east = _client(ui_server, "east")
    execs = _client(ui_server, "exec")
    # Asking for another region: the compiler adds region=east, so north's rows never appear.
    north_by_east = east.predict("上个月华北区的客户满意度是多少？", "", api_name="/ask")
    assert north_by_east["value"] is None
    assert "north" not in json.dumps(north_by_east.get("rows", []))
    assert "不在您的权限范围内" in north_by_east["answer"]  # said, not shown as no data
    # A breakdown by region shows only east.
    by_region = east.predict("What was CSAT by region last month?", "", api_name="/ask")
    assert {row["region"] for row in by_region["rows"]} == {"east"}
    # The east manager's unfiltered number is the executive's east number.
    own = east.predict("What was CSAT last month?", "", api_name="/ask")
    exec_east = execs.predict("What was CSAT in East China last month?", "", api_name="/ask")
    assert own["value"] == pytest.approx(exec_east["value"])
    all_regions = execs.predict("What was CSAT last month?", "", api_name="/ask")
    assert all_regions["value"] != pytest.approx(own["value"])
    # A role cannot be smuggled in through a query either (the tools' argument shape).
    raw = east.predict(
        metrics=["complaint_volume"],
        dimensions=["region"],
        start="2026-10-01",
        end="2026-11-01",
        api_name="/query_metrics",
    )
    assert {row["region"] for row in raw["rows"]} == {"east"}


def test_agent_role_cannot_query_metrics(ui_server):
    got = _client(ui_server, "agent").predict("What was CSAT last month?", "", api_name="/ask")
    assert got["value"] is None and "cannot query metrics" in got["answer"]


def test_wrong_password_is_refused(ui_server):
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain error on 401
        Client(ui_server.url, auth=("exec", "wrong"), verbose=False)


async def _mcp_calls(env: dict[str, str], role: str) -> dict:
    from mcp import Client as McpClient
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant.commands.mcp", "--role", role],
        env=env,
        cwd=str(ROOT),
    )
    async with McpClient(params, read_timeout_seconds=120) as client:
        tools = await client.list_tools()
        names = {tool.name for tool in tools.tools}
        query = await client.call_tool(
            "query_metrics",
            {
                "metrics": ["csat"],
                "start": "2026-10-01",
                "end": "2026-11-01",
                "filters": {"region": ["east"]},
                "compare_to": "previous_period",
            },
        )
        ask = await client.call_tool("ask", {"question": QUESTION_ZH})
        north = await client.call_tool(
            "query_metrics",
            {
                "metrics": ["csat"],
                "start": "2026-10-01",
                "end": "2026-11-01",
                "filters": {"region": ["north"]},
            },
        )
        described = await client.call_tool("describe_metric", {"name": "csta"})
        return {"names": names, "query": query, "ask": ask, "north": north, "described": described}


def _payload(result) -> dict:
    structured = getattr(result, "structured_content", None)
    if structured:
        return structured.get("result", structured)
    return json.loads(result.content[0].text)


def test_mcp_tools_return_the_chat_number_and_honour_roles(ui_server):
    env = dict(ui_server.env)
    exec_run = asyncio.run(_mcp_calls(env, "executive"))
    assert {
        "list_metrics",
        "describe_metric",
        "query_metrics",
        "search_similar_cases",
        "explain_change",
    } <= exec_run["names"]
    api_value = _client(ui_server, "exec").predict(QUESTION_ZH, "", api_name="/ask")["value"]
    assert _payload(exec_run["query"])["value"] == pytest.approx(api_value)
    assert _payload(exec_run["ask"])["value"] == pytest.approx(api_value)
    assert _payload(exec_run["north"])["value"] is not None
    assert exec_run["described"].is_error
    assert "csat" in exec_run["described"].content[0].text  # did-you-mean
    east_run = asyncio.run(_mcp_calls(env, "east_manager"))
    assert _payload(east_run["query"])["value"] == pytest.approx(api_value)
    # north is outside east's rows: refused with the reason, never an empty answer read as 0
    assert east_run["north"].is_error
    assert "region north is outside your access" in east_run["north"].content[0].text
