from django import template

from franceconnect import insee

register = template.Library()


@register.filter
def insee_country(code):
    return insee.country_label(code) if code else ""


@register.filter
def insee_commune(code):
    return insee.commune_label(code) if code else ""


@register.filter
def certified_date(birthdate):
    """1992-11-00 → 00/11/1992: FranceConnect's partial dates are shown as they are certified."""
    parts = (birthdate or "").split("-")
    return "/".join(reversed(parts)) if len(parts) == 3 else birthdate
