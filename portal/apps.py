from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


def _sign_in_recorded(sender, request, user, **kwargs):
    """Receiver of user_logged_in: the sign-in history of « Mes données » (FranceConnect's callback is the only
    sign-in under /franceconnect/)."""
    from portal.models import SignIn
    from portal.services import sign_in_record

    via_franceconnect = request is not None and "/franceconnect/" in request.path
    sign_in_record(user=user, method=SignIn.Method.FRANCECONNECT if via_franceconnect else SignIn.Method.PASSWORD)


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Familles")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from portal import (
            checks,  # noqa: F401  (registers the start-up checks)
            middleware,  # noqa: F401  its user_logged_in receiver starts each session's clock
        )

        user_logged_in.connect(_sign_in_recorded, dispatch_uid="portal_sign_in_recorded")


class AgentAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, whose site asks agents for a TOTP code after their password (portal.sites)."""

    default = False  # portal's own config stays PortalConfig; settings name this one explicitly
    default_site = "portal.sites.AgentAdminSite"
