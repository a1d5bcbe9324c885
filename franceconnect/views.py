"""FranceConnect sign-in, account linking and logout. Every failure ends on a French page, never a 500."""

import logging
import secrets

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from franceconnect import services
from franceconnect.client import FranceConnectClient, FranceConnectError
from franceconnect.flows import FLOW_KEY, flow_finish, flow_start

logger = logging.getLogger(__name__)

ID_TOKEN_KEY = "franceconnect_id_token"
LOGOUT_STATE_KEY = "franceconnect_logout_state"

# reason → (title, text, HTTP status). A cancel is the family's choice, not an error; 502 when FranceConnect failed.
ERRORS = {
    "cancelled": (
        gettext_lazy("Connexion annulée"),
        gettext_lazy("Vous avez annulé la connexion avec FranceConnect. Rien n'a été enregistré."),
        200,
    ),
    "expired": (
        gettext_lazy("La connexion a expiré"),
        gettext_lazy(
            "Cette tentative de connexion n'est plus valable (délai dépassé, ou page rechargée). Recommencez depuis le début."
        ),
        400,
    ),
    "unavailable": (
        gettext_lazy("FranceConnect ne répond pas"),
        gettext_lazy(
            "FranceConnect est momentanément injoignable ou trop lent. Réessayez dans quelques minutes, ou utilisez votre compte collectivité."
        ),
        502,
    ),
    "invalid": (
        gettext_lazy("La connexion n'a pas pu être vérifiée"),
        gettext_lazy(
            "La réponse de FranceConnect n'a pas passé nos contrôles de sécurité. Par précaution, vous n'êtes pas connecté(e). Réessayez."
        ),
        400,
    ),
    "provider": (
        gettext_lazy("FranceConnect a signalé une erreur"),
        gettext_lazy(
            "FranceConnect n'a pas pu terminer la connexion. Réessayez, ou utilisez votre compte collectivité."
        ),
        502,
    ),
    "refused": (gettext_lazy("Connexion impossible"), "", 409),
}


def error_page(request, reason, *, message=None, detail=""):
    title, text, status = ERRORS[reason]
    logger.warning("franceconnect: sign-in stopped (%s) %s", reason, detail)
    return render(
        request,
        "franceconnect/error.html",
        {"title": title, "text": message or text, "reason": reason},
        status=status,
    )


def _start(request, *, purpose, **extra):
    try:
        return flow_start(
            request,
            purpose=purpose,
            redirect_uri=request.build_absolute_uri(reverse("franceconnect:callback")),
            **extra,
        )
    except FranceConnectError as error:
        return error_page(request, error.reason, detail=error.detail)


@require_GET
@never_cache
def franceconnect_login(request):
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    return _start(request, purpose="login", next=next_url)


@login_required
@require_POST
def franceconnect_link(request):
    return _start(request, purpose="link")


@require_GET
@never_cache
def franceconnect_callback(request):
    purpose = request.session.get(FLOW_KEY, {}).get("purpose", "login")
    linking = purpose == "link"
    if linking and not request.user.is_authenticated:  # signed out meanwhile: nothing to link to
        request.session.pop(FLOW_KEY, None)
        return error_page(request, "expired", detail="link flow without a session")
    try:
        finished = flow_finish(request, purpose=purpose)
        identity = finished.client.fetch_userinfo(finished.access_token, sub=finished.id_claims["sub"])
    except FranceConnectError as error:
        return error_page(request, error.reason, detail=error.detail)
    acr = finished.id_claims["acr"]
    try:
        if linking:
            services.franceconnect_link(user=request.user, claims=identity, acr=acr)
            user = request.user
            messages.success(
                request, _("Votre compte est maintenant lié à FranceConnect : votre identité est certifiée.")
            )
        else:
            user = services.franceconnect_sign_in(claims=identity, acr=acr)
    except services.SignInRefused as refusal:
        return error_page(request, "refused", message=refusal.message, detail=refusal.reason)
    login(request, user)
    remember_id_token(request, finished.id_token)
    return redirect(finished.extra.get("next") or "portal:dashboard")


def remember_id_token(request, id_token):
    """The latest ID token, for logging out of FranceConnect later."""
    request.session[ID_TOKEN_KEY] = id_token


@require_POST
def franceconnect_logout(request):
    """End the portal session, then FranceConnect's, which sends the browser back to logout_callback."""
    id_token = request.session.get(ID_TOKEN_KEY)
    logout(request)
    if not id_token:
        return redirect("portal:home")
    state = secrets.token_urlsafe(32)
    request.session[LOGOUT_STATE_KEY] = state
    try:
        url = FranceConnectClient().end_session_url(
            id_token_hint=id_token,
            state=state,
            post_logout_redirect_uri=request.build_absolute_uri(reverse("franceconnect:logout_callback")),
        )
    except FranceConnectError as error:
        logger.warning("franceconnect: logout not forwarded (%s)", error.detail)
        messages.warning(
            request,
            _(
                "Vous êtes déconnecté(e) du portail. FranceConnect ne répond pas : fermez votre navigateur pour terminer la session FranceConnect."
            ),
        )
        return redirect("portal:home")
    return redirect(url)


@require_GET
def franceconnect_logout_callback(request):
    expected = request.session.pop(LOGOUT_STATE_KEY, None)
    if expected and secrets.compare_digest(expected, request.GET.get("state", "")):
        messages.success(request, _("Vous êtes déconnecté(e) du portail et de FranceConnect."))
    else:
        logger.warning("franceconnect: logout callback with an unexpected state")
        messages.warning(
            request,
            _("Vous êtes déconnecté(e) du portail. Le retour de FranceConnect n'a pas pu être vérifié."),
        )
    return redirect("portal:home")
