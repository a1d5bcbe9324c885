from django.urls import path

from stationnement import views

app_name = "stationnement"

urlpatterns = [
    path("stationnement/", views.begin, name="begin"),
    path("stationnement/commencer/", views.start, name="start"),
    path("stationnement/<int:pk>/vehicule/", views.vehicle, name="vehicle"),
    path("stationnement/<int:pk>/domicile/", views.domicile, name="domicile"),
    path("stationnement/<int:pk>/domicile/autoriser/", views.authorize, name="authorize"),
    path("stationnement/<int:pk>/pieces/", views.documents, name="documents"),
    path("stationnement/<int:pk>/verification/", views.review, name="review"),
    path("stationnement/<int:pk>/", views.detail, name="detail"),
    path("stationnement/<int:pk>/carte.pdf", views.card_pdf, name="card_pdf"),
    path("stationnement/<int:pk>/tarif-social/retirer/", views.income_withdraw, name="income_withdraw"),
    path("stationnement/franceconnect/retour/", views.franceconnect_callback, name="franceconnect_callback"),
    path("stationnement/verifier/<str:token>/", views.verify, name="verify"),
]
