"""The cantine app's admin, one module per sub-domain; importing them registers their ModelAdmins."""

from cantine.admin import creche, dossiers, jobs, messages, offer, tariffs  # noqa: F401
from cantine.income import admin as income_admin  # noqa: F401  the income step's records
