from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CantineConfig(AppConfig):
    name = "cantine"
    verbose_name = _("Inscriptions")

    def ready(self):
        from cantine.journey import enrolment_demarche
        from portal.demarches import demarche_register

        demarche_register(enrolment_demarche())
