"""tools/chart_image.py's newer kinds drawn with real Pillow and Noto Sans CJK and checked by
pixel: bars (from zero, negative, floating waterfall steps), KPI cards with their status
colour, a page stacking them, a forecast interval whose nested bands darken, a full-height
period band; and Chinese text drawn as glyphs, not boxes."""

from __future__ import annotations

import io

from PIL import Image

from tools.chart_image import (
    Area,
    Band,
    Bar,
    BarChart,
    Card,
    CardGrid,
    LineChart,
    Page,
    Series,
    _font,
    render_image,
    render_png,
)

RED, GREEN, BLUE = (220, 38, 38), (22, 163, 74), (37, 99, 235)


def _row_colors(image: Image.Image, y: int) -> set[tuple[int, int, int]]:
    return {image.getpixel((x, y)) for x in range(image.width)}


def test_chinese_text_is_drawn_as_glyphs_not_boxes() -> None:
    font = _font(24)
    assert "CJK" in " ".join(font.getname())  # Noto Sans CJK (Debian fonts-noto-cjk)
    masks = {ch: bytes(font.getmask(ch)) for ch in "华东驾驶舱"}
    assert len(set(masks.values())) == 5  # distinct glyphs; missing ones share one box


def test_bars_top_to_bottom_in_order_with_their_colours() -> None:
    chart = BarChart(
        "按区域",
        (Bar("华东", 80.0, "80.0%", "#dc2626"), Bar("华北", 40.0, "40.0%", "#16a34a")),
        value_label="客户满意度（%）",
    )
    image = render_image(chart)
    assert image.width == 1280
    rows = {y: _row_colors(image, y) for y in range(image.height)}
    red = [y for y, c in rows.items() if RED in c]
    green = [y for y, c in rows.items() if GREEN in c]
    assert red and green and max(red) < min(green)  # the first bar on top
    # the longer value is the longer bar
    assert sum(image.getpixel((x, red[len(red) // 2])) == RED for x in range(image.width)) > (
        1.8 * sum(image.getpixel((x, green[len(green) // 2])) == GREEN for x in range(image.width))
    )
    assert render_png(chart)[:8] == b"\x89PNG\r\n\x1a\n"


def test_negative_bars_and_waterfall_steps_start_where_they_should() -> None:
    steps = BarChart(
        "变化",
        (
            Bar("上期", 100.0, "100", "#64748b"),
            Bar("华东", 80.0, "-20", "#16a34a", base=100.0),
            Bar("本期", 80.0, "80", "#64748b"),
        ),
        from_zero=False,
    )
    image = render_image(steps)
    gray = (100, 116, 139)

    def span(color: tuple[int, int, int], nth: int = 0) -> tuple[int, int]:
        rows = [y for y in range(image.height) if color in _row_colors(image, y)]
        bands = [y for y in rows if y - 1 not in rows]  # the first row of each bar
        xs = [x for x in range(image.width) if image.getpixel((x, bands[nth] + 4)) == color]
        return xs[0], xs[-1]

    before, step, now = span(gray, 0), span(GREEN), span(gray, 1)
    assert before[0] == now[0]  # totals start at the axis
    # the step floats from the previous value (100) back to the current one (80)
    assert abs(step[1] - before[1]) <= 2 and abs(step[0] - now[1]) <= 2
    below = render_image(BarChart("t", (Bar("a", -5.0, "-5", "#dc2626"), Bar("b", 5.0, "5"))))
    assert below.height > 100
    assert render_image(BarChart("空", (Bar("a", None, "–"),))).height > 50  # no bars: no crash


def test_cards_show_their_status_colour_and_a_page_stacks_blocks() -> None:
    cards = CardGrid(
        (
            Card("投诉量", "557件", (("目标 500件 · 未达标", "#dc2626"),), "#dc2626", "#dc2626",
                 spark=(1.0, 3.0, 2.0)),
            Card("积压工单", "150单", (("目标 160单 · 达标", "#16a34a"),), "#16a34a"),
            Card("净推荐值", "-6.3"),
            Card("客户满意度", "70.5%"),
        ),
        columns=3,
    )  # fmt: skip
    image = render_image(cards)
    assert image.height == 2 * 256 + 20  # two rows of three
    assert image.getpixel((4, 128)) == RED and image.getpixel((int(1280 / 3) + 10, 128)) == GREEN
    page = Page(
        "服务驾驶舱",
        ("范围: 华东", "期间: 2026年10月"),
        rows=((cards,), (BarChart("b", (Bar("x", 1.0, "1"),)), LineChart("l", ("1", "2"), ()))),
        width=1000,
        footer="ServicePilot",
    )
    drawn = Image.open(io.BytesIO(render_png(page)))
    assert drawn.width == 2000 and drawn.height > image.height + 400
    assert RED in {drawn.getpixel((32 + 4, y)) for y in range(drawn.height)}


def test_nested_interval_bands_darken_and_a_period_band_is_full_height() -> None:
    xs = ("1", "2", "3", "4")
    chart = LineChart(
        "预测",
        xs,
        (Series("预测", (10.0, 11.0, 12.0, 13.0), dashed=True),),
        areas=(
            Area((5.0, 5.0, 5.0, None), (20.0, 20.0, 20.0, None), "95%"),
            Area((8.0, 8.0, 8.0, None), (16.0, 16.0, 16.0, None), "80%"),
        ),
        band=Band(3, 3, None, None, "预测期", "#fef1e8"),
    )
    image = render_image(chart)
    x = image.width // 2 - 60
    column = [image.getpixel((x, y)) for y in range(image.height)]
    light, dark = (223, 232, 252), (195, 212, 249)  # 15 % blue over white, and twice
    assert column.count(light) > 50 and column.count(dark) > 100  # the 80 % band darker
    assert max(i for i, c in enumerate(column) if c == dark) < max(
        i for i, c in enumerate(column) if c == light
    )  # inside the 95 % one
    period = [image.getpixel((image.width - 40, y)) for y in range(image.height)]
    assert period.count((254, 241, 232)) > 300  # full height at the last x
