"""What every write on a resident's application starts with: the owner checked, a draft locked."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from stationnement.models import (
    Application,
)


def application_check_owner(*, application: Application, user) -> None:
    if application.household.owner_id != user.pk:
        raise PermissionDenied


def draft_locked(application: Application) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.DRAFT:
        raise ValidationError(_("Cette demande est envoyée : elle ne se modifie plus."), code="not_draft")
    return application
