"""Writes of the resident parking démarche, by sub-domain: the zone maps and tariff grid (zones), the resident's
application (applications, drafts), its price (quotes) and income for the social tariff (income), and the card an
agent or the commune's rule issues (cards). Callers import from here."""

from stationnement.services.applications import (
    application_consent_record,
    application_problems,
    application_start,
    application_submit,
    application_vehicle_set,
    document_upload,
    domicile_store,
    vehicle_store,
)
from stationnement.services.cards import (
    DRAFTS_KEPT,
    DURATION_MONTHS,
    RETENTION_AFTER_END,
    application_refuse,
    card_end,
    card_issue,
    card_reminders_send,
    parking_data_purge,
)
from stationnement.services.drafts import (
    application_check_owner,
    draft_locked,
)
from stationnement.services.income import (
    ADDRESS_FIELDS,
    INCOME_FIELDS,
    application_income_withdraw,
    caf_income_fetch,
    caf_income_store,
    consent_income_source,
    dgfip_income_store,
    income_waits_for_agent,
)
from stationnement.services.quotes import (
    application_quote,
    income_facts,
    vehicle_rank,
)
from stationnement.services.zones import (
    COLUMNS,
    parking_grid_activate,
    parking_grid_check,
    parking_grid_save,
    zone_map_activate,
    zone_map_edit,
    zone_map_import,
)

__all__ = [
    "application_check_owner",
    "draft_locked",
    "COLUMNS",
    "zone_map_import",
    "zone_map_activate",
    "zone_map_edit",
    "parking_grid_check",
    "parking_grid_save",
    "parking_grid_activate",
    "vehicle_rank",
    "income_facts",
    "application_quote",
    "ADDRESS_FIELDS",
    "INCOME_FIELDS",
    "consent_income_source",
    "dgfip_income_store",
    "caf_income_fetch",
    "caf_income_store",
    "income_waits_for_agent",
    "application_income_withdraw",
    "DURATION_MONTHS",
    "card_end",
    "card_issue",
    "application_refuse",
    "card_reminders_send",
    "RETENTION_AFTER_END",
    "DRAFTS_KEPT",
    "parking_data_purge",
    "application_start",
    "application_vehicle_set",
    "application_consent_record",
    "domicile_store",
    "vehicle_store",
    "document_upload",
    "application_submit",
    "application_problems",
]
