"""Charts as PNG images for what leaves the product (alert e-mails, the digest's HTML and PDF),
drawn with Pillow from a declarative spec — never from generated code, and without a browser
(Plotly's static export needs kaleido and Chromium). Text uses Noto Sans CJK (Debian
``fonts-noto-cjk``), so Chinese labels render; without it, Pillow's own font (Latin only).

A ``LineChart`` is x labels, one or more series, an optional shaded band over a range of x (the
expected interval of an alert) and an optional marked point (the anomaly).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
)
PALETTE = ("#0f172a", "#2563eb", "#16a34a", "#d97706", "#9333ea")
BAND = "#dbeafe"
MARK = "#dc2626"
GRID = "#e5e7eb"
MUTED = "#6b7280"


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]  # one per x label; None leaves a gap
    color: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    """A shaded interval [low, high] over x positions [first, last] (indexes into the labels)."""

    first: int
    last: int
    low: float
    high: float
    label: str = ""


@dataclass(frozen=True)
class Mark:
    index: int
    value: float
    label: str = ""


@dataclass(frozen=True)
class LineChart:
    title: str
    x_labels: tuple[str, ...]
    series: tuple[Series, ...]
    y_label: str = ""
    band: Band | None = None
    mark: Mark | None = None
    width: int = 640  # CSS pixels; the image is drawn at twice this for sharp phone screens
    height: int = 300


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in CJK_FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    span = high - low or abs(high) or 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = [round(first, 10)]
    while ticks[-1] < high:  # the last tick at or above the highest value
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _tick_text(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def render_png(chart: LineChart) -> bytes:
    """The chart as PNG bytes (2x scale)."""
    scale = 2
    w, h = chart.width * scale, chart.height * scale
    image = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(image)
    title_font, text_font = _font(15 * scale), _font(11 * scale)
    draw.text((12 * scale, 8 * scale), chart.title, fill="#111827", font=title_font)

    values = [v for s in chart.series for v in s.values if v is not None]
    if chart.band:
        values += [chart.band.low, chart.band.high]
    if chart.mark:
        values.append(chart.mark.value)
    if not values or not chart.x_labels:
        draw.text((12 * scale, 40 * scale), "–", fill=MUTED, font=text_font)
        return _png(image)
    ticks = _ticks(min(values), max(values))
    y_low, y_high = ticks[0], ticks[-1] if ticks[-1] > ticks[0] else ticks[0] + 1
    left = max(draw.textlength(_tick_text(t), font=text_font) for t in ticks) + 18 * scale
    top, right, bottom = 40 * scale, w - 14 * scale, h - 58 * scale
    n = len(chart.x_labels)

    def x_at(i: float) -> float:
        return left + (right - left) * (i / (n - 1) if n > 1 else 0.5)

    def y_at(v: float) -> float:
        return bottom - (bottom - top) * (v - y_low) / (y_high - y_low)

    for tick in ticks:
        y = y_at(tick)
        draw.line([(left, y), (right, y)], fill=GRID, width=scale)
        text = _tick_text(tick)
        tw = draw.textlength(text, font=text_font)
        draw.text((left - tw - 6 * scale, y - 7 * scale), text, fill=MUTED, font=text_font)
    if chart.band:
        b = chart.band
        x0, x1 = x_at(b.first - 0.4 if n > 1 else 0), x_at(b.last + 0.4 if n > 1 else 0)
        x0, x1 = max(x0, left), min(max(x1, x0 + 6 * scale), right)
        draw.rectangle([(x0, y_at(b.high)), (x1, y_at(b.low))], fill=BAND)
    every = max(1, math.ceil(n / 8))  # at most ~8 x labels
    for i, label in enumerate(chart.x_labels):
        if i % every and i != n - 1:
            continue
        tw = draw.textlength(label, font=text_font)
        x = min(max(x_at(i) - tw / 2, left - 10 * scale), w - tw - 4 * scale)
        draw.text((x, bottom + 6 * scale), label, fill=MUTED, font=text_font)
    for k, series in enumerate(chart.series):
        color = series.color or PALETTE[k % len(PALETTE)]
        run: list[tuple[float, float]] = []
        for i, v in enumerate(series.values):
            if v is None:
                _polyline(draw, run, color, scale, series.dashed)
                run = []
                continue
            run.append((x_at(i), y_at(v)))
        _polyline(draw, run, color, scale, series.dashed)
        for x, y in () if series.dashed else _points(series, x_at, y_at):
            draw.ellipse([(x - 2 * scale, y - 2 * scale), (x + 2 * scale, y + 2 * scale)], color)
    if chart.mark:
        x, y = x_at(chart.mark.index), y_at(chart.mark.value)
        r = 6 * scale
        draw.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], fill=MARK)
        if chart.mark.label:
            tw = draw.textlength(chart.mark.label, font=text_font)
            tx = min(max(x - tw / 2, left), right - tw)
            ty = y - r - 16 * scale if y - r - 16 * scale > top - 10 * scale else y + r + 2
            draw.text((tx, ty), chart.mark.label, fill=MARK, font=text_font)
    _legend(draw, chart, text_font, left, h - 24 * scale, scale)
    return _png(image)


def _points(series: Series, x_at, y_at) -> list[tuple[float, float]]:  # noqa: ANN001
    return [(x_at(i), y_at(v)) for i, v in enumerate(series.values) if v is not None]


def _polyline(
    draw: ImageDraw.ImageDraw, run: list[tuple[float, float]], color: str, scale: int, dashed: bool
) -> None:
    if len(run) < 2:
        return
    if not dashed:
        draw.line(run, fill=color, width=2 * scale, joint="curve")
        return
    for (x0, y0), (x1, y1) in zip(run, run[1:], strict=False):
        length = math.hypot(x1 - x0, y1 - y0) or 1
        dash = 6 * scale
        for start in range(0, int(length), dash * 2):
            a, b = start / length, min((start + dash) / length, 1)
            draw.line(
                [
                    (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a),
                    (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
                ],
                fill=color,
                width=2 * scale,
            )


def _legend(
    draw: ImageDraw.ImageDraw,
    chart: LineChart,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    x: float,
    y: float,
    scale: int,
) -> None:
    entries = [(s.name, s.color or PALETTE[k % len(PALETTE)]) for k, s in enumerate(chart.series)]
    if chart.band and chart.band.label:
        entries.append((chart.band.label, BAND))
    if chart.mark and chart.mark.label:
        entries.append((chart.mark.label, MARK))
    for name, color in entries:
        draw.rectangle([(x, y + 3 * scale), (x + 12 * scale, y + 12 * scale)], fill=color)
        draw.text((x + 16 * scale, y - 1 * scale), name, fill="#374151", font=font)
        x += 16 * scale + draw.textlength(name, font=font) + 14 * scale


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
