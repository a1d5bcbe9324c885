"""Retention: the RETENTION_* settings, shown to families, and `purge_expired`, which applies every rule, prints
its counts by kind, and erases nothing on a second run."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cantine.income import services as income_services
from cantine.models import Dossier
from impot_client.models import TaxData, TaxNotice
from portal import services
from portal.models import Household, SignIn, User
from tests.cantine.backoffice import submitted, with_grid, with_income
from tests.cantine.income.test_services import PDF
from tests.clock import days_ago
from tests.factories import DossierFactory, HouseholdFactory, PeriodFactory, UserFactory
from tests.impot_client.conftest import private_media  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def next_year_period():
    this = PeriodFactory()
    return PeriodFactory(
        service=this.service,
        starts_on=this.starts_on.replace(year=this.starts_on.year + 1),
        ends_on=this.ends_on.replace(year=this.ends_on.year + 1),
    )


def seeded(agent):
    """One of everything purge_expired erases, as of `day`, the day after this school year's figures expire."""
    sent = submitted(with_income(with_grid(DossierFactory(income_declined=False))))  # figures and a quote
    draft = DossierFactory(income_declined=False)
    income_services.tax_notice_upload(user=draft.child.household.owner, dossier=draft, uploaded=SimpleUploadedFile("a", PDF))
    later = DossierFactory(period=next_year_period(), income_declined=False)  # its figures are still kept
    notice = income_services.tax_notice_upload(
        user=later.child.household.owner, dossier=later, uploaded=SimpleUploadedFile("a", PDF)
    )
    income_services.tax_data_enter_from_notice(agent=agent, notice=notice, year=2025, rfr=20000, nb_parts=2)
    submitted(later)
    UserFactory(is_active=False, email_confirmed_at=None)  # never confirmed
    inactive = HouseholdFactory().owner
    User.objects.filter(pk=inactive.pk).update(last_login=days_ago(6 * 365), date_joined=days_ago(7 * 365))
    SignIn.objects.create(user=sent.child.household.owner, method="password", at=days_ago(800))
    return income_services.retention_date(sent) + timedelta(days=1), sent, later


def test_purge_expired_erases_each_kind_once_and_a_second_run_nothing(agent, private_media, django_capture_on_commit_callbacks):  # noqa: F811
    day, sent, later = seeded(agent)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.purge_expired(today=day)
    assert first == {
        "income_figures": 1,
        "tax_notices": 1,
        "dossiers_derived_figures": 1,
        "tax_notice_files_settled": 1,
        "drafts": 1,
        "unconfirmed_accounts": 1,
        "inactive_accounts_warned": 1,
        "inactive_accounts": 0,  # warned today: erased 30 days later
        "sign_ins": 1,
        "form_submissions": 0,  # tests/portal/test_submissions.py
        "parking_documents": 0,  # resident parking's purge runs too (tests/stationnement/test_services.py)
        "parking_addresses": 0,
        "parking_income": 0,
        "parking_drafts": 0,
    }
    assert not TaxData.objects.filter(dossier=sent).exists() and sent.quote.__class__.objects.get(dossier=sent).qf is None
    assert TaxData.objects.filter(dossier=later).exists()  # its period's retention runs on
    assert TaxNotice.objects.get(dossier=later).file.name == ""
    with django_capture_on_commit_callbacks(execute=True):
        second = services.purge_expired(today=day)
    assert set(second.values()) == {0}
    assert len(mail.outbox) == 1 and "effacé dans 30 jours" in mail.outbox[0].subject


def test_the_command_prints_counts_by_kind_and_the_old_alias_still_works(agent, private_media):  # noqa: F811
    day, _sent, _later = seeded(agent)
    out = StringIO()
    call_command("purge_expired", date=day.isoformat(), stdout=out)
    assert "income_figures\t1\t" in out.getvalue() and "drafts\t1\t" in out.getvalue()
    out = StringIO()
    call_command("purge_expired", date=day.isoformat(), stdout=out)
    assert "Total : 0 élément(s)" in out.getvalue()
    out = StringIO()
    call_command("purge_tax_data", stdout=out)
    assert "0 donnée(s) fiscale(s)" in out.getvalue()


class TestAccounts:
    def test_an_unconfirmed_account_goes_after_7_days_only(self, settings):
        young = UserFactory(is_active=False, email_confirmed_at=None)
        old = HouseholdFactory(owner__is_active=False, owner__email_confirmed_at=None).owner
        User.objects.filter(pk=old.pk).update(date_joined=days_ago(8))
        confirmed = UserFactory()
        User.objects.filter(pk=confirmed.pk).update(date_joined=days_ago(30))
        assert services.unconfirmed_accounts_purge() == 1
        assert set(User.objects.values_list("pk", flat=True)) == {young.pk, confirmed.pk}
        assert not Household.objects.filter(owner_id=old.pk).exists()

    def test_an_inactive_account_is_warned_then_erased_30_days_later(self, django_capture_on_commit_callbacks):
        user = HouseholdFactory().owner
        User.objects.filter(pk=user.pk).update(last_login=days_ago(3 * 365 - 20), date_joined=days_ago(4 * 365))
        today = timezone.localdate()
        with django_capture_on_commit_callbacks(execute=True):
            assert services.inactive_accounts_warn(today=today) == 1
        assert mail.outbox[0].to == [user.email] and reverse("portal:login") in mail.outbox[0].body
        assert services.inactive_accounts_warn(today=today) == 0  # once
        assert services.inactive_accounts_purge(today=today + timedelta(days=29)) == 0
        assert services.inactive_accounts_purge(today=today + timedelta(days=31)) == 1
        user.refresh_from_db()
        assert not user.is_active and not Household.objects.filter(owner=user).exists()

    def test_signing_in_cancels_the_warning(self, client, password):
        user = HouseholdFactory().owner
        User.objects.filter(pk=user.pk).update(last_login=days_ago(3 * 365 - 20))
        services.inactive_accounts_warn()
        response = client.post(reverse("portal:login"), {"username": user.email, "password": password})
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.inactivity_warned_at is None
        assert SignIn.objects.get(user=user).method == "password"
        assert services.inactive_accounts_purge(today=timezone.localdate() + timedelta(days=60)) == 0

    def test_agents_are_never_purged(self):
        agent = UserFactory(is_staff=True)
        User.objects.filter(pk=agent.pk).update(last_login=days_ago(10 * 365))
        assert services.inactive_accounts_warn() == 0


def test_a_draft_touched_recently_stays():
    draft = DossierFactory()
    assert services.purge_expired()["drafts"] == 0
    Dossier.objects.filter(pk=draft.pk).update(updated_at=days_ago(91))
    assert services.purge_expired()["drafts"] == 1


def test_a_notice_file_goes_once_its_figures_are_entered_and_is_no_longer_served(
    client, agent, private_media, django_capture_on_commit_callbacks  # noqa: F811
):
    dossier = DossierFactory(income_declined=False)
    notice = income_services.tax_notice_upload(
        user=dossier.child.household.owner, dossier=dossier, uploaded=SimpleUploadedFile("a", PDF)
    )
    storage, name = notice.file.storage, notice.file.name
    assert income_services.tax_notices_settled_erase() == 0  # still to be read by an agent
    income_services.tax_data_enter_from_notice(agent=agent, notice=notice, year=2025, rfr=20000, nb_parts=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert income_services.tax_notices_settled_erase() == 1
    assert not storage.exists(name)
    client.force_login(dossier.child.household.owner)
    assert client.get(reverse("impot:notice_file", args=[notice.pk])).status_code == 404
    assert "fichier effacé" in client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()


class TestShown:
    def test_the_privacy_page_is_public_and_follows_the_settings(self, client, settings):
        settings.RETENTION_FIGURES_MONTHS = 5
        html = client.get(reverse("portal:privacy")).content.decode()
        assert "effacés 5 mois après la fin de la période" in html
        assert "90 jours" in html and "7 jours" in html and "3 ans" in html

    def test_the_consent_page_retention_date_follows_the_setting(self, family_client, household, settings):
        dossier = DossierFactory(child__household=household, income_declined=False)
        ends = dossier.period.ends_on
        settings.RETENTION_FIGURES_MONTHS = 3
        assert income_services.retention_date(dossier) == income_services.months_after(ends, 3)
        settings.RETENTION_FIGURES_MONTHS = 6
        expected = income_services.months_after(ends, 6)
        html = family_client.get(reverse("impot:income", args=[dossier.pk])).content.decode()
        assert expected.strftime("%d/%m/%Y") in html

    @pytest.mark.parametrize(
        "day, months, expected",
        [(date(2026, 8, 31), 3, date(2026, 11, 30)), (date(2026, 11, 30), 3, date(2027, 2, 28)),
         (date(2026, 1, 15), -2, date(2025, 11, 15))],
    )
    def test_months_after(self, day, months, expected):
        assert income_services.months_after(day, months) == expected

    def test_the_purge_keeps_figures_through_the_last_day(self, settings):
        settings.RETENTION_FIGURES_MONTHS = 3
        for end in (date(2026, 8, 31), date(2026, 11, 30), date(2027, 2, 28)):
            last = income_services.retention_end(end)
            assert income_services._first_end_kept(last) <= end
            assert income_services._first_end_kept(last + timedelta(days=1)) > end
