from django.urls import path

from cantine.income import views

app_name = "impot"

urlpatterns = [
    path("dossiers/<int:pk>/revenus/", views.income, name="income"),
    path("dossiers/<int:pk>/revenus/autoriser/", views.income_authorize, name="authorize"),
    path("dossiers/<int:pk>/revenus/refuser/", views.income_decline, name="decline"),
    path("dossiers/<int:pk>/revenus/retirer/", views.consent_withdraw, name="withdraw"),
    path("dossiers/<int:pk>/revenus/avis/", views.notice_upload, name="notice_upload"),
    path("revenus/avis/<int:pk>/", views.notice_file, name="notice_file"),
    path("revenus/franceconnect/retour/", views.franceconnect_callback, name="franceconnect_callback"),
    path("dossiers/<int:pk>/revenus/caf/autoriser/", views.benefit_authorize, name="benefit_authorize"),
    path("dossiers/<int:pk>/revenus/caf/refuser/", views.benefit_decline, name="benefit_decline"),
    path("dossiers/<int:pk>/revenus/caf/actualiser/", views.benefit_refresh, name="benefit_refresh"),
]
