"""Writes on family accounts: sign-up and its confirmation, the household's adults and children."""

from datetime import date

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal.identity import identity_watched
from portal.models import Adult, Child, Household, User


class AccountConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Single-use: the token stops matching once the account is active."""

    key_salt = "portal.services.AccountConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.is_active}{user.email}{timestamp}"


account_confirmation_token = AccountConfirmationTokenGenerator()


def _send_templated_mail_on_commit(*, to, subject_template, body_template, context):
    """Mail once the account exists; a mail outage is logged, never shown to the family as an error."""

    def send():
        full_context = {"commune_name": settings.COMMUNE_NAME, **context}
        subject = render_to_string(subject_template, full_context).strip()
        send_mail(subject, render_to_string(body_template, full_context), None, [to])

    transaction.on_commit(send, robust=True)


def confirmation_url(user, site_url):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = account_confirmation_token.make_token(user)
    return site_url.rstrip("/") + reverse("portal:signup_confirm", kwargs={"uidb64": uid, "token": token})


@transaction.atomic
def family_account_create(
    *, email: str, password: str, first_names: str, last_name: str, birth_date: date, site_url: str
) -> User | None:
    """Create an inactive account with its household, and mail the confirmation link after commit.

    An address already in use gets a warning mail instead, so the form never tells a stranger
    which addresses have an account. Returns the new user, or None in that case.
    """
    email = User.objects.normalize_email(email).lower()
    existing = User.objects.filter(email=email).first()
    if existing:
        make_password(password)  # the hash a new account costs, discarded: both answers take as long
        _send_templated_mail_on_commit(
            to=email,
            subject_template="portal/emails/signup_existing_subject.txt",
            body_template="portal/emails/signup_existing_body.txt",
            context={"reset_url": site_url.rstrip("/") + reverse("portal:password_reset")},
        )
        return None
    user = User.objects.create_user(email=email, password=password, is_active=False)
    household_create(
        owner=user, first_names=first_names, last_name=last_name, birth_date=birth_date, email=email
    )
    _send_templated_mail_on_commit(
        to=email,
        subject_template="portal/emails/signup_confirm_subject.txt",
        body_template="portal/emails/signup_confirm_body.txt",
        context={"confirm_url": confirmation_url(user, site_url), "first_names": first_names},
    )
    return user


@transaction.atomic
def family_account_confirm(*, user: User) -> User:
    user.is_active = True
    user.email_confirmed_at = timezone.now()
    user.save(update_fields=["is_active", "email_confirmed_at"])
    return user


@transaction.atomic
def family_account_seed(
    *, email: str, password: str, first_names: str, last_name: str, **holder_fields
) -> User:
    """An already confirmed account (demo data, support): no mail is sent."""
    user = User.objects.create_user(email=email, password=password, email_confirmed_at=timezone.now())
    household_create(
        owner=user, first_names=first_names, last_name=last_name, email=user.email, **holder_fields
    )
    return user


@transaction.atomic
def household_create(*, owner: User, first_names: str, last_name: str, **holder_fields) -> Household:
    """Every account that can enrol a child owns a household, with the account holder as its first adult."""
    household = Household.objects.create(owner=owner)
    Adult.objects.create(
        household=household,
        role=Adult.Role.HOLDER,
        first_names=first_names,
        last_name=last_name,
        **holder_fields,
    )
    return household


@transaction.atomic
def adult_save(*, household: Household, role: str, **fields) -> Adult:
    """Create or update the holder or the second parent of a household."""
    with identity_watched(household):
        adult, _created = Adult.objects.update_or_create(household=household, role=role, defaults=fields)
    return adult


@transaction.atomic
def second_parent_remove(*, household: Household) -> None:
    with identity_watched(household):
        household.adults.filter(role=Adult.Role.SECOND_PARENT).delete()


@transaction.atomic
def child_create(*, household: Household, **fields) -> Child:
    child = Child(household=household, **fields)
    child.full_clean()
    child.save()
    return child


@transaction.atomic
def child_update(*, child: Child, **fields) -> Child:
    for name, value in fields.items():
        setattr(child, name, value)
    child.full_clean()
    child.save()
    return child
