from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpotClientConfig(AppConfig):
    name = "impot_client"
    verbose_name = _("API Impôt particulier")

    def ready(self):
        from impot_client import checks  # noqa: F401  registers the system checks
        from impot_client.services import tax_data_rematch_on_identity_change
        from portal.signals import household_identity_changed

        household_identity_changed.connect(tax_data_rematch_on_identity_change, dispatch_uid="tax_data_rematch")
