"""The income step of the journey: consent, the DGFiP lookup in either mode, a tax notice, or a refusal.

Every failure ends on the income page with a French message and the alternatives; the dossier stays."""

import functools
import logging
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api_particulier.identity import pivot_missing
from api_particulier.situation import NotFound, ParticulierError
from cantine import workflow
from cantine.income import benefits, selectors, services
from cantine.income.forms import ConsentForm, NumeroFiscalConsentForm, TaxNoticeForm
from cantine.journey import step
from cantine.selectors import dossier_get_for_family
from franceconnect.client import FranceConnectError
from franceconnect.flows import FLOW_KEY, flow_finish, flow_start, is_account_holder
from franceconnect.views import error_page, remember_id_token
from impot_client import services as impot_services
from impot_client.situation import ImpotError, InvalidTaxNumber, NoDeclaration
from portal import uploads
from portal.audit import client_ip
from portal.forms import add_service_errors
from portal.models import Consent
from portal.selectors import is_certified
from portal.submissions import create_once

logger = logging.getLogger(__name__)

FLOW_PURPOSE = "tax_data"
BENEFIT_FLOW_PURPOSE = "benefit_data"
FAILURE_KEY = "impot_client_failure"  # a lookup's failure, shown once by the income page


def proposed_source(dossier, income=None, order=None) -> str | None:
    """The source the page asks about now, in the grid's order: the CAF/MSA until the family declined it or the
    CAF knows no file (or figures came), then DGFiP if the grid has it; None: a notice or the highest tariff."""
    income = income or selectors.income_status(dossier)
    for key in order if order is not None else selectors.income_order(dossier):
        if key == "caf":
            consent = income.benefit_consent
            done = consent is not None and (
                consent.decision == Consent.Decision.REFUSED or consent.not_found_at is not None
            )
            if income.benefit_data is None and not done:
                return "caf"
        elif key == "dgfip":
            return "dgfip"
    return None


def _consent_context(request, dossier):
    income = selectors.income_status(dossier)
    order = selectors.income_order(dossier)
    proposed = proposed_source(dossier, income, order)
    if proposed == "caf":
        return _benefit_consent_context(request, dossier, income, order)
    mode = Consent.Mode.FRANCECONNECT if is_certified(request.user) else Consent.Mode.NUMERO_FISCAL
    context = {
        "dossier": dossier,
        "mode": mode,
        "proposed": proposed,
        "income": income,
        "fields": [services.FIELD_LABELS[field] for field in services.requested_fields(dossier)],
        "retention_date": services.retention_date(dossier),
    }
    template = (
        "cantine/income/_consent_text.html" if proposed == "dgfip" else "cantine/income/_no_api_text.html"
    )
    text = render_to_string(template, context)
    return {**context, "consent_text": text, "shown": services.text_hash(strip_tags(text))}


def _benefit_consent_context(request, dossier, income, order):
    """The CAF/MSA consent page: what, from whom, why, how long, and the alternatives (the grid's next source)."""
    mode = Consent.Mode.FRANCECONNECT if is_certified(request.user) else Consent.Mode.IDENTITE
    after = order[order.index("caf") + 1 :]
    context = {
        "dossier": dossier,
        "mode": mode,
        "proposed": "caf",
        "income": income,
        "eaje": benefits.is_eaje(dossier),
        "fields": [benefits.FIELD_LABELS[field] for field in benefits.requested_fields(dossier)],
        "retention_date": services.retention_date(dossier),
        "then_dgfip": "dgfip" in after,
        "then_notice": "notice" in after,
        "pivot_missing": pivot_missing(dossier.child.household) if mode == Consent.Mode.IDENTITE else [],
    }
    text = render_to_string("cantine/income/_caf_consent_text.html", context)
    return {**context, "consent_text": text, "shown": services.text_hash(strip_tags(text))}


def _income_page(request, dossier, *, form=None, error=None, status=200):
    context = _consent_context(request, dossier)
    if form is None:
        numero = context["mode"] == Consent.Mode.NUMERO_FISCAL and context["proposed"] == "dgfip"
        form_class = NumeroFiscalConsentForm if numero else ConsentForm
        form = form_class(initial={"shown": context["shown"]})
    return render(
        request,
        "cantine/income/income.html",
        {
            **context,
            "form": form,
            "decline_form": ConsentForm(initial={"shown": context["shown"]}),
            "error": error,
            "editable": dossier.status in workflow.EDITABLE,
            "step": step("income"),
        },
        status=status,
    )


def editable_dossier(view):
    """The family's own dossier (404 otherwise), while it may still change: then back to its page."""

    @functools.wraps(view)
    def wrapper(request, pk):
        dossier = dossier_get_for_family(user=request.user, pk=pk)
        if dossier.status not in workflow.EDITABLE:
            messages.info(request, _("Cette demande ne peut plus être modifiée."))
            return redirect("cantine:dossier_detail", pk=dossier.pk)
        return view(request, dossier)

    return wrapper


@dataclass(frozen=True)
class Failure:
    """What the income page says when a lookup ended without figures, and whether pressing the button again can
    help (not when DGFiP answered without the figures, nor when the commune's side must act first)."""

    message: str
    retry_helps: bool = True


def _failure(error, mode=Consent.Mode.FRANCECONNECT) -> Failure:
    if not isinstance(error, ImpotError):  # withdrawn meanwhile, or too many lookups: not now
        return Failure(" ".join(error.messages), retry_helps=False)
    if mode == Consent.Mode.NUMERO_FISCAL and isinstance(error, NoDeclaration):
        # « no declaration » would tell a stranger the number is a real taxpayer's: it reads as a refused number
        return Failure(str(InvalidTaxNumber.message))
    return Failure(str(error.message), retry_helps=error.retry_helps)


def _text_changed(form, context) -> bool:
    """The family must have read the text in force: if it changed meanwhile, show it again."""
    if form.cleaned_data["shown"] == context["shown"]:
        return False
    form.add_error(
        None, _("Le texte d'information a changé depuis votre lecture : relisez-le puis confirmez.")
    )
    return True


@login_required
@require_GET
def income(request, pk):
    dossier = dossier_get_for_family(user=request.user, pk=pk)
    failure = request.session.pop(FAILURE_KEY, None)
    return _income_page(request, dossier, error=Failure(*failure) if failure else None)


@login_required
@require_POST
@editable_dossier
def income_authorize(request, dossier):
    """The « J'autorise » button: record the consent, then ask DGFiP (through FranceConnect or by number)."""
    context = _consent_context(request, dossier)
    if context["proposed"] != "dgfip":  # the grid does not use DGFiP's figures, or the CAF comes first
        return redirect("impot:income", pk=dossier.pk)
    franceconnect = context["mode"] == Consent.Mode.FRANCECONNECT
    form = (ConsentForm if franceconnect else NumeroFiscalConsentForm)(request.POST)
    if not form.is_valid() or _text_changed(form, context):
        return _income_page(request, dossier, form=form, status=400)
    try:
        allowed = franceconnect or impot_services.numero_fiscal_lookup_allowed(
            user=request.user, dossier=dossier, numero_fiscal=form.cleaned_data["numero_fiscal"]
        )
    except ImpotError as error:  # the limits cannot be counted (cache down): refused, nothing changes
        return _income_page(request, dossier, form=form, error=_failure(error), status=503)
    if not allowed:  # refused before anything changes: the previous answer and its figures stay
        refused = Failure(impot_services.TOO_MANY_LOOKUPS, retry_helps=False)
        return _income_page(request, dossier, form=form, error=refused, status=429)
    consent = services.consent_record(
        user=request.user,
        dossier=dossier,
        decision=Consent.Decision.GRANTED,
        mode=context["mode"],
        shown_text_hash=context["shown"],
    )
    if franceconnect:
        try:
            return flow_start(
                request,
                purpose=FLOW_PURPOSE,
                redirect_uri=request.build_absolute_uri(reverse("impot:franceconnect_callback")),
                scopes=impot_services.franceconnect_scopes(consent.fields),
                consent=consent.pk,
            )
        except FranceConnectError as error:
            logger.warning("impot_client: FranceConnect unreachable for the tax-data flow (%s)", error.detail)
            return _income_page(
                request,
                dossier,
                error=Failure(_("FranceConnect ne répond pas. Réessayez dans quelques minutes.")),
            )
    try:
        tax_data = impot_services.tax_data_fetch_by_numero_fiscal(
            consent=consent, numero_fiscal=form.cleaned_data["numero_fiscal"]
        )
    except (ImpotError, ValidationError) as error:
        return _income_page(request, dossier, form=form, error=_failure(error, consent.mode))
    return _after_lookup(request, tax_data)


def _after_lookup(request, tax_data):
    if not tax_data.shown_to_family:
        return _after_numero_fiscal_lookup(request, tax_data)
    if tax_data.identity_mismatch:
        messages.warning(
            request,
            _(
                "Les déclarants connus du service des impôts pour ce numéro fiscal ne correspondent pas à "
                "l'identité de votre foyer. Aucun tarif ne sera appliqué automatiquement : un agent va vérifier "
                "votre demande et vous contactera si besoin. Vous pouvez aussi envoyer votre avis d'imposition."
            ),
        )
        return redirect("impot:income", pk=tax_data.dossier_id)
    messages.success(
        request,
        _("Le service des impôts a transmis vos revenus %(year)s. Vérifiez puis envoyez votre demande.")
        % {"year": tax_data.year},
    )
    return redirect("cantine:dossier_review", pk=tax_data.dossier_id)


def _after_numero_fiscal_lookup(request, tax_data):
    """The family learns that figures arrived, never what they are (nor whether the declarants matched, which would
    tell who owns a number); an agent checks them unless the commune lets a match set the tariff at once."""
    if tax_data.awaiting_agent:
        message = _(
            "Le service des impôts a transmis des revenus pour ce numéro fiscal. Pour protéger les données de chaque "
            "foyer, un agent de la commune vérifie qu'ils sont bien ceux de votre foyer avant qu'ils servent à "
            "votre tarif ; il pourra vous demander votre avis d'imposition. Vous pouvez déjà envoyer votre demande : "
            "vous serez informé(e) de votre tarif sur le portail et par courriel."
        )
    else:
        message = _(
            "Le service des impôts a transmis vos revenus : votre tarif sera calculé avec eux à l'envoi de la "
            "demande. Vérifiez puis envoyez votre demande."
        )
    messages.success(request, message)
    return redirect("cantine:dossier_review", pk=tax_data.dossier_id)


@login_required
@require_GET
@never_cache
def franceconnect_callback(request):
    """Back from FranceConnect with the dgfip_* scopes: DGFiP is called at once (the token lives 60 s). The CAF/MSA
    flow comes back to the same address (one redirect URI to register with FranceConnect), told by its purpose."""
    if request.session.get(FLOW_KEY, {}).get("purpose") == BENEFIT_FLOW_PURPOSE:
        return benefit_franceconnect_callback(request)
    try:
        finished = flow_finish(request, purpose=FLOW_PURPOSE)
    except FranceConnectError as error:
        return error_page(request, error.reason, detail=error.detail)
    consent, stop = _consent_back_from_franceconnect(
        request,
        finished,
        Consent.objects.select_related("dossier"),
        _("rien n'a été demandé au service des impôts."),
    )
    if stop is not None:
        return stop
    try:
        tax_data = impot_services.tax_data_fetch_with_franceconnect(
            consent=consent, access_token=finished.access_token
        )
    except (ImpotError, ValidationError) as error:
        return _back_with_error(request, consent, _failure(error))
    return _after_lookup(request, tax_data)


def _consent_back_from_franceconnect(request, finished, consents, nothing_asked: str):
    """The live consent the flow was started for, and None; or the page to show instead (the consent withdrawn
    meanwhile, or another person came back from FranceConnect: nothing is asked then)."""
    consent = consents.filter(
        pk=finished.extra.get("consent"), user=request.user, withdrawn_at__isnull=True
    ).first()
    if consent is None:
        return None, error_page(request, "expired", detail="consent withdrawn or unknown")
    remember_id_token(request, finished.id_token)
    if not is_account_holder(request.user, finished):
        message = _(
            "Vous vous êtes identifié(e) sur FranceConnect avec une autre identité que celle de votre compte : "
            "%(nothing_asked)s"
        ) % {"nothing_asked": nothing_asked}
        return consent, _back_with_error(request, consent, Failure(message))
    return consent, None


def _back_with_error(request, consent, failure: Failure):
    """To the income page, which shows the failure with the alternatives (the callback URL is single use)."""
    request.session[FAILURE_KEY] = [str(failure.message), failure.retry_helps]
    return redirect("impot:income", pk=consent.dossier_id)


@login_required
@require_POST
@editable_dossier
def income_decline(request, dossier):
    context = _consent_context(request, dossier)
    form = ConsentForm(request.POST)
    if not form.is_valid() or _text_changed(form, context):
        return _income_page(
            request, dossier, status=400, error=Failure(_("Le texte d'information a changé : relisez-le."))
        )
    services.income_decline(user=request.user, dossier=dossier, shown_text_hash=context["shown"])
    messages.info(
        request, _("C'est noté : vos revenus ne seront pas demandés, le tarif le plus élevé s'appliquera.")
    )
    return redirect("cantine:dossier_review", pk=dossier.pk)


@login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request, pk):
    """From the dossier page, at any time: a page saying what withdrawing does (GET), then the figures obtained with
    the consent are erased at once (POST)."""
    dossier = dossier_get_for_family(user=request.user, pk=pk)
    income = selectors.income_status(dossier)
    source = request.POST.get("source") or request.GET.get("source")
    consent = income.benefit_consent if source == Consent.Source.API_PARTICULIER else income.consent
    if request.method == "GET":
        if consent is None or consent.decision != Consent.Decision.GRANTED:
            return redirect("cantine:dossier_detail", pk=dossier.pk)
        return render(request, "cantine/consent_withdraw.html", {"dossier": dossier, "consent": consent})
    if consent is not None:
        services.consent_withdraw(user=request.user, consent=consent)
        messages.success(
            request,
            _("Votre accord est retiré et les données fiscales obtenues avec lui sont effacées."),
        )
    return redirect("cantine:dossier_detail", pk=dossier.pk)


@uploads.form_shown_again_when_too_large
@login_required
@require_http_methods(["GET", "POST"])
@create_once
@editable_dossier
def notice_upload(request, dossier):
    if request.method == "POST":  # the file streamed through portal.uploads' size limit
        form = TaxNoticeForm(request.POST, request.FILES, too_large=uploads.too_large(request, "file"))
    else:
        form = TaxNoticeForm()
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.tax_notice_upload(
                user=request.user, dossier=dossier, uploaded=form.cleaned_data["file"]
            )
            if notice.quarantined:
                notice = services.tax_notice_scan(notice=notice)
                if notice is None:
                    raise ValidationError({"file": ValidationError(services.INFECTED, code="infected")})
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if notice.quarantined:  # the antivirus gave no verdict yet: the worker tries again
                message = _(
                    "Votre avis d'imposition est envoyé. Il est en cours de vérification par l'antivirus ; un "
                    "agent le lira ensuite et saisira les montants utiles."
                )
            else:
                message = _(
                    "Votre avis d'imposition est envoyé : un agent le lira et saisira les montants utiles."
                )
            messages.success(request, message)
            return redirect("cantine:dossier_review", pk=dossier.pk)
    return render(
        request,
        "cantine/income/notice_upload.html",
        {"dossier": dossier, "form": form, "step": step("income")},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def notice_file(request, pk):
    """The notice, to its family and to the agents of its dossier's service only; never cached, always downloaded
    as the type it was checked as."""
    notice = selectors.notice_get_for_user(user=request.user, pk=pk)
    extension = services.NOTICE_TYPES[notice.content_type]
    response = FileResponse(
        services.tax_notice_open(notice=notice, user=request.user, ip=client_ip(request)),
        content_type=notice.content_type,
        as_attachment=True,
        filename=f"avis-imposition-{notice.pk}.{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
@editable_dossier
def benefit_authorize(request, dossier):
    """« J'autorise » on the CAF/MSA page: record the consent, then ask API Particulier (through FranceConnect
    with the cnaf_* scopes, or by the holder's identity)."""
    context = _consent_context(request, dossier)
    if context["proposed"] != "caf":
        return redirect("impot:income", pk=dossier.pk)
    form = ConsentForm(request.POST)
    if not form.is_valid() or _text_changed(form, context):
        return _income_page(request, dossier, form=form, status=400)
    if context["pivot_missing"]:
        messages.warning(
            request,
            _(
                "Pour interroger la CAF ou la MSA, la commune a besoin de l'état civil complet du titulaire du "
                "compte : nom de naissance, sexe, pays et commune de naissance. Complétez-le, puis revenez à "
                "cette étape."
            ),
        )
        return redirect("portal:adult_edit", role="holder")
    consent = services.consent_record(
        user=request.user,
        dossier=dossier,
        source=Consent.Source.API_PARTICULIER,
        decision=Consent.Decision.GRANTED,
        mode=context["mode"],
        shown_text_hash=context["shown"],
    )
    if context["mode"] == Consent.Mode.FRANCECONNECT:
        try:
            return flow_start(
                request,
                purpose=BENEFIT_FLOW_PURPOSE,
                redirect_uri=request.build_absolute_uri(reverse("impot:franceconnect_callback")),
                scopes=benefits.FRANCECONNECT_SCOPES,
                consent=consent.pk,
            )
        except FranceConnectError as error:
            logger.warning("cantine.income: FranceConnect unreachable for the CAF flow (%s)", error.detail)
            return _income_page(
                request,
                dossier,
                error=Failure(_("FranceConnect ne répond pas. Réessayez dans quelques minutes.")),
            )
    try:
        data = benefits.benefit_data_fetch_by_identity(consent=consent)
    except (ParticulierError, ValidationError) as error:
        return _back_with_error(request, consent, _benefit_failure(error))
    return _after_benefit_lookup(request, data)


def _benefit_failure(error) -> Failure:
    if isinstance(error, NotFound):
        return Failure(
            _("%(message)s Vos revenus peuvent être connus autrement : voici les autres possibilités.")
            % {"message": error.message},
            retry_helps=False,
        )
    if isinstance(error, ParticulierError):
        return Failure(str(error.message), retry_helps=error.retry_helps)
    return Failure(" ".join(error.messages), retry_helps=False)


def _after_benefit_lookup(request, data):
    if data.awaiting_agent or not data.shown_to_family:
        message = _(
            "La CAF ou la MSA a transmis les informations de votre foyer. Un agent de la commune vérifie qu'elles "
            "sont bien celles de votre foyer avant qu'elles servent à votre tarif ; elles ne sont pas affichées sur le "
            "portail. Vous pouvez déjà envoyer votre demande : vous serez informé(e) de votre tarif."
        )
    else:
        message = _(
            "La %(provider)s a transmis les informations utiles. Vérifiez puis envoyez votre demande."
        ) % {"provider": data.get_provider_display()}
    messages.success(request, message)
    return redirect("cantine:dossier_review", pk=data.dossier_id)


@login_required
@require_POST
@editable_dossier
def benefit_decline(request, dossier):
    """« Ne pas interroger la CAF » : the family goes on to the grid's next source."""
    context = _consent_context(request, dossier)
    form = ConsentForm(request.POST)
    if context["proposed"] != "caf" or not form.is_valid() or _text_changed(form, context):
        return redirect("impot:income", pk=dossier.pk)
    services.consent_record(
        user=request.user,
        dossier=dossier,
        source=Consent.Source.API_PARTICULIER,
        decision=Consent.Decision.REFUSED,
        shown_text_hash=context["shown"],
    )
    messages.info(request, _("C'est noté : la CAF et la MSA ne seront pas interrogées."))
    return redirect("impot:income", pk=dossier.pk)


def benefit_franceconnect_callback(request):
    """Back from FranceConnect with the cnaf_* scopes: API Particulier is called at once (the token lives 60 s)."""
    try:
        finished = flow_finish(request, purpose=BENEFIT_FLOW_PURPOSE)
    except FranceConnectError as error:
        return error_page(request, error.reason, detail=error.detail)
    consent, stop = _consent_back_from_franceconnect(
        request,
        finished,
        Consent.objects.select_related("dossier__service", "dossier__child").filter(
            source=Consent.Source.API_PARTICULIER
        ),
        _("rien n'a été demandé à la CAF ni à la MSA."),
    )
    if stop is not None:
        return stop
    try:
        data = benefits.benefit_data_fetch_with_franceconnect(
            consent=consent, access_token=finished.access_token
        )
    except (ParticulierError, ValidationError) as error:
        return _back_with_error(request, consent, _benefit_failure(error))
    return _after_benefit_lookup(request, data)


@login_required
@require_POST
def benefit_refresh(request, pk):
    """From the dossier page, at most once a day: the CAF or the MSA is asked again by the holder's identity."""
    dossier = dossier_get_for_family(user=request.user, pk=pk)
    try:
        benefits.benefit_data_refresh(dossier=dossier, user=request.user)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    except ParticulierError as error:
        messages.warning(request, str(error.message))
    else:
        messages.success(
            request,
            _(
                "Vos informations ont été actualisées auprès de la CAF ou de la MSA ; si votre tarif change, vous en êtes informé(e)."
            ),
        )
    return redirect("cantine:dossier_detail", pk=dossier.pk)
