"""Family space and base pages. Views stay thin: forms validate, services write, selectors read."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods

from portal import cog, health, selectors, services
from portal.audit import client_ip
from portal.demarches import demarches
from portal.forms import (
    AccountPasswordResetForm,
    AdultForm,
    ChildForm,
    ConfirmPasswordForm,
    HolderForm,
    LoginForm,
    SignupForm,
    add_service_errors,
)
from portal.models import Adult, User
from portal.submissions import create_once
from portal.theme import current_theme

logger = logging.getLogger(__name__)


@require_GET
def home(request):
    return render(request, "portal/home.html")


@require_GET
@never_cache
def healthz(request):
    """For the load balancer: 200 when every dependency the configuration requires answers (database, the cache
    when it is Redis, the task queue's table), 503 otherwise; the JSON body says which (portal.health)."""
    body, healthy = health.report()
    return JsonResponse(body, status=200 if healthy else 503)


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    form = SignupForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        services.family_account_create(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            first_names=form.cleaned_data["first_names"],
            last_name=form.cleaned_data["last_name"],
            birth_date=form.cleaned_data["birth_date"],
        )
        request.session["signup_email"] = form.cleaned_data["email"]
        return redirect("portal:signup_done")
    return render(request, "portal/signup.html", {"form": form})


@require_GET
def signup_done(request):
    return render(request, "portal/signup_done.html", {"email": request.session.get("signup_email", "")})


@require_http_methods(["GET", "POST"])
@never_cache
def signup_confirm(request, uidb64, token):
    """The link in the mail only shows a page; the address is confirmed, and the account signed in, by its form
    (a POST with the CSRF token), which sets the password: the one chosen at sign-up, or a new one. A GET signing
    in would let any site log a visitor into an account of its choosing, and activating the sign-up's password
    would let whoever typed someone else's address choose that person's password. A browser already signed in to
    another account stays in it."""
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not services.account_confirmation_token.check_token(user, token):
        return render(request, "portal/signup_invalid.html", status=400)
    signed_in_elsewhere = request.user.is_authenticated and request.user.pk != user.pk
    form = ConfirmPasswordForm(
        user, request.POST if request.method == "POST" and not signed_in_elsewhere else None
    )
    if signed_in_elsewhere or not form.is_valid():
        return render(
            request,
            "portal/signup_confirm.html",
            {"signed_in_elsewhere": signed_in_elsewhere, "form": form},
            status=409 if signed_in_elsewhere and request.method == "POST" else 200,
        )
    services.family_account_confirm(user=user, password=form.cleaned_data["new_password1"])
    login(request, user)
    messages.success(request, _("Votre adresse est confirmée : bienvenue sur votre espace famille."))
    return redirect("portal:dashboard")


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """Where to go without a safe `next`: agents have no family space (its dashboard is a 404 for them), they
        go to the admin, which asks for their second factor."""
        if self.request.user.is_staff:
            return reverse("admin:index")
        return super().get_default_redirect_url()


class PasswordResetView(auth_views.PasswordResetView):
    """The mail is queued (portal.tasks), known address or not; the form counts the request in its limits."""

    template_name = "portal/password_reset.html"
    form_class = AccountPasswordResetForm
    success_url = reverse_lazy("portal:password_reset_done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")


@login_required
@require_GET
def dashboard(request):
    household = selectors.household_for(request.user)
    return render(
        request,
        "portal/dashboard.html",
        {
            "household": household,
            "holder": selectors.adult_for_role(household, Adult.Role.HOLDER),
            "second_parent": selectors.adult_for_role(household, Adult.Role.SECOND_PARENT),
            "children": selectors.children_for_household(household),
            "dossiers": selectors.dossier_rows_for_household(household),
            "pending_actions": selectors.pending_actions_for_household(household),
            "demarches": demarches(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@create_once
def adult_edit(request, role):
    household = selectors.household_for(request.user)
    if role not in Adult.Role.values:
        raise Http404("unknown role")
    role = Adult.Role(role)
    adult = selectors.adult_for_role(household, role)
    certified = role == Adult.Role.HOLDER and selectors.is_certified(request.user)
    if role == Adult.Role.HOLDER and not certified:
        form = HolderForm(request.POST or None, instance=adult)
    else:
        form = AdultForm(request.POST or None, instance=adult, certified=certified)
    if request.method == "POST" and form.is_valid():
        services.adult_save(household=household, role=role, **form.adult_fields())
        messages.success(request, _("Les informations du foyer sont enregistrées."))
        return redirect("portal:dashboard")
    return render(
        request,
        "portal/adult_form.html",
        {"form": form, "role": role, "adult": adult, "certified": certified},
    )


@login_required
@require_GET
def commune_suggestions(request):
    """The communes whose name begins with ?q=, for the holder's page's suggestion list (JavaScript only): the
    value typed back (« Saint-Denis 974 ») is one the form takes at once."""
    found = cog.commune_search(request.GET.get("q", "")[:150], limit=cog.SUGGESTION_LIMIT)
    return JsonResponse(
        {
            "communes": [
                {"value": f"{commune.name} {commune.departement}", "label": commune.label}
                for commune in found
            ]
        }
    )


@require_GET
def adult_edit_moved(request, role):
    """/espace/foyer/holder/ and /second_parent/, the English paths of before: moved for good."""
    if role not in Adult.Role.values:
        raise Http404("unknown role")
    return HttpResponsePermanentRedirect(reverse("portal:adult_edit", args=[role]))


@login_required
@require_http_methods(["POST"])
def second_parent_remove(request):
    services.second_parent_remove(household=selectors.household_for(request.user))
    messages.success(request, _("Le second parent a été retiré du foyer."))
    return redirect("portal:dashboard")


@login_required
@require_http_methods(["GET", "POST"])
@create_once
def child_add(request):
    household = selectors.household_for(request.user)
    form = ChildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.child_create(household=household, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("%(name)s a été ajouté(e) à votre foyer.") % {"name": child.first_names}
            )
            return redirect(reverse("portal:dashboard") + "#enfants")
    return render(request, "portal/child_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def child_edit(request, pk):
    child = selectors.child_get_for_family(user=request.user, pk=pk)
    form = ChildForm(request.POST or None, instance=child)
    if request.method == "POST" and form.is_valid():
        try:
            services.child_update(child=child, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Les informations de %(name)s sont enregistrées.") % {"name": child.first_names}
            )
            return redirect(reverse("portal:dashboard") + "#enfants")
    return render(request, "portal/child_form.html", {"form": form, "child": child})


@require_GET
@cache_control(public=True, max_age=60 * 60 * 24 * 365)
def theme_css(request):
    """The commune's colours as CSS custom properties (portal.theme). base.html links it with `?v=` the theme's
    version: a new colour is a new address, so browsers may keep each one for a year."""
    response = HttpResponse(current_theme().css, content_type="text/css; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


LEGAL_SETTINGS = [
    "COMMUNE_NAME",
    "COMMUNE_ADDRESS",
    "COMMUNE_EMAIL",
    "COMMUNE_PHONE",
    "COMMUNE_SIREN",
    "COMMUNE_PUBLICATION_DIRECTOR",
    "HOSTING_PROVIDER",
    "HOSTING_ADDRESS",
    "HOSTING_PHONE",
    "ACCESSIBILITY_CONTACT_EMAIL",
    "ACCESSIBILITY_STATEMENT_DATE",
]


def legal_page(template_name):
    """A footer page: the commune's details from settings (placeholders until it fills them)."""

    @require_GET
    def view(request):
        details = {name.lower(): getattr(settings, name) for name in LEGAL_SETTINGS}
        return render(request, template_name, {"legal": details, "site_url": settings.SITE_URL})

    return view


legal_notice = legal_page("portal/legal/mentions_legales.html")
accessibility = legal_page("portal/legal/accessibilite.html")
sitemap = legal_page("portal/legal/plan_du_site.html")


@login_required
@require_GET
def my_data(request):
    """« Mes données »: everything the portal holds about the household, each démarche's part included."""
    return render(request, "portal/my_data.html", {"sections": selectors.household_data_sections(request.user)})


@login_required
@require_GET
def my_data_download(request):
    response = JsonResponse(
        selectors.household_data_json(request.user), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def child_delete(request, pk):
    child = selectors.child_get_for_family(user=request.user, pk=pk)
    in_use = selectors.child_in_use(child)
    if request.method == "POST" and not in_use:
        try:
            services.child_delete(user=request.user, child=child)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(name)s a été retiré(e) de votre foyer.") % {"name": child.first_names})
            return redirect("portal:my_data")
    return render(
        request, "portal/child_delete.html", {"child": child, "in_use": in_use}, status=409 if in_use and request.method == "POST" else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_erase(request):
    """The confirmation page says what goes and what the commune keeps, and why it is refused if it is."""
    household = selectors.household_for(request.user)
    refusals = selectors.account_erasure_refusals(household)
    if request.method == "POST" and not refusals:
        try:
            services.account_erase(user=request.user, ip=client_ip(request))
        except ValidationError as error:  # a dossier was sent meanwhile
            refusals = error.messages
        else:
            logout(request)
            messages.success(request, _("Votre compte est effacé. Merci d'avoir utilisé le Portail Famille."))
            return redirect("portal:home")
    return render(
        request,
        "portal/account_erase.html",
        {"refusals": refusals, "kept": selectors.kept_after_erasure()},
        status=409 if refusals and request.method == "POST" else 200,
    )


@require_GET
def privacy(request):
    """« Données personnelles »: what the portal keeps, why, for how long, and the families' rights."""
    return render(request, "portal/privacy.html", {"retention": selectors.retention_rules()})
