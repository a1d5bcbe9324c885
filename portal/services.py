"""Writes on family accounts: sign-up and its confirmation, the household's adults and children."""

from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal import tasks
from portal.identity import identity_watched
from portal.models import Adult, Child, Household, User
from portal.tokens import account_confirmation_token as account_confirmation_token  # views read it here


def _mail_on_commit(kind: str, user: User) -> None:
    """Queue the mail once the account exists: the task worker sends it, and retries it if the server is down."""
    transaction.on_commit(partial(tasks.account_mail_send.enqueue, kind, user.pk), robust=True)


def unconfirmed_accounts() -> QuerySet[User]:
    """Family accounts created by the sign-up form whose address was never confirmed. FranceConnect accounts and
    agents are never in it (they are confirmed, or staff)."""
    return User.objects.filter(is_active=False, email_confirmed_at__isnull=True, is_staff=False)


@transaction.atomic
def family_account_create(
    *, email: str, password: str, first_names: str, last_name: str, birth_date: date
) -> User | None:
    """Create an inactive account with its household, and mail the confirmation link after commit.

    An address already in use gets a warning mail instead, so the form never tells a stranger
    which addresses have an account. Returns the new user, or None in that case. An address whose account was
    never confirmed is no obstacle: that account (perhaps made by someone else with this address) is replaced,
    so its owner gets a fresh confirmation link, and the old link stops working. Either way one password hash.
    """
    email = User.objects.normalize_email(email).lower()
    existing = User.objects.select_for_update().filter(email=email).first()
    if existing and unconfirmed_accounts().filter(pk=existing.pk).exists():
        existing.delete()
        existing = None
    if existing:
        make_password(password)  # the hash a new account costs, discarded: both answers take as long
        _mail_on_commit(tasks.SIGNUP_EXISTING, existing)
        return None
    user = User.objects.create_user(email=email, password=password, is_active=False)
    household_create(
        owner=user, first_names=first_names, last_name=last_name, birth_date=birth_date, email=email
    )
    _mail_on_commit(tasks.SIGNUP_CONFIRM, user)
    return user


@transaction.atomic
def family_account_confirm(*, user: User, password: str | None = None) -> User:
    """Activate the account with the password typed on the confirmation page, never one chosen at sign-up by
    someone who may not own the mailbox (`password=None` only for support and the tests)."""
    if password is not None:
        user.set_password(password)
    user.is_active = True
    user.email_confirmed_at = timezone.now()
    user.save(update_fields=["is_active", "email_confirmed_at", "password"])
    return user


def password_reset_request(*, email: str) -> None:
    """Queue the reset mail for `email` without looking it up: known or unknown, the request does the same work,
    and the task decides what (if anything) to send."""
    email = User.objects.normalize_email(email).lower()
    transaction.on_commit(partial(tasks.password_reset_mail_send.enqueue, email), robust=True)


@transaction.atomic
def unconfirmed_accounts_purge(*, now=None) -> int:
    """Erase the unconfirmed accounts older than UNCONFIRMED_ACCOUNT_DAYS, with their households. Returns how many
    accounts were erased (`manage.py purge_expired` calls it)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.UNCONFIRMED_ACCOUNT_DAYS)
    expired = unconfirmed_accounts().filter(date_joined__lt=cutoff)
    count = expired.count()
    expired.delete()
    return count


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
