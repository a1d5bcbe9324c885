from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CantineConfig(AppConfig):
    name = "cantine"
    verbose_name = _("Inscriptions")

    def ready(self):
        from cantine.journey import enrolment_demarche
        from portal.demarches import demarche_register

        demarche_register(enrolment_demarche())

        from cantine.income.services import tax_data_rematch_on_identity_change
        from portal.signals import household_identity_changed

        household_identity_changed.connect(
            tax_data_rematch_on_identity_change, dispatch_uid="tax_data_rematch"
        )
