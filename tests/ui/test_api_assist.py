"""The agent-assist tools over the web API (gradio_client) and MCP, as the caller's role."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from gradio_client import Client

from tests.paths import ROOT


def test_api_and_mcp_offer_the_assist_tools_as_the_callers_role(ui_server):
    from mcp import Client as McpClient
    from mcp.client.stdio import StdioServerParameters

    ui_server.wait_for_index()
    agent = Client(ui_server.url, auth=("agent", "agent-demo"), verbose=False)
    s = agent.predict("热水器漏水，师傅装完就滴水", None, None, api_name="/suggest_resolution")
    assert s["root_causes"] and s["cases"] and s["reply"].startswith("您好")
    assert {c for r in s["root_causes"] for c in r["case_ids"]} <= {
        h["case_id"] for h in s["cases"]
    }
    ticket = s["cases"][0]["case_id"]
    profile = agent.predict(ticket, api_name="/customer_profile")
    assert profile["ticket"]["ticket_id"] == ticket and profile["tickets"]
    region = profile["profile"]["region"]
    manager = "north" if region != "north" else "east"
    with pytest.raises(Exception, match="not found in the regions you may see"):
        Client(ui_server.url, auth=(manager, f"{manager}-demo"), verbose=False).predict(
            profile["customer_id"], api_name="/customer_profile"
        )

    async def mcp_call() -> dict:
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "assistant.commands.mcp", "--role", "agent"],
            env=dict(ui_server.env),
            cwd=str(ROOT),
        )
        async with McpClient(params, read_timeout_seconds=120) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            got = await client.call_tool("customer_profile", {"customer_id": ticket})
            return {"names": names, "got": json.loads(got.content[0].text)}

    run = asyncio.run(mcp_call())
    assert {"suggest_resolution", "customer_profile"} <= run["names"]
    assert run["got"]["customer_id"] == profile["customer_id"]
