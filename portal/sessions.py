"""Cached database sessions (production's SESSION_ENGINE) that outlive the cache: with Redis down, a session is
read from and written to the database alone, and nobody is signed out nor shown a 500 (issue 15, gap 7)."""

import logging

from django.contrib.sessions.backends import cached_db

from portal.resilience import CACHE_ERRORS

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            return super().load()
        except CACHE_ERRORS as error:  # the cache answered neither the read nor the write after the database read
            logger.warning("session cache unavailable (%s): read from the database", type(error).__name__)
            session = self._get_session_from_db()
            return self.decode(session.session_data) if session else {}

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except CACHE_ERRORS:
            return cached_db.DBStore.exists(self, session_key)

    def delete(self, session_key=None):
        try:
            super().delete(session_key)
        except CACHE_ERRORS as error:
            # The database row is gone. A cached copy could come back with the cache before it expires: Redis
            # restarts without its data here (no persistence, docs/deploiement.md), so none is left to.
            logger.warning("session cache unavailable on delete (%s)", type(error).__name__)
