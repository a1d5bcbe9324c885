from django import template

from portal import cog

register = template.Library()


@register.filter
def cog_label(code):
    """{{ adult.birth_commune|cog_label }}: « Nantes (Loire-Atlantique) », « Algérie »; an unknown code as it is."""
    return cog.cog_label(code)


@register.filter
def birth_place(adult):
    """{{ holder|birth_place }}: « Nantes (Loire-Atlantique), France », or "" when not given."""
    return cog.adult_birth_place(adult) if adult else ""
