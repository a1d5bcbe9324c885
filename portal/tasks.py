"""Account mails (sign-up confirmation, « vous avez déjà un compte », password reset) and the mail that warns an
inactive account before it is erased, sent by the task worker with the retries of dossier mails (portal.mail): a
mail server down loses nothing, and no request waits for it. Also the daily retention purge, for schedulers that
enqueue tasks: django-tasks has no scheduler of its own (cron or a systemd timer runs `manage.py purge_expired`,
docs/registre-des-traitements.md).

A task carries no secret: the links and their tokens are made when the mail goes out (a token made at that moment
is as valid as one made in the request). The reset task carries the address typed, since the request never looks
it up: whether it has an account is decided here, out of sight."""

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from portal.mail import send_or_retry
from portal.models import Adult, User
from portal.tokens import account_confirmation_token

logger = logging.getLogger(__name__)

SIGNUP_CONFIRM = "signup_confirm"
SIGNUP_EXISTING = "signup_existing"
PASSWORD_RESET = "password_reset"


def site_url() -> str:
    return settings.SITE_URL.rstrip("/")


def confirmation_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = account_confirmation_token.make_token(user)
    return site_url() + reverse("portal:signup_confirm", kwargs={"uidb64": uid, "token": token})


def password_reset_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url() + reverse("portal:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def _context(kind: str, user: User) -> dict:
    if kind == SIGNUP_CONFIRM:
        holder = Adult.objects.filter(household__owner=user, role=Adult.Role.HOLDER).first()
        return {"confirm_url": confirmation_url(user), "first_names": holder.first_names if holder else ""}
    if kind == SIGNUP_EXISTING:
        return {"reset_url": site_url() + reverse("portal:password_reset")}
    return {"reset_url": password_reset_url(user)}


def account_mail(kind: str, user: User) -> tuple[str, str]:
    context = {"commune_name": settings.COMMUNE_NAME, **_context(kind, user)}
    subject = render_to_string(f"portal/emails/{kind}_subject.txt", context).strip()
    return subject, render_to_string(f"portal/emails/{kind}_body.txt", context)


def _send(task_function, kind: str, user: User, *args, attempt: int) -> str:
    subject, body = account_mail(kind, user)
    return send_or_retry(
        task_function,
        *args,
        attempt=attempt,
        send=lambda: send_mail(subject, body, None, [user.email]),
        what=f"portal: {kind} mail for account {user.pk}",
    )


@task()
def account_mail_send(kind: str, user_id: int, attempt: int = 1) -> str:
    """The sign-up confirmation, or the warning that the address already has an account."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:  # replaced by a newer sign-up, or purged, meanwhile
        return "no_account"
    if kind == SIGNUP_CONFIRM and user.is_active:
        return "already_confirmed"
    return _send(account_mail_send, kind, user, kind, user_id, attempt=attempt)


def password_reset_recipient(email: str) -> tuple[str, User] | None:
    """What a reset request for `email` sends: a reset link to an active account with a password, the
    confirmation link to an account never confirmed (confirming sets the password), nothing otherwise."""
    user = User.objects.filter(email=email.lower()).first()
    if user is None:
        return None
    if user.is_active and user.has_usable_password():
        return PASSWORD_RESET, user
    if not user.is_active and user.email_confirmed_at is None and not user.is_staff:
        return SIGNUP_CONFIRM, user
    return None


@task()
def password_reset_mail_send(email: str, attempt: int = 1) -> str:
    recipient = password_reset_recipient(email)
    if recipient is None:
        return "no_account"
    kind, user = recipient
    return _send(password_reset_mail_send, kind, user, email, attempt=attempt)


@task()
def purge_expired_task() -> dict[str, int]:
    """The daily retention purge, for a scheduler that enqueues tasks rather than running commands."""
    from portal.services import purge_expired

    counts = purge_expired()
    logger.info("portal: retention purge %s", counts)  # counts by kind, nothing personal
    return counts


@task()
def inactivity_warning_send(user_id: int, attempt: int = 1) -> str:
    """Tell the holder the account will be erased for inactivity unless they sign in; retried like other mails."""
    from portal.models import User

    user = User.objects.filter(pk=user_id, is_active=True, inactivity_warned_at__isnull=False).first()
    if user is None:  # signed in since, or erased
        return "cancelled"
    context = {
        "commune_name": settings.COMMUNE_NAME,
        "login_url": settings.SITE_URL.rstrip("/") + reverse("portal:login"),
        "days": settings.RETENTION_INACTIVE_WARNING_DAYS,
        "years": settings.RETENTION_INACTIVE_ACCOUNT_YEARS,
    }
    subject = render_to_string("portal/emails/inactivity_warning_subject.txt", context).strip()
    body = render_to_string("portal/emails/inactivity_warning_body.txt", context)
    # A mail outage: tried again later, then given up on (the erasure still waits its delay).
    return send_or_retry(
        inactivity_warning_send,
        user_id,
        attempt=attempt,
        send=lambda: send_mail(subject, body, None, [user.email]),
        what=f"portal: inactivity warning {user_id}",
    )
