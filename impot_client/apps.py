from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpotClientConfig(AppConfig):
    name = "impot_client"
    verbose_name = _("API Impôt particulier")

    def ready(self):
        from impot_client import checks  # noqa: F401  registers the system checks
