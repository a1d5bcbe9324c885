"""Writes on family accounts: sign-up and its confirmation, the household's adults and children, the family's
rights (deleting a child, erasing the account) and the retention purges (`purge_expired`)."""

from datetime import date, datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import tasks
from portal.audit import audit_record
from portal.demarches import demarches
from portal.identity import identity_watched
from portal.models import Adult, AuditEntry, Child, FormSubmission, Household, SignIn, User
from portal.submissions import KEPT_DAYS
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
def unconfirmed_accounts_purge(*, today=None, now=None) -> int:
    """Erase the unconfirmed family accounts (never an agent's nor a FranceConnect one) signed up more than
    RETENTION_UNCONFIRMED_ACCOUNT_DAYS ago, with their households; one something still refers to is left to an
    agent. Returns how many went (`manage.py purge_expired` calls it)."""
    moment = now or (_midnight(today) if today else timezone.now())
    cutoff = moment - timedelta(days=settings.RETENTION_UNCONFIRMED_ACCOUNT_DAYS)
    count = 0
    for user in unconfirmed_accounts().filter(date_joined__lt=cutoff):
        try:
            with transaction.atomic():
                user.delete()
        except ProtectedError:
            continue
        count += 1
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
    child = Child(household=household, added_at=timezone.now(), **fields)
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


@transaction.atomic
def child_delete(*, user: User, child: Child) -> None:
    """A child without any dossier leaves the household; one with a dossier stays (the dossier is about them)."""
    from portal.selectors import child_in_use

    if child.household.owner_id != user.pk:
        raise ValidationError(_("Cet enfant n'est pas dans votre foyer."), code="not_owner")
    if child_in_use(child):
        raise ValidationError(
            _("%(name)s a une demande d'inscription : un enfant ne peut être supprimé qu'une fois sans demande.")
            % {"name": child.first_names},
            code="in_use",
        )
    child.delete()


ERASED_EMAIL = "compte-efface-{pk}@invalid.invalid"


@transaction.atomic
def account_erase(*, user: User, ip: str | None = None) -> dict[str, int]:
    """Erase a family account at its holder's request (or after RETENTION_INACTIVE_ACCOUNT_YEARS without a
    sign-in): refused, with each reason, while a démarche needs it (a dossier under review, a place held). Each
    démarche erases its part and keeps what the commune must keep for billing (kept_after_erasure); the household
    goes with its children and adults unless a kept dossier needs them, then only the names and address stay. The
    account row stays, emptied (no address, no password, inactive), for the audit row that records the erasure.
    Returns counts by kind."""
    from portal.selectors import account_erasure_refusals, child_in_use

    user = User.objects.select_for_update().get(pk=user.pk)
    household = Household.objects.filter(owner=user).first()
    counts: dict[str, int] = {}
    if household is not None:
        refusals = account_erasure_refusals(household)
        if refusals:
            raise ValidationError(refusals, code="erasure_refused")
        for demarche in demarches():
            if demarche.household_erase:
                for kind, count in demarche.household_erase(household).items():
                    counts[kind] = counts.get(kind, 0) + count
        kept_children = [child for child in household.children.all() if child_in_use(child)]
        if kept_children:
            counts["children"] = household.children.exclude(pk__in=[c.pk for c in kept_children]).delete()[0]
            counts["adults"] = household.adults.exclude(role=Adult.Role.HOLDER).delete()[0]
            household.adults.filter(role=Adult.Role.HOLDER).update(
                birth_date=None, birth_name="", sex="", birth_country="", birth_commune="", email="", phone=""
            )
            counts["households_kept_for_billing"] = 1
        else:
            counts["children"] = household.children.count()
            counts["adults"] = household.adults.count()
            household.delete()
            counts["households"] = 1
    for related in ("franceconnect",):  # the State-API apps' identity, through its reverse accessor
        linked = getattr(user, related, None)
        if linked is not None:
            linked.delete()
    counts["sign_ins"] = SignIn.objects.filter(user=user).delete()[0]
    user.email = ERASED_EMAIL.format(pk=user.pk)
    user.set_unusable_password()
    user.is_active = False
    user.last_login = None
    user.inactivity_warned_at = None
    user.save()
    counts["accounts"] = 1
    audit_record(actor=user, action=AuditEntry.Action.ERASED_ACCOUNT, ip=ip, **counts)
    return counts


def _midnight(day: date):
    return timezone.make_aware(datetime.combine(day, time.min))


def _inactive_families(before):
    """Confirmed family accounts nobody signed in to since `before` (the sign-up counts for one never used)."""
    return (
        User.objects.filter(is_active=True, is_staff=False, is_superuser=False)
        .annotate(last_seen=Coalesce("last_login", "date_joined"))
        .filter(last_seen__lt=before)
    )


def _inactivity_limit(today: date):
    years = settings.RETENTION_INACTIVE_ACCOUNT_YEARS
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return _midnight(day)


@transaction.atomic
def inactive_accounts_warn(*, today=None) -> int:
    """Mail each account that will be erased for inactivity in RETENTION_INACTIVE_WARNING_DAYS (through the task
    queue, once). Returns how many were warned."""
    from portal.tasks import inactivity_warning_send

    today = today or timezone.localdate()
    warn_before = _inactivity_limit(today + timedelta(days=settings.RETENTION_INACTIVE_WARNING_DAYS))
    to_warn = list(_inactive_families(warn_before).filter(inactivity_warned_at__isnull=True))
    now = timezone.now() if today == timezone.localdate() else _midnight(today)  # a run as of another day
    for user in to_warn:
        user.inactivity_warned_at = now
        user.save(update_fields=["inactivity_warned_at"])
        transaction.on_commit(lambda pk=user.pk: inactivity_warning_send.enqueue(pk), robust=True)
    return len(to_warn)


@transaction.atomic
def inactive_accounts_purge(*, today=None) -> int:
    """Erase the accounts inactive RETENTION_INACTIVE_ACCOUNT_YEARS and warned at least RETENTION_INACTIVE_WARNING_DAYS
    ago (an account a démarche still needs stays, and is tried again the next day). Returns how many."""
    today = today or timezone.localdate()
    warned_before = _midnight(today - timedelta(days=settings.RETENTION_INACTIVE_WARNING_DAYS)) + timedelta(days=1)
    count = 0
    for user in _inactive_families(_inactivity_limit(today)).filter(inactivity_warned_at__lt=warned_before):
        try:
            with transaction.atomic():
                account_erase(user=user)
        except ValidationError:
            continue
        count += 1
    return count


@transaction.atomic
def sign_ins_purge(*, today=None) -> int:
    today = today or timezone.localdate()
    return SignIn.objects.filter(at__lt=_midnight(today - timedelta(days=settings.RETENTION_SIGN_IN_DAYS))).delete()[0]


@transaction.atomic
def form_submissions_purge(*, today=None) -> int:
    """The creating forms' used tokens (portal.submissions), KEPT_DAYS days after their use."""
    today = today or timezone.localdate()
    return FormSubmission.objects.filter(created_at__lt=_midnight(today - timedelta(days=KEPT_DAYS))).delete()[0]


def sign_in_record(*, user: User, method: str) -> None:
    """A family sign-in, for « Mes données »; signing in also cancels an inactivity warning."""
    if user.is_staff:
        return
    SignIn.objects.create(user=user, method=method)
    if user.inactivity_warned_at is not None:
        User.objects.filter(pk=user.pk).update(inactivity_warned_at=None)


def purge_expired(*, today=None) -> dict[str, int]:
    """Every retention rule, the démarches' and the core's, counts by kind: what `manage.py purge_expired` and its
    scheduled task run daily. Each purge erases only what has expired, so a second run erases nothing."""
    today = today or timezone.localdate()
    counts: dict[str, int] = {}
    for demarche in demarches():
        if demarche.purges:
            for kind, count in demarche.purges(today).items():
                counts[kind] = counts.get(kind, 0) + count
    counts["unconfirmed_accounts"] = unconfirmed_accounts_purge(today=today)
    counts["inactive_accounts_warned"] = inactive_accounts_warn(today=today)
    counts["inactive_accounts"] = inactive_accounts_purge(today=today)
    counts["sign_ins"] = sign_ins_purge(today=today)
    counts["form_submissions"] = form_submissions_purge(today=today)
    return counts
