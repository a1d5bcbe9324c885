"""The antivirus hook: uploaded files scanned by ClamAV's daemon through clamdpy (a maintained client of clamd's
protocol, INSTREAM here), when CLAMD_SOCKET (a Unix socket) or CLAMD_HOST (with CLAMD_PORT) is set.

`scan` answers CLEAN or INFECTED, or raises ScanFailed (clamd unreachable, too slow, over its StreamMaxLength,
an answer it cannot read): the caller keeps the file quarantined and tries again later. Logs carry the outcome
and the signature's name, never the file."""

import enum
import logging
from typing import BinaryIO

from clamdpy import ClamdNetworkSocket, ClamdUnixSocket
from clamdpy.exceptions import ClamdException
from django.conf import settings

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024


class Verdict(enum.Enum):
    CLEAN = "clean"
    INFECTED = "infected"


class ScanFailed(Exception):
    """No verdict: the file stays quarantined."""


def configured() -> bool:
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def _daemon():
    if settings.CLAMD_SOCKET:
        return ClamdUnixSocket(settings.CLAMD_SOCKET, timeout=settings.CLAMD_TIMEOUT, max_chunk_size=CHUNK_BYTES)
    return ClamdNetworkSocket(
        settings.CLAMD_HOST, settings.CLAMD_PORT, timeout=settings.CLAMD_TIMEOUT, max_chunk_size=CHUNK_BYTES
    )


def scan(stream: BinaryIO) -> tuple[Verdict, str]:
    """The verdict on `stream` (read to its end) and, when infected, the signature clamd named."""
    try:
        result = _daemon().instream(stream)
    except (ClamdException, OSError) as error:  # socket timeouts are OSErrors
        logger.warning("antivirus: no verdict (%s)", type(error).__name__)
        raise ScanFailed(type(error).__name__) from error
    if result.status == "OK":
        return Verdict.CLEAN, ""
    if result.status == "FOUND":
        logger.warning("antivirus: infected upload refused (%s)", result.reason)
        return Verdict.INFECTED, result.reason or ""
    logger.warning("antivirus: clamd answered %s", result.status)
    raise ScanFailed(result.status)
