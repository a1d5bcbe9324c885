"""Every POST without the CSRF token is refused (403), on every route of the resolver, signed in as the family
that owns the objects and as a superuser agent past the second factor. Only the simulators (left out of the walk,
never mounted in production) exempt views from CSRF."""

import pytest
from django.test import Client

from tests.security.urls import routes


def csrf_exempt_routes():
    return [route.route for route in routes() if getattr(route.callback, "csrf_exempt", False)]


def test_no_portal_view_is_exempt_from_csrf():
    assert csrf_exempt_routes() == []


def test_the_walk_sees_exempt_views():
    """The check can fail: the simulators' token endpoints are exempt, and the same attribute shows it."""
    from django.urls import get_resolver

    exempt = [
        pattern
        for resolver in get_resolver().url_patterns
        if str(resolver.pattern).startswith("sandbox/")
        for pattern in getattr(resolver, "url_patterns", [])
        if getattr(getattr(pattern, "callback", None), "csrf_exempt", False)
    ]
    assert exempt


@pytest.mark.parametrize("who", ["family", "agent"])
def test_every_post_without_the_token_is_refused(victims, agent, who):
    victim = victims[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(victim.household.owner if who == "family" else agent)
    pks = sorted({pk for model_pks in victim.owned.values() for pk in model_pks if isinstance(pk, int)})
    accepted = []
    posts = 0
    for route in routes():
        if route.converters and not route.names_an_object:
            urls = [route.url("x")]  # a slug or a token: the middleware refuses before any lookup
        elif route.names_an_object:
            owned = victim.owned.get(route.model, set()) if route.model is not None else set(pks)
            urls = [route.url(pk) for pk in sorted(owned)[:3]] or [route.url(1)]
        else:
            urls = [route.url()]
        for url in urls:
            response = client.post(url, {"confirm": "1"})
            posts += 1
            if response.status_code != 403:
                accepted.append((url, response.status_code))
    assert posts > 100
    assert accepted == []
