"""The agents' admin site: it opens only after the password and a TOTP code (django-otp).

Django's default admin site is replaced by this one (portal.apps.AgentAdminConfig), so every `admin.register`
and every view wrapped in `admin_site.admin_view` is behind the second factor. The family site never asks for it.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device

from portal import throttles
from portal.models import OperationalAlert


class AgentLoginForm(AdminAuthenticationForm):
    """Email, password and the 6-digit code of the agent's authenticator app, on one page."""

    otp_token = forms.RegexField(
        label=_("Code à 6 chiffres"),
        regex=r"^\s*\d{6}\s*$",
        help_text=_("Le code affiché en ce moment par votre application d'authentification."),
        error_messages={"invalid": _("Le code compte exactement 6 chiffres.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}),
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        # One message for a wrong address, password or code: the page never confirms a right password on its own.
        "invalid_login": _(
            "Adresse électronique, mot de passe ou code incorrect. Vérifiez les trois (le code change toutes les "
            "30 secondes)."
        ),
        "no_device": _("Votre compte n'a pas encore d'application d'authentification."),
    }
    missing_device = False  # the login template then explains how to get a device instead of the form

    def clean(self):
        """Email, password and code are checked together, within limits per account and per client address; the
        wrong codes count per account and address, never per account alone (see portal.throttles)."""
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        token = self.cleaned_data.get("otp_token")
        if not (email and password and token):
            return self.cleaned_data  # each missing field's own error says what is wrong, nothing is checked
        wait = max(
            throttles.ADMIN_SIGNIN.wait(request=self.request, email=email),
            throttles.ADMIN_CODE.wait(request=self.request, email=email),
        )
        if wait:
            raise ValidationError(throttles.refusal_message(wait), code="throttled")
        user = authenticate(self.request, username=email, password=password)
        if user is None or not user.is_staff:
            throttles.ADMIN_SIGNIN.count(request=self.request, email=email)
            raise self.get_invalid_login_error()
        if not user_has_device(user):
            self.missing_device = True
            raise ValidationError(self.error_messages["no_device"], code="no_device")
        device = self.verified_device(user, token.strip())
        if device is None:
            throttles.ADMIN_CODE.count(request=self.request, email=email)
            throttles.ADMIN_SIGNIN_CODE.count(request=self.request, email=email)
            raise self.get_invalid_login_error()
        self.user_cache = user
        self.confirm_login_allowed(user)
        # django_otp keeps the device in the session when LoginView signs the user in.
        user.otp_device = device
        return self.cleaned_data

    def verified_device(self, user, token):
        """The user's device that accepts `token` (each code is single-use: django-otp remembers the last one)."""
        with transaction.atomic():
            return next(
                (device for device in devices_for_user(user, for_verify=True) if device.verify_token(token)),
                None,
            )


class AgentAdminSite(admin.AdminSite):
    site_header = _("Portail Famille — espace agents")
    site_title = _("Portail Famille")
    index_title = settings.COMMUNE_NAME
    login_form = AgentLoginForm
    login_template = "admin/login_otp.html"
    index_template = "admin/agents_index.html"

    def has_permission(self, request):
        """A staff account signed in without the second factor (on the family sign-in page, say) is refused."""
        return super().has_permission(request) and request.user.is_verified()

    def login(self, request, extra_context=None):
        """A staff account already signed in but without a device reads how to get one."""
        user = request.user
        missing_device = user.is_active and user.is_staff and not user_has_device(user)
        return super().login(request, {**(extra_context or {}), "missing_device": missing_device})

    def index(self, request, extra_context=None):
        """The open operational alerts come first: they stop families until someone acts."""
        alerts = OperationalAlert.objects.filter(resolved_at__isnull=True).order_by("first_seen")
        return super().index(request, {**(extra_context or {}), "open_alerts": alerts})
