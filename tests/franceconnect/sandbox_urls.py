"""The portal's URLs plus the FranceConnect and DGFiP simulators where portal/urls.py mounts them when their
sandboxes are on."""

from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("sandbox/franceconnect/api/v2/", include("franceconnect.sandbox.urls")),
    path("sandbox/dgfip/", include("impot_client.sandbox.urls")),
    *portal_urlpatterns,
]
