"""Meanings of the INSEE codes FranceConnect sends for the birthplace and birth country.

Only the codes the portal knows are named; any other code is shown as it is.
"""

from django.utils.translation import gettext_lazy as _

FRANCE = "99100"

COUNTRIES = {
    FRANCE: _("France"),
    "99109": _("Allemagne"),
    "99127": _("Italie"),
    "99131": _("Belgique"),
    "99132": _("Royaume-Uni"),
    "99134": _("Espagne"),
    "99139": _("Portugal"),
    "99140": _("Suisse"),
    "99350": _("Maroc"),
    "99351": _("Tunisie"),
    "99352": _("Algérie"),
    "99341": _("Sénégal"),
}

COMMUNES = {
    "95277": _("Gonesse (Val-d'Oise)"),
    "69123": _("Lyon (Rhône)"),
    "13055": _("Marseille (Bouches-du-Rhône)"),
}


def country_label(code: str) -> str:
    return f"{COUNTRIES[code]} ({code})" if code in COUNTRIES else code


def commune_label(code: str) -> str:
    if code in COMMUNES:
        return f"{COMMUNES[code]} ({code})"
    if code.startswith("751") and len(code) == 5 and 1 <= int(code[3:]) <= 20:
        arrondissement = int(code[3:])
        ordinal = _("1er") if arrondissement == 1 else f"{arrondissement}e"
        return f"Paris {ordinal} ({code})"
    return code
