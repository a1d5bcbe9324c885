"""The engine's words, translated once per batch: a re-quote words 50 000 explanations, and Django's gettext (about
4 µs a call, nine calls an explanation) took a third of each. Outside a batch, every word is translated as it is
asked, in the language active then."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.translation import gettext

# message or id(lazy) → (what was asked, its translation), while a batch runs.
_known: ContextVar[dict | None] = ContextVar("pricing_words", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Words translated once while the block runs: for a loop over many quotes in one language (a batch job never
    switches it)."""
    token = _known.set({})
    try:
        yield
    finally:
        _known.reset(token)


def _(message: str) -> str:
    """gettext, remembered within a batch."""
    words = _known.get()
    if words is None:
        return gettext(message)
    known = words.get(message)
    if known is None:
        known = words[message] = (message, gettext(message))
    return known[1]


def translated(lazy) -> str:
    """A lazy translation (a label of the engine's tables) as text, remembered within a batch. Keyed by the
    object, which the entry holds so that no other object takes its id while the batch runs."""
    words = _known.get()
    if words is None:
        return str(lazy)
    known = words.get(id(lazy))
    if known is None or known[0] is not lazy:
        known = words[id(lazy)] = (lazy, str(lazy))
    return known[1]
