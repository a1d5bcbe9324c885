
import pytest
from django.core.cache import cache
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cantine import services
from cantine.models import Dossier
from portal import ratelimit
from tests.factories import PASSWORD, DossierFactory, HouseholdFactory, UserFactory
from tests.franceconnect.op import CLIENT_ID, CLIENT_SECRET, ISSUER, FakeProvider
from tests.migrations_data import restore_shipped_data


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hashing with the production hasher costs ~0.3 s per account; tests do not need its strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def staff_force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login(agent)` opens the admin as if the agent had typed their TOTP code, so admin tests need not
    go through the sign-in form; tests/portal/test_two_factor.py checks that form and the refusals."""
    force_login = Client.force_login

    def force_login_with_device(self, user, backend=None):
        force_login(self, user, backend)
        if user.is_staff:
            device, _created = TOTPDevice.objects.get_or_create(user=user, name="tests")
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login_with_device)


@pytest.fixture
def migrations_data():
    """What the data migrations ship, put back after a transactional test emptied the tables."""
    restore_shipped_data()


@pytest.fixture
def household(db):
    return HouseholdFactory()


@pytest.fixture
def family_client(client, household):
    """A browser signed in as the owner of `household`."""
    client.force_login(household.owner)
    return client


@pytest.fixture
def agent(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def make_dossier(db):
    """A dossier in the requested status, reached through the real workflow."""

    def make(status=Dossier.Status.DRAFT, **kwargs):
        dossier = DossierFactory(**kwargs)
        if status == Dossier.Status.DRAFT:
            return dossier
        owner = dossier.child.household.owner
        agent = UserFactory(is_staff=True)
        path = {
            Dossier.Status.SUBMITTED: ["submit"],
            Dossier.Status.CANCELLED: ["cancel"],
            Dossier.Status.UNDER_REVIEW: ["submit", "review"],
            Dossier.Status.ACCEPTED: ["submit", "review", "accept"],
            Dossier.Status.REJECTED: ["submit", "review", "reject"],
            Dossier.Status.AWAITING_DOCUMENTS: ["submit", "review", "documents"],
        }[status]
        steps = {
            "submit": lambda d: services.dossier_submit(dossier=d, user=owner),
            "cancel": lambda d: services.dossier_cancel(dossier=d, user=owner),
            "review": lambda d: services.dossier_start_review(dossier=d, agent=agent),
            "accept": lambda d: services.dossier_accept(dossier=d, agent=agent),
            "reject": lambda d: services.dossier_reject(dossier=d, agent=agent, reason="Hors secteur."),
            "documents": lambda d: services.dossier_request_documents(
                dossier=d, agent=agent, message="Merci de joindre un justificatif de domicile."
            ),
        }
        for step in path:
            dossier = steps[step](dossier)
        return dossier

    return make


@pytest.fixture
def provider(respx_mock, settings):
    """FakeProvider behind respx, with the portal's FranceConnect settings pointing at it."""
    settings.FRANCECONNECT_ISSUER = ISSUER
    settings.FRANCECONNECT_CLIENT_ID = CLIENT_ID
    settings.FRANCECONNECT_CLIENT_SECRET = CLIENT_SECRET
    cache.clear()
    yield FakeProvider(respx_mock)
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with empty in-memory rate-limit windows, as it starts with an empty cache."""
    ratelimit.reset_memory()
    yield
    ratelimit.reset_memory()
