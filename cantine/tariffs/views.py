"""The estimator's page, with no JavaScript: the service is chosen by GET (its address can be shared), the figures
are sent by POST, so that incomes stay out of addresses, browser histories and the servers' logs."""

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

import pricing
from cantine.tariffs.estimator import PsuEstimateForm, QfEstimateForm, ServiceChoiceForm, estimate_for, offers


@require_http_methods(["GET", "POST"])
def estimate(request):
    """Choose a service, then type what its grid needs; the quote and why. Nothing stored. Figures in an address
    (a link of before) are neither read nor shown back."""
    available = offers()
    context = {"offers": available, "estimate": None, "offer": None, "form": None}
    sent = request.method == "POST"
    query = request.POST if sent else request.GET
    choice = ServiceChoiceForm(query or None, offers=available)
    context["choice"] = choice
    if not query:
        return render(request, "cantine/estimate.html", context)
    if not choice.is_valid():
        return render(request, "cantine/estimate.html", context, status=400)

    offer = choice.offer()
    grid = pricing.parse_grid(offer.grid.data)
    form_class = PsuEstimateForm if isinstance(grid, pricing.PsuGrid) else QfEstimateForm
    declined = sent and request.POST.get("income") == "declined"
    submitted = sent and (declined or any(name in request.POST for name in form_class.base_fields))
    data = request.POST.copy() if submitted else None
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
