import re
from datetime import timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
from django.core import mail
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Adult, User
from tests.factories import ChildFactory, EstablishmentFactory, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_home_page_is_french_and_names_the_commune(client, settings):
    settings.COMMUNE_NAME = "Ville de Testville"
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Ville de Testville" in html


def test_pages_send_the_security_headers(client):
    response = client.get(reverse("portal:home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


class TestHealthCheck:
    def test_ok_when_the_database_answers(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "tasks": "ok"}

    def test_503_when_the_database_does_not_answer(self, client):
        with mock.patch("portal.health.connection.cursor", side_effect=DatabaseError("down")):
            response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "unavailable"


class TestSignup:
    data = {
        "first_names": "Inès",
        "last_name": "Moreau",
        "birth_date": "1990-06-21",
        "email": "ines@example.org",
        "password1": "un-mot-de-passe-long",
        "password2": "un-mot-de-passe-long",
    }

    def test_signup_then_confirmation_link_opens_the_family_space(
        self, client, django_capture_on_commit_callbacks, immediate_tasks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("portal:signup"), self.data)
        assert response.url == reverse("portal:signup_done")
        assert not User.objects.get(email="ines@example.org").is_active
        link = re.search(r"https?://[^/\s]+(/compte/confirmer/\S+)", mail.outbox[0].body).group(1)

        assert "Confirmer mon adresse" in client.get(link).content.decode()  # the link itself confirms nothing
        password = {"new_password1": "un-mot-de-passe-long", "new_password2": "un-mot-de-passe-long"}
        response = client.post(link, password, follow=True)
        assert response.redirect_chain[-1][0] == reverse("portal:dashboard")
        assert "Votre adresse est confirmée" in response.content.decode()
        assert User.objects.get(email="ines@example.org").is_active

        client.logout()
        assert client.get(link).status_code == 400  # single use

    def test_mail_outage_still_creates_the_account_and_shows_no_error(
        self, client, django_capture_on_commit_callbacks, immediate_tasks
    ):
        with (
            mock.patch("portal.tasks.send_mail", side_effect=SMTPException("relais injoignable")),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(reverse("portal:signup"), self.data, follow=True)
        assert response.status_code == 200
        assert "Vérifiez vos courriels" in response.content.decode()
        assert User.objects.filter(email="ines@example.org", is_active=False).exists()

    def test_invalid_form_keeps_what_was_typed(self, client):
        response = client.post(reverse("portal:signup"), {**self.data, "password2": "autre"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Les deux mots de passe ne sont pas identiques." in html
        assert 'value="ines@example.org"' in html
        assert 'value="Inès"' in html
        assert 'aria-invalid="true"' in html

    def test_the_holders_birth_date_is_kept_on_the_household(self, client):
        client.post(reverse("portal:signup"), self.data)
        holder = User.objects.get(email="ines@example.org").household.adults.get()
        assert holder.birth_date.isoformat() == "1990-06-21"

    def test_a_missing_birth_date_is_explained_and_the_rest_kept(self, client):
        response = client.post(reverse("portal:signup"), {**self.data, "birth_date": ""})
        html = response.content.decode()
        assert "Indiquez la date de naissance" in html and 'value="ines@example.org"' in html
        assert not User.objects.exists()

    def test_a_future_birth_date_is_explained_and_kept(self, client):
        response = client.post(reverse("portal:signup"), {**self.data, "birth_date": "2999-01-01"})
        html = response.content.decode()
        assert "ne peut pas être dans le futur" in html and 'value="2999-01-01"' in html

    @pytest.fixture
    def confirmation_link(self, client, django_capture_on_commit_callbacks, immediate_tasks):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("portal:signup"), self.data)
        return re.search(r"https?://[^/\s]+(/compte/confirmer/\S+)", mail.outbox[-1].body).group(1)

    def test_opening_the_link_neither_confirms_nor_signs_in(self, client, confirmation_link):
        """A GET signing in would let any page log its visitor into an account of its choosing (login CSRF)."""
        link = confirmation_link
        response = client.get(link)
        assert response.status_code == 200
        assert not User.objects.get(email="ines@example.org").is_active
        assert "_auth_user_id" not in client.session

    def test_the_button_needs_the_csrf_token(self, client, confirmation_link):
        link = confirmation_link
        assert Client(enforce_csrf_checks=True).post(link).status_code == 403
        assert not User.objects.get(email="ines@example.org").is_active

    def test_a_browser_signed_in_to_another_account_stays_in_it(self, client, confirmation_link):
        link = confirmation_link
        other = HouseholdFactory().owner
        client.force_login(other)
        response = client.post(link)
        assert response.status_code == 409
        assert "autre compte" in response.content.decode()
        assert int(client.session["_auth_user_id"]) == other.pk
        assert not User.objects.get(email="ines@example.org").is_active

    def test_forged_confirmation_link_is_refused(self, client):
        response = client.get(reverse("portal:signup_confirm", args=["MTIz", "faux-jeton"]))
        assert response.status_code == 400
        assert "plus valable" in response.content.decode()


class TestLogin:
    def test_sign_in_with_any_case_email(self, client, password):
        user = UserFactory(email="claire@example.org")
        HouseholdFactory(owner=user)
        response = client.post(
            reverse("portal:login"), {"username": "Claire@Example.org", "password": password}
        )
        assert response.url == reverse("portal:dashboard")

    def test_wrong_password_gets_a_french_message_and_keeps_the_email(self, client):
        UserFactory(email="claire@example.org")
        response = client.post(
            reverse("portal:login"), {"username": "claire@example.org", "password": "faux"}
        )
        html = response.content.decode()
        assert "Adresse électronique ou mot de passe incorrect." in html
        assert 'value="claire@example.org"' in html

    def test_unconfirmed_account_is_told_to_confirm(self, client, password):
        UserFactory(email="attente@example.org", is_active=False, email_confirmed_at=None)
        response = client.post(
            reverse("portal:login"), {"username": "attente@example.org", "password": password}
        )
        assert "pas encore confirmée" in response.content.decode()

    @pytest.mark.parametrize("next_url", ["", "https://exemple.invalid/piege", "//exemple.invalid/"])
    def test_an_agent_without_a_safe_next_lands_on_the_admin(self, client, password, next_url):
        agent = UserFactory(email="agent@example.org", is_staff=True)
        url = reverse("portal:login") + (f"?next={next_url}" if next_url else "")
        response = client.post(url, {"username": agent.email, "password": password})
        assert response.status_code == 302
        assert response.url == reverse("admin:index")

    def test_a_family_without_a_safe_next_lands_on_its_dashboard(self, client, password):
        HouseholdFactory(owner=UserFactory(email="claire@example.org"))
        url = reverse("portal:login") + "?next=https://exemple.invalid/piege"
        response = client.post(url, {"username": "claire@example.org", "password": password})
        assert response.url == reverse("portal:dashboard")

    def test_sign_out_is_a_post(self, family_client):
        assert family_client.get(reverse("portal:logout")).status_code == 405
        response = family_client.post(reverse("portal:logout"))
        assert response.url == reverse("portal:home")
        assert family_client.get(reverse("portal:dashboard")).status_code == 302


def test_password_reset_sends_a_link(client, django_capture_on_commit_callbacks, immediate_tasks):
    UserFactory(email="claire@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:password_reset"), {"email": "claire@example.org"})
    assert response.url == reverse("portal:password_reset_done")
    assert "/compte/mot-de-passe/" in mail.outbox[0].body


class TestDashboard:
    def test_requires_sign_in(self, client):
        response = client.get(reverse("portal:dashboard"))
        assert response.url.startswith(reverse("portal:login"))

    def test_lists_only_the_households_children_and_dossiers(self, family_client, household, make_dossier):
        mine = make_dossier(child=ChildFactory(household=household, first_names="Léa"))
        theirs = make_dossier(child=ChildFactory(first_names="Intrus"))
        html = family_client.get(reverse("portal:dashboard")).content.decode()
        assert "Léa" in html and mine.reference in html
        assert "Intrus" not in html and theirs.reference not in html

    def test_staff_without_household_gets_404(self, client, agent):
        client.force_login(agent)
        assert client.get(reverse("portal:dashboard")).status_code == 404


class TestChildren:
    def test_add_a_child(self, family_client, household):
        school = EstablishmentFactory()
        response = family_client.post(
            reverse("portal:child_add"),
            {
                "first_names": "Léa",
                "last_name": "Martin",
                "birth_date": "2019-03-14",
                "school": school.pk,
                "class_level": "CE1",
                "diet": "no_pork",
                "has_pai": "on",
            },
        )
        assert response.status_code == 302
        child = household.children.get()
        assert (child.school, child.class_level, child.diet, child.has_pai) == (
            school,
            "CE1",
            "no_pork",
            True,
        )

    def test_bad_birth_date_keeps_what_was_typed(self, family_client, household):
        future = (timezone.localdate() + timedelta(days=10)).isoformat()
        response = family_client.post(
            reverse("portal:child_add"),
            {"first_names": "Léa", "last_name": "Martin", "birth_date": future, "diet": "standard"},
        )
        html = response.content.decode()
        assert "La date de naissance ne peut pas être dans le futur." in html
        assert 'value="Léa"' in html and f'value="{future}"' in html
        assert household.children.count() == 0

    def test_edit_a_child(self, family_client, household):
        child = ChildFactory(household=household)
        data = {
            "first_names": "Léa Rose",
            "last_name": child.last_name,
            "birth_date": child.birth_date.isoformat(),
            "diet": "vegetarian",
        }
        family_client.post(reverse("portal:child_edit", args=[child.pk]), data)
        child.refresh_from_db()
        assert (child.first_names, child.diet) == ("Léa Rose", "vegetarian")


class TestHousehold:
    def test_add_a_second_parent(self, family_client, household):
        response = family_client.post(
            reverse("portal:adult_edit", args=["second_parent"]),
            {"first_names": "Karim", "last_name": "Martin", "birth_date": "1986-11-03"},
        )
        assert response.status_code == 302
        assert household.adults.get(role=Adult.Role.SECOND_PARENT).first_names == "Karim"

    def test_a_second_parent_without_birth_date_is_refused_with_what_was_typed(
        self, family_client, household
    ):
        response = family_client.post(
            reverse("portal:adult_edit", args=["second_parent"]),
            {"first_names": "Karim", "last_name": "Martin"},
        )
        html = response.content.decode()
        assert "Indiquez la date de naissance" in html and 'value="Karim"' in html
        assert not household.adults.filter(role=Adult.Role.SECOND_PARENT).exists()

    def test_the_holders_birth_date_stays_required_for_a_local_account(self, family_client, household):
        response = family_client.post(
            reverse("portal:adult_edit", args=["holder"]), {"first_names": "Claire", "last_name": "Martin"}
        )
        assert "Indiquez la date de naissance" in response.content.decode()

    def test_unknown_role_is_404(self, family_client):
        assert family_client.get("/espace/foyer/voisin/").status_code == 404
