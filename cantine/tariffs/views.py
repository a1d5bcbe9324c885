"""The estimator's page: a GET form that works with no JavaScript and whose address can be shared."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

import pricing
from cantine.tariffs.estimator import PsuEstimateForm, QfEstimateForm, ServiceChoiceForm, estimate_for, offers


@require_GET
def estimate(request):
    """Choose a service, then type what its grid needs; the quote and why. GET only, nothing stored."""
    available = offers()
    context = {"offers": available, "estimate": None, "offer": None, "form": None}
    choice = ServiceChoiceForm(request.GET or None, offers=available)
    context["choice"] = choice
    if not request.GET:
        return render(request, "cantine/estimate.html", context)
    if not choice.is_valid():
        return render(request, "cantine/estimate.html", context, status=400)

    offer = choice.offer()
    grid = pricing.parse_grid(offer.grid.data)
    form_class = PsuEstimateForm if isinstance(grid, pricing.PsuGrid) else QfEstimateForm
    declined = request.GET.get("income") == "declined"
    submitted = declined or any(name in request.GET for name in form_class.base_fields)
    data = request.GET.copy() if submitted else None
    if declined:
        for name in form_class.income_fields:  # not used, so neither checked nor shown back
            data.pop(name, None)
    form = form_class(data, grid=grid, declined=declined)
    context.update(offer=offer, form=form, declined=declined)
    if not submitted:
        return render(request, "cantine/estimate.html", context)
    if form.is_valid():
        context["estimate"] = estimate_for(grid, form)
        if context["estimate"] is not None:
            return render(request, "cantine/estimate.html", context)
    return render(request, "cantine/estimate.html", context, status=400)
