"""Meanings of the INSEE codes FranceConnect sends for the birthplace and birth country: their names in the
INSEE « Code officiel géographique » the core ships (portal.cog), not the raw codes."""

from portal import cog

FRANCE = cog.FRANCE


def country_label(code: str) -> str:
    """« France », « Algérie »; a code the COG does not know is shown as it is."""
    return cog.cog_label(code) if code else ""


def commune_label(code: str) -> str:
    """« Paris 7e Arrondissement (Paris) », « Gonesse (Val-d'Oise) »; an unknown code as it is."""
    return cog.cog_label(code) if code else ""
