from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Familles")

    def ready(self):
        from portal import (
            checks,  # noqa: F401  (registers the start-up checks)
            middleware,  # noqa: F401  its user_logged_in receiver starts each session's clock
        )


class AgentAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, whose site asks agents for a TOTP code after their password (portal.sites)."""

    default = False  # portal's own config stays PortalConfig; settings name this one explicitly
    default_site = "portal.sites.AgentAdminSite"
