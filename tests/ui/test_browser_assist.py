"""Agent assist in real headless Chromium: a support agent searches similar cases, asks for a
suggested resolution, opens a case's customer history and copies the reply draft."""

from __future__ import annotations

import re

import pytest

from tests.ui.conftest import ARTIFACTS
from tests.ui.test_browser import PHONE, _login, browser  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.slow


def test_agent_searches_gets_a_suggestion_sees_the_customer_and_copies_the_reply(
    ui_server,
    browser,  # noqa: F811
):
    ui_server.wait_for_index()
    page = _login(browser, ui_server.url, "agent", chat=False)  # an agent has no chat tab
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("tab", name="相似案例").click()
    page.locator("#sp-complaint textarea").fill(
        "热水器安装后漏水，师傅上门三次都没修好，电话13812345678"
    )
    page.locator("#sp-case-search").click()
    page.wait_for_function(
        "document.querySelector('#sp-case-status').innerText.includes('✓')", timeout=90_000
    )
    table = page.locator("#sp-case-table").inner_text()
    first_case = re.search(r"T\d{9}", table)
    assert first_case, table

    page.locator("#sp-suggest").click()
    page.wait_for_function(
        "document.querySelector('#sp-suggestion').innerText.includes('可能的根因')",
        timeout=90_000,
    )
    advice = page.locator("#sp-suggestion").inner_text()
    assert "解决步骤" in advice and re.search(r"\d+%", advice) and re.search(r"T\d{9}", advice)
    reply = page.locator("#sp-reply textarea").input_value()
    assert reply.startswith("您好") and re.search(r"\[T\d{9}", reply)
    assert not PHONE.search(advice + reply)

    # open the top case's customer: the ticket in full, then the customer's whole history
    page.locator("#sp-customer-id input").fill(first_case.group(0))
    page.locator("#sp-customer-show").click()
    page.wait_for_function(
        "document.querySelector('#sp-customer').innerText.includes('客户档案')", timeout=60_000
    )
    customer = page.locator("#sp-customer").inner_text()
    assert first_case.group(0) in customer and "工单时间线" in customer and "流失风险" in customer
    assert not PHONE.search(customer)

    # copy the reply draft with the box's copy button
    page.locator("#sp-reply").hover()
    page.locator(
        "#sp-reply button[aria-label*='opy'], #sp-reply button[title*='opy']"
    ).first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == reply
    page.screenshot(path=str(ARTIFACTS / "09_agent_assist.png"), full_page=True)
