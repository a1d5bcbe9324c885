from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from portal import views


class AdultRoleConverter:
    """The household pages' French slugs (/espace/foyer/titulaire/, /second-parent/) for the Adult.Role values
    the views and {% url 'portal:adult_edit' 'holder' %} keep using."""

    SLUGS = {"holder": "titulaire", "second_parent": "second-parent"}
    regex = "titulaire|second-parent"

    def to_python(self, value):
        return {slug: role for role, slug in self.SLUGS.items()}[value]

    def to_url(self, value):
        return self.SLUGS.get(value, value)


register_converter(AdultRoleConverter, "adult_role")

family_urls = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("compte/creer/", views.signup, name="signup"),
    path("compte/creer/verifiez-vos-courriels/", views.signup_done, name="signup_done"),
    path("compte/confirmer/<uidb64>/<token>/", views.signup_confirm, name="signup_confirm"),
    path("compte/connexion/", views.LoginView.as_view(), name="login"),
    path("compte/deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("compte/mot-de-passe/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "compte/mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "compte/mot-de-passe/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "compte/mot-de-passe/termine/",
        auth_views.PasswordResetCompleteView.as_view(template_name="portal/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("espace/", views.dashboard, name="dashboard"),
    path("espace/foyer/<adult_role:role>/", views.adult_edit, name="adult_edit"),
    path("espace/foyer/second-parent/retirer/", views.second_parent_remove, name="second_parent_remove"),
    path("espace/foyer/communes/", views.commune_suggestions, name="commune_suggestions"),
    # The English paths of before: bookmarks and old mails still lead to the page.
    path("espace/foyer/<str:role>/", views.adult_edit_moved, name="adult_edit_moved"),
    path("espace/enfants/ajouter/", views.child_add, name="child_add"),
    path("espace/enfants/<int:pk>/", views.child_edit, name="child_edit"),
    path("theme.css", views.theme_css, name="theme_css"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("plan-du-site/", views.sitemap, name="sitemap"),
    path("espace/enfants/<int:pk>/supprimer/", views.child_delete, name="child_delete"),
    path("espace/mes-donnees/", views.my_data, name="my_data"),
    path("espace/mes-donnees/telecharger/", views.my_data_download, name="my_data_download"),
    path("espace/mes-donnees/effacer-mon-compte/", views.account_erase, name="account_erase"),
    path("donnees-personnelles/", views.privacy, name="privacy"),
]

urlpatterns = [
    path("", include((family_urls, "portal"))),
    path("demarches/", include("cantine.urls")),
    path("demarches/", include("cantine.income.urls")),
    path("demarches/", include("stationnement.urls")),
    path("franceconnect/", include("franceconnect.urls")),
    path("admin/", admin.site.urls),
]
