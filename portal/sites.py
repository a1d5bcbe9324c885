"""The agents' admin site: it opens only after the password and a TOTP code (django-otp).

Django's default admin site is replaced by this one (portal.apps.AgentAdminConfig), so every `admin.register`
and every view wrapped in `admin_site.admin_view` is behind the second factor. The family site never asks for it.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device

from portal import throttles
from portal.forms import french_blank_choices
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


class FrenchAdminMixin:
    """What every ModelAdmin of the agents' site says in French rather than Django's stock phrases: the list's title
    is the model's plural (« Demandes d'inscription », not « Sélectionnez l'objet demande d'inscription à
    changer »), and selects offer « — Choisir — » or « — Aucun — », never « --------- »."""

    def changelist_view(self, request, extra_context=None):
        if IS_POPUP_VAR in request.GET:
            return super().changelist_view(request, extra_context)
        title = capfirst(self.opts.verbose_name_plural)
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        return french_blank_choices(formfield) if formfield is not None else None

    def action_checkbox(self, obj):
        """Django's checkbox of a list row, the same markup written directly: its widget template, rendered for
        each of a page's 100 rows, was a third of the agents' dossier list's time."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    def get_action_choices(self, request, default_choices=None):
        return super().get_action_choices(request, default_choices=[("", _("— Choisir une action —"))])

    def get_inline_instances(self, request, obj=None):
        """Inlines are not registered with the site: their selects get the French empty choice here."""
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            formfield_for_dbfield = inline.formfield_for_dbfield

            def french_formfield(db_field, request, _original=formfield_for_dbfield, **kwargs):
                formfield = _original(db_field, request, **kwargs)
                return french_blank_choices(formfield) if formfield is not None else None

            inline.formfield_for_dbfield = french_formfield
        return inlines


class AgentAdminSite(admin.AdminSite):
    site_header = _("Portail Famille — espace agents")
    site_title = _("Portail Famille")
    index_title = settings.COMMUNE_NAME
    login_form = AgentLoginForm
    login_template = "admin/login_otp.html"
    index_template = "admin/agents_index.html"

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin gets FrenchAdminMixin, those of Django's own apps (groups) included."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, FrenchAdminMixin):
            admin_class = type(
                admin_class.__name__, (FrenchAdminMixin, admin_class), {"__module__": admin_class.__module__}
            )
        return super().register(model_or_iterable, admin_class, **options)

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
