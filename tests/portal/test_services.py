from datetime import date

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.core.exceptions import ValidationError

from portal import services
from portal.models import Adult, User
from tests.factories import HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "http://testserver/"


def create_account(email="nouvelle@example.org"):
    return services.family_account_create(
        email=email,
        password="un-mot-de-passe-long",
        first_names="Inès",
        last_name="Moreau",
        birth_date=date(1990, 6, 21),
        site_url=SITE,
    )


def test_signup_creates_an_inactive_account_with_household_and_holder(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = create_account()
    assert not user.is_active
    holder = user.household.adults.get()
    assert (holder.role, holder.first_names, holder.last_name) == (Adult.Role.HOLDER, "Inès", "Moreau")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nouvelle@example.org"]
    assert services.confirmation_url(user, SITE).split("/")[-3] in mail.outbox[0].body


def test_signup_mail_waits_for_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        create_account()
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_signup_with_a_known_address_creates_nothing_and_warns_the_owner(django_capture_on_commit_callbacks):
    UserFactory(email="deja@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        result = create_account(email="Deja@Example.org")
    assert result is None
    assert User.objects.filter(email="deja@example.org").count() == 1
    assert "déjà un compte" in mail.outbox[0].subject


def test_confirmation_token_is_single_use():
    user = create_account()
    token = services.account_confirmation_token.make_token(user)
    assert services.account_confirmation_token.check_token(user, token)
    services.family_account_confirm(user=user)
    user.refresh_from_db()
    assert user.is_active and user.email_confirmed_at
    assert not services.account_confirmation_token.check_token(user, token)


def test_second_parent_can_be_added_updated_and_removed():
    household = HouseholdFactory()
    services.adult_save(
        household=household, role=Adult.Role.SECOND_PARENT, first_names="Karim", last_name="M"
    )
    services.adult_save(
        household=household, role=Adult.Role.SECOND_PARENT, first_names="Karim", last_name="Martin"
    )
    assert household.adults.get(role=Adult.Role.SECOND_PARENT).last_name == "Martin"
    services.second_parent_remove(household=household)
    assert list(household.adults.values_list("role", flat=True)) == [Adult.Role.HOLDER]


def test_child_create_validates_the_model():
    household = HouseholdFactory()
    with pytest.raises(ValidationError):
        services.child_create(
            household=household, first_names="Léo", last_name="M", birth_date="2020-01-01", class_level="CP"
        )
    assert household.children.count() == 0


@pytest.mark.parametrize("registered", [False, True])
def test_sign_up_does_the_same_work_for_a_registered_address(monkeypatch, registered):
    """The answer is the same page either way; the time it takes must not tell either: one password hash."""
    if registered:
        UserFactory(email="ines@example.org")
    hashes = []
    encode = MD5PasswordHasher.encode
    monkeypatch.setattr(MD5PasswordHasher, "encode", lambda self, *args: hashes.append(1) or encode(self, *args))
    services.family_account_create(
        email="ines@example.org",
        password="un-mot-de-passe-long",
        first_names="Inès",
        last_name="Martin",
        birth_date=date(1988, 4, 2),
        site_url="http://testserver/",
    )
    assert len(hashes) == 1
