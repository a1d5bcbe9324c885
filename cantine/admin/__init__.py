"""The cantine app's admin, one module per sub-domain; importing them registers their ModelAdmins."""

from cantine.admin import creche, dossiers, messages, offer, tariffs  # noqa: F401
