from django.urls import path

from cantine import views
from cantine.tariffs import views as tariff_views

app_name = "cantine"

urlpatterns = [
    path("inscription/", views.enrol_start, name="enrol_start"),
    path("inscription/<slug:service_slug>/", views.enrol_period, name="enrol_period"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="dossier_detail"),
    path("dossiers/<int:pk>/details/", views.dossier_edit_details, name="dossier_edit_details"),
    path("dossiers/<int:pk>/verification/", views.dossier_review, name="dossier_review"),
    path("dossiers/<int:pk>/annuler/", views.dossier_cancel, name="dossier_cancel"),
    path("dossiers/<int:pk>/reinscrire/", views.dossier_renew, name="dossier_renew"),
    path("dossiers/<int:pk>/place/accepter/", views.place_offer_accept, name="place_offer_accept"),
    path("dossiers/<int:pk>/place/refuser/", views.place_offer_decline, name="place_offer_decline"),
    path(
        "dossiers/<int:pk>/contrat/confirmer/", views.creche_contract_confirm, name="creche_contract_confirm"
    ),
    path("dossiers/<int:pk>/contrat.pdf", views.creche_contract_pdf, name="creche_contract_pdf"),
    path("tarifs/estimer/", tariff_views.estimate, name="estimate"),
]
