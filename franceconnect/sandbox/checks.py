"""`check --deploy` fails when the simulator is on outside DEBUG: it signs identities for anyone."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def sandbox_needs_debug(app_configs, **kwargs):
    if settings.FRANCECONNECT_SANDBOX and not settings.DEBUG:
        return [
            Error(
                "FRANCECONNECT_SANDBOX est activé alors que DEBUG est désactivé.",
                hint="Le simulateur FranceConnect délivre des identités fictives à quiconque : "
                "FRANCECONNECT_SANDBOX=false en production.",
                id="franceconnect_sandbox.E001",
            )
        ]
    return []
