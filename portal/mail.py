"""How the task worker retries a mail that did not go out, whoever sends it (messages to families, alerts)."""

from datetime import timedelta

# How long to wait after the 1st and the 2nd failed attempt: a mail server down for a while gets time to recover.
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
