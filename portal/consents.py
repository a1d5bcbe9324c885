"""What every démarche's consent page shares: the fingerprint of the text the family read."""

import hashlib

from django.utils.html import strip_tags


def text_hash(text: str) -> str:
    """Whitespace- and markup-insensitive, so template layout does not count: only the words read."""
    return hashlib.sha256(" ".join(strip_tags(text).split()).encode()).hexdigest()
