"""Mounted at sandbox/dgfip/ when IMPOT_SANDBOX is on: the token endpoint and the impotparticulier/1.0 resource
at the same paths as on DGFiP's gateway, so IMPOT_TOKEN_URL and IMPOT_API_URL are all that change."""

from django.urls import path

from impot_client.sandbox import views

app_name = "impot_sandbox"

urlpatterns = [
    path("token", views.token, name="token"),
    path(
        "impotparticulier/1.0/situations/ir/assiettes/annrev/<str:year>",
        views.situation_franceconnect,
        name="situation_franceconnect",
    ),
    path(
        "impotparticulier/1.0/spi/<str:spi>/situations/ir/assiettes/annrev/<str:year>",
        views.situation_spi,
        name="situation_spi",
    ),
]
