"""The server-rendered SVG chart: well-formed, described for screen readers, bars proportional to the values."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from cantine.charts import BAR_SPACE, PALETTE, Series, bar_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg):
    return ET.fromstring(str(svg))


def bars(root):
    return root.findall(".//svg:rect[@class='chart-bar']", NS)


def test_well_formed_and_described_for_screen_readers():
    root = parse(
        bar_chart(
            chart_id="demandes",
            title="Demandes par tranche",
            description="Deux tranches comparées.",
            categories=["QF ≤ 234", "QF > 234"],
            series=[Series("En vigueur", (3, 1)), Series("Projet", (2, 2))],
        )
    )
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert list(root)[:2] == [title, desc]  # the title comes first
    assert title.text == "Demandes par tranche" and desc.text == "Deux tranches comparées."
    assert root.get("aria-labelledby") == "demandes-title demandes-desc"
    assert (title.get("id"), desc.get("id")) == ("demandes-title", "demandes-desc")
    assert root.find(".//*[@style]") is None  # the CSP forbids inline styles


def test_one_bar_per_value_with_lengths_proportional():
    root = parse(
        bar_chart(
            chart_id="c",
            title="t",
            description="d",
            categories=["a", "b", "c"],
            series=[Series("Avant", (4, 2, 0)), Series("Après", (1, 8, 3))],
        )
    )
    found = bars(root)
    assert [bar.get("data-value") for bar in found] == ["4", "1", "2", "8", "0", "3"]
    values = {(bar.find("svg:title", NS).text): float(bar.get("width")) for bar in found}
    assert values == {
        "a — Avant : 4": BAR_SPACE / 2,
        "a — Après : 1": BAR_SPACE / 8,
        "b — Avant : 2": BAR_SPACE / 4,
        "b — Après : 8": BAR_SPACE,
        "c — Avant : 0": 0,
        "c — Après : 3": BAR_SPACE * 3 / 8,
    }
    heights = {bar.get("height") for bar in found}
    assert len(heights) == 1  # every bar as thick as the others: only its length carries the value


def test_all_zero_data_draws_empty_bars_without_dividing_by_zero():
    root = parse(
        bar_chart(
            chart_id="z",
            title="t",
            description="d",
            categories=["a", "b"],
            series=[Series("Demandes", (0, 0))],
        )
    )
    found = bars(root)
    assert len(found) == 2 and {bar.get("width") for bar in found} == {"0"}
    texts = [text.text for text in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["a", "0", "b", "0"]


def test_text_is_escaped_and_decimals_french():
    root = parse(
        bar_chart(
            chart_id="e",
            title="<script>alert(1)</script> & co",
            description="d",
            categories=["< 1 €"],
            series=[Series("Recette", (Decimal("1234.50"),))],
        )
    )
    assert root.find("svg:title", NS).text == "<script>alert(1)</script> & co"
    assert root.find(".//svg:script", NS) is None
    assert "1\u00a0234,50" in [text.text for text in root.iter("{http://www.w3.org/2000/svg}text")]


def test_single_series_has_no_legend_and_colours_have_contrast():
    root = parse(
        bar_chart(chart_id="s", title="t", description="d", categories=["a"], series=[Series("x", (1,))])
    )
    assert root.find(".//svg:g[@class='chart-legend']", NS) is None
    fill = bars(root)[0].get("fill")
    assert contrast(fill, "#ffffff") >= 4.5


def test_series_must_match_the_categories():
    with pytest.raises(ValueError):
        bar_chart(chart_id="x", title="t", description="d", categories=["a", "b"], series=[Series("x", (1,))])


def contrast(one, other):
    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("colour", PALETTE)
def test_every_palette_colour_reads_on_white(colour):
    assert contrast(colour, "#ffffff") >= 4.5
