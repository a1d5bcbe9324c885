"""Pages of a signed-in family or agent are never kept by a browser or a proxy cache."""

import pytest
from django.urls import reverse

from tests.factories import DossierFactory, UserFactory

pytestmark = pytest.mark.django_db


def not_stored(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_every_page_of_the_family_space_says_no_store(client):
    dossier = DossierFactory()
    client.force_login(dossier.child.household.owner)
    for url in (
        reverse("portal:dashboard"),
        reverse("cantine:dossier_detail", args=[dossier.pk]),
        reverse("impot:income", args=[dossier.pk]),
        reverse("portal:child_edit", args=[dossier.child.pk]),
    ):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert not_stored(response), url


def test_the_admin_says_no_store(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:cantine_dossier_changelist"))
    assert response.status_code == 200
    assert not_stored(response)


def test_an_anonymous_page_is_left_to_its_view(client):
    assert "no-store" not in client.get(reverse("portal:home")).get("Cache-Control", "")
