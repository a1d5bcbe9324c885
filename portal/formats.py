"""Numbers and words the French way, shared by every app's pages, admin and exports.

- `euros(4.2)` → « 4,20 € », `euros(1283.33)` → « 1 283,33 € » (no-break spaces);
- `number(2.5)` → « 2,5 », `number(2)` → « 2 » (never « 2,0 »), `number(28000)` → « 28 000 »;
- `clock("08:30")` → « 8 h 30 », `duration(260)` → « 4 h 20 »;
- `de("Inès")` → « d'Inès », `de("Léa")` → « de Léa »; `a_le("crèche Les Petits Pas")` → « à la crèche Les Petits
  Pas », `a_le("Multi-accueil")` → « au multi-accueil »; `de_le("Année scolaire 2026-2027")` → « de l'année scolaire 2026-2027 », `le(…)` → « l'année scolaire 2026-2027 ».
"""

import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format

NBSP = "\u00a0"
EMPTY = "—"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def euros(value, *, empty: str = EMPTY) -> str:
    """An amount: two decimals, grouped thousands, « € » after a no-break space."""
    amount = _decimal(value)
    if amount is None:
        return empty
    return f"{number_format(amount, decimal_pos=2, force_grouping=True)}{NBSP}€"


def number(value, *, empty: str = EMPTY, max_decimals: int = 2) -> str:
    """A count or a figure: as many decimals as it needs, up to `max_decimals` (« 2,5 parts », « 2 parts »)."""
    figure = _decimal(value)
    if figure is None:
        return empty
    figure = round(figure, max_decimals).normalize()
    decimals = max(0, -figure.as_tuple().exponent)
    return number_format(figure, decimal_pos=decimals, force_grouping=True)


def with_unit(value, unit_label: str) -> str:
    """« 4,20 € par repas »."""
    amount = euros(value)
    return f"{amount} {unit_label}".strip() if amount != EMPTY else amount


def clock(value) -> str:
    """A time of day the French way: « 08:30 » (or a `time`) → « 8 h 30 », « 12:00 » → « 12 h »."""
    if hasattr(value, "hour"):
        hours, minutes = value.hour, value.minute
    else:
        hours, minutes = (int(part) for part in str(value).split(":")[:2])
    return f"{hours}{NBSP}h{NBSP}{minutes:02d}" if minutes else f"{hours}{NBSP}h"


def duration(minutes: int) -> str:
    """A length of time in minutes: 260 → « 4 h 20 », 540 → « 9 h », 45 → « 45 min »."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest}{NBSP}min"
    return f"{hours}{NBSP}h{NBSP}{rest:02d}" if rest else f"{hours}{NBSP}h"


# Words that start with a vowel sound: elided (« d'Inès », « l'année »). An h counts as mute, as in most first
# names (« d'Hugo », « d'Hélène »); the few aspirated ones a commune meets are listed.
ASPIRATED_H = {"haricot", "hameau", "halte", "handicap", "hangar", "hauteur", "hérisson", "héron", "hibou", "hêtre"}


def starts_with_vowel_sound(word: str) -> bool:
    word = word.strip()
    if not word:
        return False
    letters = unicodedata.normalize("NFD", word.lower())
    letters = "".join(letter for letter in letters if not unicodedata.combining(letter))
    base = letters[0]
    if base in "aeiou":
        return True
    if base == "y":  # « d'Yvonne », but « de Yanis », « de Yohan »: a y before a vowel sounds like a consonant
        return len(letters) > 1 and letters[1] not in "aeiouy"
    if base == "h":
        first = word.split()[0].lower().strip("-'\u2019")
        return not any(first.startswith(aspirated) for aspirated in ASPIRATED_H)
    return False


def de(name) -> str:
    """« de Léa », « d'Inès », « d'Hugo »."""
    name = str(name).strip()
    return f"d'{name}" if starts_with_vowel_sound(name) else f"de {name}"


# The common nouns an establishment's or a period's name starts with, by gender: « Crèche Les Petits Pas » reads
# « à la crèche Les Petits Pas », « Multi-accueil Arc-en-ciel » « au multi-accueil Arc-en-ciel ». A name starting
# with anything else is a proper name and takes no article (« à Beauval »).
FEMININE = {"crèche", "micro-crèche", "école", "halte-garderie", "maison", "structure", "cantine", "année", "période"}
MASCULINE = {"multi-accueil", "jardin", "centre", "accueil", "relais", "groupe", "restaurant", "service", "trimestre"}


def _article(noun_phrase: str) -> tuple[str, str]:
    """(article, phrase with its common noun in lower case): ('la', 'crèche …'), ('le', …), ("l'", …) or ('', name)."""
    words = noun_phrase.split(maxsplit=1)
    first = words[0].lower() if words else ""
    if first not in FEMININE | MASCULINE:
        return "", noun_phrase
    phrase = " ".join([first, *words[1:]])
    if starts_with_vowel_sound(phrase):
        return "l'", phrase
    return ("la" if first in FEMININE else "le"), phrase


def le(noun_phrase) -> str:
    """« l'année scolaire 2026-2027 », « la crèche Les Petits Pas », « le multi-accueil »."""
    article, phrase = _article(str(noun_phrase).strip())
    return f"{article}{phrase}" if article in ("l'", "") else f"{article} {phrase}"


def a_le(noun_phrase) -> str:
    """« à la crèche Les Petits Pas », « au multi-accueil Arc-en-ciel », « à l'école Jean-Jaurès »."""
    article, phrase = _article(str(noun_phrase).strip())
    if article == "le":
        return f"au {phrase}"
    return f"à {le(noun_phrase)}"


def de_le(noun_phrase) -> str:
    """« de la crèche Les Petits Pas », « du multi-accueil », « de l'année scolaire », « de Beauval »."""
    article, phrase = _article(str(noun_phrase).strip())
    if article == "le":
        return f"du {phrase}"
    if article == "":
        return de(phrase)
    return f"de {le(noun_phrase)}"
