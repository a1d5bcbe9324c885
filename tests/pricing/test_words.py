"""pricing.words: the engine's words translated once within a batch, as asked outside one."""

import pytest
from django.utils.translation import gettext_lazy

from pricing import Facts, parse_grid, quote, words
from tests.cantine.grids import PARIS
from tests.pricing.helpers import D


@pytest.fixture
def translations(monkeypatch):
    """Every call of the engine's gettext, which marks what it translates (a language that is not the source's)."""
    asked = []

    def gettext(message):
        asked.append(message)
        return f"¤{message}"

    monkeypatch.setattr(words, "gettext", gettext)
    return asked


FACTS = Facts(rfr=D("28000"), parts=D("2.5"), income_source="dgfip", rank=1)


def test_outside_a_batch_every_word_is_translated_as_it_is_asked(translations):
    grid = parse_grid(PARIS)
    translations.clear()
    first = quote(grid, FACTS)
    asked = len(translations)
    second = quote(grid, FACTS)
    assert asked and len(translations) == 2 * asked
    assert first == second and first.explanation[1].startswith("¤Nombre de parts")


def test_within_a_batch_each_word_is_translated_once(translations):
    grid = parse_grid(PARIS)
    translations.clear()
    with words.batch():
        quotes = [quote(grid, FACTS) for _n in range(3)]
        once = len(translations)
        assert quotes[0] == quotes[2] and quotes[0].explanation[1].startswith("¤Nombre de parts")
    assert once and len(translations) == len(set(translations)) == once
    quote(grid, FACTS)  # the batch is over: translated again
    assert len(translations) > once


def test_lazy_labels_are_remembered_by_the_object_within_a_batch(translations):
    first, second = gettext_lazy("par repas"), gettext_lazy("par jour")
    assert words.translated(first) == "par repas"  # outside a batch: str() of the label, in the active language
    with words.batch():
        assert [words.translated(first), words.translated(second), words.translated(first)] == ["par repas", "par jour", "par repas"]
        assert words._known.get()[id(first)][0] is first  # held: no other object takes its id
    assert words._known.get() is None
