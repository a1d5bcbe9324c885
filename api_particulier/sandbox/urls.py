"""Mounted at sandbox/api-particulier/ when API_PARTICULIER_SANDBOX is on: the contract's paths under the same
root as on particulier.api.gouv.fr, so API_PARTICULIER_URL is all that changes."""

from django.urls import path

from api_particulier.sandbox import views

app_name = "api_particulier_sandbox"

urlpatterns = [
    path(
        f"v3/dss/{route}/{mode}",
        views.ROUTES[route, mode],
        name=f"{route}_{mode}",
    )
    for route in ("quotient_familial", "participation_familiale_eaje")
    for mode in ("identite", "france_connect")
]
