"""The portal's URLs plus the FranceConnect simulator where portal/urls.py mounts it when the sandbox is on."""

from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("sandbox/franceconnect/api/v2/", include("franceconnect.sandbox.urls")),
    *portal_urlpatterns,
]
