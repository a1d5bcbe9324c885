"""`check --deploy` fails when a simulator is on outside DEBUG: it hands fictitious data to anyone."""

from django.conf import settings
from django.core.checks import Error, Tags, register


def register_sandbox_check(setting: str, check_id: str, hint: str):
    """Register the deployment check of the simulator that `setting` turns on."""

    @register(Tags.security, deploy=True)
    def sandbox_needs_debug(app_configs, **kwargs):
        if getattr(settings, setting) and not settings.DEBUG:
            return [Error(f"{setting} est activé alors que DEBUG est désactivé.", hint=hint, id=check_id)]
        return []

    return sandbox_needs_debug


register_sandbox_check(
    "FRANCECONNECT_SANDBOX",
    "franceconnect_sandbox.E001",
    "Le simulateur FranceConnect délivre des identités fictives à quiconque : FRANCECONNECT_SANDBOX=false en production.",
)
