"""Mounted at sandbox/api-particulier/ when API_PARTICULIER_SANDBOX is on: the contract's paths under the same
root as on particulier.api.gouv.fr, so API_PARTICULIER_URL is all that changes."""

from django.urls import path

from api_particulier.sandbox import vehicles, views

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
urlpatterns.append(
    path(
        "v3/ants/extrait_immatriculation_vehicule/france_connect",
        vehicles.vehicle_france_connect,
        name="extrait_immatriculation_vehicule_france_connect",
    )
)
