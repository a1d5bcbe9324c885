"""For every URL pattern naming an object (found by walking the resolver, the admin's included), another family,
an anonymous visitor and an agent of another service get a refusal (404, 403, 302 to sign in, 405), never a page
showing the victim's data, and their POSTs change nothing."""

import pytest
from django.test import Client

from tests.security.urls import object_routes

REFUSALS = {302, 400, 403, 404, 405, 409}


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def candidates(route, owned) -> set:
    """The victim's pks to try: those of the admin page's model, or every pk the victim has for the others."""
    if route.model is not None:
        return owned.get(route.model, set())
    return {pk for pks in owned.values() for pk in pks if isinstance(pk, int)}


def snapshot(owned) -> dict:
    """What a forged POST could have changed: which of the victim's objects still exist, and their fields."""
    state = {}
    for model, pks in owned.items():
        rows = model._base_manager.filter(pk__in=pks)
        state[model._meta.label] = sorted(
            # The attributes, in clear: an encrypted field's value_from_object is a fresh Fernet token each time.
            (row.pk, tuple(str(getattr(row, field.attname)) for field in model._meta.concrete_fields))
            for row in rows
        )
    return state


def test_the_walk_finds_the_object_urls_of_the_family_space_and_the_admin():
    routes = {route.route for route in object_routes()}
    assert "espace/enfants/<int:pk>/" in routes
    assert "demarches/dossiers/<int:pk>/revenus/retirer/" in routes
    assert "admin/cantine/dossier/<path:object_id>/change/" in routes
    assert len(routes) > 40


def test_the_victim_reaches_its_own_objects(victims):
    """The check can fail: the owner does see the markers at the same URLs."""
    victim = victims[0]
    client = Client()
    client.force_login(victim.household.owner)
    seen = 0
    for route in object_routes():
        if route.is_admin:
            continue
        for pk in candidates(route, victim.owned):
            response = client.get(route.url(pk))
            seen += response.status_code == 200 and victim.marker in body(response)
    assert seen >= 3


@pytest.mark.parametrize("actor", ["anonymous", "other_family", "other_service_agent"])
def test_nobody_else_reaches_a_familys_objects(victims, other_family, actor):
    requests = 0
    leaks = []
    for victim in victims:
        client = Client()
        if actor == "other_family":
            client.force_login(other_family)
        elif actor == "other_service_agent":
            client.force_login(victim.other_service_agent)
        before = snapshot(victim.owned)
        for route in object_routes():
            for pk in sorted(candidates(route, victim.owned)):
                for method in ("get", "post"):
                    response = getattr(client, method)(route.url(pk))
                    requests += 1
                    text = body(response)
                    if victim.marker in text or response.status_code not in REFUSALS | {200}:
                        leaks.append((method.upper(), route.route, pk, response.status_code))
        assert snapshot(victim.owned) == before, actor
    assert requests > 200
    assert leaks == []
