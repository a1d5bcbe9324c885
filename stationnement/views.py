"""The resident parking démarche's pages: vehicle and duration, the domicile (DGFiP's address with consent, or a
proof), documents, review and sending, the application's page with its card, and the card's public check.

Every failure of a State API ends on the application's pages with a French message and the alternatives; the
draft stays."""

import functools
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api_particulier.situation import QUOTIENT_FAMILIAL_SCOPES, ParticulierError
from api_particulier.vehicles import vehicle_by_franceconnect
from franceconnect.client import FranceConnectError
from franceconnect.flows import flow_finish, flow_start, is_account_holder
from franceconnect.views import error_page, remember_id_token
from impot_client import client as impot
from impot_client.services import FIELD_SCOPES
from impot_client.situation import ImpotError
from portal.consents import text_hash
from portal.forms import add_service_errors
from portal.selectors import household_for, is_certified
from portal.submissions import create_once
from pricing.formula import Formula
from stationnement import cards, selectors, services
from stationnement.forms import DocumentForm, DomicileConsentForm, NumeroFiscalDomicileForm, VehicleForm
from stationnement.journey import step
from stationnement.models import Application

logger = logging.getLogger(__name__)

FLOW_PURPOSE = "parking"
# The address only (and the years DGFiP may answer for), then the identity the ANTS compares with the holder.
ADDRESS_SCOPES = ("dgfip_aft", "dgfip_annee_n_moins_1", "dgfip_annee_n_moins_2_si_indispo_n_moins_1")
ANTS_SCOPES = ("identite_pivot",)
# The social tariff's income, when the resident chose to share it: RFR and parts in DGFiP's same answer, or the
# CAF or MSA quotient familial (with the allocataires and children its cross-checks read).
INCOME_SCOPES = {
    "dgfip": (FIELD_SCOPES["rfr"], FIELD_SCOPES["nb_parts"]),
    "caf": QUOTIENT_FAMILIAL_SCOPES,
}


def draft(view):
    """The family's own application (404 otherwise), while it is a draft: then back to its page."""

    @functools.wraps(view)
    def wrapper(request, pk):
        application = selectors.application_get_for_family(user=request.user, pk=pk)
        if application.status != Application.Status.DRAFT:
            messages.info(request, _("Cette demande est envoyée : elle ne se modifie plus."))
            return redirect("stationnement:detail", pk=application.pk)
        return view(request, application)

    return wrapper


@login_required
@require_POST
@create_once
def start(request):
    household = household_for(request.user)
    replaces = None
    if request.POST.get("replaces"):
        replaces = household.parking_cards.filter(pk=request.POST["replaces"]).first()
    application = services.application_start(user=request.user, household=household, replaces=replaces)
    return redirect("stationnement:vehicle", pk=application.pk)


@login_required
@require_GET
def begin(request):
    """What the démarche asks and takes, before a draft exists."""
    household_for(request.user)
    return render(request, "stationnement/begin.html", {"certified": is_certified(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
@draft
def vehicle(request, application):
    initial = {
        "plate": application.plate,
        "duration": application.duration,
        "company_vehicle": application.company_vehicle,
    }
    form = VehicleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.application_vehicle_set(user=request.user, application=application, **form.cleaned_data)
        return redirect("stationnement:domicile", pk=application.pk)
    return render(
        request,
        "stationnement/vehicle.html",
        {"application": application, "form": form, "step": step("vehicle")},
        status=400 if form.errors else 200,
    )


def _consent_context(request, application):
    franceconnect = is_certified(request.user)
    social = selectors.social_tariff_in_force()
    context = {
        "application": application,
        "franceconnect": franceconnect,
        "ants": franceconnect and not application.company_vehicle,
        "social": social,
        "sources": social.income if social is not None else (),
        "formula": _formula_words(social.qf_formula) if social is not None else "",
        "agent_checks_income": not franceconnect
        and (settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT or settings.API_PARTICULIER_IDENTITY_NEEDS_AGENT),
    }
    text = render_to_string("stationnement/_consent_text.html", context)
    return {**context, "consent_text": text, "shown": text_hash(text)}


def _formula_words(text: str) -> str:
    """« revenu fiscal de référence ÷ 12 ÷ nombre de parts », as the tariff's explanation writes it."""
    return Formula.parse(text).render(**{name: str(words) for name, words in Formula.VARIABLES.items()})


def _consent_form(context, data=None, **kwargs):
    form_class = DomicileConsentForm if context["franceconnect"] else NumeroFiscalDomicileForm
    return form_class(data, sources=context["sources"], **kwargs)


def _domicile_page(request, application, *, form=None, error="", status=200):
    context = _consent_context(request, application)
    if form is None:
        form = _consent_form(context, initial={"shown": context["shown"]})
    return render(
        request,
        "stationnement/domicile.html",
        {**context, "form": form, "error": error, "step": step("domicile")},
        status=status,
    )


@login_required
@require_GET
@draft
def domicile(request, application):
    return _domicile_page(request, application, error=request.session.pop("stationnement_failure", ""))


@login_required
@require_POST
@draft
def authorize(request, application):
    """« J'autorise »: through FranceConnect (address, and the vehicle at the ANTS), or by numéro fiscal."""
    context = _consent_context(request, application)
    form = _consent_form(context, request.POST)
    if not form.is_valid():
        return _domicile_page(request, application, form=form, status=400)
    if form.cleaned_data["shown"] != context["shown"]:
        form.add_error(
            None, _("Le texte d'information a changé depuis votre lecture : relisez-le puis confirmez.")
        )
        return _domicile_page(request, application, form=form, status=400)
    mode = "franceconnect" if context["franceconnect"] else "numero_fiscal"
    income_source = form.cleaned_data.get("social", "")
    try:
        application = services.application_consent_record(
            user=request.user,
            application=application,
            mode=mode,
            text_hash=context["shown"],
            income_source=income_source,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _domicile_page(request, application, form=form, status=400)
    if context["franceconnect"]:
        scopes = [
            "openid",
            *ADDRESS_SCOPES,
            *INCOME_SCOPES.get(income_source, ()),
            *(ANTS_SCOPES if context["ants"] else ()),
        ]
        try:
            return flow_start(
                request,
                purpose=FLOW_PURPOSE,
                redirect_uri=request.build_absolute_uri(reverse("stationnement:franceconnect_callback")),
                scopes=" ".join(scopes),
                application=application.pk,
            )
        except FranceConnectError as error:
            logger.warning("stationnement: FranceConnect unreachable (%s)", error.detail)
            return _domicile_page(
                request, application, error=_("FranceConnect ne répond pas. Réessayez dans quelques minutes.")
            )
    try:
        found = impot.fetch_address_by_numero_fiscal(
            form.cleaned_data["numero_fiscal"], with_income=income_source == "dgfip"
        )
    except ImpotError as error:
        return _domicile_page(request, application, form=form, error=str(error.message))
    services.domicile_store(application=application, found=found, mode=mode)
    if income_source == "caf":
        services.caf_income_fetch(application=application)
    return _after_checks(request, application)


@login_required
@require_GET
@never_cache
def franceconnect_callback(request):
    """Back from FranceConnect: DGFiP, then the ANTS, at once (the access token lives 60 seconds)."""
    try:
        finished = flow_finish(request, purpose=FLOW_PURPOSE)
    except FranceConnectError as error:
        return error_page(request, error.reason, detail=error.detail)
    application = selectors.application_get_for_family(
        user=request.user, pk=finished.extra.get("application")
    )
    remember_id_token(request, finished.id_token)
    if not is_account_holder(request.user, finished):
        return _back(
            request,
            application,
            _(
                "Vous vous êtes identifié(e) sur FranceConnect avec une autre identité que celle de votre compte : rien n'a été demandé."
            ),
        )
    income_source = services.consent_income_source(application)
    try:
        found = impot.fetch_address_with_franceconnect(
            finished.access_token, with_income=income_source == "dgfip"
        )
    except ImpotError as error:
        return _back(request, application, str(error.message))
    application = services.domicile_store(application=application, found=found, mode="franceconnect")
    if income_source == "caf":
        services.caf_income_fetch(application=application, access_token=finished.access_token)
    if not application.company_vehicle:
        try:
            record = vehicle_by_franceconnect(finished.access_token, application.plate)
        except ParticulierError as error:
            messages.warning(
                request, _("Le véhicule n'a pas pu être vérifié : %(why)s") % {"why": error.message}
            )
        else:
            services.vehicle_store(application=application, record=record)
    return _after_checks(request, application)


def _back(request, application, message: str):
    request.session["stationnement_failure"] = message
    return redirect("stationnement:domicile", pk=application.pk)


def _after_checks(request, application):
    application.refresh_from_db()
    if application.domicile_problem:
        messages.warning(request, selectors.domicile_problem_label(application.domicile_problem))
    if application.income_problem:
        messages.warning(request, selectors.income_problem_label(application.income_problem))
    return redirect(
        "stationnement:documents" if services.application_problems(application) else "stationnement:review",
        pk=application.pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
@create_once
@draft
def documents(request, application):
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_upload(
                user=request.user,
                application=application,
                kind=form.cleaned_data["kind"],
                uploaded=form.cleaned_data["file"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Pièce envoyée : un agent la vérifiera."))
            return redirect("stationnement:documents", pk=application.pk)
    application.refresh_from_db()
    return render(
        request,
        "stationnement/documents.html",
        {
            "application": application,
            "form": form,
            "problems": services.application_problems(application),
            "step": step("documents"),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
@draft
def review(request, application):
    problems = services.application_problems(application)
    preview, refusal = None, ""
    if not problems:
        try:
            services.application_quote(application, timezone.localdate())
            preview = application
        except ValidationError as error:
            refusal = " ".join(error.messages)
    if request.method == "POST" and not problems and not refusal:
        try:
            application = services.application_submit(user=request.user, application=application)
        except ValidationError as error:
            refusal = " ".join(error.messages)
        else:
            if application.status == Application.Status.ACCEPTED:
                messages.success(request, _("Votre carte résident est délivrée : téléchargez-la ci-dessous."))
            else:
                messages.success(
                    request,
                    _("Votre demande est envoyée : un agent la vérifie et vous répondra par courriel."),
                )
            return redirect("stationnement:detail", pk=application.pk)
    return render(
        request,
        "stationnement/review.html",
        {
            "application": application,
            "problems": problems,
            "preview": preview,
            "refusal": refusal,
            "income_problem": selectors.income_problem_label(application.income_problem)
            if application.income_problem and selectors.social_income_sources()
            else "",
            "step": step("review"),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def detail(request, pk):
    application = selectors.application_get_for_family(user=request.user, pk=pk)
    return render(
        request,
        "stationnement/detail.html",
        {
            "application": application,
            "card": getattr(application, "card", None),
            "income_source": services.consent_income_source(application),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def income_withdraw(request, pk):
    """« Retirer mon accord pour le tarif social »: a page saying what withdrawing does (GET), then the figures are
    erased at once and the price is the full one (POST)."""
    application = selectors.application_get_for_family(user=request.user, pk=pk)
    if request.method == "GET":
        if not services.consent_income_source(application):
            return redirect("stationnement:detail", pk=application.pk)
        return render(
            request,
            "stationnement/income_withdraw.html",
            {"application": application, "card": getattr(application, "card", None)},
        )
    try:
        services.application_income_withdraw(user=request.user, application=application)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Votre accord est retiré : vos revenus sont effacés et le tarif social ne s'applique plus."),
        )
    return redirect("stationnement:detail", pk=application.pk)


@login_required
@require_GET
def card_pdf(request, pk):
    application = selectors.application_get_for_family(user=request.user, pk=pk)
    card = getattr(application, "card", None)
    if card is None:
        messages.info(request, _("Cette demande n'a pas encore de carte."))
        return redirect("stationnement:detail", pk=application.pk)
    response = HttpResponse(
        cards.card_pdf(
            card, verify_url=request.build_absolute_uri(reverse("stationnement:verify", args=[card.token]))
        ),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'attachment; filename="carte-resident-{card.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def verify(request, token):
    """Public: what an enforcement agent's phone shows after scanning the QR code. Never a name nor a plate."""
    state, card = selectors.card_verify(token)
    response = render(request, "stationnement/verify.html", {"state": state, "card": card})
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
