"""What every response of the portal needs beyond Django's own middleware."""

import logging

from django.shortcuts import render
from django.utils.cache import patch_cache_control

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
