"""ROOT_URLCONF of development and tests (portal.settings.simulators): the portal's URLs plus the FranceConnect,
DGFiP and API Particulier simulators, which production's (portal.urls) never mounts. Even here each answers 404 unless DEBUG and
its sandbox setting are on (the simulator's gate, checked on every request)."""

from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("sandbox/franceconnect/api/v2/", include("franceconnect.sandbox.urls")),
    path("sandbox/dgfip/", include("impot_client.sandbox.urls")),
    path("sandbox/api-particulier/", include("api_particulier.sandbox.urls")),
    *portal_urlpatterns,
]
