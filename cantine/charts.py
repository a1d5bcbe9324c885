"""Server-rendered SVG charts: readable with no JavaScript, allowed by the strict CSP (no inline style, no
script: only SVG presentation attributes), described for screen readers (role="img", <title>, <desc>).

A chart never stands alone: the page gives the same figures as a data table.

Bars are horizontal, one row per category: long category labels stay readable on a phone, and each bar
carries its series name and value in text, so no information rests on colour alone (WCAG 1.4.1).
"""

# bandit B405: ElementTree only builds the SVG from the portal's own figures; nothing here parses XML.
import xml.etree.ElementTree as ET  # nosec B405
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe

SVG_NS = "http://www.w3.org/2000/svg"

# Colours against the chart's own white background (the admin may be in dark mode): all at least 4.5:1,
# so bars (WCAG 1.4.11, 3:1) and the text drawn with them (1.4.3) are readable.
INK = "#1d1d1f"
MUTED = "#545454"
BACKGROUND = "#ffffff"
PALETTE = ("#545454", "#0b5d4b", "#7a4100", "#1f4e8c")

WIDTH = 480
PADDING = 8
FONT_SIZE = 14
LEGEND_ROW = 22
LABEL_ROW = 20
BAR_HEIGHT = 16
BAR_GAP = 4
GROUP_GAP = 14
VALUE_SPACE = 180  # room right of the longest bar for its text ("En vigueur : 1 234")
BAR_SPACE = WIDTH - 2 * PADDING - VALUE_SPACE
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[int | Decimal, ...]
    fill: str = ""


def _number(value) -> str:
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return number_format(value, decimal_pos=2)
    return number_format(int(value))


def bar_lengths(values: Sequence[int | Decimal], space: float = BAR_SPACE) -> list[float]:
    """Each bar's length, proportional to its value; all zero when every value is zero (nothing to scale)."""
    top = max((Decimal(value) for value in values), default=Decimal(0))
    if top <= 0:
        return [0.0 for _ in values]
    return [round(float(max(Decimal(value), Decimal(0)) / top) * space, 2) for value in values]


def _text(parent, x, y, content, **attrs):
    element = ET.SubElement(
        parent,
        "text",
        {"x": f"{x:g}", "y": f"{y:g}", "fill": INK, **{k.replace("_", "-"): v for k, v in attrs.items()}},
    )
    element.text = content
    return element


def bar_chart(
    *, chart_id: str, title: str, description: str, categories: Sequence[str], series: Sequence[Series]
) -> SafeString:
    """A horizontal bar chart as inline SVG: per category, one bar per series, each labelled with the series
    name and its value. `chart_id` must be unique on the page (it names the <title> and <desc>)."""
    if not series:
        raise ValueError("a chart needs at least one series")
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(
                f"series {one.label!r} has {len(one.values)} values for {len(categories)} categories"
            )
    fills = [one.fill or PALETTE[index % len(PALETTE)] for index, one in enumerate(series)]
    lengths = bar_lengths([value for one in series for value in one.values])
    group_height = LABEL_ROW + len(series) * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP
    legend_height = LEGEND_ROW * len(series) + GROUP_GAP if len(series) > 1 else 0
    height = PADDING * 2 + legend_height + group_height * len(categories)

    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "id": chart_id,
            "class": "chart",
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": "100%",
            "preserveAspectRatio": "xMinYMin meet",
            "font-family": FONT_FAMILY,
            "font-size": str(FONT_SIZE),
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = description
    ET.SubElement(
        svg,
        "rect",
        {
            "class": "chart-background",
            "x": "0",
            "y": "0",
            "width": str(WIDTH),
            "height": str(height),
            "fill": BACKGROUND,
        },
    )

    y = PADDING
    if len(series) > 1:
        legend = ET.SubElement(svg, "g", {"class": "chart-legend"})
        for one, fill in zip(series, fills, strict=True):
            ET.SubElement(
                legend,
                "rect",
                {"x": str(PADDING), "y": str(y + 3), "width": "14", "height": "14", "fill": fill},
            )
            _text(legend, PADDING + 20, y + 15, one.label)
            y += LEGEND_ROW
        y += GROUP_GAP

    bars = ET.SubElement(svg, "g", {"class": "chart-bars"})
    for index, category in enumerate(categories):
        group = ET.SubElement(bars, "g", {"class": "chart-category"})
        _text(group, PADDING, y + FONT_SIZE, category, font_weight="600")
        y += LABEL_ROW
        for number, (one, fill) in enumerate(zip(series, fills, strict=True)):
            value = one.values[index]
            length = lengths[number * len(categories) + index]
            bar = ET.SubElement(
                group,
                "rect",
                {
                    "class": "chart-bar",
                    "x": str(PADDING),
                    "y": str(y),
                    "width": f"{length:g}",
                    "height": str(BAR_HEIGHT),
                    "fill": fill,
                    "data-value": str(value),
                },
            )
            label = f"{one.label} : {_number(value)}" if len(series) > 1 else _number(value)
            ET.SubElement(bar, "title").text = f"{category} — {label}"
            _text(group, PADDING + length + 6, y + BAR_HEIGHT - 3, label)
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP
    # The <title> children of the bars are for pointer users; the figures are in the page's table.
    # bandit B308/B703: built by ElementTree, which escapes every text and attribute.
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308  # nosec B308, B703
