"""Answers in the UI, in real headless Chromium: a why answer's waterfall, a forecast's band
for the month asked, the newest chart after the previous one, SQL folded behind "查看SQL",
the chat filling the page, the language switch (labels, page lang, the answers already in the
chat), and each role's tabs.
Screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import pytest

from tests.ui.conftest import ARTIFACTS
from tests.ui.test_browser import _ask, _chat_text, _login, browser  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

# Every scrolled box in the chat shows its end (the newest message).
AT_BOTTOM = """() => [...document.querySelectorAll('#sp-chat *')]
    .filter(el => el.scrollHeight > el.clientHeight + 4
                  && getComputedStyle(el).overflowY !== 'visible')
    .every(el => el.scrollTop + el.clientHeight >= el.scrollHeight - 8)"""
LAST_PLOT = "[...document.querySelectorAll('#sp-chat .js-plotly-plot')].pop()"


def _open(ui_server, browser, user: str):  # noqa: F811
    """Signed in; a why analysis runs a score of queries, slow on a loaded machine. It also
    reads the case index, so wait until the indexer beside the server has written it (a
    half-written Chroma index fails the analysis)."""
    ui_server.wait_for_index()
    page = _login(browser, ui_server.url, user)
    page.set_default_timeout(90_000)
    return page


def _ask_or_shoot(page, question: str, name: str, plots: int) -> None:
    """Ask; on a timeout keep a screenshot of what the page showed (test-artifacts/ui)."""
    try:
        _ask(page, question, plots=plots)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"failed_{name}.png"), full_page=True)
        raise


def _tabs(page) -> list[str]:
    page.wait_for_function("document.querySelectorAll('[role=tab]').length > 0")
    page.wait_for_timeout(500)
    return [t.strip() for t in page.get_by_role("tab").all_inner_texts() if t.strip()]


def test_why_waterfall_and_forecast_band_in_chat(ui_server, browser):  # noqa: F811
    page = _open(ui_server, browser, "exec")
    viewport = page.viewport_size["height"]
    chat_height = page.locator("#sp-chat").bounding_box()["height"]
    assert chat_height > 0.6 * viewport  # the chat uses the page, not a fixed 560 px

    _ask_or_shoot(page, "为什么上个月投诉量变化了？", "why", plots=1)
    assert page.evaluate(f"{LAST_PLOT}.data[0].type") == "waterfall"
    assert "贡献 " in _chat_text(page) and "相加等于总变化" in _chat_text(page)
    assert "占变化 -" not in _chat_text(page)
    page.screenshot(path=str(ARTIFACTS / "20_why_waterfall.png"), full_page=False)

    _ask_or_shoot(page, "下个月投诉量预计多少？", "forecast", plots=2)
    names = page.evaluate(f"{LAST_PLOT}.data.map(d => d.name)")
    assert names == ["95% 区间", "80% 区间", "实际", "预测"]
    assert "2026-12-01 至 2026-12-31" in _chat_text(page)
    # The newest answer is in view: its chart is scrolled to, not the previous one.
    page.wait_for_timeout(800)
    box = page.evaluate(f"{LAST_PLOT}.getBoundingClientRect().top")
    chat_box = page.locator("#sp-chat").bounding_box()
    assert chat_box["y"] - 50 <= box <= chat_box["y"] + chat_box["height"]
    page.wait_for_function(AT_BOTTOM)  # scrolled to the newest answer
    page.screenshot(path=str(ARTIFACTS / "21_forecast_band.png"), full_page=False)

    page.get_by_text("查看SQL").last.click()
    page.wait_for_timeout(300)
    page.close()


def test_language_switch_relabels_and_sets_page_lang(ui_server, browser):  # noqa: F811
    page = _open(ui_server, browser, "exec")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.locator("#sp-up").inner_text().strip() == "👍 有用"
    page.locator("#sp-lang").get_by_text("English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.wait_for_function("document.querySelector('#sp-send').innerText.trim() === 'Send'")
    assert page.locator("#sp-up").inner_text().strip() == "👍 Helpful"
    assert page.locator("#sp-down").inner_text().strip() == "👎 Not helpful"
    assert _tabs(page) == ["Chat", "Cockpit", "Follow-up tasks"]
    _ask_or_shoot(page, "why did complaint volume rise last month?", "english_why", plots=1)
    assert "What moved" in page.evaluate(f"{LAST_PLOT}.layout.title.text")
    assert "Show SQL" in _chat_text(page)
    page.screenshot(path=str(ARTIFACTS / "22_english_why.png"), full_page=False)
    page.locator("#sp-lang").get_by_text("中文").click()
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    page.close()


def test_earlier_answers_follow_a_language_switch(ui_server, browser):  # noqa: F811
    """Asked in Chinese, switched to English: the answer already in the chat is re-told in
    English (text, table, chart, provenance) and back, the question stays as typed."""
    page = _open(ui_server, browser, "exec")
    question = "上个月各大区的客户满意度"
    _ask_or_shoot(page, question, "retell_zh", plots=1)
    assert "理解为" in _chat_text(page) and "华东" in _chat_text(page)
    zh_title = page.evaluate(f"{LAST_PLOT}.layout.title.text")
    page.screenshot(path=str(ARTIFACTS / "25_answer_in_chinese.png"), full_page=False)

    page.locator("#sp-lang").get_by_text("English").click()
    page.wait_for_function(
        "document.querySelector('#sp-chat').innerText.includes('I read this as: CSAT')"
    )
    page.wait_for_function(f"!/[\\u4e00-\\u9fff]/.test({LAST_PLOT}.layout.title.text)")
    text = _chat_text(page)
    assert question in text  # the user's question as typed
    assert "East China" in text and "Region" in text
    assert "华东" not in text and "理解为" not in text
    en_title = page.evaluate(f"{LAST_PLOT}.layout.title.text")
    assert "CSAT" in en_title and en_title != zh_title
    assert "How was this computed" in text
    page.wait_for_function("document.querySelector('#sp-send').innerText.trim() === 'Send'")
    page.screenshot(path=str(ARTIFACTS / "26_answer_retold_in_english.png"), full_page=False)

    page.locator("#sp-lang").get_by_text("中文").click()
    page.wait_for_function("document.querySelector('#sp-chat').innerText.includes('理解为')")
    page.wait_for_function(f"{LAST_PLOT}.layout.title.text === {zh_title!r}")
    assert "East China" not in _chat_text(page) and question in _chat_text(page)
    page.close()


@pytest.mark.parametrize(
    ("user", "tabs"),
    [
        ("exec", ["问答", "驾驶舱", "跟进任务"]),
        ("east", ["问答", "驾驶舱", "跟进任务"]),
        ("agent", ["相似案例", "跟进任务"]),
        ("analyst", ["问答", "指标目录"]),
    ],
)
def test_each_role_sees_its_tabs_only(ui_server, browser, user, tabs):  # noqa: F811
    page = _login(browser, ui_server.url, user, chat=user != "agent")
    page.wait_for_function(
        f"[...document.querySelectorAll('[role=tab]')].filter(t => t.innerText.trim()).length"
        f" === {len(tabs)}"
    )
    assert _tabs(page) == tabs
    if user == "agent":
        assert not page.locator("#sp-kpis").is_visible()
        assert not page.locator("#sp-cockpit-alerts").is_visible()
    if user == "analyst":
        page.get_by_role("tab", name="指标目录").click()
        page.wait_for_selector("#sp-catalog-table")
        assert "csat" in page.locator("#sp-catalog-table").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"23_tabs_{user}.png"), full_page=False)
    page.close()


@pytest.mark.parametrize(
    ("locale", "lang", "words"),
    [("zh-CN", "zh-CN", ["用户名", "密码", "请登录"]), ("en-US", "en", ["Login", "sign in"])],
)
def test_login_page_follows_the_browser_language(ui_server, browser, locale, lang, words):  # noqa: F811
    context = browser.new_context(locale=locale, viewport={"width": 1000, "height": 700})
    try:
        page = context.new_page()
        page.goto(ui_server.url)
        page.wait_for_selector("input[type=password]")
        page.wait_for_timeout(500)
        assert page.evaluate("document.documentElement.lang") == lang
        text = page.locator("body").inner_text()
        for word in words:
            assert word in text
        page.screenshot(path=str(ARTIFACTS / f"24_login_{locale}.png"))
    finally:
        context.close()
