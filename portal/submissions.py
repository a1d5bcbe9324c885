"""Creating forms create once. Each such form carries a one-time token (``{% submission_token %}`` beside the CSRF
token) and its view is decorated with ``@create_once``: the request that claims the token runs the view in the same
transaction and records where it led. The same form sent again — three quick clicks, a reload, a replayed POST —
is sent to that first result and creates nothing; two requests arriving together are settled by the table's
unique constraint (the second waits for the first, then finds its result). A form shown again with its errors
frees its token, so the family corrects and sends it once more."""

import re
import secrets
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from portal.models import FormSubmission

FIELD = "submission_token"
KEPT_DAYS = 7  # a page sent again later than this creates again: by then it is a new decision
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
_REDIRECTS = (301, 302, 303, 307, 308)


def token_new() -> str:
    return secrets.token_urlsafe(32)


def posted_token(request) -> str:
    """The form's token, or "" when there is none (a page served before tokens existed) or it is malformed."""
    token = request.POST.get(FIELD, "")
    return token if _TOKEN.fullmatch(token) else ""


def create_once(view):
    """Decorate a view whose POST creates something (after @login_required: tokens belong to an account)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = posted_token(request) if request.method == "POST" and request.user.is_authenticated else ""
        if not token:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = FormSubmission.objects.create(user=request.user, token=token)
            except IntegrityError:
                first = FormSubmission.objects.get(user=request.user, token=token)
                messages.info(
                    request, _("Ce formulaire était déjà envoyé : il n'a été pris en compte qu'une fois.")
                )
                return HttpResponseRedirect(first.result_url)
            response = view(request, *args, **kwargs)
            if response.status_code in _REDIRECTS:
                claim.result_url = response["Location"]
                claim.save(update_fields=["result_url"])
            else:
                claim.delete()
            return response

    return wrapper
