"""The cockpit's drill-down (region → product line → team → agent, channel and category on the
side) on the shared demo warehouse: every level's numbers against independent SQL, a regional
manager kept inside their region, alerts and language following the scope."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from assistant.ui.drill import DrillScope, start_scope
from tools.warehouse.engine import make_engine

OCTOBER = (date(2026, 10, 1), date(2026, 11, 1))


@pytest.fixture(scope="module")
def ctx(demo_warehouse_url):
    from assistant.app import build_app
    from assistant.ui.context import UIContext

    app = build_app(None, "test", warehouse=demo_warehouse_url, today=date(2026, 11, 22))
    yield UIContext(api=app.api)
    app.close()


def _complaints_by(url: str, scope: DrillScope, dimension: str) -> dict[str, int]:
    """October complaints per ``dimension`` inside ``scope``, straight from the tables."""
    column = {
        "region": "t.region",
        "product_line": "p.product_line",
        "team": "a.team",
        "agent_name": "a.agent_name",
        "channel": "t.channel",
    }
    where = " AND ".join(f"{column[d]} = :v{i}" for i, (d, _) in enumerate(scope.steps))
    sql = f"""
        SELECT {column[dimension]} AS member, count(*) AS n
        FROM tickets t LEFT JOIN products p USING (product_id) LEFT JOIN agents a USING (agent_id)
        WHERE t.ticket_type = 'complaint' AND t.created_at >= :start AND t.created_at < :end
          AND {where or "TRUE"}
        GROUP BY 1"""
    values = {f"v{i}": c for i, (_, c) in enumerate(scope.steps)}
    with make_engine(url, read_only=True).connect() as con:
        rows = con.execute(text(sql), {"start": OCTOBER[0], "end": OCTOBER[1], **values})
        return {str(m): n for m, n in rows if m is not None}


def _shown(view) -> dict[str, int]:
    """Member code -> the whole number its button shows ("145件"); members with none (an
    agent with tickets but no complaint) are left out, as the SQL has no row for them."""
    import re

    values = re.findall(r"data-code='([^']+)'><span>[^<]*</span> <b>([\d,]+)", view.member_list)
    shown = {code: int(n.replace(",", "")) for code, n in values}
    return {code: n for code, n in shown.items() if n}


def test_scope_steps_down_back_and_never_above_the_roles_floor():
    east = start_scope("east_manager")
    assert east.steps == (("region", "east"),) and east.floor == 1
    assert east.breakdowns() == ("product_line", "channel", "category")
    deeper = east.down("product_line", "air_conditioner").down("team", "east_a")
    assert deeper.up_to(0) == east and deeper.back().back().back() == east
    assert not east.can_go_back and deeper.can_go_back
    assert start_scope("executive") == DrillScope()
    assert DrillScope().breakdowns() == ("region", "channel", "category")
    with pytest.raises(ValueError):
        east.down("region", "north")
    # alerts inside the scope: its own members or wider-than-scope dimensions, never another
    assert east.admits({"region": "east", "channel": "email"}) and east.admits({})
    assert not east.admits({"region": "north"})


def test_executive_drills_company_to_agent_with_certified_numbers(ctx, demo_warehouse_url):
    from assistant.ui.cockpit_tab import cockpit

    view = cockpit(ctx, "executive", "month", "complaint_volume", "zh")
    path = []
    for level in ("region", "product_line", "team", "agent_name"):
        assert view.breakdown == level
        assert _shown(view) == _complaints_by(demo_warehouse_url, view.scope, level)
        code = view.members[0][1]  # the largest member, as listed first
        path.append(view.members[0][0])
        view = cockpit(
            ctx, "executive", "month", "complaint_volume", "zh", view.scope.down(level, code)
        )
    assert len(view.scope.steps) == 4 and view.breakdown == "channel"  # a side path below
    assert _shown(view) == _complaints_by(demo_warehouse_url, view.scope, "channel")
    crumbs = view.breadcrumb
    assert crumbs.index("全部") < crumbs.index(path[0]) < crumbs.index(path[3])
    assert "aria-current='page'>" + path[3] in crumbs
    # cards follow the scope: the complaint card shows the agent's own October count
    agent_total = sum(_complaints_by(demo_warehouse_url, view.scope, "channel").values())
    assert f"{agent_total}件" in view.cards
    up = cockpit(ctx, "executive", "month", "complaint_volume", "zh", view.scope.up_to(1))
    assert up.breakdown == "product_line" and up.scope.steps == (view.scope.steps[0],)


def test_regional_manager_starts_in_and_stays_in_their_region(ctx, demo_warehouse_url):
    from assistant.ui.cockpit_tab import breakdown_choices, cockpit

    view = cockpit(ctx, "east_manager", "month", "complaint_volume", "zh")
    assert view.scope.steps == (("region", "east"),) and view.breakdown == "product_line"
    assert "全部" not in view.breadcrumb and "华东" in view.breadcrumb
    assert [c for _, c in breakdown_choices(ctx, view.scope, "zh")] == [
        "product_line",
        "channel",
        "category",
    ]
    assert _shown(view) == _complaints_by(demo_warehouse_url, view.scope, "product_line")
    back = cockpit(ctx, "east_manager", "month", "complaint_volume", "zh", view.scope.up_to(0))
    assert back.scope.steps == (("region", "east"),)
    # a manager of several regions starts at the top and sees only theirs
    teams = cockpit(
        ctx,
        "east_manager",
        "month",
        "complaint_volume",
        "zh",
        view.scope.down("product_line", "air_conditioner"),
    )
    assert {c for _, c in teams.members} <= {"east_a", "east_b"}


def test_language_renders_breadcrumb_cards_and_chart_titles(ctx):
    from assistant.ui.cockpit_tab import cockpit

    scope = DrillScope(steps=(("region", "east"),))
    en = cockpit(ctx, "executive", "month", "csat", "en", scope)
    assert ">All</button>" in en.breadcrumb and "East China" in en.breadcrumb
    assert "CSAT" in en.cards and "October 2026" in en.cards
    assert en.drill_plot.layout.title.text == "CSAT by Product line"
    assert en.drill_plot.layout.xaxis.title.text == "CSAT (%)"
    assert en.trend.layout.xaxis.title.text == "Month"
    assert "Click a Product line" in en.member_list and "Air conditioner" in en.member_list
    zh = cockpit(ctx, "executive", "month", "csat", "zh", scope)
    assert ">全部</button>" in zh.breadcrumb and "华东" in zh.breadcrumb
    assert zh.drill_plot.layout.title.text == "客户满意度 · 按产品线"
    assert zh.trend.layout.xaxis.title.text == "月份" and "空调" in zh.member_list


def test_a_count_target_is_not_applied_to_a_narrower_slice(ctx):
    from assistant.ui.cockpit_tab import kpi_cards

    company = kpi_cards(ctx, "executive", *OCTOBER, DrillScope(), "zh", "month")
    assert "目标 500件" in company  # complaints: a company-only target
    line = DrillScope(steps=(("region", "east"), ("product_line", "air_conditioner")))
    narrow = kpi_cards(ctx, "executive", *OCTOBER, line, "zh", "month")
    assert "目标 500件" not in narrow and "目标 160单" not in narrow
    assert "目标 75.0%" in narrow  # a rate's company target still applies


def test_a_rate_on_too_few_responses_gets_no_status_colour(ctx, demo_warehouse_url):
    """An agent's CSAT from a handful of surveys says "too few to judge", not 达标 / 未达标."""
    from assistant.ui.cockpit_tab import kpi_cards

    with make_engine(demo_warehouse_url, read_only=True).connect() as conn:
        agent = conn.execute(
            text(
                "SELECT a.agent_name FROM surveys s JOIN tickets t USING (ticket_id) "
                "JOIN agents a USING (agent_id) WHERE s.responded_at >= '2026-10-01' "
                "AND s.responded_at < '2026-11-01' AND s.csat IS NOT NULL "
                "GROUP BY 1 HAVING count(*) BETWEEN 1 AND 29 ORDER BY 1 LIMIT 1"
            )
        ).scalar_one()
    scope = DrillScope(steps=(("agent_name", agent),))
    zh = kpi_cards(ctx, "executive", *OCTOBER, scope, "zh", "month")
    csat_card = next(c for c in zh.split("<div class='sp-kpi ")[1:] if "客户满意度" in c)
    assert "data-status='none'" in csat_card
    assert "目标 75.0%" in csat_card and "不足以判断是否达标" in csat_card
    assert "· 达标" not in csat_card and "未达标" not in csat_card
    en = kpi_cards(ctx, "executive", *OCTOBER, scope, "en", "month")
    assert "too few to judge against the target" in en


def test_trend_drawn_from_the_sparkline_series_is_the_trend_metrics_own(ctx):
    """The trend chart is the trend metric's column of the cards' monthly series, not a query
    of its own: the same figure (values, months, unit, titles) as that query draws, at every
    drill level, for each headline metric, both languages; a drill step runs three queries
    (this period with the previous one, the monthly series, the breakdown)."""
    from assistant.headline import HEADLINE_METRICS
    from assistant.ui.cockpit_tab import (
        _figure,
        _monthly,
        _series_result,
        _trend,
        cockpit,
        period_range,
    )
    from assistant.ui.context import UIContext

    today = ctx.api.today
    company = DrillScope()
    view = cockpit(ctx, "executive", "month", "csat", "zh", company)
    scopes = [company]
    for _ in range(4):  # down to an agent, the largest member each time
        scopes.append(scopes[-1].down(view.breakdown, view.members[0][1]))
        view = cockpit(ctx, "executive", "month", "csat", "zh", scopes[-1])
    assert scopes[-1].fixed == ("region", "product_line", "team", "agent_name")
    for scope in (scopes[0], scopes[2], scopes[4]):
        for period in ("month", "30d"):
            _, end = period_range(period, today)
            series = _series_result(ctx, HEADLINE_METRICS, "executive", end, scope)
            for metric in HEADLINE_METRICS:
                for lang in ("zh", "en"):
                    own = _figure(ctx, _monthly((metric,), end, scope), "executive", lang)
                    shared = _trend(ctx, metric, series, "executive", end, scope, lang)
                    assert own[0] is not None and len(own[0].data[0].x) == 12 + (period == "30d")
                    assert shared[0].to_json() == own[0].to_json(), (scope, period, metric)
                    assert shared[2] == own[2]
    # a metric outside the series (or no series) is queried on its own
    alone = _trend(ctx, "ces", None, "executive", OCTOBER[1], company, "en")
    assert alone[1].query.metrics == ("ces",) and alone[0] is not None
    fresh = UIContext(api=ctx.api)  # its own result cache: count what one step asks
    cockpit(fresh, "executive", "month", "sla_compliance", "zh", scopes[3])
    assert fresh.results.misses == 3
