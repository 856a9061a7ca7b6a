"""Images from the server in real Chromium: the cockpit as one PNG (导出图片 / Export PNG) as an
executive and as a regional manager, in Chinese and in English, downloaded and opened with
Pillow (a PNG, its size, not blank, each card's status colour where the page shows it), and a
chat answer's chart as PNG from the link under it. No Plotly mode bar (its tooltips and
snapshot toast are English). Images and screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.ui.conftest import ARTIFACTS
from tests.ui.test_browser import _ask, _login, browser  # noqa: F401 - the shared Chromium

pytestmark = pytest.mark.slow

STATUS_RGB = {"breach": (220, 38, 38), "warning": (217, 119, 6), "ok": (22, 163, 74)}
# Where the cards sit in the cockpit image (tools/chart_image.py at 2x: a 16 px margin, the
# title and two lines above the grid, three cards of 128 px per row with 10 px gaps).
MARGIN, GRID_TOP, CARD_H, GAP = 32, 184, 256, 20


def _card_accent(image: Image.Image, k: int) -> tuple[int, int, int]:
    card_w = (image.width - 2 * MARGIN - 2 * GAP) / 3
    x = MARGIN + (k % 3) * (card_w + GAP) + 5
    y = GRID_TOP + (k // 3) * (CARD_H + GAP) + CARD_H // 2
    return image.convert("RGB").getpixel((int(x), int(y)))


def _download(page, button: str, box: str, tmp_path) -> tuple[str, bytes]:
    page.locator(button).click()
    link = page.locator(f"{box} a[download$='.png']")
    link.wait_for(timeout=90_000)
    with page.expect_download() as info:
        link.click()
    name = info.value.suggested_filename
    path = tmp_path / name
    info.value.save_as(path)
    return name, path.read_bytes()


@pytest.mark.parametrize(
    ("user", "lang"), [("exec", "zh"), ("exec", "en"), ("east", "zh"), ("east", "en")]
)
def test_cockpit_png_as_the_page_shows_it(ui_server, browser, tmp_path, user, lang):  # noqa: F811
    page = _login(browser, ui_server.url, user)
    page.context.set_default_timeout(60_000)
    if lang == "en":
        page.locator("#sp-lang").get_by_text("English").click()
        page.wait_for_function("document.documentElement.lang === 'en'")
    page.get_by_role("tab", name="驾驶舱" if lang == "zh" else "Cockpit").click()
    page.wait_for_selector("#sp-cockpit-trend .js-plotly-plot", timeout=90_000)
    page.wait_for_selector("#sp-drill-plot .js-plotly-plot", timeout=90_000)
    heading = "预警" if lang == "zh" else "Alerts"  # a heading in either language
    assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    # no mode bar: its tooltips and "Taking snapshot" toast are English in any UI language
    assert page.locator("#sp-cockpit-trend .modebar-btn").first.is_hidden()
    statuses = page.locator("#sp-kpis .sp-kpi").evaluate_all(
        "els => els.map(e => e.dataset.status)"
    )
    crumb = page.locator("#sp-breadcrumb").inner_text()
    assert page.locator("#sp-png-cockpit").inner_text() == (
        "导出图片" if lang == "zh" else "Export PNG"
    )
    name, png = _download(page, "#sp-png-cockpit", "#sp-png-file", tmp_path)
    assert name.startswith("驾驶舱-" if lang == "zh" else "cockpit-") and name.endswith(".png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    assert image.width == 2400 and 1200 < image.height < 2400
    assert len(image.convert("L").getcolors(65_536)) > 50  # drawn, not blank
    (ARTIFACTS / f"30_png_cockpit_{user}_{lang}.png").write_bytes(png)
    # every card's status colour in the image is the one the page shows (red where breached)
    assert len(statuses) == 6
    for k, status in enumerate(statuses):
        if status in STATUS_RGB:
            assert _card_accent(image, k) == STATUS_RGB[status], (k, status)
    if user == "east":  # the manager's image is their region: the page starts inside it
        assert crumb.strip() == ("华东" if lang == "zh" else "East China")
    page.screenshot(path=str(ARTIFACTS / f"31_png_export_{user}_{lang}.png"), full_page=True)
    page.close()


def test_cockpit_charts_and_a_chat_chart_as_png(ui_server, browser, tmp_path):  # noqa: F811
    page = _login(browser, ui_server.url, "exec")
    page.context.set_default_timeout(60_000)
    _ask(page, "上个月各渠道的首次响应时长", plots=1)
    link = page.locator("#sp-chat a[download$='.png']").last
    link.wait_for(timeout=30_000)
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename.startswith("图表-")
    image = Image.open(info.value.path())
    assert image.format == "PNG" and image.width == 1280
    assert len(image.convert("L").getcolors(65_536)) > 10
    assert page.locator("#sp-chat .modebar-btn").first.is_hidden()
    page.screenshot(path=str(ARTIFACTS / "32_png_chat_chart_zh.png"), full_page=True)
    page.get_by_role("tab", name="驾驶舱").click()
    page.wait_for_selector("#sp-drill-plot .js-plotly-plot", timeout=90_000)
    for part in ("trend", "breakdown"):
        name, png = _download(page, f"#sp-png-{part}", "#sp-png-file", tmp_path)
        assert name.startswith({"trend": "趋势图-", "breakdown": "拆分图-"}[part])
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.width == 1280 and image.height >= 400
        (ARTIFACTS / f"33_png_{part}_zh.png").write_bytes(png)
    page.close()
