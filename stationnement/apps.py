from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationnementConfig(AppConfig):
    name = "stationnement"
    verbose_name = _("Stationnement résidentiel")

    def ready(self):
        from portal.demarches import demarche_register
        from stationnement.journey import parking_demarche

        demarche_register(parking_demarche())
