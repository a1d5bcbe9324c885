"""The enrolment journey: service → period → details → review → submit, then the dossier page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cantine import contracts, selectors, services, workflow
from cantine.forms import CanteenDetailsForm, CrecheDetailsForm, EnrolStartForm, PeriodForm
from cantine.income.selectors import income_status
from cantine.journey import step
from cantine.models import Service
from portal.forms import add_service_errors
from portal.selectors import child_get_for_family, children_for_household, household_for
from portal.submissions import create_once


@login_required
@require_GET
def enrol_start(request):
    """Step 1: which child, which service. Submitted by GET so the choice stays in the address."""
    household = household_for(request.user)
    children = children_for_household(household)
    if not children.exists():
        messages.info(request, _("Ajoutez d'abord l'enfant à inscrire."))
        return redirect("portal:child_add")
    form = EnrolStartForm(request.GET or None, children=children, services=selectors.services_offered())
    if request.GET and form.is_valid():
        query = urlencode({"child": form.cleaned_data["child"].pk})
        return redirect(
            reverse("cantine:enrol_period", args=[form.cleaned_data["service"].slug]) + f"?{query}"
        )
    return render(request, "cantine/enrol_start.html", {"form": form, "step": step("child")})


@login_required
@require_http_methods(["GET", "POST"])
@create_once
def enrol_period(request, service_slug):
    """Step 2: the period; choosing it opens the draft dossier."""
    service = get_object_or_404(selectors.services_offered(), slug=service_slug)
    child_id = request.GET.get("child", "")
    if not child_id.isdigit():
        raise Http404("no child chosen")
    child = child_get_for_family(user=request.user, pk=int(child_id))
    form = PeriodForm(request.POST or None, periods=selectors.periods_open_for_enrolment(service))
    if request.method == "POST" and form.is_valid():
        try:
            dossier = services.dossier_create(
                child=child, service=service, period=form.cleaned_data["period"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("cantine:dossier_edit_details", pk=dossier.pk)
    return render(
        request,
        "cantine/enrol_period.html",
        {
            "form": form,
            "service": service,
            "child": child,
            "not_open": selectors.periods_not_open(service),
            "today": timezone.localdate(),
            "step": step("period"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dossier_edit_details(request, pk):
    """Step 3: what the service needs to know (canteen days, or crèche dates, hours and choices)."""
    dossier = selectors.dossier_get_for_family(user=request.user, pk=pk)
    if dossier.status not in workflow.EDITABLE:
        messages.info(request, _("Cette demande ne peut plus être modifiée."))
        return redirect("cantine:dossier_detail", pk=dossier.pk)
    if dossier.service.kind == Service.Kind.CRECHE:
        form = CrecheDetailsForm(
            request.POST or None, service=dossier.service, initial=CrecheDetailsForm.initial_from(dossier)
        )
    else:
        form = CanteenDetailsForm(
            request.POST or None,
            service=dossier.service,
            initial={"establishment": dossier.establishment_id, "days": dossier.canteen_days},
        )
    if request.method == "POST" and form.is_valid():
        try:
            if dossier.service.kind == Service.Kind.CRECHE:
                services.dossier_set_creche_details(
                    dossier=dossier,
                    user=request.user,
                    start_date=form.cleaned_data["start_date"],
                    schedule=form.cleaned_data["schedule"],
                    choices=form.cleaned_data["choices"],
                    single_parent=form.cleaned_data["single_parent"],
                    parents_working=form.cleaned_data["parents_working"],
                )
            else:
                services.dossier_set_canteen_details(
                    dossier=dossier,
                    user=request.user,
                    establishment=form.cleaned_data["establishment"],
                    days=form.cleaned_data["days"],
                )
        except ValidationError as error:
            add_service_errors(form, error, aliases={"choices": "choice_1"})
        else:
            return redirect("impot:income", pk=dossier.pk)
    return render(
        request,
        "cantine/dossier_edit_details.html",
        {"form": form, "dossier": dossier, "step": step("details")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def dossier_review(request, pk):
    """Step 4: read everything back, then send."""
    dossier = selectors.dossier_get_for_family(user=request.user, pk=pk)
    if dossier.status not in workflow.EDITABLE:
        return redirect("cantine:dossier_detail", pk=dossier.pk)
    errors = []
    if request.method == "POST":
        try:
            services.dossier_submit(dossier=dossier, user=request.user)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("Votre demande %(ref)s est envoyée.") % {"ref": dossier.reference})
            return redirect("cantine:dossier_detail", pk=dossier.pk)
    missing = services.dossier_missing_details(dossier)
    return render(
        request,
        "cantine/dossier_review.html",
        {
            "dossier": dossier,
            "missing": missing,
            "errors": errors,
            "income": income_status(dossier),
            "tariff": selectors.tariff_preview(dossier),
            "step": step("review"),
        },
    )


@login_required
@require_GET
def dossier_detail(request, pk):
    dossier = selectors.dossier_get_for_family(user=request.user, pk=pk)
    offer = selectors.place_offer_current(dossier)
    creche = dossier.service.kind == Service.Kind.CRECHE
    return render(
        request,
        "cantine/dossier_detail.html",
        {
            "dossier": dossier,
            "can_cancel": dossier.Status.CANCELLED
            in workflow.allowed_targets(dossier.status, workflow.Actor.FAMILY),
            "can_edit": dossier.status in workflow.EDITABLE,
            "income": income_status(dossier),
            "renewal_period": selectors.renewal_period(dossier),
            "queue": selectors.queue_place(dossier) if creche else None,
            "points": selectors.waiting_list_points(dossier) if creche else None,
            "offer": offer,
            "offer_open": offer is not None and offer.is_open(timezone.localdate()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dossier_cancel(request, pk):
    """« Annuler cette demande »: a page saying what cancelling does (GET), then the cancellation (POST)."""
    dossier = selectors.dossier_get_for_family(user=request.user, pk=pk)
    if request.method == "GET":
        if dossier.Status.CANCELLED not in workflow.allowed_targets(dossier.status, workflow.Actor.FAMILY):
            return redirect("cantine:dossier_detail", pk=dossier.pk)
        return render(request, "cantine/dossier_cancel.html", {"dossier": dossier})
    try:
        services.dossier_cancel(dossier=dossier, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("La demande %(ref)s est annulée.") % {"ref": dossier.reference})
    return redirect("cantine:dossier_detail", pk=dossier.pk)


@login_required
@require_POST
@create_once
def dossier_renew(request, pk):
    """« Réinscrire »: a new draft for the next period, then the details to check and a fresh consent."""
    dossier = selectors.dossier_get_for_family(user=request.user, pk=pk)
    try:
        renewed = services.dossier_renew(dossier=dossier, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("cantine:dossier_detail", pk=dossier.pk)
    messages.success(
        request,
        _(
            "Nouvelle demande pour %(period)s, reprise de la précédente : vérifiez les détails, puis vos revenus."
        )
        % {"period": renewed.period.label},
    )
    return redirect("cantine:dossier_edit_details", pk=renewed.pk)


def _family_offer(request, pk):
    offer = selectors.place_offer_current(selectors.dossier_get_for_family(user=request.user, pk=pk))
    if offer is None:
        raise Http404("no place offered")
    return offer


def _act(request, pk, action, success: str):
    """Run a family's service action, tell the outcome, back to the dossier page."""
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("cantine:dossier_detail", pk=pk)


@login_required
@require_POST
@create_once
def place_offer_accept(request, pk):
    offer = _family_offer(request, pk)
    return _act(
        request,
        pk,
        lambda: services.place_offer_accept(offer=offer, user=request.user),
        _("Vous avez accepté la place : votre contrat d'accueil est établi, lisez-le et confirmez-le."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def place_offer_decline(request, pk):
    """« Je refuse la place »: a page saying what refusing does (GET), then the refusal (POST)."""
    offer = _family_offer(request, pk)
    if request.method == "GET":
        if not offer.is_open(timezone.localdate()):
            return redirect("cantine:dossier_detail", pk=pk)
        return render(request, "cantine/place_offer_decline.html", {"offer": offer, "dossier": offer.dossier})
    return _act(
        request,
        pk,
        lambda: services.place_offer_decline(offer=offer, user=request.user),
        _("Vous avez refusé la place proposée."),
    )


def _family_contract(request, pk):
    offer = _family_offer(request, pk)
    if not hasattr(offer, "contract"):
        raise Http404("no contract")
    return offer.contract


@login_required
@require_POST
@create_once
def creche_contract_confirm(request, pk):
    contract = _family_contract(request, pk)
    return _act(
        request,
        pk,
        lambda: services.creche_contract_confirm(contract=contract, user=request.user),
        _("Merci : votre contrat d'accueil est confirmé."),
    )


@login_required
@require_GET
def creche_contract_pdf(request, pk):
    contract = _family_contract(request, pk)
    response = HttpResponse(contracts.contract_pdf(contract), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contrat-{contract.dossier.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"  # its explanation quotes the household's income
    return response
