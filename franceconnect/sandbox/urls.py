"""Mounted at sandbox/franceconnect/api/v2/ when FRANCECONNECT_SANDBOX is on; same paths as FranceConnect's
/api/v2/. Discovery advertises URLs built from FRANCECONNECT_ISSUER, which must point here."""

from django.urls import path

from franceconnect.sandbox import views

app_name = "fc_sandbox"

urlpatterns = [
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path("authorize", views.authorize, name="authorize"),
    path("token", views.token, name="token"),
    path("userinfo", views.userinfo, name="userinfo"),
    path("session/end", views.session_end, name="session_end"),
    path("jwks", views.jwks, name="jwks"),
    path("checktoken", views.checktoken, name="checktoken"),
]
