"""Limits of every tool surface, applied once in the tool layer: tool calls per user per minute,
the most rows and bytes one answer returns (HTTP endpoints, Gradio and MCP alike)."""

from __future__ import annotations

import asyncio
import time
from datetime import date

import pytest

from assistant.api import AppBackend, tool_endpoint, tools
from assistant.app import build_app
from assistant.ratelimit import RateLimited, RateLimiter
from assistant.toolset import ToolError
from tools.settings import Settings

TODAY = date(2026, 11, 5)
# One row per day x city x channel x category x product x agent: thousands in October.
WIDE = {
    "metrics": ["ticket_volume"],
    "dimensions": ["city", "channel", "category", "product_name", "agent_name"],
    "time_grain": "day",
    "start": "2026-10-01",
    "end": "2026-11-01",
}


class BigCases:
    """A case searcher whose hits are large (what a byte cap is for)."""

    def search(self, text, role, **filters):
        return [
            {"case_id": f"c{i}", "text": "x" * 5_000, "region": "east"}
            for i in range(filters.get("k", 5))
        ]


def _tool(name):
    return next(t for t in tools() if t.name == name)


@pytest.fixture
def make_app(demo_warehouse_url, tmp_path):
    made = []

    def make(**kwargs):
        settings = Settings(data_dir=tmp_path, **kwargs.pop("settings", {}))
        app = build_app(
            settings, "test", warehouse=demo_warehouse_url, today=TODAY, audit=False, **kwargs
        )
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()


def test_a_wide_query_is_refused_quickly_with_a_way_out(make_app) -> None:
    app = make_app()  # default cap: 1,000 rows
    endpoint = tool_endpoint(_tool("query_metrics"), lambda: AppBackend(app.api, "executive"))
    started = time.perf_counter()
    with pytest.raises(ToolError) as info:
        endpoint(**WIDE)
    elapsed = time.perf_counter() - started
    assert str(info.value).startswith(
        "Too many rows: the answer would have more than 1,000 rows (the most one answer returns)."
    )
    assert "Narrow the question" in str(info.value) and "export" in str(info.value)
    assert elapsed < 5.0
    # Under the cap the same tool answers: October by region is 4 rows (a real result).
    got = endpoint(metrics=["ticket_volume"], dimensions=["region"], **_october())
    assert 1 <= len(got["rows"]) <= 10 and all(r["ticket_volume"] > 0 for r in got["rows"])


def _october():
    return {"start": "2026-10-01", "end": "2026-11-01"}


def test_row_cap_is_configurable(make_app) -> None:
    app = make_app(settings={"tool_max_rows": 3})
    endpoint = tool_endpoint(_tool("query_metrics"), lambda: AppBackend(app.api, "executive"))
    with pytest.raises(ToolError, match="more than 3 rows"):
        endpoint(metrics=["ticket_volume"], dimensions=["city"], **_october())
    top = endpoint(
        metrics=["ticket_volume"],
        dimensions=["city"],
        rank_by="ticket_volume",
        limit=3,
        **_october(),
    )
    assert len(top["rows"]) == 3


def test_query_metrics_calls_are_rate_limited_per_user(make_app) -> None:
    app = make_app(tool_rate_limit=RateLimiter(2, what="tool calls", setting="S"))
    tool = _tool("query_metrics")
    lin = tool_endpoint(tool, lambda: AppBackend(app.api, "executive", "lin"))
    wang = tool_endpoint(tool, lambda: AppBackend(app.api, "executive", "wang"))
    lin(metrics=["csat"], **_october())
    lin(metrics=["csat"], **_october())
    with pytest.raises(RateLimited, match=r"Too many tool calls: at most 2 per minute per user"):
        lin(metrics=["csat"], **_october())
    assert wang(metrics=["csat"], **_october())["value"] is not None  # another user is not held


def test_search_similar_cases_has_a_rate_limit_and_a_byte_cap(make_app) -> None:
    app = make_app(
        cases=BigCases(),
        settings={"tool_max_bytes": 20_000},
        tool_rate_limit=RateLimiter(3, what="tool calls", setting="S"),
    )
    endpoint = tool_endpoint(
        _tool("search_similar_cases"), lambda: AppBackend(app.api, "executive", "lin")
    )
    assert len(endpoint(text="refund late", k=3)) == 3  # 15 kB: under the cap
    with pytest.raises(ToolError, match=r"Too much data: the search_similar_cases answer is "):
        endpoint(text="refund late", k=5)  # 25 kB
    endpoint(text="refund late", k=1)
    with pytest.raises(RateLimited):
        endpoint(text="refund late", k=1)


def test_mcp_tools_get_the_same_limits(make_app) -> None:
    from mcp.server.mcpserver.exceptions import ToolError as McpToolError

    from assistant.api import build_mcp_server

    app = make_app(tool_rate_limit=RateLimiter(2, what="tool calls", setting="S"))
    server = build_mcp_server(app.api, "executive", user="lin")
    with pytest.raises(McpToolError, match="query_metrics: Too many rows: .* more than 1,000"):
        asyncio.run(server.call_tool("query_metrics", WIDE))
    listed = asyncio.run(server.call_tool("list_metrics", {}))
    assert not listed.is_error
    with pytest.raises(McpToolError, match="Too many tool calls: at most 2 per minute per user"):
        asyncio.run(server.call_tool("describe_metric", {"name": "csat"}))
