"""How the task worker retries a mail that did not go out, whoever sends it (messages to families, account mails,
parking cards, alerts)."""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

logger = logging.getLogger(__name__)

# How long to wait after the 1st and the 2nd failed attempt: a mail server down for a while gets time to recover.
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def send_or_retry(task, *args, attempt: int, send: Callable[[], object], what: str) -> str:
    """Run `send`; when the mail does not go out, queue `task(*args, attempt + 1)` after this attempt's delay, and
    give up after MAX_ATTEMPTS. Returns "sent", "retrying" or "failed". `what` names the mail in the log (a kind
    and an id, never an address)."""
    try:
        send()
    except Exception as error:  # whatever stopped the mail, it is tried again later
        logger.warning("%s not sent (attempt %s): %r", what, attempt, error)
        if attempt >= MAX_ATTEMPTS:
            return "failed"
        task.using(run_after=timezone.now() + RETRY_DELAYS[attempt - 1]).enqueue(*args, attempt + 1)
        return "retrying"
    return "sent"
