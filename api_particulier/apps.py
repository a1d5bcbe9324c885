from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiParticulierConfig(AppConfig):
    name = "api_particulier"
    verbose_name = _("API Particulier")

    def ready(self):
        from api_particulier import checks  # noqa: F401  registers the system checks
