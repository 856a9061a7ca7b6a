"""The cockpit's drill-down in real headless Chromium: an executive drills from the whole
company to one agent by clicking members and a chart bar, comes back by the breadcrumb and the
Back button; a regional manager starts inside their region and cannot leave it; switching the
language re-renders the cards, charts and breadcrumb. Screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import pytest

from tests.ui.conftest import ARTIFACTS
from tests.ui.test_browser import _login, browser  # noqa: F401  (the module's browser fixture)

pytestmark = pytest.mark.slow


def _open_cockpit(page, tab: str = "驾驶舱") -> None:
    page.get_by_role("tab", name=tab).click()
    page.wait_for_selector("#sp-kpis .sp-kpi")
    page.wait_for_selector("#sp-drill-members .sp-member")
    page.wait_for_selector("#sp-drill-plot .js-plotly-plot")


def _crumbs(page) -> list[str]:
    return [c.strip() for c in page.locator("#sp-breadcrumb .sp-crumb").all_inner_texts()]


def _wait_crumbs(page, count: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('#sp-breadcrumb .sp-crumb').length === {count}"
    )
    page.wait_for_selector("#sp-drill-members .sp-member, #sp-drill-members .sp-members-empty")
    page.wait_for_function("!document.body.classList.contains('sp-drilling')")  # undimmed


def _member(page, index: int = 0) -> tuple[str, str]:
    """(label, code) of a member in the clickable list."""
    item = page.locator("#sp-drill-members .sp-member").nth(index)
    return item.locator("span").inner_text().strip(), item.get_attribute("data-code")


# Each change of the page's "drilling" state (the body's class), with the cards' dimming rule
# as it then applies
DIM_LOG = """() => {
  window.__spDim = [];
  if (window.__spDimWatched) return;
  window.__spDimWatched = true;
  let was = false;
  new MutationObserver(() => {
    const busy = document.body.classList.contains('sp-drilling');
    if (busy === was) return;  // another of the body's classes
    was = busy;
    const cards = getComputedStyle(document.querySelector('#sp-cockpit-cards'));
    window.__spDim.push([busy, busy ? cards.transitionDelay : '']);
  }).observe(document.body, {attributes: true, attributeFilter: ['class']});
}"""


def _dimmed_while_waiting(page, steps: int) -> None:
    """Each of the last ``steps`` drill clicks dimmed the panels (after 0.2 s: a quick step
    does not flicker) and the answer undimmed them."""
    page.wait_for_function("!document.body.classList.contains('sp-drilling')")
    log = page.evaluate("window.__spDim")
    assert log == [[True, "0.2s"], [False, ""]] * steps, log


def _by(page) -> str:
    return page.locator("#sp-drill-by input:checked").get_attribute("value") or ""


def test_executive_drills_company_to_agent_and_back(ui_server, browser):  # noqa: F811
    page = _login(browser, ui_server.url, "exec")
    _open_cockpit(page)
    assert _crumbs(page) == ["全部"]
    assert "按大区" in page.locator("#sp-drill-plot").inner_text()
    page.screenshot(path=str(ARTIFACTS / "30_drill_company.png"), full_page=True)

    # a bar of the region chart drills like its list item
    region, _ = _member(page)
    bar = page.locator("#sp-drill-plot .js-plotly-plot g.point").last  # bars drawn ascending
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()  # a user's click reaches the bar through plotly's drag layer
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    _wait_crumbs(page, 2)
    assert _crumbs(page) == ["全部", region]
    assert "按产品线" in page.locator("#sp-drill-plot").inner_text()
    path = [region]
    page.evaluate(DIM_LOG)
    for expected in (3, 4):  # product line, then team, by the member list
        label, _ = _member(page)
        page.locator("#sp-drill-members .sp-member").first.click()
        _wait_crumbs(page, expected)
        path.append(label)
    _dimmed_while_waiting(page, 2)
    agent, _ = _member(page)
    page.locator("#sp-drill-members .sp-member").first.click()
    _wait_crumbs(page, 5)
    path.append(agent)
    assert _crumbs(page) == ["全部", *path]
    cards = page.locator("#sp-kpis").inner_text()
    assert "投诉量" in cards
    page.screenshot(path=str(ARTIFACTS / "31_drill_agent.png"), full_page=True)

    # the breadcrumb goes back to the product line; Back to the region
    page.locator("#sp-breadcrumb .sp-crumb").nth(2).click()
    _wait_crumbs(page, 3)
    assert _crumbs(page) == ["全部", *path[:2]]
    page.evaluate(DIM_LOG)
    page.locator("#sp-drill-back").click()
    _wait_crumbs(page, 2)
    assert _crumbs(page) == ["全部", region]
    _dimmed_while_waiting(page, 1)
    page.locator("#sp-breadcrumb .sp-crumb").first.click()
    _wait_crumbs(page, 1)

    # side path: by channel at the top, a channel, then the main path goes on
    page.evaluate(DIM_LOG)
    page.locator("#sp-drill-by").get_by_text("渠道").click()
    page.wait_for_function("document.querySelector('#sp-drill-plot').innerText.includes('按渠道')")
    _dimmed_while_waiting(page, 1)
    channel, _ = _member(page)
    page.locator("#sp-drill-members .sp-member").first.click()
    _wait_crumbs(page, 2)
    assert _crumbs(page) == ["全部", channel] and _by(page) == "region"

    # language: cards, charts, breadcrumb and members re-render in English
    page.locator("#sp-lang").get_by_text("English").click()
    page.wait_for_function("document.querySelector('#sp-breadcrumb').innerText.includes('All')")
    page.wait_for_function("document.querySelector('#sp-kpis').innerText.includes('CSAT')")
    page.wait_for_function(
        "document.querySelector('#sp-drill-plot').innerText.includes('by Region')"
    )
    assert "Month" in page.locator("#sp-cockpit-trend").inner_text()
    assert "East China" in page.locator("#sp-drill-members").inner_text()
    assert "投诉量" not in page.locator("#sp-kpis").inner_text()
    plot_label = page.locator("#sp-drill-plot").get_by_text("Plot", exact=True)
    assert plot_label.count() == 0 or not plot_label.first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "32_drill_en.png"), full_page=True)
    page.close()


def test_regional_manager_drills_only_inside_their_region(ui_server, browser):  # noqa: F811
    page = _login(browser, ui_server.url, "east")
    _open_cockpit(page)
    assert _crumbs(page) == ["华东"]
    assert "按产品线" in page.locator("#sp-drill-plot").inner_text()
    choices = page.locator("#sp-drill-by label").all_inner_texts()
    assert [c.strip() for c in choices] == ["产品线", "渠道", "问题类别"]
    assert not page.locator("#sp-drill-back").is_enabled()
    page.locator("#sp-drill-members .sp-member").first.click()
    _wait_crumbs(page, 2)
    page.locator("#sp-drill-members .sp-member").first.click()  # a team: east's own
    _wait_crumbs(page, 3)
    assert _crumbs(page)[-1].startswith("华东")
    page.screenshot(path=str(ARTIFACTS / "33_drill_east_manager.png"), full_page=True)
    page.locator("#sp-breadcrumb .sp-crumb").first.click()
    _wait_crumbs(page, 1)
    assert _crumbs(page) == ["华东"]
    page.close()


def test_the_chart_library_loads_before_the_first_chart_is_asked_for(ui_server, browser):  # noqa: F811
    """Signed in and still on the chat: the page has imported the chart module named in its
    head (assistant/ui/preload.py), so opening the cockpit does not wait for it."""
    from assistant.ui.preload import chart_module

    name = chart_module()
    assert name is not None, "Gradio's Plotly chunk was not found: update assistant/ui/preload.py"
    page = _login(browser, ui_server.url, "exec")
    assert page.locator("#sp-drill-plot .js-plotly-plot").count() == 0  # no chart shown yet
    page.wait_for_function(
        "(name) => performance.getEntriesByType('resource').some((e) => e.name.endsWith(name))",
        arg=name,
    )
    _open_cockpit(page)  # and the cockpit's charts draw with it
    page.close()
