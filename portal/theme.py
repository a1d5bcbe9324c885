"""The commune's theme: its two colours from settings, checked for contrast (WCAG 2.1, 1.4.3) and served as CSS.

The stylesheet reads the colours as custom properties (`--primary`, `--secondary`…). The strict CSP forbids inline
styles, so `/theme.css` (portal.views.theme_css) serves them from settings; base.html links it with a version
derived from the colours, so browsers keep it as long as the settings do not change.
"""

import hashlib
import re
from dataclasses import dataclass

from django.conf import settings

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
WHITE = "#ffffff"
INK = "#1d1d1f"  # the text colour of site.css
MINIMUM_CONTRAST = 4.5  # WCAG 2.1 AA, normal text
TINT = 0.92  # the pale background of callouts and summaries: the colour mixed with this much white


def rgb(colour: str) -> tuple[int, int, int]:
    """« #0b5d4b » or « #fff » as (11, 93, 75)."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def hex_colour(red: float, green: float, blue: float) -> str:
    return "#" + "".join(f"{round(max(0, min(255, part))):02x}" for part in (red, green, blue))


def relative_luminance(colour: str) -> float:
    """WCAG 2.1's relative luminance, 0 for black to 1 for white."""

    def channel(value: int) -> float:
        value = value / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(part) for part in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1's contrast ratio, from 1 (same colour) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(colour: str, other: str, weight: float) -> str:
    """`colour` mixed with `weight` of `other` (0 keeps `colour`, 1 gives `other`)."""
    return hex_colour(*(a + (b - a) * weight for a, b in zip(rgb(colour), rgb(other), strict=True)))


def tint(colour: str) -> str:
    return mix(colour, WHITE, TINT)


def darker(colour: str) -> str:
    """The hover shade: a third of the way to black."""
    return mix(colour, "#000000", 0.33)


@dataclass(frozen=True)
class Theme:
    primary: str
    secondary: str

    @property
    def css(self) -> str:
        lines = [
            "/* The commune's colours (settings COMMUNE_PRIMARY_COLOR, COMMUNE_SECONDARY_COLOR). */",
            ":root {",
            f"  --primary: {self.primary};",
            f"  --primary-dark: {darker(self.primary)};",
            f"  --primary-soft: {tint(self.primary)};",
            f"  --secondary: {self.secondary};",
            f"  --secondary-dark: {darker(self.secondary)};",
            f"  --secondary-soft: {tint(self.secondary)};",
            "}",
        ]
        return "\n".join(lines) + "\n"

    @property
    def version(self) -> str:
        return hashlib.sha256(self.css.encode()).hexdigest()[:12]


def current_theme() -> Theme:
    return Theme(
        primary=settings.COMMUNE_PRIMARY_COLOR.lower(),
        secondary=settings.COMMUNE_SECONDARY_COLOR.lower(),
    )


def colour_problems(name: str, colour: str) -> list[str]:
    """What is wrong with one theme colour, in French; empty when it reads well.

    Each colour is used as white text's background (header, buttons) and as the colour of text and links on white
    and on its own pale tint (callouts), and next to the body text: each pair must reach 4.5:1."""
    if not isinstance(colour, str) or not HEX_COLOUR.match(colour):
        return [f"{name} doit être une couleur hexadécimale comme « #0b5d4b » (reçu : {colour!r})."]
    problems = []
    for background, where in ((WHITE, "le blanc"), (tint(colour), "son fond pâle (encadrés)")):
        ratio = contrast_ratio(colour, background)
        if ratio < MINIMUM_CONTRAST:
            shown = f"{ratio:.2f}".replace(".", ",")
            problems.append(
                f"{name} ({colour}) contraste à {shown}:1 avec {where}, sous les 4,5:1 que demande le RGAA "
                "(critère 3.2) : choisissez une teinte plus foncée."
            )
    return problems
