"""What every response of the portal needs beyond Django's own middleware."""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import formats
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from portal.resilience import CACHE_ERRORS

logger = logging.getLogger(__name__)


class SignedInPagesNotStoredMiddleware:
    """A signed-in page may show a household's income, a child's health needs or an agent's list of families: no
    browser or proxy cache may keep it (Cache-Control: no-store, private), whichever view drew it. Anonymous pages
    keep whatever caching their view chose."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            patch_cache_control(response, no_store=True, private=True)
        return response


def now() -> float:
    """Seconds since the epoch; tests patch it to let the minutes pass."""
    return time.time()


SIGNED_IN_AT = "portal_signed_in_at"
LAST_SEEN_AT = "portal_last_seen_at"
# The session is written for activity at most this often, not at each request (its idle window is minutes long).
ACTIVITY_GRANULARITY = 30


@receiver(user_logged_in)
def session_clock_start(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = request.session[LAST_SEEN_AT] = now()


def idle_timeout(user) -> int:
    return settings.SESSION_IDLE_TIMEOUT_AGENT if user.is_staff else settings.SESSION_IDLE_TIMEOUT_FAMILY


class SessionTimeoutMiddleware:
    """A signed-in session ends after SESSION_IDLE_TIMEOUT_FAMILY (agents: _AGENT) seconds without a request, and in
    any case SESSION_ABSOLUTE_TIMEOUT seconds after the sign-in; each request extends the idle window. The request
    that finds it over goes on signed out, with a message saying why (the sign-in page shows it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self.check(request)
        return self.get_response(request)

    def check(self, request):
        session, current = request.session, now()
        signed_in_at = session.setdefault(SIGNED_IN_AT, current)
        last_seen_at = session.get(LAST_SEEN_AT, current)
        idle = idle_timeout(request.user)
        if current - signed_in_at >= settings.SESSION_ABSOLUTE_TIMEOUT:
            message = _(
                "Par sécurité, une session dure au plus %(hours)s heures : vous avez été déconnecté(e). "
                "Reconnectez-vous pour continuer."
            ) % {"hours": formats.number_format(settings.SESSION_ABSOLUTE_TIMEOUT / 3600, decimal_pos=0)}
        elif current - last_seen_at >= idle:
            message = _(
                "Vous avez été déconnecté(e) après %(minutes)s minutes d'inactivité, pour protéger vos données. "
                "Reconnectez-vous pour continuer."
            ) % {"minutes": idle // 60}
        else:
            if current - last_seen_at >= ACTIVITY_GRANULARITY or LAST_SEEN_AT not in session:
                session[LAST_SEEN_AT] = current
            return
        logout(request)
        messages.info(request, message)


class DependencyFailureMiddleware:
    """The shared cache (Redis) or the rate limits on it failing in a view end on a French 503 page, never a 500:
    what the family saved is in the database, it is told so and to try again in a few minutes. Each use that can
    do better decides in place (portal.resilience); this is the floor under all of them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, CACHE_ERRORS):
            return None
        view = request.resolver_match.view_name if request.resolver_match else "-"
        logger.error("dependency unavailable in %s (%s): 503 page", view, type(exception).__name__)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "120"
        return response
