"""The family's rights: « Mes données » and its download, withdrawing a consent from it, deleting a child without
dossier, erasing the account (refused while a démarche needs it, keeping only what billing needs)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cantine import services as cantine_services
from cantine.income import services as income_services
from cantine.models import Dossier, DossierMessage
from franceconnect.models import FranceConnectIdentity
from impot_client import services as impot_services
from impot_client.models import TaxData
from portal.models import AuditEntry, Child, Consent, Household, SignIn, User
from tests.cantine.backoffice import submitted, under_review, with_grid, with_income
from tests.cantine.income.test_erasure import creche_contracted
from tests.cantine.income.test_services import PDF
from tests.factories import AdultFactory, ChildFactory, DossierFactory
from tests.impot_client.conftest import grant, private_media, situation_for  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def owner(dossier):
    return dossier.child.household.owner


def page(client, name="portal:my_data", *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class TestMyData:
    def test_the_dashboard_links_to_it_and_it_needs_a_sign_in(self, client, family_client):
        assert reverse("portal:my_data") in page(family_client, "portal:dashboard")
        client.logout()
        assert client.get(reverse("portal:my_data")).status_code == 302
        assert client.get(reverse("portal:my_data_download")).status_code == 302

    def test_it_shows_the_household_with_the_identity_source_and_dossiers_consents_figures(self, client):
        dossier = submitted(with_income(with_grid(DossierFactory(income_declined=False)), rfr=31337))
        household = dossier.child.household
        AdultFactory(household=household, role="second_parent", first_names="Karim", last_name="Martin")
        client.force_login(owner(dossier))
        html = page(client)
        assert "saisie par vous" in html  # a local account: the identity is typed
        assert "Karim" in html and dossier.child.first_names in html
        assert dossier.reference in html and "Envoyée" in html
        assert "31\xa0337\xa0€" in html  # figures from FranceConnect's DGFiP lookup are shown to the family
        assert "Via FranceConnect" in html
        assert reverse("impot:withdraw", args=[dossier.pk]) in html  # one withdraw button for the live grant
        assert "Connexions" in html
        assert SignIn.objects.filter(user=owner(dossier)).exists()

    def test_figures_obtained_by_numero_fiscal_are_never_shown(self, client):
        dossier = DossierFactory(income_declined=False)
        holder = dossier.child.household.adults.get(role="holder")
        impot_services._tax_data_store(
            consent=grant(dossier), situation=situation_for(holder, rfr=45678), numero_fiscal="3999990000025"
        )
        client.force_login(owner(dossier))
        shown = page(client)
        assert "45678" not in shown and "45\xa0678" not in shown
        download = json.dumps(client.get(reverse("portal:my_data_download")).json(), ensure_ascii=False)
        assert "45678" not in download and "45\xa0678" not in download and "numéro fiscal" in download

    def test_a_franceconnect_identity_is_marked_certified(self, client, household):
        FranceConnectIdentity.objects.create(
            user=household.owner, sub="abc", given_name="Angela Claire", family_name="DUBOIS", birthdate="1962-08-24",
            acr="eidas1", last_login_at=timezone.now(),
        )
        client.force_login(household.owner)
        html = page(client)
        assert "certifiée par FranceConnect" in html and "DUBOIS" in html

    def test_the_download_is_an_uncached_json_attachment_of_the_same_data(self, family_client, household):
        ChildFactory(household=household, first_names="Léa")
        response = family_client.get(reverse("portal:my_data_download"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "no-store" in response["Cache-Control"]
        data = response.json()
        assert {"identite", "enfants", "compte", "connexions", "demandes", "consentements", "revenus", "documents",
                "messages"} <= data.keys()
        assert data["enfants"][0]["titre"].startswith("Léa")
        assert data["compte"][0]["Adresse électronique"] == household.owner.email

    def test_the_withdraw_button_erases_the_figures(self, client):
        dossier = submitted(with_income(with_grid(DossierFactory(income_declined=False))))
        client.force_login(owner(dossier))
        assert client.post(reverse("impot:withdraw", args=[dossier.pk])).status_code == 302
        assert not TaxData.objects.filter(dossier=dossier).exists()
        assert reverse("impot:withdraw", args=[dossier.pk]) not in page(client)  # nothing left to withdraw

    def test_messages_and_documents_are_listed(self, client, private_media):  # noqa: F811
        dossier = DossierFactory(income_declined=False)
        income_services.tax_notice_upload(user=owner(dossier), dossier=dossier, uploaded=SimpleUploadedFile("a", PDF))
        DossierMessage.objects.create(dossier=dossier, kind="submitted", recipient="a@example.org", subject="Reçu",
                                      body="Votre demande est reçue.")
        client.force_login(owner(dossier))
        html = page(client)
        assert "application/pdf" in html and "Votre demande est reçue." in html


class TestChildDeletion:
    def test_a_child_without_dossier_is_deleted_after_a_confirmation(self, family_client, household):
        child = ChildFactory(household=household, first_names="Hugo")
        url = reverse("portal:child_delete", args=[child.pk])
        assert url in page(family_client)
        assert "Supprimer" in page(family_client, "portal:child_delete", child.pk)
        assert Child.objects.filter(pk=child.pk).exists()  # the GET only asks
        assert family_client.post(url).status_code == 302
        assert not Child.objects.filter(pk=child.pk).exists()

    def test_a_child_with_a_dossier_stays(self, client):
        dossier = DossierFactory()
        client.force_login(owner(dossier))
        url = reverse("portal:child_delete", args=[dossier.child.pk])
        assert url not in page(client)
        assert client.post(url).status_code == 409
        assert Child.objects.filter(pk=dossier.child.pk).exists()

    def test_another_familys_child_is_not_found(self, family_client):
        stranger = ChildFactory()
        assert family_client.post(reverse("portal:child_delete", args=[stranger.pk])).status_code == 404
        assert Child.objects.filter(pk=stranger.pk).exists()


class TestAccountErasure:
    def url(self):
        return reverse("portal:account_erase")

    def test_refused_with_the_reason_while_a_dossier_is_under_review(self, client):
        dossier = under_review(submitted(DossierFactory()))
        client.force_login(owner(dossier))
        html = page(client, "portal:account_erase")
        assert dossier.reference in html and "en cours d&#x27;instruction" in html
        assert "Effacer définitivement" not in html
        assert client.post(self.url()).status_code == 409
        assert User.objects.get(pk=owner(dossier).pk).is_active
        assert Household.objects.filter(pk=dossier.child.household.pk).exists()

    def test_refused_while_a_creche_place_is_held(self, client):
        contract = creche_contracted()
        client.force_login(owner(contract.dossier))
        assert "place en crèche" in page(client, "portal:account_erase").lower()
        assert client.post(self.url()).status_code == 409

    def test_a_household_with_only_drafts_is_erased_and_the_erasure_audited(self, client, household, private_media):  # noqa: F811
        AdultFactory(household=household, role="second_parent")
        dossier = DossierFactory(child__household=household, income_declined=False)
        holder = household.adults.get(role="holder")
        impot_services._tax_data_store(consent=grant(dossier, mode="franceconnect"), situation=situation_for(holder))
        ChildFactory(household=household)
        user = household.owner
        email = user.email
        client.force_login(user)
        html = page(client, "portal:account_erase")
        assert "Ce que la commune garde" in html and "10 ans" in html
        response = client.post(self.url())
        assert response.status_code == 302 and response.url == reverse("portal:home")
        assert not Household.objects.filter(pk=household.pk).exists()
        assert not Dossier.objects.exists() and not Consent.objects.exists() and not TaxData.objects.exists()
        user.refresh_from_db()
        assert user.email != email and not user.is_active and not user.has_usable_password()
        assert not User.objects.filter(email=email).exists()
        entry = AuditEntry.objects.get(action="erased_account")
        assert entry.actor == user and email not in json.dumps(entry.detail)
        assert client.get(reverse("portal:dashboard")).status_code == 302  # signed out

    def test_what_billing_needs_stays_without_any_figure(self, client):
        dossier = with_income(with_grid(DossierFactory(income_declined=False)), rfr=28000)
        dossier = cantine_services.dossier_accept(dossier=under_review(submitted(dossier)), agent=User.objects.create_user(
            email="agent@example.org", is_staff=True))
        household = dossier.child.household
        holder = household.adults.get(role="holder")
        holder.phone, holder.email = "0600000000", "claire@example.org"
        holder.save()
        billed = dossier.quote.final_amount
        client.force_login(household.owner)
        assert client.post(self.url()).status_code == 302
        dossier = Dossier.objects.get(pk=dossier.pk)
        assert dossier.quote.final_amount == billed and dossier.quote.qf is None
        assert not TaxData.objects.exists() and not Consent.objects.exists()
        assert not DossierMessage.objects.filter(dossier=dossier).exists()
        holder.refresh_from_db()
        assert (holder.last_name, holder.phone, holder.email) == (holder.last_name, "", "")
