from django import template

from portal import cog

register = template.Library()


@register.filter
def cog_label(code):
    """{{ adult.birth_commune|cog_label }}: « Nantes (Loire-Atlantique) », « Algérie »; an unknown code as it is."""
    return cog.cog_label(code)
