from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationnementConfig(AppConfig):
    name = "stationnement"
    verbose_name = _("Stationnement résidentiel")
