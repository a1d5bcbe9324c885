"""What every response of the portal needs beyond Django's own middleware."""

from django.utils.cache import patch_cache_control


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
